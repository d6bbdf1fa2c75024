"""HTML pages: the main text of each page (or of each h1/h2 section), boilerplate removed.

The importer reads a page's bytes, decodes them (:mod:`.decode`, with the core's one detector,
:func:`curate.importing.detect_encoding`: BOM, declared
charset, guess), finds the main text (:mod:`.extract`: lxml with no network and no
external entities, boilerplate and link blocks removed, main content picked) and writes it
(:mod:`.render` and :mod:`.tables`): paragraphs separated by
blank lines, lists as ``- item`` and ``1. item``, definition lists as ``term: definition``, tables as
Markdown tables, ``pre`` as fenced code with its language. One record per page, or one per h1/h2
section (the blocks and their kinds: :mod:`.text`).

``extractor = "trafilatura"`` uses trafilatura instead (``pip install 'curate[html]'``).

:mod:`.importer` holds :class:`HtmlImporter`; this package is the plugin (entry point ``html``)
and registers it.

The package exports the names of :mod:`.extract` but not its ``extract`` function, which
would hide the module.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .decode import Decoded, declared_charset, decode_html, looks_like_html
from .extract import Page, page_title, parse_html
from .importer import HtmlImporter, HtmlOptions, markdown_blocks
from .text import Block, join_blocks, split_sections

__all__ = [
    "Block",
    "Decoded",
    "HtmlImporter",
    "HtmlOptions",
    "Page",
    "declared_charset",
    "decode_html",
    "join_blocks",
    "looks_like_html",
    "markdown_blocks",
    "page_title",
    "parse_html",
    "register_importers",
    "split_sections",
]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`HtmlImporter` (this package is the plugin of entry point ``html``)."""
    register(HtmlImporter)
