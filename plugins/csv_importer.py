"""The CSV/TSV importer plugin (entry point ``csv``); the importer itself is :mod:`curate.plugins.csv`."""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .csv import DELIMITERS, TAB_SUFFIXES, CsvImporter, CsvOptions, sniff_delimiter

__all__ = ["DELIMITERS", "TAB_SUFFIXES", "CsvImporter", "CsvOptions", "register_importers", "sniff_delimiter"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`CsvImporter`."""
    register(CsvImporter)
