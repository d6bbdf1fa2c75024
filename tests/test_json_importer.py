"""The built-in JSON / JSON Lines importer.

Golden files: each input under tests/data/json/ has a ``<name>.expected.jsonl`` beside it, one
line per record (``Record.to_dict()``) or problem (``{"problem": {...}}``), in order; options for
an input live in ``<stem>.options.json``. After an intentional change of behaviour, regenerate
them with ``python -m tests.test_json_importer --regen`` and review the diff.
"""

from __future__ import annotations

import codecs
import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from curate.errors import ConfigError
from curate.formats import FORMATS, ROLE_ALIASES, FormatOptions, to_row
from curate.importing import InputFile, Problem, read_in_shards
from curate.plugins.json import JsonImporter, limits, register_importers, scanner
from curate.records import Record
from tests.importer_helpers import as_dicts, options_for, read_expected, read_items, write_expected

DATA = Path(__file__).parent / "data" / "json"


def _options(path: Path) -> dict[str, Any]:
    return options_for(DATA, path)


def read_path(path: Path, display: str | None = None, **options: Any) -> list[Record | Problem]:
    return read_items(JsonImporter, path, display, **options)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEWER = settings(SETTINGS, max_examples=25)


def _inputs() -> list[Path]:
    return sorted(
        p for p in DATA.iterdir() if not p.name.endswith((".expected.jsonl", ".options.json")) and p.is_file()
    )


def read_text(tmp_path: Path, content: str | bytes, name: str = "in.jsonl", **options: Any) -> list[Record | Problem]:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_path(path, **options)


def read_rows(tmp_path: Path, rows: list[Any], **options: Any) -> list[Record | Problem]:
    return read_text(tmp_path, "".join(json.dumps(r) + "\n" for r in rows), **options)


def records(items: list[Record | Problem]) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


def problems(items: list[Record | Problem]) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem)]


def golden(path: Path) -> list[dict[str, Any]]:
    return as_dicts(read_path(path, f"json/{path.name}", **_options(path)))


def regenerate() -> None:
    for path in _inputs():
        write_expected(path, golden(path))


# -- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert golden(path) == read_expected(path)


def test_mixed_jsonl_detects_every_shape_and_reports_bad_lines() -> None:
    items = read_path(DATA / "mixed.jsonl")
    by_line = {i.source.locator if isinstance(i, Record) else i.locator: i for i in items}
    assert by_line["line 1"].text.startswith("The Nile")
    assert by_line["line 1"].meta == {"format": "text", "fields": {"id": "doc-1", "source": "wiki", "tokens": 9}}
    assert "line 3" not in by_line  # blank
    assert (by_line["line 5"].input, by_line["line 5"].output) == ("Capital of Peru?", "Lima.")
    assert by_line["line 6"].input == "Summarise the text.\n\nBees pollinate a third of the crops we eat."
    assert by_line["line 7"].messages[0] == {"role": "system", "content": "You are a butler."}
    assert by_line["line 8"].messages[1] == {"role": "user", "content": "What is 2+2?"}
    assert by_line["line 9"].meta == {"format": "sharegpt", "fields": {"id": "sg-7"}}
    assert by_line["line 10"].meta["guessed"] == "question/answer"
    dolly = by_line["line 11"]
    assert dolly.input == "Who wrote it?\n\nMiddlemarch is a novel by George Eliot."
    assert dolly.meta["fields"] == {"category": "closed_qa"}
    assert by_line["line 12"].meta["fields"] == {"url": "https://example.org/n/1"}  # the list is not a scalar
    for n, words in [
        (13, "not valid JSON at column 1"),
        (14, "a JSON array, not an object"),
        (15, "no known record shape in keys 'title', 'body_html'"),
        (16, "empty"),
        (17, "unknown role 'narrator'"),
        (18, "more than one JSON value on the line"),
        (19, "may be truncated"),
    ]:
        problem = by_line[f"line {n}"]
        assert isinstance(problem, Problem)
        assert words in problem.message
        assert problem.raw and problem.raw.startswith(("n", "[", "{"))
    assert "--text-column" in by_line["line 15"].message


