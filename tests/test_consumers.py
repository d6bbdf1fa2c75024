"""Consumer configurations, checked against what the trainers' readers do with the rows.

Every format is written with :func:`to_row` into a build folder with its consumer files, then:

* read with the ``datasets`` library (always installed): through the dataset card
  (``load_dataset(<build>)``), and as plain JSON Lines where every row has the same columns;
* read as LLaMA-Factory reads it, following ``dataset_info.json`` the way its converters do
  (hiyouga/LLaMA-Factory, src/llamafactory/data/converter.py: ``AlpacaDatasetConverter`` joins
  ``prompt`` and ``query`` with a newline after the ``history`` pairs; ``SharegptDatasetConverter``
  maps the role tags and accepts only the turn order checked in tests/test_formats.py);
* read as TRL prepares SFT data: ``tokenizer.apply_chat_template(messages, tools=...)`` for
  ``messages``; for conversational prompt-completion the prompt rendered with a generation prompt
  must be a prefix of prompt + completion (trl/trainer/sft_trainer.py, ``tokenize``). When ``trl``
  is installed its own ``apply_chat_template`` is run too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from curate.consumers import consumer_configs, features, llama_factory_entry
from curate.formats import FORMATS, SHAREGPT_TAGS, FormatOptions, Unconvertible, to_row
from curate.records import Record, Source

datasets = pytest.importorskip("datasets")

SRC = Source("t", "f", "l")
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PLAIN = [
    Record.create(SRC, input="What is 2+2?", output="4"),
    Record.create(
        SRC,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"},
        ],
    ),
]
TOOLS = Record.create(
    SRC,
    messages=[
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": "", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Rain, 8 C"},
        {"role": "assistant", "content": "Rainy, 8 C."},
    ],
    tools=[WEATHER],
)
#: Every format, and prompt-completion in both forms.
SETTINGS = [FormatOptions(f) for f in FORMATS] + [FormatOptions("prompt-completion", conversational=True)]
FILES = {"train": "train.jsonl", "val": "val.jsonl"}


def _id(fmt: FormatOptions) -> str:
    return fmt.format + ("-conversational" if fmt.conversational else "")


def build(tmp_path: Path, fmt: FormatOptions, recs: list[Record]) -> tuple[Path, list[dict[str, Any]]]:
    """A build folder: the rows the format takes (train: all, val: the first) and the consumer files."""
    rows = []
    for rec in recs:
        try:
            rows.append(to_row(rec, fmt))
        except Unconvertible:
            continue
    out = tmp_path / _id(fmt)
    out.mkdir()
    (out / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (out / "val.jsonl").write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    has_tools = any(r.uses_tools for r in recs)
    for name, text in consumer_configs(fmt, FILES, name="demo", tool_calls=has_tools).items():
        (out / name).write_text(text, encoding="utf-8")
    return out, rows


def _records_for(fmt: FormatOptions) -> list[Record]:
    text = [Record.create(SRC, text="A document.")] if fmt.format == "text" else []
    tools = [TOOLS] if fmt.format in ("messages", "sharegpt") or fmt.conversational else []
    return [*text, *PLAIN, *tools]


@pytest.mark.parametrize("fmt", SETTINGS, ids=_id)
def test_datasets_reads_every_build_through_its_card(tmp_path: Path, fmt: FormatOptions) -> None:
    out, rows = build(tmp_path, fmt, _records_for(fmt))
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert set(ds) == {"train", "validation"}
    assert ds["train"].num_rows == len(rows)
    for got, row in zip(ds["train"], rows, strict=True):
        assert {k: v for k, v in got.items() if v is not None} == row  # an absent tools column reads as None


@pytest.mark.parametrize(
    "fmt", [s for s in SETTINGS if s.format not in ("messages",) and not s.conversational], ids=_id
)
def test_one_schema_formats_load_as_plain_json(tmp_path: Path, fmt: FormatOptions) -> None:
    out, rows = build(tmp_path, fmt, _records_for(fmt))
    ds = datasets.load_dataset(
        "json", data_files=str(out / "train.jsonl"), split="train", cache_dir=str(tmp_path / "c")
    )
    assert [dict(r) for r in ds] == rows


def test_features_name_every_column_written() -> None:
    for fmt in SETTINGS:
        for rec in _records_for(fmt):
            try:
                row = to_row(rec, fmt)
            except Unconvertible:
                continue
            names = {c["name"] for c in features(fmt, tool_calls=True)}
            assert set(row) <= names, (fmt, row)


# -- LLaMA-Factory --------------------------------------------------------------------------------


def _lf_read(entry: dict[str, Any], row: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """(system, messages) as LLaMA-Factory's converters build them from ``row`` under ``entry``."""
    columns = entry["columns"]
    if entry.get("formatting", "alpaca") == "alpaca":
        turns = []
        for prompt, response in row[columns["history"]] if "history" in columns else []:
            turns += [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
        query = [row[columns[k]] for k in ("prompt", "query") if k in columns and row[columns[k]]]
        turns.append({"role": "user", "content": "\n".join(query)})
        turns.append({"role": "assistant", "content": row[columns["response"]]})
        return (row[columns["system"]] if "system" in columns else ""), turns
    tags = entry["tags"]
    roles = {
        tags["user_tag"]: "user",
        tags["assistant_tag"]: "assistant",
        tags.get("observation_tag"): "observation",
        tags.get("function_tag"): "function",
    }
    turns = row[columns["messages"]]
    system = ""
    if turns and turns[0][tags["role_tag"]] == tags["system_tag"]:
        system, turns = turns[0][tags["content_tag"]], turns[1:]
    return system, [{"role": roles[t[tags["role_tag"]]], "content": t[tags["content_tag"]]} for t in turns]


@pytest.mark.parametrize("name", ["alpaca", "sharegpt", "messages", "input-output", "prompt-generation"])
def test_llama_factory_reads_the_conversation_back(tmp_path: Path, name: str) -> None:
    fmt = FormatOptions(name)
    out, rows = build(tmp_path, fmt, PLAIN)
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"demo_train", "demo_val"}
    assert info["demo_train"]["file_name"] == "train.jsonl" and info["demo_val"]["file_name"] == "val.jsonl"
    entry = info["demo_train"]
    chat = PLAIN[1].messages
    if name in ("alpaca", "sharegpt", "messages"):
        system, turns = _lf_read(entry, rows[1])
        assert system == chat[0]["content"] and turns == chat[1:]
    system, turns = _lf_read(entry, rows[0])
    assert turns == [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]


