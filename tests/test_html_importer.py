"""The html importer: extraction, charsets, boilerplate, safety, quality on the eval set, no crash.

Golden outputs live beside their inputs as ``NAME.<split>.expected.jsonl``. After an intended change
of behaviour, regenerate them and review the diff::

    python tests/test_html_importer.py --regenerate
"""

from __future__ import annotations

import codecs
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
from curate.plugins.html_importer import HtmlImporter, declared_charset, decode_html, looks_like_html
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
    assert "Route | Before | After\nBayside – Port Ellis | 8 | 12" in text
    assert '  "times": ["07:10", "08:40"]   <- local time\n}' in text  # pre kept verbatim
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
    page = (
        "<body><table><tr><td><p>Left column text that is long enough.</p></td>"
        "<td><table><tr><td>a</td><td>b</td></tr></table></td></tr></table></body>"
    )
    text = page_text(write(tmp_path, "a.html", page), main_content=False)
    assert text == "Left column text that is long enough.\n\na | b"


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


# ---------------------------------------------------------------------------------------
# No input crashes the importer.

_TAGS = ["html", "head", "body", "p", "div", "article", "main", "nav", "table", "tr", "td", "ul", "li", "pre", "h1"]
_html_like = st.lists(
    st.one_of(
        st.sampled_from([f"<{t}>" for t in _TAGS] + [f"</{t}>" for t in _TAGS]),
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
