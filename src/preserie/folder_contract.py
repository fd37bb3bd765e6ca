"""What the fields of a pilot folder mean, in words: the part of docs/pilot-folder.md that code cannot say.

Everything else in that document (types, allowed values, defaults, columns) comes from the models and constants
(`folder_docs`), which refuses to render when a field here has no counterpart, or the reverse.
"""

from __future__ import annotations

OVERVIEW = """
One folder holds one pilot (présérie). Every file but `pilot.yaml` may be absent; the assessment then says what
the absence means. `preserie init FOLDER` writes a folder to fill in, `preserie check FOLDER` checks it before it
is sent (the declaration and the files, without reading the trace records), `preserie assess FOLDER` judges it.

```
my-pilot/
  pilot.yaml            the declaration (required)
  traces/               the workstation traces, any number of files, sub-folders included
  registrations.csv     the extract of the national registry: what the Assurance Maladie recorded
  anomalies.csv         the vendor's anomaly log
  survey.csv            the doctors' satisfaction survey
```

| file | when it is absent |
|---|---|
| `pilot.yaml` | the folder cannot be assessed (exit status 2) |
| `traces/` | no trace: no user can reach a usage rate, the decision is to extend |
| `registrations.csv` | the registered prescriptions are those of the successful `create` calls of the traces |
| `anomalies.csv` | no anomaly is known |
| `survey.csv` | no answer: the satisfaction criterion cannot be met |

Every file is UTF-8 text (a byte order mark, as Excel writes it, is accepted) but Parquet and gzip. Dates are
written `YYYY-MM-DD`, moments ISO 8601 with their offset (`2025-01-13T09:30:00+01:00`). In CSV the first line is
the header, columns come in any order and columns of no use are ignored; an empty cell is null; booleans are
`true` / `false`. The side files (`registrations.csv`, `anomalies.csv`, `survey.csv`) may separate cells with
`,` or with `;` (as Excel in French saves them; told apart by the header); trace CSV files use `,`.

A file that cannot be read, a row that breaks the contract, a trace record rejected: each is named with its
file, line and field, nothing is dropped silently, and the decision never rests on a file that could not be
read (`traces_readable` and `input_rows` in docs/assessment.md).
"""

PILOT_INTRO = """The declaration of the pilot, in YAML (format `{schema}`). Identifiers and codes are text: write
them between quotes (`"331012344"`, `"05"`), since YAML would read a number and lose a leading 0. A field not in
these tables is refused (a typo would otherwise go unnoticed). Every error of the file is shown at once, each with
its line and field."""

POLICY_INTRO = """Overrides of the thresholds of the assessment (docs/assessment.md), by name; `{}` or absent: the
defaults below. An unknown name is refused. The report says which thresholds the pilot changed."""

TRACES_INTRO = """The workstations' traces, in files named {formats}, anywhere under `traces/`. Files are read in
the byte order of their paths, records in file order; hidden files are skipped, other files are named as ignored.
A record is a non-blank line of a JSON Lines file (one JSON object), a data row of a CSV file (the same fields
as columns), or a row of a Parquet file. A missing key and a null value mean the same. Each record lands in
exactly one count of the data quality (used, rejected with its reason, duplicate, conflict, …: docs/assessment.md)."""

EXAMPLE_INTRO = """A small folder that follows every rule above: `pilot.yaml` is what `preserie init` writes, and
every record of the other files is used by the assessment (a test checks it). It declares two doctors, so the
assessment asks for more (5 to 10)."""

# The contract's type of each trace field (the readers keep every field as text until step 1 checks it).
TRACE_KINDS = {
    "event_id": "text, at most 128 characters", "ts": "moment, ISO 8601 with offset", "practitioner": "text",
    "situation": "text", "workstation": "text", "software_version": "text", "type": "text",
    "category": "text", "digital": "`true` or `false` (a JSON boolean)", "prescription_id": "text",
    "operation": "text", "outcome": "one of `ok`, `error`", "http_status": "integer from 100 to 599, or `null`",
    "error_code": "text, or `null`", "duration_ms": "number", "os": "text", "os_version": "text",
    "card_reader": "text", "card_kind": "`cps` or `e-cps`", "network": "text",
}
# The further fields of each type of record, beyond the common ones.
TRACE_TYPES = {
    "prescription": ("category", "digital", "prescription_id"),
    "call": ("operation", "prescription_id", "outcome", "http_status", "error_code", "duration_ms"),
    "workstation": ("os", "os_version", "card_reader", "card_kind", "network"),
}
# Where step 1's "missing" reason for a field holds for one type of record only.
TRACE_NEEDED = {"prescription.prescription_id": "when `digital` is true", "call.prescription_id": "optional"}
REGISTRATION_KINDS = {
    "prescription_id": ("text", "required"), "practitioner": ("text", "optional"),
    "registered_at": ("moment, ISO 8601 with offset", "optional"),
    "status": ("one of `registered`, `rejected`", "required"), "reject_code": ("text", "optional"),
}