def test_sharegpt_role_spellings() -> None:
    items = read_path(DATA / "sharegpt_roles.jsonl")
    convs = [r.messages for r in records(items)]
    assert [t["role"] for t in convs[0]] == ["system", "user", "assistant"]
    assert [t["role"] for t in convs[1]] == ["user", "assistant"]
    assert [t["role"] for t in convs[2]] == ["user", "assistant"]  # Human, bing
    assert [t["role"] for t in convs[3]] == ["user", "assistant", "user", "assistant"]  # bard
    assert convs[4][0] == {"role": "system", "content": "Answer in French."}  # a top-level system key
    assert [t["role"] for t in convs[5]] == ["user", "assistant", "tool", "assistant"]
    bad = problems(items)
    assert [p.locator for p in bad] == ["line 7", "line 8"]
    assert "non-empty list" in bad[0].message
    assert "has no role" in bad[1].message


@pytest.mark.parametrize("role", ["human", "user", "gpt", "chatgpt", "assistant", "bing", "bard", "system", "GPT "])
def test_every_listed_role_spelling_is_known(tmp_path: Path, role: str) -> None:
    row = {"conversations": [{"from": "human", "value": "q"}, {"from": role, "value": "a"}]}
    (rec,) = read_rows(tmp_path, [row])
    assert isinstance(rec, Record)
    assert rec.messages[1]["role"] == ROLE_ALIASES[role.strip().lower()]


def test_arrays_stream_items_and_stop_at_damage() -> None:
    items = read_path(DATA / "alpaca_array.json")
    assert [i.source.locator if isinstance(i, Record) else i.locator for i in items] == [
        "item 1",
        "item 2",
        "item 3",
        "item 4",
    ]
    assert isinstance(items[2], Problem) and items[2].raw == '"a stray string"'
    assert items[1].input == "Classify the sentiment.\n\nI loved this film!"  # the trailing comma was harmless

    truncated = read_path(DATA / "truncated_array.json")
    assert [r.text for r in records(truncated)] == ["first complete item", "second complete item"]
    (cut,) = problems(truncated)
    assert cut.locator == "item 3"
    assert "truncated" in cut.message and "line 4" in cut.message and "the 2 item(s) before" in cut.message
    assert cut.raw == '{"text": "third item is cut o'

    corrupt = read_path(DATA / "corrupt_array.json")
    assert len(records(corrupt)) == 2
    (damage,) = problems(corrupt)
    assert damage.locator == "item 3"
    assert "expected ',' or ']' after item 2 at line 4, column 3" in damage.message


def test_top_level_objects() -> None:
    holder = read_path(DATA / "holder.json")
    assert [(r.input, r.output) for r in records(holder)][1] == ("Largest planet?", "Jupiter.")
    assert records(holder)[0].meta["fields"] == {"id": 1}
    assert [p.locator for p in problems(holder)] == ["item 3"]
    single = read_path(DATA / "single.json")
    assert len(single) == 1 and single[0].source.locator == "item 1"
    assert single[0].meta == {"format": "sharegpt", "fields": {"id": "conv-42"}}
    stream = read_path(DATA / "jq_stream.json")
    assert [r.messages[1]["content"] for r in stream] == ["7", "2"]


def test_list_key_and_ambiguous_holders(tmp_path: Path) -> None:
    doc = {"train": [{"text": "a"}], "test": [{"text": "b"}, {"text": "c"}]}
    (problem,) = read_text(tmp_path, json.dumps(doc, indent=2), "d.json")
    assert isinstance(problem, Problem) and "list_key" in problem.message
    assert [r.text for r in read_text(tmp_path, json.dumps(doc), "d.json", list_key="test")] == ["b", "c"]
    (missing,) = read_text(tmp_path, json.dumps(doc), "d.json", list_key="valid")
    assert isinstance(missing, Problem) and "no list under key 'valid'" in missing.message


