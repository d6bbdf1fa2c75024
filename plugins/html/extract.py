"""Which part of an HTML page is its text: parsing, boilerplate removal, main-content detection.

:func:`extract` parses with lxml (no network, no external entities), then:

1. drops what is never text (script, style, template, forms, media...) and hidden elements;
2. drops boilerplate: ``nav``/``aside``/``footer`` and site ``header`` elements, and elements whose
   class, id, role or aria-label says cookie banner, share bar, newsletter, related links, comments,
   breadcrumb, advert, sidebar... An element is never dropped on a hint when it holds the article
   (an ``article``/``main`` element, the ``h1``, or half of the page's words);
3. picks the main content: the ``article``/``main``/``role=main`` element holding most of the text,
   else the container that a paragraph-scoring heuristic (in the spirit of Readability) prefers;
4. drops link-heavy blocks (menus, lists of related stories) inside it, judging a data table whole;
5. hands what is left to :mod:`curate.plugins.html.render`, which writes the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree

from .render import Writer
from .tables import is_data_table
from .text import BLOCK_TAGS, HEADINGS, Block, Element, squash, text_of

# ---------------------------------------------------------------------------------------
# Parsing. The HTML parser never fetches anything and never loads external entities.

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
        text = squash(text_of(el))
        if text:
            return text
    for el in tree.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() in ("og:title", "twitter:title"):
            text = squash(el.get("content") or "")
            if text:
                return text
    return None


# ---------------------------------------------------------------------------------------
# Extraction.


@dataclass(frozen=True)
class Page:
    title: str | None
    lang: str | None
    blocks: list[Block]


def extract(html: str, *, main_content: bool = True) -> Page:
    """The readable text of one page as blocks, with its title and language.

    >>> from .text import join_blocks
    >>> page = extract("<title>T</title><nav><a href=/>Home</a></nav><article><h1>News</h1><p>It rained.</p></article>")
    >>> page.title, join_blocks(page.blocks)
    ('T', 'News\\n\\nIt rained.')
    """
    tree = parse_html(html)
    title = page_title(tree)
    lang = squash(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or "") or None
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
    writer = Writer()
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
        if block.kind in HEADINGS:
            following = kept[-1] if kept else None
            if following is None or (following.kind in HEADINGS and following.kind <= block.kind):
                continue
        kept.append(block)
    kept.reverse()
    return kept


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
# Words of a class or id ("site-header" -> site, header) that mark boilerplate (the last line: the
# permalinks and line numbers of Sphinx and Pygments, the "[edit]" links and no-print chrome of MediaWiki).
_HINT_WORDS = frozenset(
    """
    nav navbar navigation menu menus submenu megamenu breadcrumb breadcrumbs skip header masthead footer
    colophon sidebar rail widget widgets share shares sharing social sociallinks cookie cookies consent gdpr
    newsletter subscribe subscription signup login signin register related recommended recommendations
    comment comments commentlist disqus advert advertisement advertising ad ads adslot adunit sponsor
    sponsored promo promos promotion banner popup modal overlay paywall byline meta tags tag topics
    pagination pager toolbar tools buttons button cta trending popular mostread taboola outbrain caption
    credit ticker search feedback rating ratings toc pullquote teaser teasers onetrust print
    headerlink editsection linenos lineno linenodiv noprint
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
    "line-numbers-rows",
    "mw-portlet",
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
    if tag == "sup" and "reference" in (el.get("class") or "").split():
        return True  # a Wikipedia citation mark, "[1]"
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
    if tag in HEADINGS:
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
        text = squash(_own_text(el))
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
    if el.tag in BLOCK_TAGS and el.tag not in ("div", "section", "center"):
        return False
    if len(_own_text(el).strip()) >= 25:
        return True
    return el.tag in ("div", "section", "center") and not any(c.tag in BLOCK_TAGS for c in el)


def _own_text(el: Element) -> str:
    """Text of ``el`` outside its block children and links (inline children such as ``<b>`` count)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS and child.tag != "a":
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
    text = squash(text_of(h1))
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
            # A data table of names that link somewhere (an infobox, an API index) is still data.
            data_table = el.tag == "table" and is_data_table(el)
            if (
                words
                and stats.link_words(el) > (0.8 if data_table else 0.5) * words
                and words <= total / 2
                and el.find(".//h1") is None
                # A block with a sentence of its own (a paragraph that also wraps a list of links,
                # as unclosed <p> tags produce) stays; its children are judged one by one.
                and len(_own_text(el).split()) < 10
            ):
                _drop(el)
                continue
            if data_table:
                continue  # judged whole: a column of links (an API table's names) is part of the table
        stack.extend(el)
