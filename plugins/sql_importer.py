"""The SQL dump importer plugin (entry point ``sql``): registers the importer of :mod:`curate.plugins.sql`.

The importer, its options and helpers are imported from the package, not from here.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl
from curate.plugins.sql import SqlImporter

__all__ = ["register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`~curate.plugins.sql.SqlImporter`."""
    register(SqlImporter)