def test_encodings_and_compression() -> None:
    bom = read_path(DATA / "utf8_bom_crlf.ndjson")
    assert bom[0].text == "Grüße aus Köln — café"
    assert bom[1].output == "Son las tres."
    utf16 = read_path(DATA / "utf16.jsonl")
    assert utf16[0].text == "日本語のテキスト" and utf16[1].input == "Ça va ?"
    gz = read_path(DATA / "compressed.jsonl.gz")
    assert [r.text for r in gz] == ["inside a gzip file", "second line"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-8-sig"])
def test_array_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    content = '[\n {"text": "é"},\n {"text": "ü"}\n]\n'
    assert [r.text for r in read_text(tmp_path, content.encode(encoding), "a.json")] == ["é", "ü"]


def test_cp1252_is_read_with_a_warning(tmp_path: Path) -> None:
    items = read_text(tmp_path, '{"text": "caf\u00e9 cr\u00e8me"}\n'.encode("cp1252"))
    assert isinstance(items[0], Problem) and items[0].locator is None and "cp1252" in items[0].message
    assert items[1].text == "café crème"


def test_truncated_gzip_keeps_records_before(tmp_path: Path) -> None:
    rng = random.Random(0)
    body = "".join(json.dumps({"text": f"row {i} {rng.getrandbits(128):x}"}) + "\n" for i in range(20_000))
    data = gzip.compress(body.encode(), mtime=0)
    items = read_text(tmp_path, data[: len(data) // 2], "cut.jsonl.gz")
    assert len(records(items)) > 100
    assert isinstance(items[-1], Problem) and "truncated" in items[-1].message


def test_layout_edge_cases(tmp_path: Path) -> None:
    assert read_text(tmp_path, "") == []
    assert read_text(tmp_path, " \n\n \t\n") == []
    # CR-only line ends; a raw CR inside a JSON Lines string stays inside it.
    assert [r.text for r in read_text(tmp_path, '{"text": "a"}\r{"text": "b"}\r')] == ["a", "b"]
    assert [r.text for r in read_text(tmp_path, '{"text": "a\rb"}\n{"text": "c"}\n')] == ["a\rb", "c"]
    # a raw tab inside a string is tolerated; a BOM left mid-file by concatenation too.
    assert [r.text for r in read_text(tmp_path, '{"text": "a\tb"}\n\ufeff{"text": "c"}\n')] == ["a\tb", "c"]
    # JSON Lines whose first line is broken, named .json, still reads line by line.
    items = read_text(tmp_path, '{"text": broken\n{"text": "b"}\n{"text": "c"}\n', "x.json")
    assert [i.locator for i in problems(items)] == ["line 1"] and len(records(items)) == 2
    # a one-line array in a .jsonl file is an array.
    assert [r.source.locator for r in read_text(tmp_path, '[{"text": "a"}, {"text": "b"}]')] == ["item 1", "item 2"]
    # an empty array, trailing garbage.
    assert read_text(tmp_path, "[ ]", "e.json") == []
    items = read_text(tmp_path, '[\n{"text": "a"}\n]\n\nxyz\n', "e.json")
    assert [type(i).__name__ for i in items] == ["Record", "Problem"] and items[1].locator == "line 5"
    # one array per line is JSON Lines of arrays: each line is a problem, not a record.
    items = read_text(tmp_path, '[{"text": "a"}]\n[{"text": "b"}]\n', "e.json")
    assert [p.locator for p in problems(items)] == ["line 1", "line 2"]


def test_hostile_lines_are_problems(tmp_path: Path) -> None:
    content = "[" * 100_000 + "\n" + '{"n": ' + "9" * 5000 + "}\n" + '{"text": "ok"}\n'
    items = read_text(tmp_path, content)
    assert [type(i).__name__ for i in items] == ["Problem", "Problem", "Record"]
    assert "nested too deeply" in items[0].message
    assert items[1].locator == "line 2" and "not usable JSON" in items[1].message
    deep = read_text(tmp_path, "[" + "[" * 100_000, "deep.json")
    assert len(deep) == 1 and isinstance(deep[0], Problem)


def test_overlong_lines_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_VALUE_CHARS", 100)
    items = read_rows(tmp_path, [{"text": "a"}, {"text": "x" * 500}, {"text": "b"}])
    assert [type(i).__name__ for i in items] == ["Record", "Problem", "Record"]
    assert items[1].locator == "line 2" and "longer than 100 characters" in items[1].message
    big = read_text(tmp_path, json.dumps([{"text": "a"}, {"text": "x" * 500}], indent=1), "big.json")
    assert [type(i).__name__ for i in big] == ["Record", "Problem"] and "larger than 100" in big[1].message


def test_array_reading_keeps_memory_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CHUNK", 64)
    sizes: list[int] = []
    fill = scanner.Scanner.fill

    def spy(self: scanner.Scanner, at_least: int = 64) -> bool:
        sizes.append(len(self.buf))
        return fill(self, at_least)

    monkeypatch.setattr(scanner.Scanner, "fill", spy)
    rows = [{"text": f"item number {i}", "n": i} for i in range(3000)]
    items = read_text(tmp_path, json.dumps(rows, indent=2), "big.json")
    assert [r.meta["fields"]["n"] for r in items] == list(range(3000))
    assert max(sizes) < 400  # the window never holds more than a few items


def test_cut_anywhere_yields_a_prefix_and_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CHUNK", 16)
    rows = [{"text": f"t{i}", "k": [i, {"z": None}]} for i in range(4)]
    full = json.dumps(rows, indent=1)
    expected = [r["text"] for r in rows]
    for cut in range(1, len(full.rstrip())):
        items = read_text(tmp_path, full[:cut], "cut.json")
        texts = [r.text for r in records(items)]
        assert texts == expected[: len(texts)], cut
        assert len(problems(items)) == 1 and isinstance(items[-1], Problem), (cut, items)
    assert [r.text for r in read_text(tmp_path, full, "cut.json")] == expected


# -- options ----------------------------------------------------------------------------------


def test_format_override(tmp_path: Path) -> None:
    rows = [{"prompt": "p", "response": "r", "text": "t"}, {"text": "only text"}]
    auto = read_rows(tmp_path, rows)
    assert auto[0].output == "r" and auto[0].meta["fields"] == {"text": "t"}
    forced = read_rows(tmp_path, rows, format="text")
    assert [r.text for r in forced] == ["t", "only text"]
    items = read_rows(tmp_path, rows, format="prompt-generation")
    assert isinstance(items[1], Problem)
    assert "does not fit format 'prompt-generation': missing 'generation'" in items[1].message


def test_column_mapping(tmp_path: Path) -> None:
    rows = [{"q": "Why?", "a": "Because.", "sys": "Be terse.", "n": 3}, {"q": "How?", "a": 42, "sys": ""}]
    items = read_rows(tmp_path, rows, input_column="q", output_column="a")
    assert [(r.input, r.output) for r in items] == [("Why?", "Because."), ("How?", "42")]
    assert items[0].meta == {"fields": {"sys": "Be terse.", "n": 3}}
    items = read_rows(tmp_path, rows, input_column="q", output_column="a", system_column="sys")
    assert items[0].messages == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Why?"},
        {"role": "assistant", "content": "Because."},
    ]
    assert items[1].shape == "input-output"  # an empty system prompt adds nothing
    assert [r.text for r in read_rows(tmp_path, rows, text_column="q")] == ["Why?", "How?"]
    (problem, _) = read_rows(tmp_path, [{"x": 1}, {"q": "y"}], text_column="q")
    assert isinstance(problem, Problem) and "key 'q' (text_column) is missing; keys here: 'x'" in problem.message
    (problem,) = read_rows(tmp_path, [{"q": ["a"]}], text_column="q")
    assert isinstance(problem, Problem) and "key 'q' (text_column) holds a array, not text" in problem.message


def test_template(tmp_path: Path) -> None:
    rows = [{"title": "T", "body": "B", "meta": {"lang": "en"}, "summary": "S"}, {"title": "T2", "summary": "S2"}]
    items = read_rows(tmp_path, rows, template="{title} ({meta[lang]})\n\n{body}")
    assert items[0].text == "T (en)\n\nB" and items[0].meta == {"fields": {"summary": "S"}}
    assert isinstance(items[1], Problem) and "template needs key 'meta'" in items[1].message
    items = read_rows(tmp_path, rows[:1], template="Summarise: {body}", output_column="summary")
    assert (items[0].input, items[0].output) == ("Summarise: B", "S")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"format": "chatml"}, "format must be one of"),
        ({"format": "text", "text_column": "x"}, "exclude each other"),
        ({"input_column": "x"}, "input_column needs output_column"),
        ({"text_column": "x", "output_column": "y"}, "text_column excludes"),
        ({"template": "{a}", "input_column": "x", "output_column": "y"}, "template builds the prompt"),
        ({"system_column": "s"}, "system_column needs output_column"),
        ({"template": "{unclosed"}, "not a valid format string"),
        ({"template": "{0}"}, "use key names"),
        ({"bogus": 1}, "unknown option"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match="importer 'json'") as info:
        JsonImporter.from_options(options)
    assert words in str(info.value)


