"""The html importer: extraction, charsets, boilerplate, safety, quality on the eval set, no crash.

Golden outputs live beside their inputs as ``NAME.<split>.expected.jsonl``. After an intended change
of behaviour, regenerate them and review the diff::

    python tests/test_html_importer.py --regenerate
"""

from __future__ import annotations

import codecs
import doctest
import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.errors import ConfigError, MissingDependency
from curate.importing import InputFile, Problem
from curate.plugins.html import HtmlImporter, declared_charset, decode_html, looks_like_html, markdown_blocks
from curate.plugins.html import decode as html_charset
from curate.plugins.html import extract as html_extract
from curate.plugins.html import importer as html_importer
from curate.plugins.html import render as html_render
from curate.plugins.html import tables as html_tables
from curate.plugins.html import text as html_text
from curate.records import Record

DATA = Path(__file__).parent / "data" / "html"
EVAL = DATA / "eval"
BENCH = Path(__file__).parent.parent / "bench" / "html_quality.py"

# (input under tests/data/html, options): the golden cases.
GOLDEN = [
    ("golden/news_page.html", {"split": "page"}),
    ("golden/news_page.html", {"split": "section"}),
    ("eval/wordpress_bike_lanes.html", {"split": "page"}),
    ("eval/latin1_inondations.html", {"split": "page"}),
    ("eval/utf16_wanderung.html", {"split": "section"}),
    ("eval/health_explainer_tinnitus.xhtml", {"split": "section"}),
    ("golden/docs_array_typecodes.html", {"split": "page"}),
    ("golden/wiki_infobox.html", {"split": "page"}),
    ("golden/blog_code.html", {"split": "section"}),
    ("golden/nested_lists.html", {"split": "page"}),
]


def read(path: Path, display: str | None = None, **options) -> list[Record | Problem]:
    importer = HtmlImporter.from_options(options)
    return list(importer.read(InputFile(path, display or path.name)))


def records(items: list[Record | Problem]) -> list[Record]:
    return [r for r in items if isinstance(r, Record)]


def page_text(path: Path, **options) -> str:
    recs = records(read(path, **options))
    assert len(recs) == 1, recs
    return recs[0].text or ""


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def expected_path(source: str, options: dict) -> Path:
    return DATA / f"{source.rsplit('.', 1)[0]}.{options['split']}.expected.jsonl"


def golden_lines(source: str, options: dict) -> list[str]:
    items = read(DATA / source, display=source, **options)
    return [json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True) for r in records(items)]


# ---------------------------------------------------------------------------------------
# Golden outputs.


@pytest.mark.parametrize(("source", "options"), GOLDEN, ids=[f"{s}-{o['split']}" for s, o in GOLDEN])
def test_golden(source: str, options: dict) -> None:
    expected = expected_path(source, options).read_text(encoding="utf-8").splitlines()
    assert golden_lines(source, options) == expected


def test_page_record_shape() -> None:
    (rec,) = records(read(DATA / "golden/news_page.html", display="golden/news_page.html"))
    assert rec.source.plugin == "html"
    assert rec.source.locator == "page"
    assert rec.meta["title"] == 'Harbour ferry returns after "rebuild" – Bayside Echo'
    assert rec.meta["lang"] == "en"
    text = rec.text or ""
    assert text.startswith("Harbour ferry returns after “rebuild”\n\nThe Bayside ferry")
    assert "- New hybrid engines\n  - two diesel generators\n  - one battery pack\n- Step-free boarding" in text
    assert "3. Check the timetable\n4. Buy a ticket — online or on board" in text
    assert "| Route | Before | After |\n| --- | --- | --- |\n| Bayside – Port Ellis | 8 | 12 |" in text
    assert '  "times": ["07:10", "08:40"]   <- local time\n}\n```' in text  # pre kept verbatim, fenced
    assert "£2.4m & replaced both engines.\nServices resume on Monday." in text  # <br>


def test_section_split_locators_and_headings() -> None:
    recs = records(read(DATA / "golden/news_page.html", split="section"))
    assert [r.source.locator for r in recs] == ["section 1", "section 2", "section 3"]
    assert [r.meta["heading"] for r in recs] == [
        "Harbour ferry returns after “rebuild”",
        "What changed",
        "Timetable data",
    ]
    assert recs[1].text.startswith("What changed\n\n- New hybrid engines")
    assert all(r.meta["title"].startswith("Harbour ferry") for r in recs)


