"""The csv importer: golden outputs on real-looking exports, ugly inputs, mapping, and properties.

Each case in ``CASES`` reads ``tests/data/csv/<file>`` with its options and compares the
records with ``<case>.expected.jsonl`` (``Record.to_dict()``, one per line) and the problems
with ``<case>.problems.jsonl`` (absent when there are none). After an intended change of
behaviour, regenerate them and review the diff::

    python tests/test_csv_importer.py
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.errors import ConfigError
from curate.importing import InputFile, Problem
from curate.plugins.csv import CsvImporter, limits, register_importers, sniff_delimiter
from curate.records import Record

DATA = Path(__file__).parent / "data" / "csv"

#: case name -> (file under DATA, importer options)
CASES: dict[str, tuple[str, dict]] = {
    "reviews": ("reviews.csv", {"text_column": "review"}),
    "support_qa": ("support_qa.csv", {}),
    "support_qa_system": (
        "support_qa.csv",
        {"input_column": "question", "output_column": "answer", "system_column": "persona"},
    ),
    "kb_template": ("kb_articles.csv", {"template": "{title}\n\n{body}"}),
    "utf16_bom": ("utf16_bom.csv", {}),
    "utf8_bom": ("utf8_bom.csv", {}),
    "latin1": ("latin1.csv", {}),
    "cr_only": ("cr_only.csv", {}),
    "ragged": ("ragged.csv", {}),
    "nul_bytes": ("nul_bytes.csv", {}),
    "truncated": ("truncated.csv", {}),
    "binary": ("binary.csv", {}),
    "empty": ("empty.csv", {}),
    "header_only": ("header_only.csv", {}),
    "comments": ("comments.csv", {}),
    "semicolon": ("semicolon.csv", {"text_column": "avis"}),
    "tickets_tsv": ("tickets.tsv", {}),
    "qa_export_gz": ("qa_export.csv.gz", {}),
}


def read(path: Path, display: str | None = None, **options) -> tuple[list[Record], list[Problem]]:
    items = list(CsvImporter.from_options(options).read(InputFile(path, display or path.name)))
    assert all(isinstance(item, (Record, Problem)) for item in items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def problem_dict(problem: Problem) -> dict:
    return {"locator": problem.locator, "message": problem.message, "raw": problem.raw, "warning": problem.warning}


def load_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    if not rows:
        path.unlink(missing_ok=True)
        return
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def regenerate() -> None:
    """Rewrite every golden file from the importer's current output."""
    for case, (name, options) in CASES.items():
        records, problems = read(DATA / name, **options)
        write_jsonl(DATA / f"{case}.expected.jsonl", [r.to_dict() for r in records])
        write_jsonl(DATA / f"{case}.problems.jsonl", [problem_dict(p) for p in problems])
        print(f"{case}: {len(records)} records, {len(problems)} problems")