MEANINGS = {
    "schema": "the version of this format", "id": "the pilot's identifier, as the vendor names it",
    "vendor": "the software vendor (éditeur)", "software": "the software under pilot",
    "readiness": "the vendor's prerequisites of the seed, each ready or not",
    "cpams": "the pilot's CPAMs: 1 to 3 referent ones, by department code (`\"33\"`, `\"2A\"`)",
    "planned_weeks": "the planned duration of the pilot, in weeks",
    "launch_meeting": "the day of the launch meeting with the CPAMs",
    "technical_prerequisites": "the technical prerequisites the vendor identified (operating system, card reader…)",
    "health_centers": "the health centres of the pilot (audiences `health_center` and `mixed`)",
    "practitioners": "every doctor of the pilot, equipped or not",
    "policy": "overrides of the assessment's thresholds (see [policy](#policy))",
    "reduced_minimum": "the Cnam's decision on the reduced minimum of 3 doctors (« pourra être revu à 3 PS »): "
                       "`true` grants it, `false` refuses it whatever the market share; absent, a market share "
                       "below 1 % grants it (the registry always writes the Cnam's decision here)",
    "software.name": "the software's name", "software.version": "the version authorised for e-prescription",
    "software.cnda_authorization": "the reference of the CNDA authorisation; empty or absent: not authorised",
    "software.audience": "who the pilot is for: doctors in practices (`liberal`), in health centres "
                         "(`health_center`), or both (`mixed`)",
    "software.market_share_percent": "the SESAM-Vitale market share, in percent; below 1, 3 doctors suffice",
    "readiness.support": "support for the health professionals is ready",
    "readiness.installation_and_training": "the installation and training arrangements are ready",
    "readiness.kit": "the support kit is ready",
    "health_centers[].finess": "the centre's FINESS number (9 characters, the last a check key; Corsica: 2A, 2B)",
    "health_centers[].name": "the centre's name",
    "practitioners[].id": "the N° AM (8 digits and a key) when the situation is `liberal`, the RPPS (11 digits) "
                          "when it is `health_center`",
    "practitioners[].situation": "where the doctor practises in this pilot: practice or health centre",
    "practitioners[].health_center": "the FINESS of the doctor's centre, declared in `health_centers`, when the "
                                     "situation is `health_center`",
    "practitioners[].specialty": "general practitioner or specialist",
    "practitioners[].practice": "alone, in a group practice, in an MSP, or in a health centre",
    "practitioners[].cpam": "the doctor's CPAM, one of `cpams`",
    "practitioners[].equipped": "equipped for e-prescription: a user of the pilot, whose traces count",
    "practitioners[].installed_on": "the day the module was installed",
    "practitioners[].trained_on": "the day the doctor was trained",
    "trace.event_id": "unique identifier of the event; the same id again is a duplicate (same content) or a "
                      "conflict (other content: the first counts)",
    "trace.ts": "when the event happened", "trace.practitioner": "the doctor's `id`, as in pilot.yaml",
    "trace.situation": "the situation the doctor worked in (a doctor may work in two: only the declared counts)",
    "trace.workstation": "the workstation's name", "trace.software_version": "the software version installed",
    "trace.type": "what the record is: one of the types below",
    "trace_type.prescription": "A prescription made by the doctor, digital (an e-prescription) or not.",
    "trace_type.call": "A call of the workstation to the e-prescription teleservice.",
    "trace_type.workstation": "A snapshot of the workstation's configuration (the latest counts).",
    "trace.category": "the prescription's category", "trace.digital": "made as an e-prescription",
    "prescription.prescription_id": "the e-prescription's id (opaque text)",
    "call.prescription_id": "the e-prescription the call is about, when the operation has one",
    "trace.operation": "the teleservice operation: create, consult or search",
    "trace.outcome": "`ok` when the call succeeded, `error` otherwise",
    "trace.http_status": "the HTTP status of the answer; null when no answer came (timeout, network); an "
                         "`error` below 400 or an `ok` at 400 or more is rejected",
    "trace.error_code": "the teleservice's error code", "trace.duration_ms": "how long the call took, in ms",
    "trace.os": "the operating system", "trace.os_version": "its version", "trace.card_reader": "the card reader",
    "trace.card_kind": "the professional card: physical (`cps`) or app (`e-cps`)", "trace.network": "the network",
    "registrations.csv": "The extract of the national registry: the e-prescriptions the Assurance Maladie "
                         "recorded, or rejected. Read by the engine: it may hold millions of rows.",
    "registrations.csv:prescription_id": "the e-prescription's id, as in the traces",
    "registrations.csv:practitioner": "the prescriber", "registrations.csv:registered_at": "when it was recorded",
    "registrations.csv:status": "recorded (`registered`) or refused (`rejected`)",
    "registrations.csv:reject_code": "why it was refused",
    "anomalies.csv": "The vendor's anomaly log. An open blocking anomaly of the software on an operation keeps "
                     "that operation from meeting its criterion.",
    "anomalies.csv:id": "the anomaly's identifier", "anomalies.csv:opened_on": "the day it was opened",
    "anomalies.csv:closed_on": "the day it was closed; empty while it is open",
    "anomalies.csv:operation": "the operation it hinders; empty: all operations",
    "anomalies.csv:severity": "how grave it is", "anomalies.csv:origin": "where it comes from",
    "anomalies.csv:practitioner": "the doctor who met it, if one", "anomalies.csv:summary": "what happens",
    "survey.csv": "The doctors' satisfaction survey, one row per answer; the latest answer of a doctor counts "
                  "(on the same day, the later row).",
    "survey.csv:practitioner": "the doctor's `id`, as in pilot.yaml", "survey.csv:submitted_on": "the day of the "
                                                                                                 "answer",
    "survey.csv:ease": "ease of use, 1 to 5", "survey.csv:speed": "speed, 1 to 5",
    "survey.csv:integration": "integration in the software, 1 to 5", "survey.csv:training": "training, 1 to 5",
    "survey.csv:support": "support, 1 to 5", "survey.csv:overall": "overall score, 1 to 5",
    "survey.csv:blocking_issue": "the doctor met a blocking issue (`true` / `false`, exactly)",
    "survey.csv:blocking_issue_text": "what it was", "survey.csv:comment": "a free comment",
}