def test_meta_fields_keep_small_scalars_only(tmp_path: Path) -> None:
    row = {"text": "t", "long": "x" * 500, "nested": {"a": 1}, "flag": True, "none": None, "nan": float("nan")}
    row |= {f"k{i}": i for i in range(30)}
    (rec,) = read_text(tmp_path, json.dumps(row) + "\n")
    assert rec.meta["fields"]["flag"] is True
    assert not {"long", "nested", "none", "nan"} & set(rec.meta["fields"])
    assert len(rec.meta["fields"]) == 16


# -- registration and sniffing ----------------------------------------------------------------


def test_registered_through_the_hook() -> None:
    registered: list[type] = []
    register_importers(registered.append)
    assert registered == [JsonImporter]
    assert {".json", ".jsonl", ".ndjson", ".jsonlines"} <= set(JsonImporter.suffixes)


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        (b'  {"text": "a"}', True),
        (b"\n[\n  {", True),
        (b"[1, 2]", True),
        ('{"a": 1}'.encode("utf-16"), True),
        (b"[section]\nkey = value\n", False),
        (b"{{ template }}", False),
        (b"hello", False),
        (b"\x00\x01\x02{", False),
    ],
)
def test_sniff(tmp_path: Path, head: bytes, claimed: bool) -> None:
    assert JsonImporter.sniff(head, InputFile(tmp_path / "x", "x")) is claimed


