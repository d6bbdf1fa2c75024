"""The SQL dump importer plugin (entry point ``sql``); the importer itself is :mod:`curate.plugins.sql`."""

from __future__ import annotations

import curate

from .sql import SqlImporter, SqlOptions, detect_dialect
from .sql.tables import RAW_LIMIT

__all__ = ["RAW_LIMIT", "SqlImporter", "SqlOptions", "detect_dialect", "register_importers"]


@curate.hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`SqlImporter`."""
    register(SqlImporter)
