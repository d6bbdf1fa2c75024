"""The HTML importer plugin (entry point ``html``): registers the importer of :mod:`curate.plugins.html`.

The importer, its options and helpers are imported from the package, not from here.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl
from curate.plugins.html import HtmlImporter

__all__ = ["register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`~curate.plugins.html.HtmlImporter`."""
    register(HtmlImporter)
