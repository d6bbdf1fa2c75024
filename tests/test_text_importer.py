"""The built-in plain-text importer.

Golden files: each input under tests/data/text/ has a ``<stem>.expected.jsonl`` beside it (one
``Record.to_dict()`` or ``{"problem": {...}}`` per line); options live in ``<stem>.options.json``.
After an intentional change of behaviour, regenerate with ``python -m tests.test_text_importer --regen``.
"""

from __future__ import annotations

import codecs
import gzip
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.errors import ConfigError
from curate.importing import InputFile, Problem, read_in_shards
from curate.plugins import text_importer
from curate.plugins.text_importer import TextImporter
from curate.records import Record
from tests.importer_helpers import as_dicts, options_for, read_expected, read_items, write_expected

DATA = Path(__file__).parent / "data" / "text"


def _options(path: Path) -> dict[str, Any]:
    return options_for(DATA, path)


def read_path(path: Path, display: str | None = None, **options: Any) -> list[Record | Problem]:
    return read_items(TextImporter, path, display, **options)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _inputs() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.is_file() and not p.name.endswith((".expected.jsonl", ".json")))


def read_bytes(tmp_path: Path, data: bytes | str, name: str = "in.txt", **options: Any) -> list[Record | Problem]:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return read_path(path, **options)


def located(items: list[Record | Problem]) -> list[tuple[str | None, str]]:
    return [(i.source.locator, i.text) if isinstance(i, Record) else (i.locator, "PROBLEM") for i in items]


def golden(path: Path) -> list[dict[str, Any]]:
    return as_dicts(read_path(path, f"text/{path.name}", **_options(path)))


def regenerate() -> None:
    for path in _inputs():
        write_expected(path, golden(path))


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert golden(path) == read_expected(path)


def test_one_record_per_file() -> None:
    (rec,) = read_path(DATA / "essay.md")
    assert rec.source.locator == "file"
    assert rec.text.startswith("# Why rivers meander") and rec.text.endswith("as a lake.")


def test_paragraph_locators_name_the_first_line() -> None:
    items = read_path(DATA / "notes.txt", split="paragraph", min_chars=10)
    assert [loc for loc, _ in located(items)] == ["line 3", "line 5", "line 8", "line 11"]
    problem = items[2]
    assert isinstance(problem, Problem) and problem.raw == "ok\n" and "min_chars=10" in problem.message
    assert items[1].text.startswith("Call the plumber about the kitchen tap;")
    assert items[1].text.endswith("since Tuesday.\nAsk whether they work on Saturdays.")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_paragraphs_with_every_line_end(tmp_path: Path, newline: str) -> None:
    text = newline.join(["", "one", "still one", "", "", "two", "   ", "three", ""])
    items = read_bytes(tmp_path, text, split="paragraph")
    assert located(items) == [("line 2", "one\nstill one"), ("line 6", "two"), ("line 8", "three")]


def test_cr_only_file() -> None:
    items = read_path(DATA / "old_mac.txt", split="paragraph")
    assert located(items) == [
        ("line 1", "First paragraph,\nstill first."),
        ("line 4", "Second paragraph."),
        ("line 7", "Third."),
    ]


def test_length_split() -> None:
    items = read_path(DATA / "article.txt", split="length", max_chars=120)
    assert len(items) > 4 and all(isinstance(i, Record) for i in items)
    assert [i.source.locator for i in items] == [f"chunk {n}" for n in range(1, len(items) + 1)]
    words = (DATA / "article.txt").read_text().split()
    assert [w for i in items for w in i.text.split()] == words  # no word was cut
    assert all(len(i.text) <= 120 for i in items)
    assert items[0].text.startswith("The first bicycles")


def test_length_split_prefers_paragraph_then_line_breaks(tmp_path: Path) -> None:
    text = "aaa bbb\n\nccc ddd\neee fff ggg"
    assert [r.text for r in read_bytes(tmp_path, text, split="length", max_chars=16)] == [
        "aaa bbb",
        "ccc ddd",
        "eee fff ggg",
    ]
    # a word longer than max_chars is cut: nothing else is possible
    assert [r.text for r in read_bytes(tmp_path, "x" * 25 + " y", split="length", max_chars=10)] == [
        "x" * 10,
        "x" * 10,
        "xxxxx y",
    ]