def test_section_before_first_heading_has_no_heading(tmp_path: Path) -> None:
    path = write(tmp_path, "a.html", "<body><p>Intro text here.</p><h2>Part</h2><p>Body.</p></body>")
    recs = records(read(path, split="section", main_content=False))
    assert [r.text for r in recs] == ["Intro text here.", "Part\n\nBody."]
    assert "heading" not in recs[0].meta and recs[1].meta["heading"] == "Part"


# ---------------------------------------------------------------------------------------
# Boilerplate.


def test_boilerplate_removed_article_kept() -> None:
    text = page_text(DATA / "golden/news_page.html")
    for marker in ("COOKIETEXT", "NAVTEXT", "SHARETEXT", "RELATEDTEXT", "COMMENTTEXT", "SIDEBARTEXT", "FORMTEXT"):
        assert marker not in text
    assert "FOOTERTEXT" not in text and "SHOULD NOT APPEAR" not in text
    assert "Home" not in text and "Weather" not in text
    assert "It’s quieter & cleaner" in text


def test_boilerplate_removed_on_real_world_like_page() -> None:
    text = page_text(EVAL / "divsoup_reservoir.html")
    assert "We value your privacy" not in text  # cookie banner
    assert "Most read" not in text and "Man rescued after three days" not in text
    assert "Advertisement" not in text and "WhatsApp" not in text
    assert "Terms of Use" not in text
    assert text.startswith("Reservoir levels fall to lowest point in 30 years")
    assert "Ofwat has set the companies a target" in text


def test_article_without_article_tag_uses_text_density(tmp_path: Path) -> None:
    links = "".join(f'<li><a href="/{i}">Menu entry number {i}</a></li>' for i in range(30))
    body = "".join(
        f"<p>Paragraph {i} of the story, with enough words, commas, and detail to count.</p>" for i in range(6)
    )
    path = write(tmp_path, "a.html", f"<body><div><ul>{links}</ul></div><div>{body}</div><div>{links}</div></body>")
    text = page_text(path)
    assert "Menu entry" not in text
    assert text.count("Paragraph") == 6


def test_hint_does_not_drop_the_article(tmp_path: Path) -> None:
    # "comments" and "sidebar" in the wrappers' classes must not take the article with them.
    page = (
        '<body><div class="content-sidebar-wrap"><div class="post has-comments">'
        "<h1>Title of the post</h1><p>" + "Real article words here. " * 20 + "</p></div>"
        '<div class="sidebar"><p>Sidebar words.</p></div></div></body>'
    )
    text = page_text(write(tmp_path, "a.html", page))
    assert text.startswith("Title of the post\n\nReal article words here.")
    assert "Sidebar" not in text


def test_main_content_false_keeps_more(tmp_path: Path) -> None:
    page = "<body><div><p>" + "Side text that is not in the article. " * 3 + "</p></div><article><p>" + "Story. " * 40
    page += "</p></article></body>"
    path = write(tmp_path, "a.html", page)
    assert "Side text" not in page_text(path)
    assert "Side text" in page_text(path, main_content=False)


# ---------------------------------------------------------------------------------------
# Text details.


def test_entities_unescaped(tmp_path: Path) -> None:
    page = (
        "<body><p>AT&amp;T &lt;b&gt; caf&eacute; it&#8217;s &#x27;q&#x27; a&nbsp;b &hellip; &amp;amp; "
        "&euro;5 &bigstar; &#146;</p></body>"
    )
    text = page_text(write(tmp_path, "a.html", page), main_content=False)
    assert text == "AT&T <b> café it’s 'q' a b … &amp; €5 ★ ’"


def test_title_falls_back_to_og_title(tmp_path: Path) -> None:
    page = '<head><meta property="og:title" content="  OG   title "></head><body><p>x</p></body>'
    (rec,) = records(read(write(tmp_path, "a.html", page), main_content=False))
    assert rec.meta["title"] == "OG title"


def test_layout_table_is_not_a_data_table(tmp_path: Path) -> None:
    # The outer table holds a table: layout, its cells written as blocks; the inner one is data.
    page = (
        "<body><table><tr><td><p>Left column text that is long enough.</p></td>"
        "<td><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></td></tr></table></body>"
    )
    text = page_text(write(tmp_path, "a.html", page), main_content=False)
    assert text == "Left column text that is long enough.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |"


# ---------------------------------------------------------------------------------------
# Structure: tables, code, lists, definition lists (issue 12).


def body_text(tmp_path: Path, html: str) -> str:
    """The text of a page made of ``html``, the whole body kept."""
    return page_text(write(tmp_path, "a.html", f"<html><body>{html}</body></html>"), main_content=False)


