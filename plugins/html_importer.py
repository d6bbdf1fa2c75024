"""The HTML importer plugin (entry point ``html``); the importer itself is :mod:`curate.plugins.html`."""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .html import (
    Block,
    Decoded,
    HtmlImporter,
    HtmlOptions,
    Page,
    declared_charset,
    decode_html,
    join_blocks,
    looks_like_html,
    markdown_blocks,
    page_title,
    parse_html,
    split_sections,
)
from .html.extract import extract

__all__ = [
    "Block",
    "Decoded",
    "HtmlImporter",
    "HtmlOptions",
    "Page",
    "declared_charset",
    "decode_html",
    "extract",
    "join_blocks",
    "looks_like_html",
    "markdown_blocks",
    "page_title",
    "parse_html",
    "split_sections",
]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`HtmlImporter`."""
    register(HtmlImporter)
