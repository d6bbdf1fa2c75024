"""HTML pages: the main text of each page (or of each h1/h2 section), boilerplate removed.

The ``curate`` extractor parses with lxml (no network, no external entities), then:

1. drops what is never text (script, style, template, forms, media...) and hidden elements;
2. drops boilerplate: ``nav``/``aside``/``footer`` and site ``header`` elements, and elements whose
   class, id, role or aria-label says cookie banner, share bar, newsletter, related links, comments,
   breadcrumb, advert, sidebar... An element is never dropped on a hint when it holds the article
   (an ``article``/``main`` element, the ``h1``, or half of the page's words);
3. picks the main content: the ``article``/``main``/``role=main`` element holding most of the text,
   else the container that a paragraph-scoring heuristic (in the spirit of Readability) prefers;
4. drops link-heavy blocks (menus, lists of related stories) inside it;
5. writes readable text: blocks separated by blank lines, list items as ``- item`` (``1. item`` in
   ordered lists), table rows with cells joined by `` | ``, ``pre`` kept verbatim.

``extractor = "trafilatura"`` uses trafilatura instead (``pip install 'curate[html]'``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeAlias

import lxml.etree

import curate
from curate.errors import requires
from curate.importing import (
    DECOMPRESSION_ERRORS,
    SNIFF_BYTES,
    Importer,
    InputFile,
    Problem,
    detect_encoding,
    is_probably_binary,
)
from curate.records import Record

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
        if self.encoding is not None and not _known(self.encoding):
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
        if _has_controls(bytes(data[:4096])) and is_probably_binary(bytes(data[:SNIFF_BYTES])):
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
        lang = _squash(tree.get("lang") or "") or None
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


@curate.hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(HtmlImporter)


# ---------------------------------------------------------------------------------------
# trafilatura's Markdown, back to blocks.

_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*\|?$")


def markdown_blocks(text: str) -> list[Block]:
    """trafilatura's Markdown as blocks: headings kept as such, emphasis marks and table rules removed."""
    blocks: list[Block] = []
    for part in re.split(r"\n\s*\n", text):
        part = part.strip()
        if not part:
            continue
        heading = re.fullmatch(r"(#{1,6})\s+(.*)", part)
        if heading:
            blocks.append(Block(f"h{len(heading.group(1))}", heading.group(2).strip()))
            continue
        lines = []
        for line in part.split("\n"):
            if _MD_TABLE_RULE.match(line.strip()):
                continue
            if line.startswith("|") and line.rstrip().endswith("|"):
                line = " | ".join(cell.strip() for cell in line.strip()[1:-1].split("|"))
            lines.append(_MD_ITALIC.sub(r"\1", _MD_BOLD.sub(r"\1", line)))
        blocks.append(Block("p", "\n".join(lines)))
    return blocks


# ---------------------------------------------------------------------------------------
# Bytes to text: BOM, then the page's own declaration, then a guess.

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

# What browsers actually use for some declared names (the WHATWG Encoding Standard).
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "x-sjis": "cp932",
    "utf-7": "",  # never honoured by browsers (a script-injection trick)
    "utf7": "",
}


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _has_controls(sample: bytes) -> bool:
    """Any control byte (NUL included) at all? Text without one cannot look binary; this is quick."""
    return len(sample.translate(None, _CONTROL_BYTES)) != len(sample)


