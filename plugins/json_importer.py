"""The JSON and JSON Lines importer plugin (entry point ``json``); the importer itself is :mod:`curate.plugins.json`."""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .json import JSONL_SUFFIXES, JsonImporter, JsonOptions

__all__ = ["JSONL_SUFFIXES", "JsonImporter", "JsonOptions", "register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`JsonImporter`."""
    register(JsonImporter)
