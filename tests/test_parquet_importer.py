"""The Parquet and Arrow importers, on files and folders made at test time with pyarrow and ``datasets``."""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pytest

# curate[parquet] and datasets (curate[train]) make the test files: without them the module skips.
pytest.importorskip("pyarrow")
datasets = pytest.importorskip("datasets")

import pyarrow as pa  # noqa: E402
import pyarrow.feather as feather  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from curate.errors import MissingDependency  # noqa: E402
from curate.importing import InputFile, Problem, check_shards, read_in_shards  # noqa: E402
from curate.ledger import iter_jsonl  # noqa: E402
from curate.plugins import parquet_importer  # noqa: E402
from curate.plugins.dataset_folders import is_companion, split_of  # noqa: E402
from curate.plugins.parquet_importer import ArrowImporter, ParquetImporter  # noqa: E402
from curate.records import Record  # noqa: E402
from curate.registry import get_registry  # noqa: E402


@pytest.fixture(autouse=True)
def table_plugin(register_plugin):
    """The importers, registered as their entry point would (unless it already is)."""
    if "parquet" not in get_registry().importers:
        register_plugin(parquet_importer, "parquet")


@pytest.fixture(autouse=True, scope="module")
def quiet_datasets():
    datasets.disable_progress_bars()
    yield
    datasets.enable_progress_bars()


def read(importer: type, path: Path, **options: Any) -> tuple[list[Record], list[Problem]]:
    items = list(importer.from_options(options).read(InputFile(path, path.name)))
    records = [i for i in items if isinstance(i, Record)]
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(records) + len(problems) == len(items)
    return records, problems


def chat(i: int) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": f"Question number {i}: what is {i} plus {i}?"},
        {
            "role": "assistant",
            "content": f"The sum of {i} and {i} is {2 * i}, as adding a number to itself doubles it.",
        },
    ]


def build(cli, tmp_path: Path, *sources: Path, fmt: str = "messages", extra: tuple[str, ...] = ()) -> dict:
    out = tmp_path / "out"
    cli("build", *map(str, sources), "-o", str(out), "--format", fmt, "--no-filters", "--val-ratio", "0", *extra)
    return json.loads((out / "manifest.json").read_text())


def output_rows(tmp_path: Path) -> list[dict]:
    out = tmp_path / "out"
    return [*iter_jsonl(out / "train.jsonl"), *iter_jsonl(out / "val.jsonl")]


# ---------------------------------------------------------------------------------------
# Folders: datasets.save_to_disk and hub snapshots, through `curate build`.