def declared_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes: ``<meta charset>``, ``http-equiv``, ``<?xml encoding?>``.

    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">')
    'ISO-8859-1'
    """
    m = _META_CHARSET.search(head[:SNIFF_BYTES]) or _XML_ENCODING.search(head[:1024])
    return m.group(1).decode("ascii") if m else None


class Decoded(NamedTuple):
    """A decoded page: ``text``, the ``encoding`` used, a ``note`` for the user, and whether bytes were lost."""

    text: str
    encoding: str
    note: str | None = None
    lossy: bool = False


def decode_html(data: bytes, forced: str | None = None) -> Decoded:
    """Decode a page: BOM, then the declared charset, then a guess (UTF-8, else Windows-1252).

    A declared charset that the bytes contradict (a UTF-8 declaration on Windows-1252 bytes, the
    usual mistake) gives way to the guess, with a note. Undecodable bytes become U+FFFD (``lossy``).

    >>> decode_html('<meta charset="latin-1"><p>Café'.encode("latin-1"))[:2]
    ('<meta charset="latin-1"><p>Café', 'cp1252')
    """
    if forced and _known(forced):
        return _decode(data, codecs.lookup(forced).name)
    head = data[:SNIFF_BYTES]
    declared = declared_charset(head)
    if declared:
        name = declared.strip().lower()
        name = _WHATWG_ALIASES.get(name, name)
        if name.startswith(("utf-16", "utf16", "utf-32", "utf32")):
            name = ""  # a page that can declare it in ASCII is not UTF-16 (a BOM is looked at first anyway)
        declared = name if name and _known(name) else None
    encoding, note = detect_encoding(head, declared)
    if declared and encoding == codecs.lookup(declared).name:
        decoded = _decode(data, encoding)
        if not decoded.lossy:
            return decoded
        guess, _ = detect_encoding(head)
        if guess != encoding:
            other = _decode(data, guess)
            if not other.lossy:
                note = f"the page declares charset {declared!r}, but its bytes are not; decoded as {guess}"
                return other._replace(note=note)
        return decoded._replace(note=f"bytes that are not valid {encoding} were replaced by U+FFFD")
    decoded = _decode(data, encoding)
    if decoded.lossy and encoding == "utf-8":
        # The sample was valid UTF-8 but a later part is not: Windows-1252 is the usual culprit.
        note = "not valid UTF-8; decoded as cp1252 (Windows Latin-1), check the accents"
        return _decode(data, "cp1252")._replace(note=note)
    if decoded.lossy:
        return decoded._replace(note=f"bytes that are not valid {encoding} were replaced by U+FFFD")
    return decoded._replace(note=note)


def _known(name: str) -> bool:
    """Is ``name`` a text encoding Python can decode with (not ``rot13``, ``zlib`` or ``base64``)?"""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    return getattr(info, "_is_text_encoding", True)


def _decode(data: bytes, encoding: str) -> Decoded:
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined; they decode as Latin-1 (what browsers show).
        return Decoded(data.decode("cp1252", errors="latin1_fallback"), encoding)
    if encoding.startswith("utf-8") and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError:
        return Decoded(data.decode(encoding, errors="replace"), encoding, lossy=True)


_SNIFF = re.compile(
    r"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE | re.DOTALL
)


def looks_like_html(head: bytes) -> bool:
    """True when ``head`` starts like an HTML document (after any BOM, XML declaration and comments).

    >>> looks_like_html(b"<!DOCTYPE html><p>hi"), looks_like_html(b"<note><to>x</to></note>")
    (True, False)
    """
    if not head:
        return False
    encoding, _ = detect_encoding(head[:1024])
    sample = head[:4096].decode(encoding if encoding != "cp1252" else "latin-1", errors="replace").lstrip("\ufeff")
    return _SNIFF.match(sample) is not None


# ---------------------------------------------------------------------------------------
# Parsing. The HTML parser never fetches anything and never loads external entities.

Element: TypeAlias = lxml.etree._Element

_PARSER = lxml.etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
)
_EMPTY_PAGE = b"<html><body></body></html>"


def parse_html(html: str) -> Element:
    """Parse ``html`` (already decoded) into an lxml tree; the ``<html>`` element is returned.

    libxml2's HTML parser reads no DTD, resolves no external entity and opens no network connection.
    """
    data = html.replace("\x00", "\ufffd").encode("utf-8")
    root = lxml.etree.fromstring(data, parser=_PARSER) if data.strip() else None
    if root is None:  # nothing but whitespace: an empty page
        root = lxml.etree.fromstring(_EMPTY_PAGE, parser=_PARSER)
    _move_stray_head_content(root)
    return root


_HEAD_TAGS = frozenset({"title", "meta", "link", "style", "script", "base", "noscript", "template"})


def _move_stray_head_content(root: Element) -> None:
    """Move what libxml2 left in ``<head>`` (HTML5 tags such as ``<nav>``/``<article>`` when the page
    has no ``<body>`` tag) into the body, as a browser would."""
    head = root.find("head")
    if head is None:
        return
    stray = [el for el in head if not isinstance(el.tag, str) or el.tag not in _HEAD_TAGS]
    if not stray:
        return
    first = head.index(stray[0])
    moving = list(head)[first:]
    body = root.find("body")
    if body is None:
        body = lxml.etree.SubElement(root, "body")
    for i, el in enumerate(moving):
        body.insert(i, el)


def page_title(tree: Element) -> str | None:
    """The ``<title>`` (whitespace collapsed), else ``og:title``."""
    for el in tree.iter("title"):
        text = _squash(_text(el))
        if text:
            return text
    for el in tree.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() in ("og:title", "twitter:title"):
            text = _squash(el.get("content") or "")
            if text:
                return text
    return None


def _text(el: Element) -> str:
    return "".join(el.itertext())


def _squash(text: str) -> str:
    """Whitespace runs (newlines, tabs, no-break spaces...) to one space, ends stripped."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------