def test_llama_factory_tags_cover_every_role_written() -> None:
    entry = llama_factory_entry(FormatOptions("sharegpt"))
    assert entry is not None
    row = to_row(TOOLS, FormatOptions("sharegpt"))
    assert {t["from"] for t in row["conversations"]} <= set(entry["tags"].values())
    assert entry["tags"] == {"role_tag": "from", "content_tag": "value", **SHAREGPT_TAGS}
    assert entry["columns"] == {"messages": "conversations", "tools": "tools"}
    _, turns = _lf_read(entry, row)
    assert [t["role"] for t in turns] == ["user", "function", "observation", "assistant"]


def test_no_config_for_what_a_consumer_cannot_read() -> None:
    conversational = consumer_configs(FormatOptions("prompt-completion", conversational=True), FILES)
    assert set(conversational) == {"README.md"}
    assert "dataset_info.json" not in consumer_configs(FormatOptions("messages"), FILES, tool_calls=True)
    assert "dataset_info.json" in consumer_configs(FormatOptions("messages"), FILES)


# -- Axolotl ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [s for s in SETTINGS if not s.conversational], ids=_id)
def test_axolotl_fields_name_columns_that_exist(tmp_path: Path, fmt: FormatOptions) -> None:
    yaml = pytest.importorskip("yaml")
    out, rows = build(tmp_path, fmt, _records_for(fmt))
    config = yaml.safe_load((out / "axolotl.yaml").read_text(encoding="utf-8"))
    (train,) = config["datasets"]
    (val,) = config["test_datasets"]
    assert (train["path"], val["path"], train["ds_type"]) == ("train.jsonl", "val.jsonl", "json")
    kind = train["type"]
    if kind == "chat_template":
        mapping = train["message_property_mappings"]
        for row in rows:
            for turn in row[train["field_messages"]]:
                assert mapping["role"] in turn and mapping["content"] in turn
        if "roles" in train:
            written = {t[mapping["role"]] for r in rows for t in r[train["field_messages"]]}
            mapped = {r for sources in train["roles"].values() for r in sources}
            assert written - mapped <= {"function_call"}  # named in the file's comment
    elif kind == "completion":
        assert all(train["field"] in row for row in rows)
    else:  # a user-defined instruction format
        for key, column in kind.items():
            if key.startswith("field_"):
                assert all(column in row for row in rows), (key, column)


