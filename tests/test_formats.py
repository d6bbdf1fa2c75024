from __future__ import annotations

import pytest

from curate.errors import ConfigError
from curate.formats import FormatOptions, PromptTemplate, Unconvertible, detect_row_format, fields_from_row, to_row
from curate.records import Record, Source

SRC = Source("t", "f", "l")
IO = Record.create(SRC, input="What is 2+2?", output="4")
CHAT = Record.create(
    SRC,
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
    ],
)
TEXT = Record.create(SRC, text="Just a document.")


def test_input_output_in_each_format():
    assert to_row(IO, FormatOptions("input-output")) == {"input": "What is 2+2?", "output": "4"}
    assert to_row(IO, FormatOptions("prompt-generation")) == {"prompt": "What is 2+2?", "generation": "4"}
    assert to_row(IO, FormatOptions("alpaca")) == {"instruction": "What is 2+2?", "input": "", "output": "4"}
    assert to_row(IO, FormatOptions("messages", system_prompt="S")) == {
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
        ]
    }
    assert to_row(IO, FormatOptions("sharegpt")) == {
        "conversations": [{"from": "human", "value": "What is 2+2?"}, {"from": "gpt", "value": "4"}]
    }
    assert to_row(IO, FormatOptions("text")) == {"text": "User: What is 2+2?\n\nAssistant: 4"}


def test_conversation_flattened_with_a_template():
    opts = FormatOptions("input-output", template=PromptTemplate.from_config("pygmalion"))
    assert to_row(CHAT, opts) == {
        "input": "<|system|>Be brief.<|user|>Hi<|model|>Hello!<|user|>2+2?<|model|>",
        "output": "4",
    }


def test_text_records_in_supervised_formats():
    with pytest.raises(Unconvertible) as info:
        to_row(TEXT, FormatOptions("messages"))
    assert info.value.reason == "text_in_supervised_format"
    kept = to_row(TEXT, FormatOptions("input-output", text_records="keep"))
    assert kept == {"input": "", "output": "Just a document."}


def test_conversation_without_answer():
    rec = Record.create(SRC, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(Unconvertible):
        to_row(rec, FormatOptions("input-output"))


def test_bad_options():
    with pytest.raises(ConfigError):
        FormatOptions("csv")
    with pytest.raises(ConfigError):
        PromptTemplate.from_config("nope")
    with pytest.raises(ConfigError):
        PromptTemplate.from_config({"user": "no placeholder"})


@pytest.mark.parametrize(
    ("row", "fmt"),
    [
        ({"text": "x"}, "text"),
        ({"input": "a", "output": "b"}, "input-output"),
        ({"prompt": "a", "generation": "b"}, "prompt-generation"),
        ({"instruction": "a", "input": "", "output": "b"}, "alpaca"),
        ({"messages": [{"role": "user", "content": "a"}]}, "messages"),
        ({"conversations": [{"from": "human", "value": "a"}]}, "sharegpt"),
        ({"title": "x"}, None),
    ],
)
def test_detect_row_format(row, fmt):
    assert detect_row_format(row) == fmt


def test_sharegpt_role_spellings():
    row = {
        "conversations": [
            {"from": r, "value": r} for r in ("system", "human", "user", "gpt", "chatgpt", "bing", "bard", "assistant")
        ]
    }
    roles = [t["role"] for t in fields_from_row(row, "sharegpt")["messages"]]
    assert roles == ["system", "user", "user", "assistant", "assistant", "assistant", "assistant", "assistant"]


@pytest.mark.parametrize("fmt", ["input-output", "prompt-generation", "messages", "sharegpt", "alpaca", "text"])
def test_written_rows_read_back(fmt):
    row = to_row(IO, FormatOptions(fmt))
    assert detect_row_format(row) == fmt
    back = Record.create(SRC, **fields_from_row(row, fmt))
    if fmt == "text":
        assert back.text == row["text"]
    else:
        assert back.model_texts() == ["4"]
