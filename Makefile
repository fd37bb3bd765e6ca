# The one way in, for people and for CI (.ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The sandbox's PostgreSQL tests run against the local server when one answers (.ci/run sets the URL itself);
# without one they are skipped, and say so.
ifeq ($(origin PRESERIE_TEST_DATABASE_URL),undefined)
PRESERIE_TEST_DATABASE_URL := $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && \
	echo postgresql+psycopg://postgres@127.0.0.1:5432/test)
endif
export PRESERIE_TEST_DATABASE_URL

.PHONY: install demo test check lint typecheck bench bench-teleservice golden clean

$(BIN)/preserie: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/preserie

demo: install  ## simulate a nominal pilot into ./preserie-demo and assess it
	$(BIN)/preserie demo

test: install  ## the whole test suite, with the coverage of src/preserie (subprocesses included)
	$(BIN)/python -m pytest --cov --cov-report=term

check: lint typecheck test  ## everything CI runs

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

bench: install  ## the scale benchmarks at 1 million records (10M: make bench RECORDS=10000000)
	$(BIN)/python benchmarks/assess_scale.py --records $(or $(RECORDS),1000000)
	$(BIN)/python benchmarks/simulate_scale.py --records $(or $(RECORDS),1000000)
	$(BIN)/python benchmarks/service_assess.py --records $(or $(RECORDS),1000000)

bench-teleservice: install  ## the sandbox under load against PostgreSQL (PRESERIE_TEST_DATABASE_URL or the local one)
	$(BIN)/python benchmarks/teleservice_load.py

golden: install  ## rebuild the golden case folders, then refresh their reviewed snapshots
	$(BIN)/python tests/cases/build.py
	$(BIN)/python -m pytest tests/integration/test_golden_cases.py tests/e2e/test_report.py -k "golden" --update-golden -q

clean:
	rm -rf $(VENV) preserie-demo .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