# The rest of the complete example (its pilot.yaml is the template `preserie init` writes).
EXAMPLE_FILES = {
    "traces/2025-01.jsonl": """\
{"event_id": "w-0001", "ts": "2025-01-14T08:55:00+01:00", "practitioner": "331012344", "situation": "liberal", \
"workstation": "cabinet-1", "software_version": "5.2.0", "type": "workstation", "os": "Windows", \
"os_version": "10 22H2", "card_reader": "Ingenico IWL250", "card_kind": "e-cps", "network": "fibre"}
{"event_id": "w-0002", "ts": "2025-01-14T09:10:00+01:00", "practitioner": "331012344", "situation": "liberal", \
"workstation": "cabinet-1", "software_version": "5.2.0", "type": "prescription", "category": "medicines", \
"digital": true, "prescription_id": "01S2TBPZ2JCNZZYGHZ"}
{"event_id": "w-0003", "ts": "2025-01-14T09:10:01+01:00", "practitioner": "331012344", "situation": "liberal", \
"workstation": "cabinet-1", "software_version": "5.2.0", "type": "call", "operation": "create", \
"prescription_id": "01S2TBPZ2JCNZZYGHZ", "outcome": "ok", "http_status": 201, "error_code": null, "duration_ms": 240}
{"event_id": "w-0004", "ts": "2025-01-14T09:40:00+01:00", "practitioner": "331012344", "situation": "liberal", \
"workstation": "cabinet-1", "software_version": "5.2.0", "type": "call", "operation": "search", \
"outcome": "error", "http_status": null, "error_code": "TIMEOUT", "duration_ms": 5000}
{"event_id": "w-0005", "ts": "2025-01-14T10:05:00+01:00", "practitioner": "331012344", "situation": "liberal", \
"workstation": "cabinet-1", "software_version": "5.2.0", "type": "prescription", "category": "imaging", \
"digital": false}
""",
    "traces/2025-01-centre.csv": """\
event_id,ts,practitioner,situation,workstation,software_version,type,category,digital,prescription_id,operation,\
outcome,http_status,error_code,duration_ms,os,os_version,card_reader,card_kind,network
c-0001,2025-01-15T09:58:00+01:00,10000000041,health_center,centre-3,5.2.0,workstation,,,,,,,,,Windows,11 23H2,\
Olaqin,cps,adsl
c-0002,2025-01-15T10:05:00+01:00,10000000041,health_center,centre-3,5.2.0,prescription,biology,true,\
01S2TBQA7KDPAAXHJM,,,,,,,,,,
c-0003,2025-01-15T10:05:02+01:00,10000000041,health_center,centre-3,5.2.0,call,,,01S2TBQA7KDPAAXHJM,create,ok,\
201,,180,,,,,
c-0004,2025-01-16T11:20:00+01:00,10000000041,health_center,centre-3,5.2.0,call,,,01S2TBQA7KDPAAXHJM,consult,ok,\
200,,95,,,,,
""",
    "registrations.csv": """\
prescription_id,practitioner,registered_at,status,reject_code
01S2TBPZ2JCNZZYGHZ,331012344,2025-01-14T09:10:02+01:00,registered,
01S2TBQA7KDPAAXHJM,10000000041,2025-01-15T10:05:03+01:00,registered,
""",
    "anomalies.csv": """\
id,opened_on,closed_on,operation,severity,origin,practitioner,summary
ANO-1,2025-01-14,2025-01-17,search,major,software,331012344,recherche sans réponse au-delà de 5 s
ANO-2,2025-01-16,,,minor,environment,,"réseau du centre lent, signalé au prestataire"
""",
    "survey.csv": """\
practitioner,submitted_on,ease,speed,integration,training,support,overall,blocking_issue,blocking_issue_text,comment
331012344,2025-02-24,4,4,3,5,4,4,false,,
10000000041,2025-02-25,5,4,4,4,5,4,false,,QR code bien lu en pharmacie
""",
}