def test_docs_table_with_paragraphs_in_cells_is_one_table() -> None:
    # Sphinx writes <th><p>Type code</p></th>: that used to make one paragraph per cell.
    text = page_text(DATA / "golden/docs_array_typecodes.html")
    assert (
        "| Type code | C Type | Python Type | Minimum size in bytes | Notes |\n| --- | --- | --- | --- | --- |\n"
        in text
    )
    assert "| 'u' | wchar_t | Unicode character | 2 | (1) |" in text
    assert "Type code\n\nC Type" not in text
    assert "¶" not in text  # Sphinx's heading permalinks
    assert "class array.array(typecode[, initializer]): A new array whose items" in text
    assert "```python\nfrom array import array\narray('l')\n" in text


def test_infobox_is_key_value_lines() -> None:
    text = page_text(DATA / "golden/wiki_infobox.html")
    assert (
        "The Countess of Lovelace\n"
        "Born: The Hon. Augusta Ada Byron; 10 December 1815; London, England\n"
        "Died: 27 November 1852 (aged 36); Marylebone, London, England\n"
    ) in text
    assert "Known for: Mathematics; Computing\n" in text
    assert "Children: Byron King-Noel, Viscount Ockham; Anne Blunt" in text  # a column of links is still data
    assert "[1]" not in text and "[edit]" not in text and "edit]" not in text
    assert "1815-12-10" not in text  # display:none


def test_grouped_header_and_rowspan() -> None:
    text = page_text(DATA / "golden/wiki_infobox.html")
    assert (
        "Publications in Taylor's Scientific Memoirs\n"
        "| Publication Year | Publication Title | Lovelace's part |\n"
        "| --- | --- | --- |\n"
        "| 1843 | Sketch of the Analytical Engine Invented by Charles Babbage | Translation from Menabrea's French |\n"
        "| 1843 | Notes by the Translator (Notes A–G) | Author |"
    ) in text


def test_colspan_in_body_rows_writes_the_text_once(tmp_path: Path) -> None:
    table = (
        "<table><tr><th>Route</th><th>Mon</th><th>Tue</th></tr>"
        "<tr><td>Ferry</td><td colspan=2>no service (strike)</td></tr>"
        "<tr><td colspan=3>Winter timetable</td></tr>"
        "<tr><td>Bus</td><td>8</td><td>9</td></tr></table>"
    )
    assert body_text(tmp_path, table) == (
        "| Route | Mon | Tue |\n| --- | --- | --- |\n"
        "| Ferry | no service (strike) |  |\n| Winter timetable |  |  |\n| Bus | 8 | 9 |"
    )


def test_rowspan_overlapping_colspan_and_ragged_rows(tmp_path: Path) -> None:
    table = (
        "<table><tr><th>A</th><th>B</th><th>C</th></tr>"
        "<tr><td rowspan=3>a</td><td>b1</td><td>c1</td></tr>"
        "<tr><td colspan=2>bc2</td></tr>"
        "<tr><td>b3</td></tr></table>"
    )
    assert body_text(tmp_path, table) == (
        "| A | B | C |\n| --- | --- | --- |\n| a | b1 | c1 |\n| a | bc2 |  |\n| a | b3 |  |"
    )


def test_huge_spans_are_bounded(tmp_path: Path) -> None:
    table = (
        '<table><tr><th colspan="99999999">x</th><th>y</th></tr>'
        '<tr><td rowspan="0">1</td><td rowspan="99999999">2</td></tr><tr><td>3</td></tr></table>'
    )
    # colspan stops at HTML's 1,000 columns (y is beyond them), and columns only a span runs through go.
    assert body_text(tmp_path, table) == "| x | x | x |\n| --- | --- | --- |\n| 1 | 2 |  |\n| 1 | 2 | 3 |"


def test_table_without_header_row(tmp_path: Path) -> None:
    # Row headers only (a match's stats): an empty header, as pandoc writes it.
    rows = "<tr><th>Shots</th><td>11</td><td>14</td></tr><tr><th>Corners</th><td>4</td><td>7</td></tr>"
    assert body_text(tmp_path, f"<table>{rows}</table>") == (
        "|  |  |  |\n| --- | --- | --- |\n| Shots | 11 | 14 |\n| Corners | 4 | 7 |"
    )
    # A first row in bold, the 1990s way of writing a header.
    rows = "<tr><td><b>Class</b></td><td><b>Total</b></td></tr><tr><td>Steers</td><td>$52,100</td></tr>"
    assert body_text(tmp_path, f"<table>{rows}</table>") == "| Class | Total |\n| --- | --- |\n| Steers | $52,100 |"