@SETTINGS
@given(
    words=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Z", "Cc"]), min_size=1, max_size=9)),
    seps=st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n \n"]), min_size=1),
    max_chars=st.integers(1, 40),
)
def test_length_chunks_fit_and_keep_words(tmp_path: Path, words: list[str], seps: list[str], max_chars: int) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    items = read_bytes(tmp_path, text, split="length", max_chars=max_chars, min_chars=0)
    texts = [r.text for r in items]
    assert all(isinstance(r, Record) for r in items)
    assert all(0 < len(t) <= max_chars for t in texts)
    assert "".join(re.split(r"\s+", "".join(texts))) == "".join(re.split(r"\s+", text))
    if all(len(w) <= max_chars for w in words):
        assert [w for t in texts for w in t.split()] == [w for w in words for w in w.split()]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16(tmp_path: Path, encoding: str) -> None:
    text = "Grüße\n\nnoch ein Absatz — ganz kurz\n"
    items = read_bytes(tmp_path, text.encode(encoding), split="paragraph")
    assert located(items) == [("line 1", "Grüße"), ("line 3", "noch ein Absatz — ganz kurz")]
    (whole,) = read_bytes(tmp_path, text.encode(encoding))
    assert whole.text.startswith("Grüße")  # no byte-order mark left in front


def test_binary_file_is_one_problem(tmp_path: Path) -> None:
    (problem,) = read_bytes(tmp_path, bytes(range(256)) * 8, "blob.txt")
    assert isinstance(problem, Problem) and problem.locator is None and "binary" in problem.message


@pytest.mark.parametrize("split", ["file", "paragraph", "length"])
def test_empty_and_blank_files_give_nothing(tmp_path: Path, split: str) -> None:
    assert read_bytes(tmp_path, b"", split=split) == []
    assert read_bytes(tmp_path, b" \n\t\n\n", split=split) == []