# -- properties -------------------------------------------------------------------------------


@SETTINGS
@given(data=st.binary(max_size=600), name=st.sampled_from(["f.json", "f.jsonl", "f.ndjson"]))
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes, name: str) -> None:
    read_text(tmp_path, data, name)


_JSON_CHARS = st.sampled_from(list('{}[],:"\\ \n\r\t0123456789-+.eEtrufalsnxyz\u00e9\ufeff'))


@SETTINGS
@given(text=st.text(_JSON_CHARS, max_size=300), name=st.sampled_from(["f.json", "f.jsonl"]))
def test_json_like_noise_never_crashes(tmp_path: Path, text: str, name: str) -> None:
    read_text(tmp_path, text, name)


_KEYS = st.sampled_from(["text", "input", "output", "prompt", "generation", "messages", "instruction", "id", "x"])
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@FEWER  # (min_size=2: a file holding one line that is an array is read as an array)
@given(values=st.lists(_VALUES | st.dictionaries(_KEYS, _VALUES, max_size=4), min_size=2, max_size=8))
def test_each_line_is_kept_or_rejected(tmp_path: Path, values: list[Any]) -> None:
    items = read_rows(tmp_path, values)
    locators = [i.source.locator if isinstance(i, Record) else i.locator for i in items]
    assert locators == [f"line {n}" for n in range(1, len(values) + 1)]
    assert all(i.raw == json.dumps(v) for i, v in zip(items, values, strict=True) if isinstance(i, Problem))


@FEWER
@given(
    values=st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), min_size=1, max_size=8),
    indent=st.sampled_from([None, 1]),
)
def test_arrays_read_like_lines(tmp_path: Path, values: list[Any], indent: int | None) -> None:
    lines = read_rows(tmp_path, values)
    array = read_text(tmp_path, json.dumps(values, indent=indent), "a.json")
    assert len(array) == len(lines)
    for a, b in zip(array, lines, strict=True):
        assert type(a) is type(b)
        if isinstance(a, Record):
            assert a.content_key() == b.content_key() and a.meta == b.meta