def test_build_reads_a_save_to_disk_datasetdict_with_each_split_in_meta(cli, tmp_path: Path) -> None:
    train = datasets.Dataset.from_list([{"messages": chat(i), "id": i} for i in range(30)])
    test = datasets.Dataset.from_list([{"messages": chat(i), "id": i} for i in range(100, 110)])
    folder = tmp_path / "dd"
    datasets.DatasetDict(train=train, test=test).save_to_disk(str(folder))

    manifest = build(cli, tmp_path, folder)
    assert manifest["counts"]["read"] == 40 and manifest["counts"]["rejected"] == 0
    assert not manifest.get("errors") and not manifest.get("warnings")
    assert sorted(i["path"].rsplit("/", 2)[-2] for i in manifest["inputs"]) == ["test", "train"]  # arrow files only
    assert {json.dumps(r["messages"]) for r in output_rows(tmp_path)} == {
        json.dumps(chat(i)) for i in [*range(30), *range(100, 110)]
    }
    loaded = datasets.load_dataset(
        "json", data_files=str(tmp_path / "out" / "train.jsonl"), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert loaded.num_rows == 40 and loaded[0]["messages"][0]["role"] == "user"

    for split, size in (("train", 30), ("test", 10)):
        (arrow,) = (folder / split).glob("*.arrow")
        records, problems = read(ArrowImporter, arrow)
        assert len(records) == size and not problems
        assert {r.meta["split"] for r in records} == {split}
        assert records[3].source.locator == "batch 0, row 3" and records[3].meta["fields"] == {
            "id": records[3].meta["fields"]["id"]
        }


def test_a_saved_dataset_without_splits_has_no_split(tmp_path: Path) -> None:
    folder = tmp_path / "single"
    datasets.Dataset.from_list([{"text": f"document {i}"} for i in range(5)]).save_to_disk(str(folder))
    (arrow,) = folder.glob("*.arrow")
    records, problems = read(ArrowImporter, arrow)
    assert [r.text for r in records] == [f"document {i}" for i in range(5)] and not problems
    assert all("split" not in r.meta for r in records)


def test_build_reads_a_hub_snapshot_and_skips_its_card_and_metadata(cli, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    (snap / "data").mkdir(parents=True)
    (snap / "README.md").write_text(
        "---\nlicense: mit\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
        "    path: data/train-*\n---\n# My dataset\n\nA card that is not training data.\n"
    )
    (snap / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    (snap / "dataset_infos.json").write_text(json.dumps({"default": {"features": {}, "splits": {}}}))
    rows = [
        {"instruction": f"Name an even number above {i}.", "input": "", "output": str(2 * i + 2)} for i in range(40)
    ]
    datasets.Dataset.from_list(rows[:15]).to_parquet(str(snap / "data" / "train-00000-of-00002.parquet"))
    datasets.Dataset.from_list(rows[15:30]).to_parquet(str(snap / "data" / "train-00001-of-00002.parquet"))
    datasets.Dataset.from_list(rows[30:]).to_parquet(str(snap / "data" / "test-00000-of-00001.parquet"))

    manifest = build(cli, tmp_path, snap, fmt="input-output")
    assert manifest["counts"]["read"] == 40 and manifest["counts"]["rejected"] == 0
    assert not manifest.get("errors")
    assert [Path(i["path"]).suffix for i in manifest["inputs"]] == [".parquet"] * 3
    assert sorted(r["output"] for r in output_rows(tmp_path)) == sorted(r["output"] for r in rows)

    records, _ = read(ParquetImporter, snap / "data" / "test-00000-of-00001.parquet")
    assert {r.meta["split"] for r in records} == {"test"} and records[0].meta["format"] == "alpaca"


def test_a_named_readme_or_a_plain_one_is_still_read(cli, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# Notes\n\nA plain readme in a folder of notes is data.\n")
    (docs / "state.json").write_text(json.dumps({"text": "a record that happens to be called state.json"}))
    assert not is_companion(docs / "README.md") and not is_companion(docs / "state.json")
    manifest = build(cli, tmp_path, docs, fmt="text")
    assert manifest["counts"]["read"] == 2


# ---------------------------------------------------------------------------------------
# Parquet files.


def test_multi_row_group_file_is_streamed_group_by_group_reading_only_needed_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 2500
    table = pa.table(
        {
            "prompt": [f"prompt {i}" for i in range(n)],
            "completion": [f"completion {i}" for i in range(n)],
            "image": [b"\x89PNG" * 100] * n,  # never read: not content, not a small scalar
            "lang": ["en"] * n,
        }
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=1000)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3

    calls: list[tuple[list[int], list[str]]] = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        calls.append((kwargs["row_groups"], kwargs["columns"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("the whole table was loaded"))
    records, problems = read(ParquetImporter, path)
    assert not problems and len(records) == n
    assert calls == [([g], ["prompt", "completion", "lang"]) for g in range(3)]
    assert records[0].source.locator == "row group 0, row 0"
    assert records[1000].source.locator == "row group 1, row 1000"
    assert records[-1].source.locator == "row group 2, row 2499"
    assert (records[-1].input, records[-1].output) == ("prompt 2499", "completion 2499")
    assert records[-1].meta == {"format": "prompt-completion", "fields": {"lang": "en"}}
    assert len({r.id for r in records}) == n


def test_nested_messages_with_tool_calls_survive_and_struct_nulls_are_dropped(tmp_path: Path) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Weather in Oslo?"},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": "-3 C, snow", "tool_call_id": "call_1"},
                {"role": "assistant", "content": "It is -3 C and snowing in Oslo."},
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now"}}],
        },
        {"messages": chat(1), "tools": None},
    ]
    path = tmp_path / "tools.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    assert str(pq.read_schema(path).field("messages").type).startswith("list<element: struct<")

    records, problems = read(ParquetImporter, path)
    assert not problems
    first, second = records
    assert first.messages == rows[0]["messages"]  # no null tool_calls/tool_call_id keys on the other turns
    assert first.tools == rows[0]["tools"]
    assert second.messages == chat(1) and second.tools is None


@pytest.mark.parametrize("options", [{}, {"text_column": "missing"}])
def test_shards_are_runs_of_row_groups_and_read_as_the_whole_file(tmp_path: Path, options: dict) -> None:
    table = pa.table({"text": [f"row {i} " + "words " * 40 for i in range(5000)], "n": list(range(5000))})
    path = tmp_path / "sharded.parquet"
    pq.write_table(table, path, row_group_size=500, use_dictionary=False)
    importer = ParquetImporter.from_options(options)
    file = InputFile(path, path.name)
    size = path.stat().st_size
    shards = importer.shards(file, size // 4)
    assert shards is not None and 3 <= len(shards) <= 4
    check_shards(shards, size)
    whole = list(importer.read(file))
    assert read_in_shards(importer, file, size // 4) == whole
    assert len(whole) == (5000 if not options else 1)  # a mapping problem comes once, from shard 0
    assert importer.shards(file, size) is None  # not larger than a shard
    one = tmp_path / "one.parquet"
    pq.write_table(table, one)  # a single row group
    assert importer.shards(InputFile(one, one.name), 1000) is None


def test_arrow_memory_holds_a_few_row_groups_never_the_file(tmp_path: Path) -> None:
    groups, rows = 12, 2000
    table = pa.table({"text": [f"{i} " + "lorem ipsum dolor " * 30 for i in range(groups * rows)]})
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path, row_group_size=rows)
    group_bytes = table.nbytes // groups
    del table
    base = pa.total_allocated_bytes()
    peak = count = 0
    for item in ParquetImporter.from_options({}).read(InputFile(path, path.name)):
        count += isinstance(item, Record)
        peak = max(peak, pa.total_allocated_bytes() - base)
    assert count == groups * rows
    assert peak < 4 * group_bytes  # measured: under 3 row groups' worth; the whole file is 12


@pytest.mark.parametrize(
    ("column", "value", "fmt", "expected"),
    [
        (
            "conversations",
            [
                [
                    {"from": "system", "value": "Be brief."},
                    {"from": "human", "value": "Hi"},
                    {"from": "gpt", "value": "Hello"},
                ]
            ],
            "sharegpt",
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
            ],
        ),
        (
            "messages",
            [
                {"role": ["user", "assistant"], "content": ["Hi", "Hello"]}
            ],  # datasets' Sequence({...}): a struct of lists
            "messages",
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        ),
    ],
)
def test_turn_columns_are_detected(tmp_path: Path, column: str, value: list, fmt: str, expected: list) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({column: value}), path)
    (record,), problems = read(ParquetImporter, path)
    assert not problems and record.meta["format"] == fmt and record.messages == expected


def test_alpaca_and_prompt_completion_columns_are_detected(tmp_path: Path) -> None:
    alpaca = tmp_path / "alpaca.parquet"
    pq.write_table(
        pa.table({"instruction": ["Add"], "input": ["2, 2"], "output": ["4"], "system": ["Be exact."]}), alpaca
    )
    (record,), _ = read(ParquetImporter, alpaca)
    assert record.messages == [
        {"role": "system", "content": "Be exact."},
        {"role": "user", "content": "Add\n\n2, 2"},
        {"role": "assistant", "content": "4"},
    ]
    pc = tmp_path / "pc.parquet"
    pq.write_table(pa.table({"prompt": ["Say hi"], "completion": ["hi"], "score": [0.5]}), pc)
    (record,), _ = read(ParquetImporter, pc)
    assert (record.input, record.output, record.meta["fields"]) == ("Say hi", "hi", {"score": 0.5})


def test_bad_rows_are_problems_with_the_row_and_the_others_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    messages = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    table = pa.table(
        {
            "messages": pa.array([chat(0), None, [], [{"role": "narrator", "content": "x"}], chat(4)], type=messages),
            "id": [0, 1, 2, 3, 4],
        }
    )
    pq.write_table(table, path)
    records, problems = read(ParquetImporter, path)
    assert [r.source.locator for r in records] == ["row group 0, row 0", "row group 0, row 4"]
    assert [p.locator for p in problems] == ["row group 0, row 1", "row group 0, row 2", "row group 0, row 3"]
    assert "must be a non-empty list" in problems[0].message
    assert json.loads(problems[0].raw) == {"messages": None, "id": 1}
    assert "unknown role 'narrator'" in problems[2].message and "narrator" in problems[2].raw


def test_wrong_types_under_a_column_mapping_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table({"body": pa.array([{"a": 1}, None], type=pa.struct([("a", pa.int64())])), "n": [1, 2]}), path
    )
    records, problems = read(ParquetImporter, path, text_column="body")
    assert not records
    assert "column 'body' (text_column) holds a struct, not text" in problems[0].message
    assert "the 'body' column is empty" in problems[1].message and json.loads(problems[1].raw)["n"] == 2
    records, problems = read(ParquetImporter, path, text_column="body.a")  # a path into the struct
    assert [r.text for r in records] == ["1"] and len(problems) == 1


def test_column_options_are_the_csv_ones(tmp_path: Path) -> None:
    path = tmp_path / "qa.parquet"
    pq.write_table(
        pa.table(
            {
                "Question": ["What is 2+2?", "Capital of France?"],
                "Reply": ["4", "Paris"],
                "persona": ["Be terse.", None],
                "title": ["Sums", "Cities"],
            }
        ),
        path,
    )
    records, _ = read(ParquetImporter, path, input_column="question", output_column="reply")
    assert [(r.input, r.output) for r in records] == [("What is 2+2?", "4"), ("Capital of France?", "Paris")]
    records, _ = read(ParquetImporter, path, input_column="Question", output_column="Reply", system_column="persona")
    assert records[0].messages[0] == {"role": "system", "content": "Be terse."}
    assert (records[1].messages, records[1].output) == (None, "Paris")  # no system prompt on this row
    records, _ = read(ParquetImporter, path, template="{title}: {Question}", output_column="Reply")
    assert records[1].input == "Cities: Capital of France?"
    records, _ = read(ParquetImporter, path, template="{title}\n\n{Question} {Reply}")
    assert records[0].text == "Sums\n\nWhat is 2+2? 4"
    records, problems = read(ParquetImporter, path, text_column="body")
    assert not records and problems[0].locator is None
    assert "text_column 'body' is not a column of this file (columns: 'Question', 'Reply'" in problems[0].message


def test_guesses_and_the_message_when_nothing_fits(tmp_path: Path) -> None:
    dolly = tmp_path / "dolly.parquet"
    pq.write_table(pa.table({"instruction": ["Summarise"], "context": ["Long text."], "response": ["Short."]}), dolly)
    (record,), _ = read(ParquetImporter, dolly)
    assert (record.input, record.output) == ("Summarise\n\nLong text.", "Short.")
    assert record.meta == {"format": "input-output", "guessed": "instruction/context/response"}
    odd = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"a": [1], "b": [2]}), odd)
    records, (problem,) = read(ParquetImporter, odd)
    assert not records and "cannot tell which column to import (columns: 'a', 'b')" in problem.message
    assert "--text-column" in problem.message


