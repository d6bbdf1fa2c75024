"""Writing a cleaned HTML tree as blocks of text: paragraphs, headings, lists, definitions, tables, code.

The text is prose where the page is prose and Markdown where the page has structure:

- paragraphs are separated by a blank line, ``<br>`` is a line break, a heading is its text (its
  block kind, ``h1``..``h6``, is what the section split cuts at);
- lists are ``- item`` and ``1. item`` (``start``, ``value`` and ``reversed`` honoured); a nested list,
  and an item's further paragraphs or code, are indented under the item's text by the width of its
  marker, as CommonMark reads them;
- definition lists are ``term: definition`` (``t1, t2: d`` for several terms, ``t: d1; d2`` for
  several definitions); a definition of several blocks (an API reference's signature and its
  paragraphs) puts its first paragraph after ``term:`` and the rest as blocks of their own;
- a data table is a Markdown table, its header kept; a table used for layout is not a table, and
  each of its cells is written as blocks (see :mod:`curate.plugins.html.tables`);
- ``<pre>`` is a fenced code block, its whitespace kept, with the language that a class such as
  ``language-python`` (or ``highlight-python3``, ``brush: python``, ``data-lang``...) names.

>>> from .extract import extract
>>> print(join_blocks(extract("<ol><li>Mix<ul><li>slowly</li></ul></li><li>Bake</li></ol>").blocks))
1. Mix
   - slowly
2. Bake
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .tables import is_data_table, table_text
from .text import (
    BLOCK_TAGS,
    BR,
    HEADINGS,
    LIST_TAGS,
    Block,
    Element,
    inline_text,
    int_attribute,
    join_blocks,
    join_pieces,
    squash,
)

# ---------------------------------------------------------------------------------------
# The writer.


class Writer:
    """Walks a cleaned tree and collects :class:`Block` objects in ``blocks``.

    Inline text accumulates until a block element (or the end) flushes it as paragraphs.
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._inline: list[str] = []

    def block(self, text: str, kind: str = "p") -> None:
        """Add ``text`` as a block of its own (what was inline before it is flushed first)."""
        self.flush()
        if text.strip():
            self.blocks.append(Block(kind, text))

    def flush(self) -> None:
        """Turn the pending inline text into paragraphs (two line breaks in a row end one)."""
        if not self._inline:
            return
        raw = "".join(self._inline)
        self._inline = []
        paragraph: list[str] = []
        for line in raw.split(BR):
            line = " ".join(line.split())
            if line:
                paragraph.append(line)
            elif paragraph:
                self.blocks.append(Block("p", "\n".join(paragraph)))
                paragraph = []
        if paragraph:
            self.blocks.append(Block("p", "\n".join(paragraph)))

    def contents(self, el: Element) -> None:
        """Write what is inside ``el`` (its text and its children), not ``el`` itself."""
        if el.text:
            self._inline.append(el.text)
        for child in el:
            self.element(child)
            if child.tail:
                self._inline.append(child.tail)

    def element(self, el: Element) -> None:
        """Write ``el`` and what is inside it."""
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag in HEADINGS:
            self.block(inline_text(el), tag)
        elif tag == "pre":
            self.block(code_block(el), "pre")
        elif tag in LIST_TAGS:
            self.block(list_text(el), "list")
        elif tag == "dl":
            self.flush()
            self.blocks.extend(dl_blocks(el))
        elif tag == "table" and is_data_table(el):
            self.block(table_text(el), "table")
        elif tag == "br":
            self._inline.append(BR)
        elif tag == "hr":
            self.flush()
        elif tag in BLOCK_TAGS or "-" in tag:
            self.flush()
            self.contents(el)
            self.flush()
        else:  # inline: a, b, span, code...
            self.contents(el)


def render_contents(el: Element) -> list[Block]:
    """The blocks that what is inside ``el`` makes on its own (a list item, a definition...)."""
    writer = Writer()
    writer.contents(el)
    writer.flush()
    return writer.blocks


# ---------------------------------------------------------------------------------------
# Code.

_LANG_PREFIX = re.compile(r"^(?:language|lang|highlight-source|highlight|sourcecode)-(.+)$")
_BRUSH = re.compile(r"\bbrush\s*:\s*([\w+#.-]+)", re.IGNORECASE)
_LANG_NAME = re.compile(r"^[a-z0-9][\w+#.-]{0,29}$")
_LANG_ALIASES = {"python3": "python", "py": "python", "py3": "python"}
# Classes that name no language, or that the highlighter uses beside one.
_NOT_LANGS = frozenset(
    "default none text txt plain plaintext nohighlight no-highlight notranslate hljs sourcecode highlight "
    "code source prettyprint linenums".split()
)


def code_block(pre: Element) -> str:
    """A ``<pre>`` as a fenced code block: its text as it is, the language of its classes after the fence.

    >>> import lxml.etree
    >>> print(code_block(lxml.etree.fromstring('<pre><code class="language-python">x = 1\\n</code></pre>')))
    ```python
    x = 1
    ```
    """
    text = _pre_text(pre)
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{code_language(pre) or ''}\n{text}\n{fence}"