# Extraction.


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of output: ``kind`` is ``p``, ``h1``..``h6``, ``list``, ``table`` or ``pre``."""

    kind: str
    text: str


@dataclass(frozen=True)
class Page:
    title: str | None
    lang: str | None
    blocks: list[Block]


def extract(html: str, *, main_content: bool = True) -> Page:
    """The readable text of one page as blocks, with its title and language.

    >>> page = extract("<title>T</title><nav><a href=/>Home</a></nav><article><h1>News</h1><p>It rained.</p></article>")
    >>> page.title, join_blocks(page.blocks)
    ('T', 'News\\n\\nIt rained.')
    """
    tree = parse_html(html)
    title = page_title(tree)
    lang = _squash(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or "") or None
    body = tree.find("body")
    if body is None:
        return Page(title, lang, [])
    _drop_junk(body)
    _drop_boilerplate(body)
    stats = _Stats(body)
    if main_content:
        roots = _main_content(body, stats)
        heading = _outside_h1(body, roots)
    else:
        roots, heading = [body], None
    for root in roots:
        _drop_link_blocks(root, stats)
    writer = _Writer()
    if heading is not None:
        writer.block(heading, "h1")
    for root in roots:
        writer.element(root)
    writer.flush()
    return Page(title, lang, _without_orphan_headings(writer.blocks))


def _without_orphan_headings(blocks: list[Block]) -> list[Block]:
    """Drop headings with nothing under them (the title of a removed "Related stories" box, say)."""
    kept: list[Block] = []
    for block in reversed(blocks):
        if block.kind in _HEADINGS:
            following = kept[-1] if kept else None
            if following is None or (following.kind in _HEADINGS and following.kind <= block.kind):
                continue
        kept.append(block)
    kept.reverse()
    return kept


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


class _Stats:
    """Words, and words inside links, of every element under ``root``, counted in one pass.

    Removing an element later leaves its ancestors' counts as they were, which the callers
    tolerate: they decide from the top down and only about elements still in the tree.
    """

    def __init__(self, root: Element) -> None:
        counts: dict[Element, tuple[int, int]] = {}
        for el in reversed(list(root.iter())):  # descendants before their ancestors
            words = len(el.text.split()) if el.text else 0
            links = 0
            for child in el:
                w, n = counts.get(child, (0, 0))
                words += w + (len(child.tail.split()) if child.tail else 0)
                links += n
            counts[el] = (words, words if el.tag == "a" else links)
        self._counts = counts

    def words(self, el: Element) -> int:
        return self._counts.get(el, (0, 0))[0]

    def link_words(self, el: Element) -> int:
        return self._counts.get(el, (0, 0))[1]

    def text_words(self, el: Element) -> int:
        """Words outside links: the text a reader reads rather than clicks."""
        words, links = self._counts.get(el, (0, 0))
        return words - links

    def link_density(self, el: Element) -> float:
        words, links = self._counts.get(el, (0, 0))
        return links / words if words else 0.0


# Never text, wherever they are.
_JUNK_TAGS = frozenset(
    "script style noscript template head title meta link base object embed applet iframe frame frameset "
    "svg math canvas video audio source track picture img map area input button select option optgroup "
    "textarea datalist output progress meter dialog".split()
)
# Boilerplate by tag (header: only outside an article, unless it holds the h1).
_BOILERPLATE_TAGS = frozenset({"nav", "aside", "footer", "form", "menu", "figcaption"})
_PROTECTED_TAGS = frozenset({"html", "body", "article", "main"})
_BOILERPLATE_ROLES = frozenset(
    "navigation banner contentinfo complementary search dialog alertdialog menu menubar toolbar tablist "
    "form alert status marquee timer".split()
)
# Words of a class or id ("site-header" -> site, header) that mark boilerplate.
_HINT_WORDS = frozenset(
    """
    nav navbar navigation menu menus submenu megamenu breadcrumb breadcrumbs skip header masthead footer
    colophon sidebar rail widget widgets share shares sharing social sociallinks cookie cookies consent gdpr
    newsletter subscribe subscription signup login signin register related recommended recommendations
    comment comments commentlist disqus advert advertisement advertising ad ads adslot adunit sponsor
    sponsored promo promos promotion banner popup modal overlay paywall byline meta tags tag topics
    pagination pager toolbar tools buttons button cta trending popular mostread taboola outbrain caption
    credit ticker search feedback rating ratings toc pullquote teaser teasers onetrust print
    """.split()
)
# Substrings that mark boilerplate wherever they appear in a class or id ("jp-relatedposts").
_HINT_PARTS = (
    "cookie",
    "consent",
    "share",
    "social",
    "newsletter",
    "subscri",
    "related",
    "breadcrumb",
    "advert",
    "sponsor",
    "paywall",
    "taboola",
    "outbrain",
    "disqus",
    "onetrust",
    "gdpr",
    "navbar",
    "navigation",
    "popup",
    "sidebar",
    "most-read",
    "mostread",
    "sr-only",
    "visually-hidden",
    "screen-reader",
)
_HINT_PARTS_RE = re.compile("|".join(map(re.escape, _HINT_PARTS)))
_HIDDEN_CLASSES = frozenset({"hidden", "hide", "d-none", "invisible", "is-hidden", "u-hidden"})
_HINT_SPLIT = re.compile(r"[^a-z0-9]+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _drop(el: Element) -> None:
    """Remove ``el`` but keep its tail text (the text after it belongs to its parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + " " + tail
        else:
            parent.text = (parent.text or "") + " " + tail
    parent.remove(el)


_MAYBE_HIDDEN = lxml.etree.XPath("descendant::*[@hidden or @aria-hidden='true' or @style]")


def _drop_junk(body: Element) -> None:
    lxml.etree.strip_elements(body, *_JUNK_TAGS, with_tail=False)
    for el in _MAYBE_HIDDEN(body):
        style = el.get("style")
        if el.get("hidden") is not None or el.get("aria-hidden") == "true" or (style and _DISPLAY_NONE.search(style)):
            _drop(el)  # an element inside one already dropped goes harmlessly


def _hinted(el: Element) -> bool:
    """Does ``el``'s tag, role, class, id or aria-label say it is boilerplate?"""
    tag = el.tag
    if tag in _BOILERPLATE_TAGS:
        return True
    role = el.get("role")
    if role and role.strip().lower() in _BOILERPLATE_ROLES:
        return True
    cls = el.get("class")
    ident = el.get("id")
    label = el.get("aria-label")
    if not (cls or ident or label):
        return tag == "header"
    if cls and not _HIDDEN_CLASSES.isdisjoint(cls.lower().split()):
        return True
    if tag in _HEADINGS:
        return False  # <h3 class="recipe-header">: a heading is a heading (an empty section is dropped later)
    if _boilerplate_names(f"{cls or ''} {ident or ''}"):
        return True
    if label:
        label = label.lower()
        if _HINT_PARTS_RE.search(label) or "comment" in label or "advert" in label:
            return True
    return tag == "header"


_NAMES_SEEN: dict[str, bool] = {}


def _boilerplate_names(names: str) -> bool:
    """Do these class and id names mark boilerplate? (Memoised: pages repeat their class names.)"""
    seen = _NAMES_SEEN.get(names)
    if seen is None:
        low = names.lower()
        seen = bool(_HINT_PARTS_RE.search(low)) or not _HINT_WORDS.isdisjoint(_HINT_SPLIT.split(low))
        if len(_NAMES_SEEN) > 50_000:
            _NAMES_SEEN.clear()
        _NAMES_SEEN[names] = seen
    return seen


def _protected(el: Element, total: int) -> bool:
    """Must ``el`` stay although it looks like boilerplate? (It holds the article, or most of the page.)"""
    if el.tag in _PROTECTED_TAGS or el.get("role") == "main" or el.get("itemprop") == "articleBody":
        return True
    for inner in el.iterdescendants("h1", "article", "main"):
        if inner.tag != "h1" or el.tag != "footer":
            return True
    # Half the page's text, and mostly not links: a wrapper with a misleading class (or an
    # ASP.NET <form> around everything), not a menu.
    size = _count_chars(el)
    return total > 0 and size > total / 2 and sum(_count_chars(a) for a in el.iter("a")) < 0.5 * size


def _count_chars(el: Element) -> int:
    return sum(map(len, el.itertext()))


def _drop_boilerplate(body: Element) -> None:
    total = _count_chars(body)
    stack = list(body)
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        if _hinted(el) and not _protected(el, total):
            _drop(el)
            continue
        stack.extend(el)


_CANDIDATE_XPATH = lxml.etree.XPath(
    "descendant::article | descendant::main | descendant::*[@role='main'] | descendant::*[@itemprop='articleBody']"
)


def _main_content(body: Element, stats: _Stats) -> list[Element]:
    """The element(s) holding the page's main text, in document order."""
    candidates = [el for el in _CANDIDATE_XPATH(body) if isinstance(el, lxml.etree._Element)]
    if candidates:
        best = max(candidates, key=stats.text_words)  # the first of equals: the outermost
        # Narrow down: from a <main> to the <article> in it that holds most of its text.
        narrowed = True
        while narrowed:
            narrowed = False
            for el in candidates:
                if el.tag not in ("article", "main"):
                    continue  # role=main or itemprop=articleBody inside an <article> may leave out its headline
                if el is not best and stats.text_words(el) >= 0.6 * stats.text_words(best) and _is_ancestor(best, el):
                    best, narrowed = el, True
                    break
        words = stats.text_words(best)
        if words >= 0.3 * stats.text_words(body) and words >= 20:
            return [best]
    return _readability(body, stats)


def _is_ancestor(ancestor: Element, el: Element) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


_PARAGRAPH_TAGS = frozenset({"p", "pre", "td", "blockquote", "dd", "li"})
_BLOCK_TAGS = frozenset(
    """
    address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p pre section summary
    table tbody td tfoot th thead tr caption ul
    """.split()
)
_POSITIVE = re.compile(r"article|body|content|entry|main|post|story|text|blog", re.IGNORECASE)


def _readability(body: Element, stats: _Stats) -> list[Element]:
    """Score containers by the paragraphs in them; the best one and its good siblings.

    Each paragraph of 25 characters or more scores 1, plus one per comma, plus one per 100
    characters (at most 3); its parent gets the score, its grandparent half, the next one a
    sixth. A container's score is then scaled by the share of its words outside links.
    """
    scores: dict[Element, float] = {}
    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str) or (tag not in _PARAGRAPH_TAGS and not _is_paragraph_like(el)):
            continue
        text = _squash(_own_text(el))
        if len(text) < 25:
            continue
        score = 1 + text.count(",") + min(len(text) // 100, 3)
        parent = el.getparent()
        for share in (1, 2, 6):
            if parent is None:
                break
            scores[parent] = scores.get(parent, 0.0) + score / share
            if parent is body:
                break
            parent = parent.getparent()
    if not scores:
        return [body]
    final: dict[Element, float] = {}
    for el, total in scores.items():
        bonus = 1.25 if _POSITIVE.search(f"{el.get('class') or ''} {el.get('id') or ''}") else 1.0
        final[el] = total * (1 - stats.link_density(el)) * bonus
    top = max(final, key=final.__getitem__)
    parent = top.getparent()
    if top is body or parent is None:
        return [top]
    threshold = max(10.0, final[top] * 0.2)
    chosen = []
    for sibling in parent:
        if sibling is top or final.get(sibling, 0.0) >= threshold:
            chosen.append(sibling)
        elif isinstance(sibling.tag, str) and (sibling.tag in _PARAGRAPH_TAGS or _is_paragraph_like(sibling)):
            if stats.words(sibling) >= 15 and stats.link_density(sibling) <= 0.25:
                chosen.append(sibling)
    return chosen


def _is_paragraph_like(el: Element) -> bool:
    """A div (or font, span...) used as a paragraph: it has text of its own, or no block children."""
    if el.tag in _BLOCK_TAGS and el.tag not in ("div", "section", "center"):
        return False
    if len(_own_text(el).strip()) >= 25:
        return True
    return el.tag in ("div", "section", "center") and not any(c.tag in _BLOCK_TAGS for c in el)


def _own_text(el: Element) -> str:
    """Text of ``el`` outside its block children and links (inline children such as ``<b>`` count)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCK_TAGS and child.tag != "a":
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return " ".join(parts)


def _outside_h1(body: Element, roots: list[Element]) -> str | None:
    """The page's h1 when the chosen content lacks one and the h1 comes before it (a headline above the text)."""
    if not roots or any(r.tag == "h1" or r.find(".//h1") is not None for r in roots):
        return None
    h1 = body.find(".//h1")
    if h1 is None:
        return None
    text = _squash(_text(h1))
    if not text:
        return None
    first = roots[0]
    for el in body.iter():  # document order: only a headline above the content
        if el is h1:
            return text
        if el is first:
            return None
    return None


_LINK_BLOCK_TAGS = frozenset({"div", "section", "ul", "ol", "dl", "table", "p", "center", "span", "font", "li", "td"})


def _drop_link_blocks(root: Element, stats: _Stats) -> None:
    """Drop blocks that are mostly links (menus, "read more" lists, tag clouds) inside ``root``."""
    total = stats.words(root)
    stack = list(root)
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        if el.tag in _LINK_BLOCK_TAGS:
            words = stats.words(el)
            if (
                words
                and stats.link_words(el) > 0.5 * words
                and words <= total / 2
                and el.find(".//h1") is None
                # A block with a sentence of its own (a paragraph that also wraps a list of links,
                # as unclosed <p> tags produce) stays; its children are judged one by one.
                and len(_own_text(el).split()) < 10
            ):
                _drop(el)
                continue
        stack.extend(el)


# ---------------------------------------------------------------------------------------
# Writing blocks of text.

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BR = "\x00"


class _Writer:
    """Walks the cleaned tree and collects :class:`Block` objects."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._inline: list[str] = []

    def block(self, text: str, kind: str = "p") -> None:
        self.flush()
        if text.strip():
            self.blocks.append(Block(kind, text))

    def flush(self) -> None:
        if not self._inline:
            return
        raw = "".join(self._inline)
        self._inline = []
        paragraph: list[str] = []
        for line in raw.split(_BR):
            line = " ".join(line.split())
            if line:
                paragraph.append(line)
            elif paragraph:  # two line breaks in a row end a paragraph
                self.blocks.append(Block("p", "\n".join(paragraph)))
                paragraph = []
        if paragraph:
            self.blocks.append(Block("p", "\n".join(paragraph)))

    def element(self, el: Element) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag in _HEADINGS:
            self.block(_inline_text(el), tag)
        elif tag == "pre":
            self.block(_pre_text(el), "pre")
        elif tag in ("ul", "ol", "dir", "menu"):
            self.block("\n".join(_list_lines(el, 0)), "list")
        elif tag == "dl":
            self.block("\n".join(_dl_lines(el)), "list")
        elif tag == "table" and _is_data_table(el):
            self.block(_table_text(el), "table")
        elif tag == "br":
            self._inline.append(_BR)
        elif tag == "hr":
            self.flush()
        elif tag in _BLOCK_TAGS or "-" in tag:
            self.flush()
            if el.text:
                self._inline.append(el.text)
            for child in el:
                self.element(child)
                if child.tail:
                    self._inline.append(child.tail)
            self.flush()
            return
        else:  # inline: a, b, span, code...
            if el.text:
                self._inline.append(el.text)
            for child in el:
                self.element(child)
                if child.tail:
                    self._inline.append(child.tail)
            return


def _inline_text(el: Element) -> str:
    """All the text of ``el`` on one line (line breaks kept for ``<br>``)."""
    parts: list[str] = []
    _collect(el, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split(_BR))
    return "\n".join(line for line in lines if line)


def _collect(el: Element, parts: list[str]) -> None:
    if el.tag == "br":
        parts.append(_BR)
    elif el.tag in _BLOCK_TAGS:
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)
    if el.tag in _BLOCK_TAGS:
        parts.append(" ")


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


def _list_lines(el: Element, depth: int) -> list[str]:
    lines: list[str] = []
    ordered = el.tag == "ol"
    number = _start(el)
    indent = "  " * depth
    for item in el:
        if not isinstance(item.tag, str):
            continue
        if item.tag in ("ul", "ol"):
            lines.extend(_list_lines(item, depth + 1))
            continue
        nested = [c for c in item if c.tag in ("ul", "ol")]
        text = _inline_text_without(item, nested)
        if text:
            bullet = f"{number}." if ordered else "-"
            lines.append(f"{indent}{bullet} {' '.join(text.split())}")
            number += 1
        for c in nested:
            lines.extend(_list_lines(c, depth + 1))
    return lines


def _start(el: Element) -> int:
    try:
        return int(el.get("start") or 1)
    except ValueError:
        return 1


def _inline_text_without(el: Element, skip: list[Element]) -> str:
    parts: list[str] = []
    if el.text:
        parts.append(el.text)
    for child in el:
        if child in skip:
            parts.append(" ")
        elif isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)
    return " ".join("".join(parts).replace(_BR, " ").split())


def _dl_lines(el: Element) -> list[str]:
    lines = []
    for item in el.iter("dt", "dd"):
        text = _squash(_text(item))
        if text:
            lines.append(text)
    return lines


_LAYOUT_TAGS = ("table", "div", "p", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section")


def _is_data_table(table: Element) -> bool:
    """A table of data, not one used for layout: no blocks or other tables inside its cells."""
    return next(table.iterdescendants(*_LAYOUT_TAGS), None) is None


def _table_text(table: Element) -> str:
    lines = []
    caption = table.find("caption")
    if caption is not None:
        text = _squash(_text(caption))
        if text:
            lines.append(text)
    for row in table.iter("tr"):
        cells = [" ".join(_inline_text(c).split()) for c in row if c.tag in ("td", "th")]
        if any(cells):
            lines.append(" | ".join(cells).rstrip())
    return "\n".join(lines)