# -- TRL ----------------------------------------------------------------------------------------------

TEMPLATE = (
    "{% if tools %}<|system|>tools: {{ tools | tojson }}{{ eos_token }}{% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}"
    "{% for c in m.get('tool_calls') or [] %}<call>{{ c.function.name }} {{ c.function.arguments }}</call>{% endfor %}"
    "{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    model = tokenizers.models.WordLevel({"<unk>": 0, "</s>": 1}, unk_token="<unk>")
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizers.Tokenizer(model), eos_token="</s>")
    tok.chat_template = TEMPLATE
    return tok


def test_trl_reads_messages_with_tools(tmp_path: Path, tokenizer: Any) -> None:
    out, _ = build(tmp_path, FormatOptions("messages"), [*PLAIN, TOOLS])
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    example = ds[2]
    text = tokenizer.apply_chat_template(example["messages"], tools=example["tools"], tokenize=False)
    assert '<call>get_weather {"city": "Oslo"}</call>' in text
    assert "<|tool|>Rain, 8 C" in text and '"name": "get_weather"' in text
    plain = ds[0]
    assert tokenizer.apply_chat_template(plain["messages"], tools=plain["tools"], tokenize=False) == (
        "<|user|>What is 2+2?</s><|assistant|>4</s>"
    )


@pytest.mark.parametrize("conversational", [False, True])
def test_trl_prompt_completion(tmp_path: Path, tokenizer: Any, conversational: bool) -> None:
    fmt = FormatOptions("prompt-completion", conversational=conversational)
    out, _ = build(tmp_path, fmt, [*PLAIN, TOOLS] if conversational else PLAIN)
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert set(ds.column_names) >= {"prompt", "completion"}
    for example in ds:
        if not conversational:
            assert isinstance(example["prompt"], str) and isinstance(example["completion"], str)
            continue
        tools = example.get("tools")
        prompt = tokenizer.apply_chat_template(
            example["prompt"], tools=tools, add_generation_prompt=True, tokenize=False
        )
        full = tokenizer.apply_chat_template(example["prompt"] + example["completion"], tools=tools, tokenize=False)
        assert full.startswith(prompt)  # TRL masks the prompt by this prefix
        assert [t["role"] for t in example["completion"]] == ["assistant"]


@pytest.mark.slow
def test_trl_own_preparation(tmp_path: Path, tokenizer: Any) -> None:
    trl_data = pytest.importorskip("trl.data_utils")
    for fmt in (FormatOptions("messages"), FormatOptions("prompt-completion", conversational=True)):
        out, _ = build(tmp_path, fmt, [*PLAIN, TOOLS])
        ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / f"c-{_id(fmt)}"))
        for example in ds:
            assert trl_data.is_conversational(example)
            trl_data.apply_chat_template(dict(example), tokenizer, tools=example.get("tools"))


# -- one schema at a size above the JSON loader's block size ---------------------------------------------