_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
_SOME_TEXT = _TEXT.filter(lambda s: s.strip() != "")


def _turns(roles: list[str]) -> st.SearchStrategy[list[dict[str, str]]]:
    return st.lists(st.tuples(st.sampled_from(roles), _SOME_TEXT), min_size=1, max_size=5)


#: Row shapes that survive row -> record -> row unchanged. Lossy on purpose, and so not generated:
#: alpaca with a non-empty ``input`` (joined into the prompt); prompt-generation with ``response``
#: (written back as ``generation``); ShareGPT roles other than human/gpt/system (normalised), or
#: turn orders LLaMA-Factory skips (rejected on writing); a missing ``input`` (written as "");
#: numbers where text belongs (turned into strings); extra keys (kept in meta, not in the row).
LOSSLESS_ROWS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "text": st.builds(lambda t: {"text": t}, _SOME_TEXT),
    "input-output": st.builds(lambda i, o: {"input": i, "output": o}, _TEXT, _SOME_TEXT),
    "prompt-generation": st.builds(lambda p, g: {"prompt": p, "generation": g}, _TEXT, _SOME_TEXT),
    "prompt-completion": st.builds(lambda p, c: {"prompt": p, "completion": c}, _TEXT, _SOME_TEXT),
    "alpaca": st.builds(
        lambda i, o, s, h: {"instruction": i, "input": "", "output": o, "system": s, "history": h},
        _TEXT,
        _SOME_TEXT,
        st.one_of(st.just(""), _SOME_TEXT),
        st.lists(st.lists(_TEXT, min_size=2, max_size=2), max_size=3),
    ),
    "messages": _turns(["system", "user", "assistant", "tool"]).map(
        lambda ts: {"messages": [{"role": r, "content": c} for r, c in ts]}
    ),
    # LLaMA-Factory's order: an optional system turn, then human/gpt pairs.
    "sharegpt": st.builds(
        lambda system, pairs: {
            "conversations": [{"from": "system", "value": s} for s in system]
            + [{"from": r, "value": c} for pair in pairs for r, c in zip(("human", "gpt"), pair, strict=True)],
            "tools": "",
        },
        st.lists(_SOME_TEXT, max_size=1),
        st.lists(st.tuples(_SOME_TEXT, _SOME_TEXT), min_size=1, max_size=3),
    ),
}


def test_round_trip_covers_every_format() -> None:
    assert set(LOSSLESS_ROWS) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    @SETTINGS
    @given(row=LOSSLESS_ROWS[fmt], auto=st.booleans())
    def check(row: dict[str, Any], auto: bool) -> None:
        (rec,) = read_rows(tmp_path, [row], **({} if auto else {"format": fmt}))
        assert isinstance(rec, Record), rec
        if auto:
            assert rec.meta["format"] == fmt
        assert to_row(rec, FormatOptions(format=fmt)) == row

    check()


# -- shards (the Ray engine reads a large JSON Lines file in pieces) ---------------------------

#: Lines of every kind: records, blank lines, bad lines, a BOM left mid-file, a raw CR inside a
#: string, text that is not ASCII, a line over the (lowered) length limit.
_LINES = st.sampled_from(
    [
        '{"text": "plain"}',
        '{"text": "caf\u00e9 \u20ac"}',
        '{"input": "q", "output": "a", "id": 7}',
        '{"text": "dup"}',
        "{not json",
        "[1, 2]",
        '"a string"',
        "",
        "   ",
        "\t",
        '\ufeff{"text": "bom inside"}',
        "\ufeff{not json",
        '{"text": "x"} trailing',
        '{"text": "' + "long " * 12 + '"}',
        '{"text": ""}',
        '{"text": "cr\rinside"}',
    ]
)
#: Bytes that do not decode (a cut UTF-8 sequence, cp1252's undefined bytes).
_JUNK = st.sampled_from([b"", b"", b"", b"\xc3", b"\x81", b"\xff"])