def test_compressed_and_truncated(tmp_path: Path) -> None:
    rng = random.Random(0)
    text = "".join(f"Paragraph {i} {rng.getrandbits(2000):x}\n\n" for i in range(400))
    data = gzip.compress(text.encode(), mtime=0)
    assert len(read_bytes(tmp_path, data, "a.txt.gz", split="paragraph")) == 400
    items = read_bytes(tmp_path, data[: len(data) // 2], "b.txt.gz", split="paragraph")
    assert isinstance(items[-1], Problem) and "truncated" in items[-1].message


def test_cp1252_warns_and_reads(tmp_path: Path) -> None:
    warning, rec = read_bytes(tmp_path, "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("cp1252"))
    assert isinstance(warning, Problem) and "cp1252" in warning.message
    assert rec.text == "Café crème brûlée"


@pytest.mark.parametrize(
    ("options", "words"),
    [({"max_chars": 0}, "max_chars"), ({"min_chars": -1}, "min_chars"), ({"max_record_chars": 0}, "max_record_chars")],
)
def test_bad_options(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        TextImporter.from_options(options)


def test_registered_through_the_hook() -> None:
    registered: list[type] = []
    text_importer.register_importers(registered.append)
    assert registered == [TextImporter]


@SETTINGS
@given(
    data=st.binary(max_size=500),
    split=st.sampled_from(["file", "paragraph", "length"]),
    max_chars=st.integers(1, 50),
)
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes, split: str, max_chars: int) -> None:
    read_bytes(tmp_path, data, split=split, max_chars=max_chars)


# -- bounded memory: a record never grows past max_record_chars -----------------------------


def test_file_over_max_record_chars_is_a_problem_not_a_record(tmp_path: Path) -> None:
    (problem,) = read_bytes(tmp_path, "word " * 300, split="file", max_record_chars=1000)
    assert isinstance(problem, Problem) and not problem.warning and problem.raw is None
    assert problem.locator == "file" and "max_record_chars=1000" in problem.message and "split=" in problem.message
    (record,) = read_bytes(tmp_path, "word " * 200, split="file", max_record_chars=1000)
    assert isinstance(record, Record)


def test_paragraph_over_max_record_chars_is_skipped_and_the_rest_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(text_importer, "_LINE_CHUNK", 16)  # the long line is read a block at a time
    text = "first\n\n" + "x" * 500 + "\nmore of it\n\nafter it\non two lines\n\nlast"
    items = read_bytes(tmp_path, text, split="paragraph", max_record_chars=100)
    assert located(items) == [
        ("line 1", "first"),
        ("line 3", "PROBLEM"),
        ("line 6", "after it\non two lines"),
        ("line 9", "last"),
    ]
    assert "paragraph is 512 characters" in items[1].message  # type: ignore[union-attr]


@SETTINGS
@given(
    lines=st.lists(
        st.sampled_from(
            ["", " ", "   ", "word", "  indented text", "a longer line of text", "caf\u00e9 \u20ac", "x" * 40]
        )
    ),
    chunk=st.integers(1, 12),
)
def test_reading_lines_in_blocks_changes_nothing(tmp_path: Path, lines: list[str], chunk: int) -> None:
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    whole = read_path(path, split="paragraph")
    original = text_importer._LINE_CHUNK
    text_importer._LINE_CHUNK = chunk
    try:
        assert read_path(path, split="paragraph") == whole
    finally:
        text_importer._LINE_CHUNK = original


# -- shards (the Ray engine reads a large file split by paragraph in pieces) ------------------


@SETTINGS
@given(
    lines=st.lists(st.sampled_from(["", "", " ", "word", "caf\u00e9 \u20ac", "\ufeffbom", "ok", "a longer line"])),
    bom=st.booleans(),
    end=st.booleans(),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
    min_chars=st.integers(0, 6),
    data=st.data(),
)
def test_paragraph_shards_read_like_the_whole_file(
    tmp_path: Path, lines: list[str], bom: bool, end: bool, encoding: str, min_chars: int, data: st.DataObject
) -> None:
    body = ("\n".join(lines) + ("\n" if end else "")).encode(encoding, "replace")
    body = (codecs.BOM_UTF8 if bom else b"") + body
    path = tmp_path / "p.txt"
    path.write_bytes(body)
    file = InputFile(path, "p.txt")
    importer = TextImporter.from_options({"split": "paragraph", "min_chars": min_chars})
    pieces = read_in_shards(importer, file, data.draw(st.integers(1, max(1, len(body))), label="target_bytes"))
    if pieces is not None:
        assert pieces == list(importer.read(file))


def test_paragraphs_are_cut_after_empty_lines(tmp_path: Path) -> None:
    text = "".join(f"paragraph {i} line one\nline two\n\n" for i in range(40))
    path = tmp_path / "p.txt"
    path.write_text(text, encoding="utf-8")
    file = InputFile(path, "p.txt")
    importer = TextImporter.from_options({"split": "paragraph"})
    shards = importer.shards(file, 100)
    assert shards is not None and len(shards) > 5
    assert all(text.encode()[s.end - 2 : s.end] == b"\n\n" for s in shards)
    assert read_in_shards(importer, file, 100) == list(importer.read(file))


@pytest.mark.parametrize(
    ("name", "content", "split"),
    [
        ("file.txt", "para\n\n" * 100, "file"),
        ("length.txt", "para\n\n" * 100, "length"),
        ("crlf.txt", "para\r\n\r\n" * 100, "paragraph"),
        ("gz.txt.gz", gzip.compress(b"para\n\n" * 100, mtime=0), "paragraph"),
        ("utf16.txt", ("para\n\n" * 100).encode("utf-16"), "paragraph"),
    ],
)
def test_what_is_never_cut(tmp_path: Path, name: str, content: str | bytes, split: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert TextImporter.from_options({"split": split}).shards(InputFile(path, name), 50) is None


if __name__ == "__main__":
    if sys.argv[1:] == ["--regen"]:
        regenerate()
    else:
        print(__doc__)