def test_table_cells_escaped_and_on_one_line(tmp_path: Path) -> None:
    table = (
        "<table><caption>Operators</caption><thead><tr><th>Op</th><th>Meaning</th></tr></thead>"
        "<tbody><tr><td><code>a | b</code></td><td><p>Union.</p><p>Also bitwise or</p></td></tr>"
        "<tr><td>a &amp; b</td><td>first<br>second<ul><li>x</li><li>y</li></ul></td></tr></tbody></table>"
    )
    assert body_text(tmp_path, table) == (
        "Operators\n| Op | Meaning |\n| --- | --- |\n"
        "| a \\| b | Union. Also bitwise or |\n| a & b | first; second; x; y |"
    )


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # one cell: a box around the text
        ("<table><tr><td><p>Only text.</p><p>Two paragraphs.</p></td></tr></table>", "Only text.\n\nTwo paragraphs."),
        # one column
        ("<table><tr><td>First</td></tr><tr><td>Second</td></tr></table>", "First\n\nSecond"),
        # one row without header cells: a picture beside its text, two columns of a page
        ("<table><tr><td>Left column.</td><td>Right column.</td></tr></table>", "Left column.\n\nRight column."),
        # said so
        (
            '<table role="presentation"><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>',
            "a\n\nb\n\nc\n\nd",
        ),
        # a heading in a cell
        (
            "<table><tr><td><h3>Title</h3></td><td>x</td></tr><tr><td>y</td><td>z</td></tr></table>",
            "Title\n\nx\n\ny\n\nz",
        ),
    ],
)
def test_layout_tables_degrade_to_blocks(tmp_path: Path, table: str, expected: str) -> None:
    assert body_text(tmp_path, table) == expected


def test_api_table_with_a_column_of_links_is_kept(tmp_path: Path) -> None:
    rows = "".join(
        f'<tr><td><a href="#c_{t}"><code>c_{t}</code></a></td><td>{t}</td><td>int</td></tr>'
        for t in ("byte", "short", "int", "long")
    )
    page = (
        "<html><body><nav><a href=/>Home</a></nav><main><h1>ctypes</h1><p>"
        + "Fundamental data types, as the table below lists them with their C types. " * 4
        + "</p><table><tr><th>ctypes type</th><th>C type</th><th>Python type</th></tr>"
        + f"{rows}</table></main></body></html>"
    )
    text = page_text(write(tmp_path, "a.html", page))
    assert "| ctypes type | C type | Python type |\n| --- | --- | --- |\n| c_byte | byte | int |" in text
    assert "| c_long | long | int |" in text


def test_table_of_links_only_is_still_dropped(tmp_path: Path) -> None:
    links = "".join(
        f'<tr><td><a href="/{i}">Story {i}</a></td><td><a href="/t{i}">Topic {i}</a></td></tr>' for i in range(6)
    )
    page = "<html><body><article><h1>News</h1><p>" + "The story itself, in words. " * 20
    page += f"</p><table><tr><th>Read</th><th>more</th></tr>{links}</table></article></body></html>"
    text = page_text(write(tmp_path, "a.html", page))
    assert "Story 1" not in text and text.startswith("News\n\nThe story itself")


@pytest.mark.parametrize(
    ("html", "lang"),
    [
        ('<pre><code class="language-python">x = 1</code></pre>', "python"),
        ('<pre class="lang-rb">x = 1</pre>', "rb"),
        ('<div class="highlight-python3 notranslate"><div class="highlight"><pre>x = 1</pre></div></div>', "python"),
        ('<div class="highlight highlight-source-rust"><pre>let x = 1;</pre></div>', "rust"),
        (
            '<div class="language-ruby highlighter-rouge"><div class="highlight">'
            '<pre class="highlight"><code>x = 1</code></pre></div></div>',
            "ruby",
        ),
        ('<pre class="brush: js; gutter: false">var x = 1;</pre>', "js"),
        ('<pre class="sourceCode haskell"><code class="sourceCode haskell">x = 1</code></pre>', "haskell"),
        ('<pre><code class="hljs go">x := 1</code></pre>', "go"),
        ('<pre><code data-lang="c++">int x = 1;</code></pre>', "c++"),
        ('<pre class="highlight-default">x = 1</pre>', ""),
        ('<pre><code class="nohighlight">x = 1</code></pre>', ""),
        ('<pre><code class="language-py`thon">x = 1</code></pre>', ""),  # nothing odd after the fence
        ("<pre>x = 1</pre>", ""),
    ],
)
def test_code_block_language(tmp_path: Path, html: str, lang: str) -> None:
    text = body_text(tmp_path, html)
    assert text.split("\n")[0] == f"```{lang}"
    assert text.endswith("\n```")