@SETTINGS
@given(
    lines=st.lists(st.tuples(_LINES, _JUNK, st.sampled_from(["\n", "\r\n"])), min_size=1, max_size=30),
    last=st.sampled_from(["", '{"text": "no line end"}', '{"text": "cut', "  "]),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
    limit=st.sampled_from([40, 64 << 20]),
    data=st.data(),
)
def test_shards_read_like_the_whole_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[tuple[str, bytes, str]],
    last: str,
    bom: bool,
    encoding: str,
    limit: int,
    data: st.DataObject,
) -> None:
    """Whatever the target size, reading the shards one after another is reading the file."""
    monkeypatch.setattr(limits, "MAX_VALUE_CHARS", limit)
    body = b"".join(text.encode(encoding, "replace") + junk + end.encode() for text, junk, end in lines)
    body = (codecs.BOM_UTF8 if bom else b"") + body + last.encode(encoding)
    path = tmp_path / "f.jsonl"
    path.write_bytes(body)
    file = InputFile(path, "f.jsonl")
    importer = JsonImporter.from_options({})
    target = data.draw(st.integers(1, len(body)), label="target_bytes")
    pieces = read_in_shards(importer, file, target)
    note(f"shards: {importer.shards(file, target)}")
    if pieces is not None:
        assert pieces == list(importer.read(file))


def _messy_jsonl() -> bytes:
    """JSON Lines with a BOM, CRLF and LF, blank and broken lines, and a truncated last line."""
    lines = []
    for i in range(60):
        lines.append("{broken" if i % 9 == 4 else json.dumps({"text": f"record {i} caf\u00e9"}, ensure_ascii=False))
        if i % 7 == 0:
            lines.append("")
    text = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines))
    return codecs.BOM_UTF8 + (text + '{"text": "cut off').encode("utf-8")


def test_jsonl_is_cut_after_line_ends(tmp_path: Path) -> None:
    body = _messy_jsonl()
    path = tmp_path / "m.jsonl"
    path.write_bytes(body)
    file = InputFile(path, "m.jsonl")
    importer = JsonImporter.from_options({})
    shards = importer.shards(file, 200)
    assert shards is not None and len(shards) > 5
    for shard in shards:
        assert shard.first_line == body.count(b"\n", 0, shard.start) + 1
        assert shard.end - shard.start >= 200 or shard is shards[-1]
        assert body[shard.end - 1 : shard.end] == b"\n" or shard is shards[-1]
    whole = list(importer.read(file))
    assert read_in_shards(importer, file, 200) == whole
    last_line = body.count(b"\n") + 1
    assert [p.locator for p in problems(whole)][-1] == f"line {last_line}"  # the cut last line


