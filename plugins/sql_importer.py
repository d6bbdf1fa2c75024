"""The SQL dump importer plugin (entry point ``sql``); the importer itself is :mod:`curate.plugins.sql`."""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .sql import SqlImporter, SqlOptions, detect_dialect
from .sql.tables import RAW_LIMIT

__all__ = ["RAW_LIMIT", "SqlImporter", "SqlOptions", "detect_dialect", "register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`SqlImporter`."""
    register(SqlImporter)
