"""The repair filter: each kind of repair, counted; what it must leave alone."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.plugins import repair_filter
from curate.plugins.repair_filter import RepairFilter
from curate.records import Record, Source


def repair(text: str, **options: object) -> tuple[str, set[str]]:
    found: set[str] = set()
    return RepairFilter.from_options(options).repair(text, found), found


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("donâ€™t", "don’t"),
        ("cafÃ©", "café"),
        ("â€œquotedâ€\x9d", "“quoted”"),
        ("Ã\xa0 bientôt", "à bientôt"),
    ],
)
def test_mojibake(broken, fixed):
    assert repair(broken) == (fixed, {"mojibake"})


def test_straighten_quotes():
    assert repair("donâ€™t", straighten_quotes=True)[0] == "don't"


def test_broken_unicode():
    assert repair("\x1b[31mred\x1b[0m text") == ("red text", {"control_chars"})
    assert repair("bad \ud83d surrogate")[1] == {"surrogates"}


def test_html_entities():
    assert repair("It&#039;s fine") == ("It's fine", {"html_entities"})
    assert repair("Tom &amp;#039;s") == ("Tom 's", {"html_entities"})
    code = "Escape it:\n```html\n&lt;p&gt;\n```"
    assert repair(code) == (code, set())


def test_markup():
    assert repair("Line one<br>Line two<br/><p>New <b>bold</b> para</p>") == (
        "Line one\nLine two\n\nNew bold para",
        {"markup"},
    )
    about_html = "Use the <b> tag for bold and <i> for italics."
    assert repair(about_html) == (about_html, set())
    assert repair("Wrap it: `<br>` and `<p>` are tags.")[1] == set()
    assert repair("x < y and y > z")[1] == set()


def test_whitespace():
    text = "Spaces    here and\n    indented    code\n| a  | b |"
    assert repair(text) == ("Spaces here and\n    indented    code\n| a  | b |", {"whitespace"})
    assert repair("```\na    =    1\n```")[1] == set()


def test_clean_text_is_untouched():
    for text in ("Plain ASCII text.", "Café, naïve, “quotes” and — dashes", "抱歉，我无法协助。", "Ελληνικά κείμενα"):
        assert repair(text) == (text, set())


def test_options_switch_repairs_off():
    assert repair("donâ€™t", mojibake=False) == ("donâ€™t", set())
    assert repair("It&#039;s", html_entities=False) == ("It&#039;s", set())


def test_counts_and_meta():
    records = [
        Record.create(Source("t", "t.csv", "row 1"), input="What&#039;s up?", output="Iâ€™m fine"),
        Record.create(Source("t", "t.csv", "row 2"), input="Hi", output="Hello"),
        Record.create(
            Source("t", "t.csv", "row 3"),
            messages=[{"role": "user", "content": "cafÃ©?"}, {"role": "assistant", "content": "Yes  indeed."}],
        ),
    ]
    result = RepairFilter.from_options({}).process(records)
    assert len(result.kept) == 3 and not result.rejected
    assert result.counts == {
        "records_repaired": 2,
        "repaired:mojibake": 2,
        "repaired:html_entities": 1,
        "repaired:whitespace": 1,
    }
    first = result.kept[0]
    assert (first.input, first.output) == ("What's up?", "I’m fine")
    assert first.meta["curate"] == [{"filter": "repair", "action": "repair", "kinds": ["mojibake", "html_entities"]}]
    assert result.kept[2].messages[0]["content"] == "café?"
    assert "curate" not in result.kept[1].meta


def test_model_side_only():
    rec = Record.create(Source("t", "t", "1"), input="cafÃ©", output="cafÃ©")
    [kept] = RepairFilter.from_options({"fields": "model"}).process([rec]).kept
    assert (kept.input, kept.output) == ("cafÃ©", "café")


def test_registered():
    from curate.registry import get_registry

    cls = get_registry().filter("repair")
    assert cls is RepairFilter and cls.default and cls.order < 0  # runs before normalise
    assert doctest.testmod(repair_filter).failed == 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_repaired_without_error(text):
    out, found = repair(text)
    assert isinstance(out, str)
    assert found <= set(repair_filter.KINDS)


def test_repair_sees_text_before_normalise(tmp_path):
    """Normalise strips C1 controls; repair runs first so ftfy can still read the mojibake."""
    import json

    from curate import Pipeline

    broken = "He said \u00e2\u20ac\u0153hi\u00e2\u20ac\x9d and left."  # "He said “hi” and left." read as cp1252
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": broken}) + "\n", encoding="utf-8")
    result = Pipeline().source(tmp_path / "a.jsonl").format("text").set(report=False, val_ratio=0).run(tmp_path / "o")
    (row,) = [json.loads(line) for line in result.paths["train"].read_text(encoding="utf-8").splitlines()]
    assert row["text"] == "He said \u201chi\u201d and left."
    assert result.manifest["stages"][:2] == ["repair", "normalise"]