def test_cp1252_shards_warn_once(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_bytes(
        "".join(json.dumps({"text": f"caf\u00e9 {i}"}, ensure_ascii=False) + "\n" for i in range(50)).encode("cp1252")
    )
    file = InputFile(path, "w.jsonl")
    importer = JsonImporter.from_options({})
    pieces = read_in_shards(importer, file, 100)
    assert pieces is not None and pieces == list(importer.read(file))
    assert sum(isinstance(p, Problem) and p.warning for p in pieces) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("gz.jsonl.gz", gzip.compress(b'{"text": "a"}\n' * 50, mtime=0)),
        ("array.json", json.dumps([{"text": f"t{i}"} for i in range(50)], indent=1).encode()),
        ("object.json", json.dumps({"data": [{"text": f"t{i}"} for i in range(50)]}, indent=1).encode()),
        ("utf16.jsonl", ('{"text": "a"}\n' * 50).encode("utf-16")),
        ("cr.jsonl", b'{"text": "a"}\r' * 50),
        ("small.jsonl", b'{"text": "a"}\n' * 5),
        ("one_line.jsonl", b'{"text": "' + b"a" * 600 + b'"}\n'),
        ("binary.jsonl", bytes(range(32)) * 20),
    ],
)
def test_what_is_never_cut(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert JsonImporter.from_options({}).shards(InputFile(path, name), 100) is None


if __name__ == "__main__":
    if sys.argv[1:] == ["--regen"]:
        regenerate()
    else:
        print(__doc__)


# -- tool calling survives import (real files: see the sources below) ---------------------------
#
# toolcalls_openai.jsonl: line 1 is a user's OpenAI fine-tuning line quoted on community.openai.com
# ("Fine-tuning with the result of a function call / tool role", topic 965584): content parts, a
# strict tool; line 2 the tool-calling training example of Azure OpenAI's fine-tuning docs.
# toolcalls_glaive.json: an item of LLaMA-Factory's data/glaive_toolcall_en_demo.json (Apache-2.0).


def _meaning(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI turns with content parts joined and a missing content as "" (same meaning)."""
    out = []
    for t in turns:
        content = t.get("content")
        if isinstance(content, list):
            content = "".join(p["text"] for p in content)
        out.append({**t, "content": content or ""})
    return out


def _parsed_arguments(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns with each call's arguments parsed: JSON text that differs only in spacing compares equal."""
    out = []
    for t in turns:
        if "tool_calls" in t:
            calls = [
                {**c, "function": {**c["function"], "arguments": json.loads(c["function"]["arguments"])}}
                for c in t["tool_calls"]
            ]
            t = {**t, "tool_calls": calls}
        out.append(t)
    return out


def test_openai_tool_calls_survive_import_and_both_tool_formats(tmp_path: Path) -> None:
    path = DATA / "toolcalls_openai.jsonl"
    originals = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    recs = records(read_path(path))
    assert len(recs) == len(originals)
    for rec, original in zip(recs, originals, strict=True):
        row = to_row(rec, FormatOptions("messages"))
        assert row == {"messages": _meaning(original["messages"]), "tools": original["tools"]}
        shared = to_row(rec, FormatOptions("sharegpt"))
        calls = [json.loads(t["value"]) for t in shared["conversations"] if t["from"] == "function_call"]
        assert calls and all(c["id"].startswith("call") and isinstance(c["arguments"], dict) for c in calls)
        assert json.loads(shared["tools"]) == [t["function"] for t in original["tools"]]
        (back,) = records(read_rows(tmp_path, [shared], format="sharegpt"))
        assert _parsed_arguments(back.messages or []) == _parsed_arguments(rec.messages or [])
        assert back.tools == rec.tools


def test_llama_factory_tool_calls_round_trip() -> None:
    path = DATA / "toolcalls_glaive.json"
    (original,) = json.loads(path.read_text(encoding="utf-8"))
    (rec,) = records(read_path(path))
    assert [t["role"] for t in rec.messages] == ["user", "assistant", "tool", "assistant"] * 3
    assert rec.messages[1]["tool_calls"][0]["function"] == {
        "name": "calculate_area",
        "arguments": '{"shape": "rectangle", "dimensions": [5, 3]}',
    }
    assert [t["function"]["name"] for t in rec.tools or []] == ["calculate_area", "calculate_discount"]
    assert to_row(rec, FormatOptions("sharegpt")) == original  # byte for byte, as LLaMA-Factory wrote it
    messages = to_row(rec, FormatOptions("messages"))
    assert messages["tools"][0]["type"] == "function"  # OpenAI's spelling of the same definitions


def test_turn_keys_that_are_not_content_are_named(tmp_path: Path) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "q", "weight": 0},
            {"role": "assistant", "content": "a", "refusal": None, "weight": 1},
        ]
    }
    (rec,) = read_rows(tmp_path, [row])
    assert isinstance(rec, Record)
    assert rec.meta["turn_keys_dropped"] == ["weight"]
    assert rec.messages == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]


def test_tools_on_a_row_without_a_conversation_is_a_problem(tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    items = read_rows(tmp_path, [{"input": "q", "output": "a", "tools": tools}, {"text": "t", "tools": ["hammer"]}])
    assert isinstance(items[0], Problem) and "offers tools" in items[0].message
    assert isinstance(items[1], Record)  # a list of names is not tool definitions: metadata, as before