def test_code_block_whitespace_and_fences(tmp_path: Path) -> None:
    code = "def f():\n\tif x:\n\t\treturn  1\n\n\n    # done"
    html = f'<p>Before.</p><pre><code class="language-python">\n{code}\n\n</code></pre><p>After.</p>'
    assert body_text(tmp_path, html) == f"Before.\n\n```python\n{code}\n```\n\nAfter."
    # A fence in the code: the block's fence is longer.
    assert body_text(tmp_path, "<pre>```\nx\n```</pre>") == "````\n```\nx\n```\n````"


def test_sphinx_line_numbers_are_left_out(tmp_path: Path) -> None:
    html = (
        '<div class="highlight-python notranslate"><table class="highlighttable"><tr>'
        '<td class="linenos"><div class="linenodiv"><pre>1\n2</pre></div></td>'
        '<td class="code"><div class="highlight"><pre>a = 1\nb = 2\n</pre></div></td></tr></table></div>'
    )
    assert body_text(tmp_path, html) == "```\na = 1\nb = 2\n```"


def test_nested_lists() -> None:
    text = page_text(DATA / "golden/nested_lists.html")
    assert (
        "- A C compiler\n"
        "  - Linux: gcc or clang\n"
        "  - macOS: the Xcode command-line tools\n"
        "    1. Run xcode-select --install\n"
        "    2. Accept the licence\n"
        "  - Windows: Visual Studio Build Tools\n"
        "- About 2 GB"
    ) in text
    # Paragraphs and code inside an item are indented under it (three spaces after "1. ").
    assert (
        "1. Clone the repository and enter it.\n"
        "   ```console\n"
        "   $ git clone https://example.org/tidewater/tidewater.git\n"
        "   $ cd tidewater\n"
        "   ```\n"
        "2. Create a virtual environment.\n"
        "   Any tool will do"
    ) in text
    assert "4. Check the compiler is on PATH.\n5. Delete the build/ folder" in text  # start=4
    assert "3. Freeze the API\n2. Publish a release candidate\n1. Tag the release" in text  # reversed
    assert "- Optional tools\n  - pre-commit\n  - nox\n  - an item whose parent" in text


def test_list_item_numbers(tmp_path: Path) -> None:
    html = '<ol><li>a</li><li value="10">b</li><li>c</li></ol><ol start="x"><li>d</li></ol>'
    assert body_text(tmp_path, html) == "1. a\n10. b\n11. c\n\n1. d"
    html = "<ol start=9><li>nine<ul><li>sub</li></ul></li><li>ten<ol><li>x</li></ol></li></ol>"
    assert body_text(tmp_path, html) == "9. nine\n   - sub\n10. ten\n    1. x"


def test_definition_lists() -> None:
    text = page_text(DATA / "golden/nested_lists.html")
    assert (
        "Wheel: A built package, installed by unpacking it.\n"
        "sdist, source distribution: The source archive, built on the machine that installs it.\n"
        "Extra: A named group of optional dependencies. Written in brackets after the package name."
    ) in text
    assert (
        "Editable install: An install that points at the working tree, so that changes take effect without "
        "reinstalling.\n\n```shell\npip install -e .\n```\n\nBuild isolation"
    ) in text


def test_definition_list_edge_cases(tmp_path: Path) -> None:
    html = (
        "<dl><dt>Note:</dt><dd>colon kept once</dd><dd>orphan? no: second definition</dd><dt></dt><dd>no term</dd></dl>"
    )
    assert body_text(tmp_path, html) == "Note: colon kept once; orphan? no: second definition\nno term"
    html = "<dl><dt>Steps</dt><dd><ol><li>one</li><li>two</li></ol></dd></dl>"
    assert body_text(tmp_path, html) == "Steps:\n\n1. one\n2. two"