# ---------------------------------------------------------------------------------------
# Golden files.


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    name, options = CASES[case]
    records, problems = read(DATA / name, **options)
    assert [r.to_dict() for r in records] == load_jsonl(DATA / f"{case}.expected.jsonl")
    assert [problem_dict(p) for p in problems] == load_jsonl(DATA / f"{case}.problems.jsonl")


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_with_tiny_blocks(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows, line numbers and raw texts come out the same when every row straddles blocks."""
    monkeypatch.setattr(limits, "BLOCK_CHARS", 7)
    name, options = CASES[case]
    records, problems = read(DATA / name, **options)
    assert [r.to_dict() for r in records] == load_jsonl(DATA / f"{case}.expected.jsonl")
    assert [problem_dict(p) for p in problems] == load_jsonl(DATA / f"{case}.problems.jsonl")


def test_every_data_file_has_a_case() -> None:
    inputs = {p.name for p in DATA.iterdir() if not p.name.endswith(".jsonl")}
    assert inputs == {name for name, _ in CASES.values()}


# ---------------------------------------------------------------------------------------
# What the goldens show, said out loud.


def test_reviews_keep_quoted_multiline_fields_and_text_as_written() -> None:
    records, problems = read(DATA / "reviews.csv", text_column="review")
    by_locator = {r.source.locator: r.text for r in records}
    assert by_locator["row 1 (line 2)"].endswith("\n\nOnly complaint: the cable it ships with is very short.")
    assert 'Support said it was "within spec"' in by_locator["row 2 (line 5)"]
    assert by_locator["row 5 (line 8)"] == "NA"  # not NaN
    assert by_locator["row 6 (line 9)"].count("\n") == 3
    assert by_locator["row 7 (line 13)"] == "1000"  # not 1000.0
    assert all(r.meta == {"columns": ["review"]} for r in records)
    [empty] = problems
    assert empty.locator == "row 4 (line 7)"
    assert "'review' column is empty" in empty.message and "row 4" in empty.message
    assert empty.raw == "R1004,B08N5WRWNW,Echo Dot (4th Gen),3,,,anonymous,N,2023-06-03\n"


def test_qa_export_is_detected_as_input_output() -> None:
    records, problems = read(DATA / "support_qa.csv")
    assert records[0].input == "How do I change the credit card on my account?"
    assert records[0].output.startswith("Go to Settings > Billing")
    assert records[0].meta == {"columns": ["question", "answer"]}
    assert [p.locator for p in problems] == ["row 4 (line 7)"]
    assert "'answer' column is empty" in problems[0].message


def test_system_column_makes_messages_and_is_optional_per_row() -> None:
    records, _ = read(DATA / "support_qa.csv", input_column="question", output_column="answer", system_column="persona")
    assert [t["role"] for t in records[0].messages] == ["system", "user", "assistant"]
    no_persona = next(r for r in records if r.source.locator.startswith("row 3 "))
    assert [t["role"] for t in no_persona.messages] == ["user", "assistant"]


def test_template_joins_columns_and_reports_rows_with_nothing_in_them() -> None:
    records, problems = read(DATA / "kb_articles.csv", template="{title}\n\n{body}")
    assert records[0].text.startswith("Resetting two-factor authentication\n\nIf you lost your phone")
    assert records[0].meta == {"columns": ["title", "body"]}
    assert any(r.text == "\n\nDraft: do not publish." for r in records)  # one empty column is fine
    [problem] = problems
    assert problem.locator == "row 4 (line 7)"
    assert "every column of the template ('title', 'body') is empty" in problem.message


def test_wrong_field_counts_are_reported_with_row_numbers_and_others_kept() -> None:
    records, problems = read(DATA / "ragged.csv")
    assert [r.source.locator for r in records] == [
        "row 1 (line 2)",
        "row 4 (line 5)",
        "row 5 (line 6)",
        "row 7 (line 8)",
    ]
    assert records[2].text == "Works as advertised"  # a trailing empty field loses nothing
    assert [(p.locator, p.raw) for p in problems] == [
        ("row 2 (line 3)", "2,Screen cracked in the first week,negative,extra\n"),
        ("row 3 (line 4)", "3,Shipping was fast\n"),
        ("row 6 (line 7)", "6,I, for one, love it,positive\n"),
    ]
    assert "too many fields (4; the header has 3)" in problems[0].message
    assert "too few fields (2; the header has 3)" in problems[1].message


def test_truncated_file_keeps_every_row_before_the_open_quote() -> None:
    records, problems = read(DATA / "truncated.csv")
    assert [r.text for r in records] == ["First complete row", "Second row, complete"]
    [problem] = problems
    assert problem.locator == "row 3 (line 4)"
    assert "never closes" in problem.message
    assert problem.raw.startswith('3,"The export was cut off')


@pytest.mark.parametrize(("name", "first"), [("utf16_bom.csv", "Ça marche très bien, merci !"), ("utf8_bom.csv", None)])
def test_byte_order_marks(name: str, first: str | None) -> None:
    records, problems = read(DATA / name)
    assert problems == []
    assert records[0].meta == {"columns": ["text"]}  # the BOM is not part of the first column's name
    if first:
        assert records[0].text == first
        assert records[2].text == "日本語のレビュー: とても良い"


def test_latin1_is_read_as_cp1252_with_a_warning_naming_the_file() -> None:
    records, problems = read(DATA / "latin1.csv")
    assert records[0].text == "Très bon produit; livré à temps"
    [warning] = problems
    assert warning.locator is None and warning.message.startswith("latin1.csv: not valid UTF-8")


def test_cr_only_line_ends() -> None:
    records, problems = read(DATA / "cr_only.csv")
    assert problems == []
    assert [(r.source.locator, r.text) for r in records] == [
        ("row 1 (line 2)", "Old Mac export"),
        ("row 2 (line 3)", "Two lines\nin one cell"),
        ("row 3 (line 5)", "Last row without a line end"),
    ]


def test_nul_bytes_are_stripped_and_reported_once() -> None:
    records, problems = read(DATA / "nul_bytes.csv")
    assert len(records) == 20
    assert records[4].text == "Padded cell"
    [problem] = problems
    assert problem.locator == "line 6"
    assert "stripped 3 NUL byte(s) on lines 6, 13" in problem.message


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("binary.csv", "binary content, not CSV"),
        ("empty.csv", "empty file"),
        ("header_only.csv", "header only"),
    ],
)
def test_file_level_problems(name: str, message: str) -> None:
    records, problems = read(DATA / name)
    assert records == []
    [problem] = problems
    assert problem.locator is None and problem.message.startswith(message)


def test_comments_preamble_skipped_comment_rows_reported_hashes_in_cells_kept() -> None:
    records, problems = read(DATA / "comments.csv")
    assert [r.text for r in records] == [
        "# Not a comment: a quoted cell that starts with a hash",
        "Plain row after a blank line",
        "Line one\n# a line inside a quoted field is not a comment\nline three",
    ]
    [problem] = problems
    assert problem.locator == "line 5" and problem.raw == "# TODO: remove the test rows below\n"
    _, problems = read(DATA / "comments.csv", comment=None, text_column="2")
    assert problems and "is not a column" in problems[0].message  # the first comment is now the header


def test_semicolon_and_tab_delimiters() -> None:
    records, _ = read(DATA / "semicolon.csv", text_column="avis")
    assert [r.text for r in records] == [
        "Très bien; solide et légère",
        "Le plateau se raye vite",
        "Lumière chaude, parfaite pour lire",
    ]
    records, _ = read(DATA / "tickets.tsv")
    assert records[1].text == "Please add a dark mode; the white background is hard on the eyes at night."


def test_gzip_compressed_csv() -> None:
    records, problems = read(DATA / "qa_export.csv.gz")
    assert problems == []
    assert [(r.input, r.output) for r in records][1] == ("Name a prime, please", "7")


# ---------------------------------------------------------------------------------------
# Mapping.


def write(tmp_path: Path, content: str | bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_auto_mapping_prefers_prompt_and_answer_then_text_then_a_single_column(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "Prompt,Completion,text\nhi,hello,x\n"))
    assert (records[0].input, records[0].output) == ("hi", "hello")
    records, _ = read(write(tmp_path, "id,Content\n1,hello\n"))
    assert records[0].text == "hello"
    records, _ = read(write(tmp_path, "note\nhello\n"))
    assert records[0].text == "hello"


def test_auto_mapping_joins_alpaca_instruction_and_input(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "instruction,input,output,system\nAdd,2 2,4,Be brief\nSay hi,,hi,\n"))
    assert records[0].messages == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Add\n\n2 2"},
        {"role": "assistant", "content": "4"},
    ]
    assert records[1].messages == [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}]


def test_no_guess_says_what_to_pass(tmp_path: Path) -> None:
    records, problems = read(write(tmp_path, "a,b\n1,2\n"))
    assert records == []
    [problem] = problems
    assert problem.locator is None
    assert "columns: 'a', 'b'" in problem.message and "--text-column" in problem.message


def test_unknown_column_is_a_file_problem_listing_the_columns(tmp_path: Path) -> None:
    _, problems = read(write(tmp_path, "id,body\n1,x\n"), text_column="review")
    assert problems[0].message.startswith("text_column 'review' is not a column of this file (columns: 'id', 'body')")
    _, problems = read(write(tmp_path, "id,body\n1,x\n"), template="{title}: {body}")
    assert "{title}" in problems[0].message
    _, problems = read(write(tmp_path, "q,body\n1,x\n"), output_column="body")
    assert "which column holds the prompts" in problems[0].message


def test_column_names_match_case_insensitively_and_by_position_without_header(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "ID,Review Text\n1,nice\n"), text_column="review text")
    assert records[0].text == "nice" and records[0].meta == {"columns": ["Review Text"]}
    records, problems = read(write(tmp_path, "1,first,a\n2,second,b\n"), header=False, template="{2} ({3})")
    assert problems == [] and [r.text for r in records] == ["first (a)", "second (b)"]
    assert records[0].source.locator == "row 1 (line 1)"


def test_duplicate_and_blank_header_names(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "text,text,,x,text.1\na,b,c,d,e\n"), template="{text}|{text.1}|{3}|{text.1.1}")
    assert records[0].text == "a|b|c|e"


def test_template_format_specs_and_odd_column_names(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "user.name,score\nann,7\n"), template="{user.name:>5}:{score}")
    assert records[0].text == "  ann:7"


@pytest.mark.parametrize(
    "options",
    [
        {"text_column": "a", "output_column": "b"},
        {"template": "{a}", "input_column": "b"},
        {"text_column": "a", "system_column": "s"},
        {"template": "{a}", "system_column": "s"},
        {"template": "{}"},
        {"template": "{a"},
        {"template": "{a!x}"},
        {"template": "{a:d}"},
        {"template": "{a:{b}}"},
        {"delimiter": ";;"},
        {"delimiter": '"'},
        {"encoding": "no-such-codec"},
        {"encoding": "hex"},
        {"comment": ""},
        {"header": "yes"},
    ],
)
def test_bad_options_are_config_errors(options: dict) -> None:
    with pytest.raises(ConfigError):
        CsvImporter.from_options(options)


def test_delimiter_and_encoding_options(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "id|text\n1|a,b;c\n"), delimiter="|")
    assert records[0].text == "a,b;c"
    records, _ = read(write(tmp_path, "id\ttext\n1\ta,b\n"), delimiter="\\t")
    assert records[0].text == "a,b"
    records, problems = read(write(tmp_path, "id,text\n1,caf\xe9\n".encode("latin-1")), encoding="latin-1")
    assert problems == [] and records[0].text == "café"
    records, problems = read(write(tmp_path, b"\xef\xbb\xbftext\nx\n"), encoding="utf-8")
    assert problems == [] and records[0].meta == {"columns": ["text"]}
    records, problems = read(write(tmp_path, "text\nx\n".encode("utf-16-le")), encoding="utf-16")  # no BOM
    assert problems == [] and records[0].text == "x"


# ---------------------------------------------------------------------------------------
# Reading edge cases.


def test_bytes_that_are_not_utf8_after_the_sniffed_head_are_recoded_and_reported(tmp_path: Path) -> None:
    good = "".join(f"{i},Plain UTF-8 row with an accent: é\n" for i in range(2500))  # > 64 KiB
    path = write(tmp_path, ("id,text\n" + good).encode() + b"2500,caf\xe9 in cp1252\n")
    records, problems = read(path)
    assert len(records) == 2501 and records[-1].text == "café in cp1252"
    [problem] = problems
    assert problem.locator == "line 2502" and "decoded as cp1252" in problem.message


def test_fields_longer_than_the_csv_module_default_limit(tmp_path: Path) -> None:
    long = "word " * 60_000  # 300k characters
    records, problems = read(write(tmp_path, f'id,text\n1,"{long}"\n2,short\n'))
    assert problems == [] and records[0].text == long and records[1].text == "short"


def test_a_field_over_16_mib_is_one_rejected_row_and_the_rows_after_are_read(tmp_path: Path) -> None:
    """An export whose 'body' cell holds a pasted log of 17 MiB: one rejected row, nothing else lost."""
    log = "".join(
        f"2024-03-0{i % 9 + 1} 12:00:{i % 60:02d} INFO worker-{i % 8} processed batch {i}\n" for i in range(320_000)
    )
    assert len(log) > 17 << 20
    rows = [f'{i},"Ticket {i}","Short body {i}, with a comma"\n' for i in range(1, 4)]
    body = (
        "id,title,body\n"
        + "".join(rows)
        + f'4,"Crash report","{log}"\n'
        + "".join(f'{i},"Ticket {i}","Body {i}"\n' for i in range(5, 1005))
    )
    records, problems = read(write(tmp_path, body, name="tickets.csv"), text_column="body")
    assert len(records) == 3 + 1000
    assert records[3].source.locator == "row 5 (line 320006)" and records[3].text == "Body 5"
    assert records[-1].source.locator == "row 1004 (line 321005)"
    [problem] = problems
    assert problem.locator == "row 4 (line 5)" and not problem.warning
    assert problem.message.startswith("row 4 (lines 5-320005): field 3 ('body') is over 16 MiB (")
    assert "reading goes on with the next row" in problem.message
    assert problem.raw.startswith('4,"Crash report","2024-03-01 12:00:00 INFO')
    assert len(problem.raw) == limits.RAW_KEEP


@pytest.fixture
def field_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The csv module's field limit (process-wide) lowered to 100 characters for one test."""
    before = csv.field_size_limit()
    monkeypatch.setattr(limits, "MAX_FIELD_CHARS", 100)
    csv.field_size_limit(100)
    yield 100
    csv.field_size_limit(before)


_LONG = "y" * 150
_OVER_LIMIT = {  # the third row in each way a field can run past the limit; "lines": the line range reported
    "quoted, one line, fields after it": (f'3,"{_LONG}",tag\n', "line 4"),
    "unquoted": (f"3,{_LONG}\n", "line 4"),
    "quoted, many lines, doubled quotes and commas": (
        f'3,"a ""quoted"" word, a comma\n{_LONG}\n, more"\n',
        "lines 4-6",
    ),
    "a stray quote that runs into the next rows": (
        '3,"stray quote\n' + "4,row four\n" * 12 + '5,"closes here\n',
        "lines 4-17",
    ),
    "quoted, then text after the closing quote": (f'3,"{_LONG}" and after\n', "line 4"),
}


@pytest.mark.parametrize("shape", sorted(_OVER_LIMIT))
@pytest.mark.parametrize("block", [7, 1 << 16])
@pytest.mark.parametrize("compressed", [False, True])
def test_every_shape_of_over_long_field_rejects_one_row_and_reads_on(
    tmp_path: Path, field_limit: int, monkeypatch: pytest.MonkeyPatch, shape: str, block: int, compressed: bool
) -> None:
    monkeypatch.setattr(limits, "BLOCK_CHARS", block)
    row, lines = _OVER_LIMIT[shape]
    body = ("id,text\n1,one\n2,two\n" + row + "6,six\n7,seven").encode()
    path = write(
        tmp_path, gzip.compress(body, mtime=0) if compressed else body, name="t.csv.gz" if compressed else "t.csv"
    )
    records, problems = read(path)
    assert [r.text for r in records] == ["one", "two", "six", "seven"]
    after = 4 + row.count("\n")
    assert [r.source.locator for r in records[2:]] == [f"row 4 (line {after})", f"row 5 (line {after + 1})"]
    [problem] = problems
    assert problem.locator == "row 3 (line 4)"
    assert problem.message.startswith(f"row 3 ({lines}): field 2 ('text') is over 100 characters (")
    assert problem.raw == row


def test_a_field_over_the_limit_that_never_closes_ends_the_file_with_one_problem(
    tmp_path: Path, field_limit: int
) -> None:
    records, problems = read(write(tmp_path, 'text\nfine\n"cut off ' + "z" * 300 + "\nmore\nand more\n"))
    assert [r.text for r in records] == ["fine"]
    [problem] = problems
    assert problem.locator == "row 2 (line 3)" and "never closes: the file ends inside it" in problem.message
    assert problem.raw == '"cut off ' + "z" * 300 + "\nmore\nand more\n"


def test_a_header_over_the_limit_is_one_problem(tmp_path: Path, field_limit: int) -> None:
    records, problems = read(write(tmp_path, f'"{_LONG}",b\n1,2\n'))
    assert records == []
    [problem] = problems
    assert problem.locator == "line 1" and "no row can be read without the column names" in problem.message
    records, problems = read(write(tmp_path, f'"{_LONG}"\nsecond\n'), header=False)  # no header: the next row is row 2
    assert [(r.source.locator, r.text) for r in records] == [("row 2 (line 2)", "second")]
    assert [p.locator for p in problems] == ["row 1 (line 1)"]


@pytest.mark.slow
def test_skipping_an_over_long_field_holds_little_memory(tmp_path: Path, field_limit: int) -> None:
    """10 MB of a quoted field after the limit: memory holds a block and the kept start of the row."""
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write('id,text\n1,"')
        for _ in range(100):
            fh.write(("w" * 99 + "\n") * 1000)
        fh.write('"\n2,after\n')
    tracemalloc.start()
    try:
        records, problems = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.text for r in records] == ["after"] and len(problems) == 1
    assert peak < 3 * limits.RAW_KEEP + 4 * (1 << 20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.tuples(st.integers(1, 260), st.sampled_from(["a", 'b"', "c,", "d\n"])), min_size=1, max_size=12),
    block=st.sampled_from([5, 1 << 16]),
)
def test_rows_over_the_limit_are_each_one_problem_and_the_others_records(
    field_limit: int, cells: list[tuple[int, str]], block: int
) -> None:
    """Cells written by csv.writer, some over the limit: each row is one record or one problem, in order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "text"])
    texts = [(piece * n)[:n] or "x" for n, piece in cells]
    writer.writerows([[i, t] for i, t in enumerate(texts)])
    original = limits.BLOCK_CHARS
    limits.BLOCK_CHARS = block
    try:
        records, problems = read_bytes(out.getvalue().encode(), text_column="text")
    finally:
        limits.BLOCK_CHARS = original
    problems = [p for p in problems if "is empty" not in p.message]  # a cell of only line breaks
    long = [i for i, t in enumerate(texts) if len(t) > field_limit]
    assert [p.locator.split(" (")[0] for p in problems] == [f"row {i + 1}" for i in long]
    assert [r.text for r in records] == [t for i, t in enumerate(texts) if i not in long and t.strip()]


def test_a_delimiter_sniffed_despite_quoted_delimiters_and_line_breaks() -> None:
    assert sniff_delimiter('id,text\n1,"a;b;c\nd;e"\n2,"x;y"\n') == ","
    assert sniff_delimiter("a|b|c\n1|x, y|z\n2|p, q|r\n") == "|"
    assert sniff_delimiter("id\ttext\n1\thello, world\n") == "\t"
    assert sniff_delimiter("just one column\nof text\n") == ","
    assert sniff_delimiter("# a, b, c, d\nx;y\n1;2\n") == ";"


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    records, problems = read(write(tmp_path, "\n\nid,text\n\n1,a\n   \n2,b\n\n"))
    assert problems == []
    assert [r.source.locator for r in records] == ["row 1 (line 5)", "row 2 (line 7)"]


def test_crlf_inside_quoted_fields_becomes_lf(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, b'id,text\r\n1,"a\r\nb"\r\n2,c\r\n'))
    assert [r.text for r in records] == ["a\nb", "c"]
    assert records[1].source.locator == "row 2 (line 4)"


def test_ids_are_stable_and_locators_unique() -> None:
    first, _ = read(DATA / "reviews.csv", text_column="review")
    second, _ = read(DATA / "reviews.csv", text_column="review")
    assert [r.id for r in first] == [r.id for r in second]
    assert len({r.source.locator for r in first}) == len(first)


def test_damaged_gzip_keeps_the_rows_read_before(tmp_path: Path) -> None:
    body = "id,text\n" + "".join(f"{i},row {i} {'x' * 50}\n" for i in range(5000))
    data = gzip.compress(body.encode(), mtime=0)
    path = write(tmp_path, data[: len(data) // 2], name="cut.csv.gz")
    records, problems = read(path)
    assert len(records) > 100
    assert problems[-1].message.startswith("cannot read the file after line")
    assert not problems[-1].warning


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
def test_a_compressed_name_on_plain_text_is_a_problem_naming_the_cause_not_an_empty_file(
    tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path, "question,answer\nWhat is 2+2?,4\n", name=f"qa.csv{suffix}")
    records, problems = read(path)
    assert records == []
    [problem] = problems
    assert not problem.warning and "empty" not in problem.message
    assert problem.message.startswith(f"cannot read qa.csv{suffix}: ")
    assert f"rename it without {suffix}" in problem.message


def test_a_compressed_empty_file_is_still_an_empty_file(tmp_path: Path) -> None:
    records, problems = read(write(tmp_path, gzip.compress(b"", mtime=0), name="e.csv.gz"))
    assert records == [] and [(p.message, p.warning) for p in problems] == [("empty file: no header and no rows", True)]


def test_reading_can_stop_early(tmp_path: Path) -> None:
    items = CsvImporter.from_options({}).read(InputFile(write(tmp_path, "text\na\nb\n"), "t.csv"))
    assert next(items).text == "a"
    items.close()


def test_registered_through_the_hook() -> None:
    seen: list[type] = []
    register_importers(seen.append)
    assert seen == [CsvImporter]
    assert {".csv", ".tsv", ".tab"} <= set(CsvImporter.suffixes)


# ---------------------------------------------------------------------------------------
# Properties.


def read_bytes(data: bytes, name: str = "x.csv", **options) -> tuple[list[Record], list[Problem]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return read(path, **options)


_CSVISH = st.text(alphabet=st.sampled_from(list('ab ,;\t|"\n\r#\0é\ufeff\udc80')), max_size=200).map(
    lambda s: s.encode("utf-8", "surrogatepass")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(st.binary(max_size=400), _CSVISH),
    name=st.sampled_from(["x.csv", "x.tsv"]),
    options=st.sampled_from([{}, {"text_column": "a"}, {"header": False}, {"comment": None, "template": "{a}{b}"}]),
)
def test_no_bytes_crash_the_importer(data: bytes, name: str, options: dict) -> None:
    _, problems = read_bytes(data, name, **options)
    for problem in problems:
        assert problem.message and (problem.raw is None or isinstance(problem.raw, str))


_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "truncate"]),
        st.floats(0, 1),
        st.sampled_from([b'"', b",", b"\n", b"\r", b"\0", b"\xff", b'""', b"\xef\xbb\xbf", b"#"]),
    ),
    min_size=1,
    max_size=4,
)


def _mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, piece in mutations:
        at = int(where * len(data))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + piece + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(piece) :]
        else:
            data = data[:at]
    return data


_REAL = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".tsv"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source=st.sampled_from(_REAL),
    mutations=_MUTATIONS,
    compress=st.booleans(),
    block=st.sampled_from([5, 1 << 16]),
    limit=st.sampled_from([40, 1 << 24]),
)
def test_mutated_real_exports_never_crash_and_every_row_is_a_record_or_a_problem(
    source: Path, mutations: list[tuple[str, float, bytes]], compress: bool, block: int, limit: int
) -> None:
    """The golden inputs with bytes flipped, quotes and line ends added or removed, cut short, gzipped or
    not, read with tiny blocks and a tiny field limit: no exception, only records and problems, and each
    data row that comes back sits on a line of its own file."""
    data = _mutate(source.read_bytes(), mutations)
    if compress:
        data = gzip.compress(data, mtime=0)
        data = data[: len(data) - int(mutations[0][1] * 8)]  # sometimes a damaged archive too
    before = csv.field_size_limit()
    original = limits.BLOCK_CHARS, limits.MAX_FIELD_CHARS
    limits.BLOCK_CHARS, limits.MAX_FIELD_CHARS = block, limit
    csv.field_size_limit(limit)
    try:
        records, problems = read_bytes(data, source.name + (".gz" if compress else ""))
    finally:
        limits.BLOCK_CHARS, limits.MAX_FIELD_CHARS = original
        csv.field_size_limit(before)
    assert all(p.message for p in problems)
    lines = [int(r.source.locator.rsplit("line ", 1)[1].rstrip(")")) for r in records]
    assert lines == sorted(lines) and len(set(lines)) == len(lines)


_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from("\n\r\t"),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(_CELL, _CELL), max_size=20),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    quote_all=st.booleans(),
    block=st.sampled_from([3, 1 << 16]),
)
def test_written_rows_read_back_exactly(
    rows: list[tuple[str, str]], delimiter: str, line_end: str, quote_all: bool, block: int
) -> None:
    """Whatever csv.writer writes, every row comes back: as a record, or as a Problem for an empty cell."""
    # csv.writer quotes only the line-end characters of its own lineterminator, so a bare "\r" in a cell is
    # written unquoted under "\n" endings: a real line break to any reader. Quote everything there.
    quoting = csv.QUOTE_ALL if quote_all or line_end != "\r\n" else csv.QUOTE_MINIMAL
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(["text", "other"])
    writer.writerows(rows)
    original = limits.BLOCK_CHARS
    limits.BLOCK_CHARS = block
    try:
        records, problems = read_bytes(out.getvalue().encode(), delimiter=delimiter, comment=None, text_column="text")
    finally:
        limits.BLOCK_CHARS = original
    problems = [p for p in problems if not p.warning]  # "header only" when there are no rows
    texts = [t.replace("\r\n", "\n").replace("\r", "\n") for t, _ in rows]
    assert [r.text for r in records] == [t for t in texts if t.strip()]
    assert len(problems) == sum(1 for t in texts if not t.strip())
    assert all("'text' column is empty" in p.message for p in problems)


if __name__ == "__main__":
    if sys.argv[1:]:
        sys.exit("usage: python tests/test_csv_importer.py   (regenerates the golden files)")
    regenerate()
