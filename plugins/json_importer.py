"""The JSON and JSON Lines importer plugin (entry point ``json``): registers the importer of :mod:`curate.plugins.json`.

The importer, its options and helpers are imported from the package, not from here.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl
from curate.plugins.json import JsonImporter

__all__ = ["register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`~curate.plugins.json.JsonImporter`."""
    register(JsonImporter)