def test_format_option_forces_a_format_and_checks_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"input": ["q"], "output": ["a"], "text": ["t"]}), path)
    (record,), _ = read(ParquetImporter, path, format="text")
    assert record.text == "t"
    records, (problem,) = read(ParquetImporter, path, format="messages")
    assert not records and "format='messages' needs the column(s) 'messages'" in problem.message


# Column layouts of public hub datasets, from their cards' dataset_info (rows made up), and what
# the importer must make of them, decided before running it.
_TURNS = [{"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "Seven."}]
HUB_LAYOUTS = {
    # HuggingFaceH4/no_robots: prompt, prompt_id, messages list<{content, role}>, category
    "no_robots": (
        {"prompt": "Name a prime.", "prompt_id": "a1", "messages": _TURNS, "category": "Open QA"},
        "messages",
        {"prompt": "Name a prime.", "prompt_id": "a1", "category": "Open QA"},
    ),
    # tatsu-lab/alpaca: instruction, input, output, text
    "alpaca": (
        {"instruction": "Name a prime.", "input": "", "output": "Seven.", "text": "### Instruction: ..."},
        "alpaca",
        {"text": "### Instruction: ..."},
    ),
    # databricks/databricks-dolly-15k: instruction, context, response, category
    "dolly": (
        {"instruction": "Name a prime.", "context": "", "response": "Seven.", "category": "open_qa"},
        "input-output",
        {"category": "open_qa"},
    ),
    # Open-Orca/OpenOrca: id, system_prompt, question, response
    "openorca": (
        {"id": "flan.1", "system_prompt": "Be brief.", "question": "Name a prime.", "response": "Seven."},
        "messages",
        {"id": "flan.1"},
    ),
    # openai/gsm8k: question, answer
    "gsm8k": ({"question": "Name a prime.", "answer": "Seven."}, "input-output", None),
    # trl-lib/tldr: prompt, completion
    "tldr": ({"prompt": "Name a prime.", "completion": "Seven."}, "prompt-completion", None),
    # HuggingFaceH4/ultrafeedback_binarized: prompt, prompt_id, chosen, rejected, messages, score_chosen, score_rejected
    "ultrafeedback": (
        {
            "prompt": "Name a prime.",
            "prompt_id": "b2",
            "chosen": _TURNS,
            "rejected": _TURNS,
            "messages": _TURNS,
            "score_chosen": 9.0,
            "score_rejected": 2.0,
        },
        "messages",
        {"prompt": "Name a prime.", "prompt_id": "b2", "score_chosen": 9.0, "score_rejected": 2.0},
    ),
    # teknium/OpenHermes-2.5: conversations list<{from, value, weight}>, and nullable metadata columns
    "openhermes": (
        {
            "conversations": [
                {"from": "human", "value": "Name a prime.", "weight": None},
                {"from": "gpt", "value": "Seven.", "weight": None},
            ],
            "source": "airoboros2.2",
            "category": "orca",
            "system_prompt": None,
        },
        "sharegpt",
        {"source": "airoboros2.2", "category": "orca"},
    ),
    # NousResearch/hermes-function-calling-v1: id, conversations list<{from, value}> (system/human/gpt/tool), ...
    "hermes_fc": (
        {
            "id": "c3",
            "conversations": [
                {"from": "human", "value": "Weather in Oslo?"},
                {"from": "gpt", "value": '<tool_call>{"name": "weather"}</tool_call>'},
                {"from": "tool", "value": "-3 C"},
                {"from": "gpt", "value": "It is -3 C."},
            ],
            "category": "API",
        },
        "sharegpt",
        {"id": "c3", "category": "API"},
    ),
    # glaiveai/glaive-function-calling-v2: system, chat (a whole transcript in one string): no shape to guess
    "glaive": ({"system": "SYSTEM: You can call functions.", "chat": "USER: Hi ASSISTANT: Hello"}, None, None),
}


@pytest.mark.parametrize("name", sorted(HUB_LAYOUTS))
def test_hub_dataset_layouts(tmp_path: Path, name: str) -> None:
    row, fmt, fields = HUB_LAYOUTS[name]
    path = tmp_path / "data" / "train-00000-of-00001.parquet"
    path.parent.mkdir()
    datasets.Dataset.from_list([row]).to_parquet(str(path))
    records, problems = read(ParquetImporter, path)
    if fmt is None:
        assert not records and "cannot tell which column to import" in problems[0].message
        return
    (record,) = records
    assert not problems
    assert record.meta["split"] == "train" and record.meta["format"] == fmt
    assert record.meta.get("fields") == fields
    assert "Seven." in record.texts()[-1] or "-3 C" in record.texts()[-1]


# ---------------------------------------------------------------------------------------
# Arrow IPC files and streams.


def test_arrow_ipc_file_stream_and_feather(tmp_path: Path) -> None:
    table = pa.table({"text": [f"line {i}" for i in range(2500)]})
    batches = table.to_batches(max_chunksize=1000)
    ipc_file, stream, feather_file = tmp_path / "t.arrow", tmp_path / "t.arrows", tmp_path / "t.feather"
    with pa.ipc.new_file(ipc_file, table.schema) as writer:
        for b in batches:
            writer.write_batch(b)
    with pa.ipc.new_stream(stream, table.schema) as writer:
        for b in batches:
            writer.write_batch(b)
    feather.write_feather(table, feather_file, chunksize=1000)
    for path in (ipc_file, stream, feather_file):
        records, problems = read(ArrowImporter, path)
        assert not problems and [r.text for r in records] == table.column("text").to_pylist()
        assert records[2499].source.locator == "batch 2, row 2499"


def test_a_stream_cut_short_keeps_the_rows_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.arrow"
    table = pa.table({"text": [f"record {i} " + "x" * 50 for i in range(3000)]})
    with pa.ipc.new_stream(path, table.schema) as writer:
        for b in table.to_batches(max_chunksize=1000):
            writer.write_batch(b)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 5 // 6])
    records, problems = read(ArrowImporter, path)
    assert len(records) == 2000
    assert len(problems) == 1 and problems[0].locator == "batch 2, row 2000"
    assert "the 2000 row(s) before were read" in problems[0].message


# ---------------------------------------------------------------------------------------
# Files that cannot be read.


def test_damaged_empty_and_compressed_files(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": ["a", "b"]}), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-20])
    _, (problem,) = read(ParquetImporter, cut)
    assert "not a readable Parquet file" in problem.message and "cut short" in problem.message

    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    _, (problem,) = read(ParquetImporter, empty)
    assert problem.warning and "empty file" in problem.message

    no_rows = tmp_path / "none.parquet"
    pq.write_table(pa.table({"text": pa.array([], type=pa.string())}), no_rows)
    _, (problem,) = read(ParquetImporter, no_rows)
    assert problem.warning and "no rows" in problem.message

    packed = tmp_path / "good.parquet.gz"
    packed.write_bytes(gzip.compress(good.read_bytes()))
    _, (problem,) = read(ParquetImporter, packed)
    assert "gzip-compressed Parquet file cannot be read in place" in problem.message

    not_arrow = tmp_path / "x.arrow"
    not_arrow.write_text("just some text\n")
    _, (problem,) = read(ArrowImporter, not_arrow)
    assert "not a readable Arrow IPC file or stream" in problem.message


def _damage_corpus(folder: Path) -> dict[str, bytes]:
    table = pa.Table.from_pylist([{"messages": chat(i), "id": i} for i in range(300)])
    pq.write_table(table, folder / "d.parquet", row_group_size=100)
    with pa.ipc.new_stream(folder / "d.arrows", table.schema) as writer:
        for b in table.to_batches(max_chunksize=100):
            writer.write_batch(b)
    with pa.ipc.new_file(folder / "d.arrow", table.schema) as writer:
        for b in table.to_batches(max_chunksize=100):
            writer.write_batch(b)
    return {name: (folder / name).read_bytes() for name in ("d.parquet", "d.arrows", "d.arrow")}


@pytest.mark.parametrize("name", ["d.parquet", "d.arrows", "d.arrow"])
def test_damaged_bytes_never_crash_and_never_lose_rows_silently(tmp_path_factory, name: str) -> None:
    """Arrow trusts a file's offsets: unchecked, a few changed bytes crashed the whole process."""
    folder = tmp_path_factory.mktemp("damage")
    original = _damage_corpus(folder)[name]
    importer = (ParquetImporter if name.endswith(".parquet") else ArrowImporter).from_options({})

    # derandomize: the same 40 damaged files on every run (a random draw once hit a case the
    # importer missed, and the test failed one run in many); the cases found so far are below.
    @settings(
        max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=1, max_size=8),
        st.one_of(st.none(), st.integers(0, len(original) - 1)),
    )
    def check(changes: list[tuple[int, int]], cut: int | None) -> None:
        data = bytearray(original)
        for at, value in changes:
            data[at] = value
        path = folder / f"x{Path(name).suffix}"
        path.write_bytes(bytes(data[:cut]))
        items = list(importer.read(InputFile(path, path.name)))
        assert all(isinstance(i, (Record, Problem)) for i in items)
        if cut == 0:  # an empty file is a warning, as for every importer
            assert [(i.warning, i.message) for i in items] == [(True, "empty file: no schema and no rows")]
        elif sum(isinstance(i, Record) for i in items) < 300:
            assert any(isinstance(i, Problem) and not i.warning for i in items)

    check()


def _stream_boundaries(data: bytes) -> list[int]:
    """Where each message of an Arrow IPC stream ends (the schema, then each batch)."""
    source = pa.BufferReader(pa.py_buffer(data))
    reader = pa.ipc.open_stream(source)
    ends = [source.tell()]
    with contextlib.suppress(StopIteration):
        while reader.read_next_batch() is not None:
            ends.append(source.tell())
    return ends


def test_a_changed_schema_length_in_a_stream_is_an_error_not_a_warning(tmp_path: Path) -> None:
    """Byte 4 is the schema message's length: some values made the reader stop at once, 300 rows lost
    with only the warning "schema only" (the damage test above found it one run in many)."""
    original = _damage_corpus(tmp_path)["d.arrows"]
    path = tmp_path / "x.arrows"
    silent = []
    for value in range(256):
        data = bytearray(original)
        data[4] = value
        path.write_bytes(bytes(data))
        records, problems = read(ArrowImporter, path)
        if len(records) < 300 and (not problems or any(p.warning for p in problems)):
            silent.append((value, [(p.warning, p.message) for p in problems]))
    assert not silent, f"rows lost without an error alone: {silent[:3]}"


def test_a_stream_cut_where_a_batch_ends_is_an_error(tmp_path: Path) -> None:
    data = _damage_corpus(tmp_path)["d.arrows"]
    path = tmp_path / "x.arrows"
    for rows, end in enumerate(_stream_boundaries(data)):
        path.write_bytes(data[:end])
        records, (problem,) = read(ArrowImporter, path)
        assert len(records) == rows * 100 and not problem.warning
        assert problem.locator == f"batch {rows}, row {rows * 100}"
        assert "ends without its end-of-stream marker" in problem.message
    path.write_bytes(data + b"more")
    records, (problem,) = read(ArrowImporter, path)
    assert len(records) == 300 and "4 more byte(s) follow" in problem.message


def test_a_damaged_stream_fails_a_strict_build_and_is_counted(tmp_path: Path, cli: Any) -> None:
    data = bytearray(_damage_corpus(tmp_path)["d.arrows"])
    data[4] = 0x7F
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.arrows").write_bytes(bytes(data))
    failed = cli("build", str(folder), "-o", str(tmp_path / "strict"), "--strict", "-q", ok=False)
    assert failed.exit_code == 1 and "x.arrows" in failed.output and "the stream ends at byte" in failed.output
    cli("build", str(folder), "-o", str(tmp_path / "out"), "--allow-empty", "-q")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    (error,) = manifest["errors"]
    assert error["path"].endswith("x.arrows") and error["locator"] == "batch 0, row 0"


def test_a_batch_whose_offsets_point_outside_its_data_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = pa.array(["first", "second", "third"]).buffers()[2]
    offsets = pa.py_buffer(b"".join(n.to_bytes(4, "little", signed=True) for n in (0, 5, 1 << 30, 16)))
    table = pa.table({"text": pa.Array.from_buffers(pa.string(), 3, [None, offsets, data])})
    path = tmp_path / "lying.arrows"
    with pa.ipc.new_stream(path, table.schema) as writer:  # the writer does not check
        writer.write_table(table)
    records, (problem,) = read(ArrowImporter, path)
    assert not records and problem.locator == "batch 0, row 0"
    assert "batch 0 is damaged" in problem.message and "rows 0-2 are not imported" in problem.message


def test_files_without_a_suffix_are_recognised_by_their_magic_bytes(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": ["a"]}), tmp_path / "export")
    with pa.ipc.new_file(tmp_path / "dump", pa.schema([("text", pa.string())])) as writer:
        writer.write_table(pa.table({"text": ["b"]}))
    registry = get_registry()
    assert registry.importer_for(InputFile(tmp_path / "export", "export")) is ParquetImporter
    assert registry.importer_for(InputFile(tmp_path / "dump", "dump")) is ArrowImporter


def test_missing_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependency) as info:
        ParquetImporter.from_options({})
    assert "Reading Parquet files needs the 'pyarrow' package" in str(info.value)
    assert "pip install 'curate[parquet]'" in str(info.value)


# ---------------------------------------------------------------------------------------
# Dataset folder layout.


@pytest.mark.parametrize(
    ("path", "split"),
    [
        ("snap/data/train-00000-of-00002.parquet", "train"),
        ("snap/data/train_sft-00003-of-00004.parquet", "train_sft"),
        ("snap/data/test.parquet", "test"),
        ("snap/validation/0000.parquet", "validation"),
        ("snap/dev/0000.parquet", "validation"),
        ("snap/default/my-eval.parquet", "test"),
        ("eval_runs/data.parquet", None),  # a folder counts only when its whole name is a keyword
        ("snap/data/latest.parquet", None),
        ("snap/data/interval-00000-of-00001.arrow", "interval"),  # data/{split}-NNNNN-of-NNNNN: any name
        ("snap/other/interval-00000-of-00001.arrow", None),  # elsewhere only keywords count, standing alone
        ("snap/device.parquet", None),
    ],
)
def test_split_names_follow_datasets_conventions(path: str, split: str | None) -> None:
    assert split_of(Path(path)) == split
