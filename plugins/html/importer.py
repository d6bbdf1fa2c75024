"""The HTML importer: options, sniffing, decoding a page and making its records (:mod:`curate.plugins.html`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import lxml.etree

from curate.plugin_api import (
    DECOMPRESSION_ERRORS,
    SNIFF_BYTES,
    Importer,
    InputFile,
    Problem,
    Record,
    has_control_bytes,
    is_probably_binary,
    known_encoding,
    requires,
)

from .decode import (
    decode_html,
    looks_like_html,
)
from .extract import extract, page_title, parse_html
from .text import Block, join_blocks, split_sections, squash

_CHUNK = 1 << 16

# ---------------------------------------------------------------------------------------
# Options and the importer.


@dataclass(frozen=True)
class HtmlOptions:
    split: Literal["page", "section"] = field(
        default="page", metadata={"help": "one record per page, or one per section (a new section at each h1/h2)"}
    )
    extractor: Literal["curate", "trafilatura"] = field(
        default="curate",
        metadata={"help": "curate's own extractor (lxml), or trafilatura (pip install 'curate[html]')"},
    )
    main_content: bool = field(
        default=True,
        metadata={"help": "keep only the main content (article, main...); false: the whole body minus boilerplate"},
    )
    encoding: str | None = field(
        default=None, metadata={"help": "decode with this encoding instead of detecting it (BOM, meta charset, guess)"}
    )
    min_chars: int = field(default=1, metadata={"help": "pages or sections with less text are reported as problems"})
    max_bytes: int = field(
        default=50_000_000, metadata={"help": "larger files are reported as problems instead of being parsed"}
    )

    def __post_init__(self) -> None:
        if self.encoding is not None and not known_encoding(self.encoding):
            raise ValueError(f"option 'encoding': {self.encoding!r} is not a text encoding Python knows")
        if self.max_bytes < 1:
            raise ValueError("option 'max_bytes' must be at least 1")
        if self.min_chars < 0:
            raise ValueError("option 'min_chars' must be 0 or more")


class HtmlImporter(Importer[HtmlOptions]):
    name = "html"
    suffixes = (".html", ".htm", ".xhtml")
    Options = HtmlOptions
    description = "HTML pages: the main text of each page or h1/h2 section, navigation and boilerplate removed."

    def __init__(self, options: HtmlOptions) -> None:
        super().__init__(options)
        self._trafilatura: Any = None
        if options.extractor == "trafilatura":
            self._trafilatura = requires(
                "trafilatura", extra="html", purpose="The html importer's extractor='trafilatura'"
            )

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """HTML content in a file with another suffix: a doctype, or ``<html``/``<head``/``<body`` first."""
        return looks_like_html(head)

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        # A page is parsed whole, so it is read whole (up to max_bytes).
        limit = self.options.max_bytes
        data = bytearray()
        with file.open() as fh:
            read = getattr(fh, "read1", fh.read)  # read1: what a damaged stream gave before the damage stays
            try:
                while len(data) <= limit:
                    chunk = read(min(_CHUNK, limit + 1 - len(data)))
                    if not chunk:
                        break
                    data += chunk
            except DECOMPRESSION_ERRORS as exc:
                if not data:
                    yield Problem(None, f"cannot decompress ({type(exc).__name__}: {exc}); the file is damaged")
                    return
                yield Problem(None, f"the compressed file is damaged after {len(data)} bytes; importing what precedes")
        if len(data) > limit:
            yield Problem(
                None, f"larger than max_bytes={limit}; not parsed (raise the html importer's max_bytes to read it)"
            )
            return
        if not data.strip():
            yield Problem(None, "empty file, no HTML")
            return
        if has_control_bytes(bytes(data[:4096])) and is_probably_binary(bytes(data[:SNIFF_BYTES])):
            yield Problem(None, "binary content, not HTML (check the file, or pass --importer for its real format)")
            return
        html, encoding, note, lossy = decode_html(bytes(data), self.options.encoding)
        if note:
            # A guessed encoding loses nothing; replaced bytes do (and the fix is the encoding option).
            hint = "" if not lossy else "; pass the html importer's encoding option if you know the right one"
            yield Problem(None, note + hint, warning=not lossy)
        try:
            if self._trafilatura is not None:
                title, lang, blocks = self._extract_trafilatura(html)
            else:
                page = extract(html, main_content=self.options.main_content)
                title, lang, blocks = page.title, page.lang, page.blocks
        except (lxml.etree.LxmlError, ValueError, RecursionError) as exc:
            yield Problem(None, f"could not parse the HTML ({type(exc).__name__}: {exc})", raw=html)
            return
        meta: dict[str, Any] = {}
        if title:
            meta["title"] = title
        if lang:
            meta["lang"] = lang
        meta["encoding"] = encoding
        yield from self._records(file, blocks, meta, html)

    def _records(
        self, file: InputFile, blocks: list[Block], meta: dict[str, Any], html: str
    ) -> Iterator[Record | Problem]:
        minimum = self.options.min_chars
        if self.options.split == "page":
            text = join_blocks(blocks)
            if not text:
                yield Problem(
                    "page",
                    "no text left after removing navigation and boilerplate "
                    "(try main_content=false, or extractor='trafilatura')",
                    raw=html,
                )
            elif len(text) < minimum:
                yield Problem("page", f"{len(text)} characters of text, shorter than min_chars={minimum}", raw=text)
            else:
                yield Record.create(file.source(self.name, "page"), text=text, meta=meta)
            return
        sections = split_sections(blocks)
        if not sections:
            yield Problem(
                "section 1", "no text left after removing navigation and boilerplate (try main_content=false)", raw=html
            )
        for n, (heading, section) in enumerate(sections, 1):
            locator = f"section {n}"
            text = join_blocks(section)
            if len(text) < minimum:
                yield Problem(locator, f"{len(text)} characters of text, shorter than min_chars={minimum}", raw=text)
                continue
            section_meta = dict(meta)
            if heading:
                section_meta["heading"] = heading
            yield Record.create(file.source(self.name, locator), text=text, meta=section_meta)

    def _extract_trafilatura(self, html: str) -> tuple[str | None, str | None, list[Block]]:
        tree = parse_html(html)
        title = page_title(tree)
        lang = squash(tree.get("lang") or "") or None
        # Markdown output keeps the headings ("# Title", "## Part"), which the section split needs.
        text = self._trafilatura.extract(
            lxml.etree.tostring(tree, encoding="unicode", method="html"),
            output_format="markdown",
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            include_formatting=True,
            deduplicate=False,
        )
        return title, lang, markdown_blocks(text or "")


# ---------------------------------------------------------------------------------------
# trafilatura's Markdown, back to blocks.

_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_blocks(text: str) -> list[Block]:
    r"""trafilatura's Markdown as blocks: headings kept as such, emphasis marks removed, tables and
    fenced code kept as they are (a ``# comment`` in code is not a heading, a blank line in it ends nothing).

    >>> [(b.kind, b.text) for b in markdown_blocks("# Title\n\n**Bold** text\n\n```\n# not a heading\n\nx\n```")]
    [('h1', 'Title'), ('p', 'Bold text'), ('pre', '```\n# not a heading\n\nx\n```')]
    """
    blocks: list[Block] = []
    for part, fenced in _markdown_parts(text):
        if fenced:
            blocks.append(Block("pre", part))
            continue
        heading = re.fullmatch(r"(#{1,6})\s+(.*)", part)
        if heading:
            blocks.append(Block(f"h{len(heading.group(1))}", heading.group(2).strip()))
            continue
        lines = [_MD_ITALIC.sub(r"\1", _MD_BOLD.sub(r"\1", line)) for line in part.split("\n")]
        table = all(line.lstrip().startswith("|") for line in lines)
        blocks.append(Block("table" if table else "p", "\n".join(lines)))
    return blocks


def _markdown_parts(text: str) -> Iterator[tuple[str, bool]]:
    """Paragraphs (split at blank lines) and fenced code blocks (whole): ``(text, fenced)``."""
    lines: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if fence:
            lines.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                yield "\n".join(lines).strip("\n"), True
                lines, fence = [], ""
            continue
        opening = _MD_FENCE.match(line)
        if opening or not line.strip():
            if lines:
                yield "\n".join(lines).strip(), False
            lines = []
            if opening:
                fence = opening.group(1)
                lines.append(line)
            continue
        lines.append(line)
    if lines:
        yield "\n".join(lines).strip(), bool(fence)