def code_language(pre: Element) -> str | None:
    """The language a code block's classes or ``data-lang`` name, on the ``<pre>``, the ``<code>`` in it,
    or the two wrappers around it (Sphinx's ``highlight-python3``, Jekyll's ``language-ruby``)."""
    places = [pre, *pre.iterchildren("code")]
    parent = pre.getparent()
    for _ in range(2):
        if parent is None:
            break
        places.append(parent)
        parent = parent.getparent()
    for el in places:
        for attr in ("data-lang", "data-language"):
            lang = _language_name(el.get(attr) or "")
            if lang:
                return lang
        classes = el.get("class") or ""
        brush = _BRUSH.search(classes)
        if brush:
            return _language_name(brush.group(1))
        tokens = classes.split()
        for token in tokens:
            m = _LANG_PREFIX.match(token.lower())
            if m:
                return _language_name(m.group(1))
        # pandoc's "sourceCode python", highlight.js's "hljs python": the other class is the language.
        lowered = [t.lower() for t in tokens]
        if "sourcecode" in lowered or "hljs" in lowered:
            for token in lowered:
                lang = _language_name(token)
                if lang:
                    return lang
    return None


def _language_name(name: str) -> str | None:
    name = name.strip().lower()
    if name in _NOT_LANGS or not _LANG_NAME.match(name):
        return None
    return _LANG_ALIASES.get(name, name)


def _pre_text(el: Element) -> str:
    """The text of a ``<pre>`` as it is, but for a newline right after the tag and trailing space."""
    text = "".join(_pre_pieces(el))
    return (text[1:] if text.startswith("\n") else text).rstrip()


def _pre_pieces(el: Element) -> Iterator[str]:
    if el.tag == "br":
        yield "\n"
    if el.text:
        yield el.text
    for child in el:
        if isinstance(child.tag, str):
            yield from _pre_pieces(child)
        if child.tail:
            yield child.tail


# ---------------------------------------------------------------------------------------
# Lists and definition lists.


def list_text(el: Element) -> str:
    """A ``ul``/``ol`` as ``- item`` / ``1. item`` lines, what follows an item's first line indented under it."""
    items = [c for c in el if isinstance(c.tag, str)]
    ordered = el.tag == "ol"
    backwards = ordered and el.get("reversed") is not None
    number = int_attribute(el.get("start"), len(items) if backwards else 1)
    lines: list[str] = []
    width = 2
    for item in items:
        if item.tag in LIST_TAGS:
            # A list straight inside a list (invalid, and common): nested under the item before it.
            lines.extend(_indent(list_text(item), width, first=True))
            continue
        if ordered and item.get("value"):
            number = int_attribute(item.get("value"), number)
        blocks = render_contents(item)
        if not blocks:
            continue
        if blocks[0].kind == "list":  # an item that holds only a list: no bullet of its own
            lines.extend(_indent(join_blocks(blocks), width, first=True))
            continue
        marker = f"{number}." if ordered else "-"
        width = len(marker) + 1
        text = "\n".join(b.text for b in blocks)
        lines.append(f"{marker} " + "\n".join(_indent(text, width, first=False)))
        number += -1 if backwards else 1
    return "\n".join(lines)


def _indent(text: str, width: int, *, first: bool) -> list[str]:
    pad = " " * width
    lines = text.split("\n")
    return [line if (i == 0 and not first) or not line else pad + line for i, line in enumerate(lines)]


def dl_blocks(el: Element) -> list[Block]:
    """A ``dl`` as ``term: definition`` lines; a definition of several blocks follows as blocks.

    >>> import lxml.etree
    >>> dl = lxml.etree.fromstring("<dl><dt>ABC</dt><dd>A class.</dd><dt>a</dt><dt>b</dt><dd>x</dd><dd>y</dd></dl>")
    >>> print(join_blocks(dl_blocks(dl)))
    ABC: A class.
    a, b: x; y
    """
    out: list[Block] = []
    lines: list[str] = []
    terms: list[str] = []
    definitions: list[list[Block]] = []

    def flush_lines() -> None:
        if lines:
            out.append(Block("list", "\n".join(lines)))
            lines.clear()

    def finish() -> None:
        if not terms and not definitions:
            return
        term = ", ".join(terms)
        label = term if term.endswith(":") else f"{term}:"
        if all(len(d) == 1 and d[0].kind == "p" for d in definitions):
            definition = join_pieces(line for d in definitions for line in d[0].text.split("\n"))
            lines.append(f"{label} {definition}" if term and definition else term or definition)
        else:
            flush_lines()
            blocks = [b for d in definitions for b in d]
            if term and blocks[0].kind == "p":
                blocks[0] = Block("p", f"{label} {blocks[0].text}")
            elif term:
                out.append(Block("p", label))
            out.extend(blocks)
        terms.clear()
        definitions.clear()

    for item in _dl_items(el):
        if item.tag == "dt":
            if definitions:
                finish()
            term = squash(inline_text(item))
            if term:
                terms.append(term)
        else:
            blocks = render_contents(item)
            if blocks:
                definitions.append(blocks)
    finish()
    flush_lines()
    return out


def _dl_items(el: Element) -> Iterator[Element]:
    """The ``dt`` and ``dd`` of a ``dl``, looking through the ``div`` wrappers HTML allows around them."""
    for child in el:
        if child.tag in ("dt", "dd"):
            yield child
        elif child.tag == "div":
            yield from _dl_items(child)