@pytest.mark.slow
def test_alpaca_system_on_a_late_row_loads_past_the_block_size(tmp_path: Path) -> None:
    fmt = FormatOptions("alpaca")
    path = tmp_path / "train.jsonl"
    filler = "lorem ipsum dolor sit amet " * 12
    n = 100_000  # about 40 MB: several of the JSON loader's blocks
    with path.open("w", encoding="utf-8") as f:
        for i in range(n - 1):
            f.write(json.dumps(to_row(Record.create(SRC, input=f"{i} {filler}", output=filler), fmt)) + "\n")
        late = Record.create(
            SRC,
            messages=[
                {"role": "system", "content": "Only this row has one."},
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a"},
            ],
        )
        f.write(json.dumps(to_row(late, fmt)) + "\n")
    assert path.stat().st_size > 30 << 20
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == n
    assert ds[0]["system"] == "" and ds[n - 1]["system"] == "Only this row has one."
    assert ds[0]["history"] == []


@pytest.mark.slow
def test_tool_calls_on_a_late_row_load_through_the_card(tmp_path: Path) -> None:
    fmt = FormatOptions("messages")
    out = tmp_path / "build"
    out.mkdir()
    filler = "lorem ipsum dolor sit amet " * 12
    n = 100_000
    with (out / "train.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n - 1):
            f.write(json.dumps(to_row(Record.create(SRC, input=f"{i} {filler}", output=filler), fmt)) + "\n")
        f.write(json.dumps(to_row(TOOLS, fmt)) + "\n")
    (out / "val.jsonl").write_text(json.dumps(to_row(TOOLS, fmt)) + "\n", encoding="utf-8")
    for name, text in consumer_configs(fmt, FILES, tool_calls=True).items():
        (out / name).write_text(text, encoding="utf-8")
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == n
    assert ds[n - 1]["messages"] == TOOLS.messages and ds[n - 1]["tools"] == TOOLS.tools
    assert ds[0]["tools"] is None and "tool_calls" not in ds[0]["messages"][1]


@pytest.mark.parametrize("fmt", [FormatOptions("messages"), FormatOptions("alpaca")], ids=_id)
def test_parquet_builds_load_through_the_card(tmp_path: Path, fmt: FormatOptions) -> None:
    pytest.importorskip("pyarrow")
    from curate.parquet_output import jsonl_to_parquet

    out, rows = build(tmp_path, fmt, _records_for(fmt))
    for split in ("train", "val"):
        jsonl_to_parquet(out / f"{split}.jsonl", out / f"{split}.parquet")
        (out / f"{split}.jsonl").unlink()
    files = {"train": "train.parquet", "val": "val.parquet"}
    for name, text in consumer_configs(fmt, files, tool_calls=fmt.format == "messages").items():
        (out / name).write_text(text, encoding="utf-8")
    assert "dataset_info" not in (out / "README.md").read_text(encoding="utf-8")
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == len(rows)

    def present(value: Any) -> Any:  # Parquet's one schema fills keys a row lacks with None
        if isinstance(value, dict):
            return {k: present(v) for k, v in value.items() if v is not None}
        return [present(v) for v in value] if isinstance(value, list) else value

    assert [present(r) for r in ds] == rows


def test_build_writes_the_configs_beside_its_outputs(tmp_path: Path, cli) -> None:
    src = tmp_path / "qa.jsonl"
    src.write_text(
        "".join(json.dumps({"input": f"Question {i}?", "output": f"Answer {i}."}) + "\n" for i in range(40)),
        encoding="utf-8",
    )
    out = tmp_path / "mydata"
    cli("build", str(src), "-o", str(out), "--format", "alpaca", "--no-filters", "--val-ratio", "0.2")
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("dataset_info.json", "axolotl.yaml", "README.md"):
        assert name in manifest["outputs"] and (out / name).is_file()
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["mydata_train"]["file_name"] == "train.jsonl" and info["mydata_val"]["file_name"] == "val.jsonl"
    assert info["mydata_train"]["formatting"] == "alpaca"