def test_code_fence_comment_is_not_a_heading_in_trafilatura_markdown() -> None:
    blocks = markdown_blocks("## Part\n\n```bash\n# install\n\npip install x\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert [b.kind for b in blocks] == ["h2", "pre", "table"]
    assert blocks[1].text == "```bash\n# install\n\npip install x\n```"
    assert blocks[2].text == "| a | b |\n|---|---|\n| 1 | 2 |"


def test_module_doctests() -> None:
    for module in (html_charset, html_extract, html_importer, html_render, html_tables, html_text):
        assert doctest.testmod(module).failed == 0, module.__name__


# ---------------------------------------------------------------------------------------
# Charsets.


def test_latin1_declared_by_meta() -> None:
    (rec,) = records(read(EVAL / "latin1_inondations.html"))
    assert rec.meta["encoding"] == "cp1252"  # what browsers use for a page declaring iso-8859-1
    assert "trois communes évacuées près d'Agen" in rec.text
    assert "opérations d’évacuation" in rec.text  # the 0x92 byte of Windows-1252


def test_utf16_with_bom() -> None:
    (rec,) = records(read(EVAL / "utf16_wanderung.html"))
    assert rec.meta["encoding"].startswith("utf-16")
    assert "Der Malerweg in der Sächsischen Schweiz" in rec.text


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-le"])
def test_utf16_and_32_with_bom_variants(tmp_path: Path, codec: str) -> None:
    bom = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE, "utf-32-le": codecs.BOM_UTF32_LE}[codec]
    page = '<html><head><meta charset="utf-8"></head><body><p>Grüße aus Köln</p></body></html>'
    text = page_text(write(tmp_path, "a.html", bom + page.encode(codec)), main_content=False)
    assert text == "Grüße aus Köln"


def test_utf8_bom_wins_over_meta(tmp_path: Path) -> None:
    page = '<meta charset="iso-8859-1"><p>naïve café</p>'
    text = page_text(write(tmp_path, "a.html", codecs.BOM_UTF8 + page.encode()), main_content=False)
    assert text == "naïve café"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<meta charset="ISO-8859-1">', "ISO-8859-1"),
        (b"<meta charset=utf-8>", "utf-8"),
        (b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1252">', "windows-1252"),
        (b'<?xml version="1.0" encoding="ISO-8859-15"?><html>', "ISO-8859-15"),
        (b"<html><p>charset=utf-8 in text is not a declaration</p>", None),
    ],
)
def test_declared_charset(head: bytes, expected: str | None) -> None:
    assert declared_charset(head) == expected


def test_declared_utf8_on_cp1252_bytes_is_corrected_with_a_warning(tmp_path: Path) -> None:
    page = '<meta charset="utf-8"><p>Caf\xe9 cr\xe8me</p>'.encode("latin-1")
    items = read(write(tmp_path, "a.html", page), main_content=False)
    problems = [p for p in items if isinstance(p, Problem)]
    assert len(problems) == 1 and "declares charset 'utf-8'" in problems[0].message
    assert problems[0].warning and problems[0].locator is None  # a note: nothing was lost
    assert records(items)[0].text == "Café crème"


def test_undeclared_cp1252_is_guessed(tmp_path: Path) -> None:
    items = read(write(tmp_path, "a.html", "<p>Straße “quoted”</p>".encode("cp1252")), main_content=False)
    assert records(items)[0].text == "Straße “quoted”"
    assert records(items)[0].meta["encoding"] == "cp1252"


def test_undecodable_bytes_are_replaced_and_reported(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "<p>ok</p>".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    items = read(write(tmp_path, "a.html", data), main_content=False)
    problem, rec = items
    assert isinstance(problem, Problem) and not problem.warning and "U+FFFD" in problem.message
    assert isinstance(rec, Record) and rec.text.startswith("ok")


def test_declared_utf16_in_ascii_page_is_ignored(tmp_path: Path) -> None:
    text = page_text(write(tmp_path, "a.html", '<meta charset="utf-16"><p>plain ascii</p>'), main_content=False)
    assert text == "plain ascii"


def test_non_text_codec_declared_is_ignored() -> None:
    assert decode_html(b'<meta charset="rot13"><p>hello')[:2] == ('<meta charset="rot13"><p>hello', "utf-8")
    assert decode_html(b'<meta charset="utf-9"><p>hello')[1] == "utf-8"


def test_forced_encoding_option(tmp_path: Path) -> None:
    path = write(tmp_path, "a.html", '<meta charset="utf-8"><p>Äpfel</p>'.encode("cp850"))
    assert page_text(path, encoding="cp850", main_content=False) == "Äpfel"
    assert page_text(path, main_content=False) == "Žpfel"  # declared UTF-8, invalid: guessed as cp1252


# ---------------------------------------------------------------------------------------
# Safety: no external entities, no DTD, no network.


@pytest.mark.parametrize("suffix", [".html", ".xhtml"])
def test_external_entities_are_not_resolved(tmp_path: Path, suffix: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4f1c9a")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY ext SYSTEM "{secret.as_uri()}">')
    pages = [
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]><html><body><p>Value: &xxe;</p></body></html>',
        f'<?xml version="1.0"?><!DOCTYPE html SYSTEM "{dtd.as_uri()}"><html><body><p>Value: &ext;</p></body></html>',
        f'<!DOCTYPE html [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]><html><body><p>Value: &ext;</p></body></html>',
    ]
    for i, page in enumerate(pages):
        path = write(tmp_path, f"page{i}{suffix}", page)
        for options in ({}, {"split": "section"}, {"main_content": False}):
            for item in read(path, **options):
                dumped = json.dumps(item.to_dict() if isinstance(item, Record) else [item.message, item.raw])
                assert "TOPSECRET" not in dumped


# ---------------------------------------------------------------------------------------
# Problems, options, sniffing.


def test_empty_and_boilerplate_only_pages_are_problems(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, "empty.html", b"   \n"))
    assert isinstance(problem, Problem) and problem.locator is None
    items = read(write(tmp_path, "nav.html", "<body><nav><a href=/>Home</a></nav></body>"))
    assert len(items) == 1 and isinstance(items[0], Problem)
    assert items[0].locator == "page" and "main_content=false" in items[0].message
    assert items[0].raw is not None and "<nav>" in items[0].raw


