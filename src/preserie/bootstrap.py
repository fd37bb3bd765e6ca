"""The one place that picks the registry's concrete adapters: the database (SQLite or PostgreSQL, migrated to
the current schema), the trace segments and the registry extracts under the data directory."""

from __future__ import annotations

from preserie.adapters.db.engine import make_engine, migrate
from preserie.adapters.db.repository import SqlRegistry
from preserie.adapters.trace_segments import SegmentStore
from preserie.config import ServiceSettings
from preserie.services.bilan_cache import AssessmentCache
from preserie.services.registry import Registry


def build_registry(settings: ServiceSettings, *, migrated: bool = True) -> Registry:
    settings.prepare()
    engine = make_engine(settings.database_url)
    if migrated:
        migrate(engine)
    return Registry(repo=SqlRegistry(engine), segments=SegmentStore(settings.segments),
                    registrations=settings.registrations,
                    cache=AssessmentCache(size=64 if settings.keep_bilans else 0))
