"""Blocks of text, and how the text of an HTML element is read: the vocabulary the writer shares.

A page's text is a list of :class:`Block` (a paragraph, a heading, a list, a table, a code block);
:func:`join_blocks` makes one text of them and :func:`split_sections` cuts them at h1/h2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

import lxml.etree

Element: TypeAlias = lxml.etree._Element

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_TAGS = frozenset(
    """
    address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p pre section summary
    table tbody td tfoot th thead tr caption ul
    """.split()
)
LIST_TAGS = frozenset({"ul", "ol", "dir", "menu"})
BR = "\x00"  # a <br> in collected text, until lines are cut


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of output: ``kind`` is ``p``, ``h1``..``h6``, ``list``, ``table`` or ``pre``."""

    kind: str
    text: str


def join_blocks(blocks: Iterable[Block]) -> str:
    """The text of ``blocks``, paragraphs separated by a blank line."""
    return "\n\n".join(b.text for b in blocks if b.text).strip()


def split_sections(blocks: list[Block]) -> list[tuple[str | None, list[Block]]]:
    """Cut ``blocks`` before each h1/h2: ``[(heading or None, blocks)]``, empty sections left out."""
    sections: list[tuple[str | None, list[Block]]] = []
    heading: str | None = None
    current: list[Block] = []
    for block in blocks:
        if block.kind in ("h1", "h2"):
            if current:
                sections.append((heading, current))
            heading, current = block.text, [block]
        else:
            current.append(block)
    if current:
        sections.append((heading, current))
    return sections


def text_of(el: Element) -> str:
    """All the text under ``el``, as it is."""
    return "".join(el.itertext())


def squash(text: str) -> str:
    """Whitespace runs (newlines, tabs, no-break spaces...) to one space, ends stripped."""
    return " ".join(text.split())


def inline_text(el: Element) -> str:
    """All the text of ``el`` on one line (line breaks kept for ``<br>``)."""
    parts: list[str] = []
    collect_text(el, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split(BR))
    return "\n".join(line for line in lines if line)


def collect_text(el: Element, parts: list[str], breaks: bool = False) -> None:
    """The text under ``el`` into ``parts``: ``<br>`` as a line break, a block element as a space
    (as a line break when ``breaks``)."""
    is_block = el.tag in BLOCK_TAGS
    if el.tag == "br" or (breaks and is_block):
        parts.append(BR)
    elif is_block:
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            collect_text(child, parts, breaks)
        if child.tail:
            parts.append(child.tail)
    if is_block:
        parts.append(BR if breaks else " ")


def line_pieces(el: Element) -> list[str]:
    """The text inside ``el`` cut at its block elements and ``<br>``, each piece on one line.

    >>> line_pieces(lxml.etree.fromstring("<td><p>One</p>two<br/>three<ul><li>x</li></ul></td>"))
    ['One', 'two', 'three', 'x']
    """
    parts: list[str] = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            collect_text(child, parts, breaks=True)
        if child.tail:
            parts.append(child.tail)
    pieces = (" ".join(piece.split()) for piece in "".join(parts).split(BR))
    return [piece for piece in pieces if piece]


_SENTENCE_END = (".", "!", "?", ":", ";", ",")


def join_pieces(pieces: Iterable[str]) -> str:
    """Pieces of text on one line: after a piece that ends a sentence or clause a space, else ``; ``.

    >>> join_pieces(["London", "England", "Born in 1815.", "", "Died in 1852"])
    'London; England; Born in 1815. Died in 1852'
    """
    text = ""
    for piece in pieces:
        if piece:
            text = f"{text}{' ' if text.endswith(_SENTENCE_END) else '; '}{piece}" if text else piece
    return text


def int_attribute(value: str | None, default: int) -> int:
    """An integer attribute (``start``, ``colspan``...), or ``default`` when absent or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