def test_min_chars(tmp_path: Path) -> None:
    path = write(tmp_path, "a.html", "<body><h2>A</h2><p>short</p><h2>B</h2><p>" + "long text " * 10 + "</p></body>")
    items = read(path, split="section", min_chars=20, main_content=False)
    assert isinstance(items[0], Problem) and items[0].locator == "section 1" and items[0].raw == "A\n\nshort"
    assert isinstance(items[1], Record) and items[1].source.locator == "section 2"


def test_binary_file_is_one_problem(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, "a.html", bytes(range(256)) * 20))
    assert isinstance(problem, Problem) and problem.locator is None and "binary" in problem.message


def test_max_bytes(tmp_path: Path) -> None:
    (problem,) = read(write(tmp_path, "a.html", "<p>" + "x" * 100), max_bytes=50)
    assert isinstance(problem, Problem) and "max_bytes=50" in problem.message


def test_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress((EVAL / "divsoup_reservoir.html").read_bytes()))
    assert InputFile(path, "page.html.gz").suffix in HtmlImporter.suffixes
    assert page_text(path) == page_text(EVAL / "divsoup_reservoir.html")


def test_damaged_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress((EVAL / "divsoup_reservoir.html").read_bytes())[:-400])
    items = read(path)
    assert isinstance(items[0], Problem) and "damaged" in items[0].message
    assert any(isinstance(r, Record) and "Reservoirs across northern England" in r.text for r in items)
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    (problem,) = read(path)
    assert isinstance(problem, Problem) and problem.locator is None and "damaged" in problem.message


def test_page_without_body_tag(tmp_path: Path) -> None:
    # libxml2 leaves HTML5 elements that come before any <body> inside <head>; they are moved back.
    page = "<title>T</title><nav><a href=/>Home</a></nav><article><h1>News</h1><p>It rained all day.</p></article>"
    assert page_text(write(tmp_path, "a.html", page)) == "News\n\nIt rained all day."


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="split"):
        HtmlImporter.from_options({"split": "paragraph"})
    with pytest.raises(ConfigError, match="not a text encoding"):
        HtmlImporter.from_options({"encoding": "rot13"})
    with pytest.raises(ConfigError, match="unknown option"):
        HtmlImporter.from_options({"text_column": "body"})


def test_trafilatura_missing_raises_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import now fails, as when not installed
    with pytest.raises(MissingDependency) as info:
        HtmlImporter.from_options({"extractor": "trafilatura"})
    assert info.value.extra == "html" and "curate[html]" in str(info.value)


def test_trafilatura_extractor() -> None:
    try:
        HtmlImporter.from_options({"extractor": "trafilatura"})
    except MissingDependency:
        pytest.skip("trafilatura is not importable here (pip install 'curate[html]')")
    text = page_text(EVAL / "health_explainer_tinnitus.xhtml", extractor="trafilatura")
    assert "Tinnitus is the name for hearing noises" in text and "Cookies on the" not in text
    sections = records(read(EVAL / "health_explainer_tinnitus.xhtml", extractor="trafilatura", split="section"))
    assert len(sections) > 3 and sections[1].meta["heading"] == "Symptoms of tinnitus"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"<!DOCTYPE html><html><body>x", True),
        (b"  \n<!-- saved page --><html lang=en>", True),
        (b"<?xml version='1.0' encoding='utf-8'?>\n<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN'>", True),
        (b"<body><p>fragment</p></body>", True),
        (codecs.BOM_UTF16_LE + "<!DOCTYPE html><html>".encode("utf-16-le"), True),
        (b"<?xml version='1.0'?><rss><channel/></rss>", False),
        (b"# Markdown\n\nWith <html> in the text", False),
        (b'{"html": "<html>"}', False),
        (b"", False),
    ],
)
def test_sniff(head: bytes, expected: bool) -> None:
    assert looks_like_html(head) is expected
    assert HtmlImporter.sniff(head, InputFile(Path("x.dat"), "x.dat")) is expected


