"""The CSV/TSV importer plugin (entry point ``csv``): registers the importer of :mod:`curate.plugins.csv`.

The importer, its options and helpers are imported from the package, not from here.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl
from curate.plugins.csv import CsvImporter

__all__ = ["register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`~curate.plugins.csv.CsvImporter`."""
    register(CsvImporter)