def test_suffixes() -> None:
    assert set(HtmlImporter.suffixes) == {".html", ".htm", ".xhtml"}


# ---------------------------------------------------------------------------------------
# Quality on the evaluation set (the same numbers as bench/html_quality.py).


def _bench():
    spec = importlib.util.spec_from_file_location("html_quality", BENCH)
    assert spec and spec.loader
    module = sys.modules.get("html_quality")
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["html_quality"] = module  # dataclasses look their module up while being built
        spec.loader.exec_module(module)
    return module


def test_eval_set_mean_f1() -> None:
    bench = _bench()
    pages = bench.load_eval(EVAL)
    assert len(pages) >= 12
    scores = bench.evaluate(pages, {"curate": bench.curate_reader()})["curate"]
    mean_f1 = bench.mean([s[2] for s in scores])
    assert mean_f1 >= 0.90, [(p.name, round(s[2], 3)) for p, s in zip(pages, scores, strict=True)]
    assert min(s[2] for s in scores) >= 0.8


def test_structure_kept_on_eval_and_golden_pages() -> None:
    # The bench's structure counts: (kept, total) per kind. What is left out on the golden pages is
    # boilerplate (navigation, comments) and the lists inside infobox cells, written on one line.
    bench = _bench()
    reader = {"curate": bench.curate_reader()}
    scores = bench.structure_scores(bench.load_eval(EVAL), reader)["curate"]
    for kind in ("table rows", "code blocks", "definitions"):
        kept, total = scores[kind]
        assert kept == total > 0, (kind, scores)
    golden = [bench.EvalPage(p.name, p, "") for p in sorted((DATA / "golden").glob("*.html"))]
    scores = bench.structure_scores(golden, reader, within_truth=False)["curate"]
    assert scores["table rows"][0] >= scores["table rows"][1] - 1 and scores["table rows"][1] >= 20, scores
    assert scores["code blocks"][0] == scores["code blocks"][1] >= 8, scores
    assert scores["definitions"][0] == scores["definitions"][1] >= 10, scores


# ---------------------------------------------------------------------------------------
# No input crashes the importer.

_TAGS = ["html", "head", "body", "p", "div", "article", "main", "nav", "table", "tr", "td", "ul", "li", "pre", "h1"]
_TAGS += ["th", "thead", "caption", "ol", "dl", "dt", "dd", "code", "b"]
_html_like = st.lists(
    st.one_of(
        st.sampled_from([f"<{t}>" for t in _TAGS] + [f"</{t}>" for t in _TAGS]),
        st.sampled_from(
            ['<td colspan="3">', '<th rowspan="0">', "<td rowspan=2 colspan=1001>", '<ol start="-2" reversed>']
        ),
        st.sampled_from(['<pre class="language-x">', '<code class="hljs">', '<li value="x">', "|", "```"]),
        st.sampled_from(["<br>", "&amp;", "&#0;", "&#xD800;", "<!--", "-->", "<![CDATA[", "<!DOCTYPE html [", "]>"]),
        st.sampled_from(['<meta charset="utf-16">', '<meta charset="rot13">', "<?xml encoding='x'?>", "\ufeff"]),
        st.text(max_size=20),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(st.binary(max_size=2000), _html_like.map(lambda s: s.encode("utf-8", "surrogatepass"))),
    split=st.sampled_from(["page", "section"]),
    main_content=st.booleans(),
)
def test_never_crashes(tmp_path: Path, data: bytes, split: str, main_content: bool) -> None:
    path = tmp_path / "fuzz.html"
    path.write_bytes(data)
    for item in read(path, split=split, main_content=main_content):
        assert isinstance(item, (Record, Problem))
        if isinstance(item, Record):
            assert item.text and item.text.strip() == item.text


# ---------------------------------------------------------------------------------------


def regenerate() -> None:
    """Rewrite every golden ``*.expected.jsonl`` from the importer's current output."""
    for source, options in GOLDEN:
        out = expected_path(source, options)
        out.write_text("".join(line + "\n" for line in golden_lines(source, options)), encoding="utf-8")
        print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_html_importer.py --regenerate")
    regenerate()
