from __future__ import annotations

import json

import pytest

from curate.errors import ConfigError
from curate.formats import (
    FormatOptions,
    PromptTemplate,
    Unconvertible,
    detect_row_format,
    fields_from_row,
    format_switches,
    to_row,
)
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
    assert to_row(IO, FormatOptions("alpaca")) == {
        "instruction": "What is 2+2?",
        "input": "",
        "output": "4",
        "system": "",
        "history": [],
    }
    assert to_row(IO, FormatOptions("prompt-completion")) == {"prompt": "What is 2+2?", "completion": "4"}
    assert to_row(IO, FormatOptions("prompt-completion", conversational=True)) == {
        "prompt": [{"role": "user", "content": "What is 2+2?"}],
        "completion": [{"role": "assistant", "content": "4"}],
    }
    assert to_row(IO, FormatOptions("messages", system_prompt="S")) == {
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
        ]
    }
    assert to_row(IO, FormatOptions("sharegpt")) == {
        "conversations": [{"from": "human", "value": "What is 2+2?"}, {"from": "gpt", "value": "4"}],
        "tools": "",
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


# -- alpaca: one schema for every row ------------------------------------------------------


def test_alpaca_rows_have_every_column_and_history_pairs():
    rows = [to_row(r, FormatOptions("alpaca")) for r in (IO, CHAT)]
    assert [list(r) for r in rows] == [["instruction", "input", "output", "system", "history"]] * 2
    assert rows[1] == {
        "instruction": "2+2?",
        "input": "",
        "output": "4",
        "system": "Be brief.",
        "history": [["Hi", "Hello!"]],
    }
    # LLaMA-Factory's reading of the row (data/README.md, alpaca: history pairs, then instruction) is the chat.
    back = Record.create(SRC, **fields_from_row(rows[1], "alpaca"))
    assert back.messages == CHAT.messages


def test_alpaca_flattens_only_when_asked():
    opts = FormatOptions("alpaca", template=PromptTemplate.from_config("plain"))
    row = to_row(CHAT, opts)
    assert row["history"] == [] and row["system"] == ""
    assert row["instruction"] == "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: 2+2?"


@pytest.mark.parametrize(
    ("roles", "reason"),
    [
        (["user", "user", "assistant"], "alpaca_turn_order"),
        (["user", "assistant", "assistant"], "alpaca_turn_order"),
        (["user", "system", "assistant"], "system_turn_mid_conversation"),
    ],
)
def test_alpaca_rejects_what_history_cannot_hold(roles, reason):
    rec = Record.create(SRC, messages=[{"role": r, "content": f"t{i}"} for i, r in enumerate(roles)])
    with pytest.raises(Unconvertible) as info:
        to_row(rec, FormatOptions("alpaca"))
    assert info.value.reason == reason
    assert "--format messages" in info.value.detail


# -- prompt-completion (TRL) ------------------------------------------------------------------


def test_prompt_completion_standard_and_conversational():
    assert to_row(CHAT, FormatOptions("prompt-completion")) == {
        "prompt": "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: 2+2?",
        "completion": "4",
    }
    row = to_row(CHAT, FormatOptions("prompt-completion", conversational=True))
    assert row == {"prompt": CHAT.messages[:-1], "completion": CHAT.messages[-1:]}
    assert detect_row_format(row) == "prompt-completion"
    assert Record.create(SRC, **fields_from_row(row, "prompt-completion")).messages == CHAT.messages


def test_format_switches():
    assert format_switches({"conversational": True}).conversational is True
    with pytest.raises(ConfigError, match="unknown option 'chat'"):
        format_switches({"chat": True})
    with pytest.raises(ConfigError, match="prompt-completion"):
        FormatOptions("messages", conversational=True)
    with pytest.raises(ConfigError, match="template"):
        FormatOptions("prompt-completion", conversational=True, template=PromptTemplate.from_config("plain"))


# -- tool calling ------------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}


def _call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


TOOL_CHAT = [
    {"role": "system", "content": "Use tools."},
    {"role": "user", "content": "Weather and time in Paris?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [_call("c1", "get_weather", '{"city": "Paris"}'), _call("c2", "get_time", "{}")],
    },
    # results in another order than the calls: the ids pair them
    {"role": "tool", "tool_call_id": "c2", "content": "14:05"},
    {"role": "tool", "tool_call_id": "c1", "content": "Sunny, 21 C"},
    {"role": "assistant", "content": "Sunny and 21 C; it is 14:05."},
]
TOOLS_REC = Record.create(SRC, messages=TOOL_CHAT, tools=[WEATHER, TIME])


def test_tool_calls_in_messages_are_written_as_they_came():
    assert to_row(TOOLS_REC, FormatOptions("messages")) == {"messages": TOOL_CHAT, "tools": [WEATHER, TIME]}
    row = to_row(TOOLS_REC, FormatOptions("prompt-completion", conversational=True))
    assert row == {"prompt": TOOL_CHAT[:-1], "completion": TOOL_CHAT[-1:], "tools": [WEATHER, TIME]}


def test_tool_calls_in_sharegpt_use_llama_factory_tags():
    row = to_row(TOOLS_REC, FormatOptions("sharegpt"))
    assert [t["from"] for t in row["conversations"]] == ["system", "human", "function_call", "observation", "gpt"]
    calls = json.loads(row["conversations"][2]["value"])
    assert calls == [
        {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "c1"},
        {"name": "get_time", "arguments": {}, "id": "c2"},
    ]
    assert json.loads(row["conversations"][3]["value"]) == ["Sunny, 21 C", "14:05"]  # in the order of the calls
    assert json.loads(row["tools"]) == [WEATHER["function"], TIME["function"]]
    assert_llama_factory_accepts(row)
    back = Record.create(SRC, **fields_from_row(row, "sharegpt"))
    by_id = sorted(TOOL_CHAT[3:5], key=lambda t: t["tool_call_id"])
    assert back.messages == [*TOOL_CHAT[:3], *by_id, TOOL_CHAT[5]]
    assert back.tools == TOOLS_REC.tools


def assert_llama_factory_accepts(row):
    """LLaMA-Factory's SharegptDatasetConverter rules (src/llamafactory/data/converter.py): after an
    optional first system turn, human/observation at odd positions and gpt/function_call at even
    ones, an even count; FunctionFormatter json.loads a function_call value into one or a list
    of {"name", "arguments"}; ToolFormatter json.loads the tools text."""
    turns = row["conversations"]
    if turns and turns[0]["from"] == "system":
        turns = turns[1:]
    for i, turn in enumerate(turns):
        assert turn["from"] in (("human", "observation"), ("gpt", "function_call"))[i % 2], row
    assert len(turns) % 2 == 0, row
    for turn in turns:
        if turn["from"] == "function_call":
            calls = json.loads(turn["value"])
            for call in calls if isinstance(calls, list) else [calls]:
                json.dumps(call["arguments"])
                assert isinstance(call["name"], str)
    if row["tools"]:
        assert isinstance(json.loads(row["tools"]), list)


@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([{"role": "user", "content": "q"}], "sharegpt_turn_order"),
        ([{"role": "user", "content": "q"}, {"role": "user", "content": "q"}], "sharegpt_turn_order"),
        ([{"role": "assistant", "content": "a"}], "sharegpt_turn_order"),
        (
            [
                {"role": "user", "content": "q"},
                {"role": "system", "content": "s"},
                {"role": "assistant", "content": "a"},
            ],
            "system_turn_mid_conversation",
        ),
        (
            [{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}, {"role": "assistant", "content": "a"}],
            "tool_result_without_call",
        ),
        (
            [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "Let me look.", "tool_calls": [_call("c1", "f", "{}")]},
                {"role": "tool", "tool_call_id": "c1", "content": "r"},
                {"role": "assistant", "content": "a"},
            ],
            "tool_call_with_text",
        ),
        (
            [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "", "tool_calls": [_call("c1", "f", "{oops")]},
                {"role": "tool", "tool_call_id": "c1", "content": "r"},
                {"role": "assistant", "content": "a"},
            ],
            "tool_arguments_not_json",
        ),
        (
            [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "", "tool_calls": [_call("c1", "f", "{}"), _call("c2", "f", "{}")]},
                {"role": "tool", "tool_call_id": "c1", "content": "r"},
                {"role": "assistant", "content": "a"},
            ],
            "tool_results_unmatched",
        ),
        (
            [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "", "tool_calls": [_call("c1", "f", "{}")]},
                {"role": "tool", "tool_call_id": "c9", "content": "r"},
                {"role": "assistant", "content": "a"},
            ],
            "tool_results_unmatched",
        ),
    ],
)
def test_sharegpt_rejects_what_llama_factory_would_skip(messages, reason):
    rec = Record.create(SRC, messages=messages)
    with pytest.raises(Unconvertible) as info:
        to_row(rec, FormatOptions("sharegpt"))
    assert info.value.reason == reason
    assert to_row(rec, FormatOptions("messages"))["messages"] == messages  # messages keeps them all


@pytest.mark.parametrize("fmt", ["text", "input-output", "prompt-generation", "prompt-completion", "alpaca"])
def test_flat_formats_reject_tool_calling(fmt):
    with pytest.raises(Unconvertible) as info:
        to_row(TOOLS_REC, FormatOptions(fmt))
    assert info.value.reason == "tool_calls_unsupported"
    offers_tools = Record.create(SRC, messages=CHAT.messages, tools=[WEATHER])
    with pytest.raises(Unconvertible):
        to_row(offers_tools, FormatOptions(fmt))


def test_tool_calls_read_from_every_spelling():
    trl = {  # TRL's docs: arguments as an object, results named, no ids
        "messages": [
            {"role": "user", "content": "Lights on"},
            {
                "role": "assistant",
                "tool_calls": [{"type": "function", "function": {"name": "light", "arguments": {"on": True}}}],
            },
            {"role": "tool", "name": "light", "content": "done"},
            {"role": "assistant", "content": "Done!"},
        ],
        "tools": [{"type": "function", "function": {"name": "light"}}],
    }
    fields = fields_from_row(trl, "messages")
    assert fields["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"type": "function", "function": {"name": "light", "arguments": '{"on": true}'}}],
    }
    assert fields["messages"][2] == {"role": "tool", "content": "done", "name": "light"}
    legacy = {  # OpenAI's older function_call, and a key that is not content
        "messages": [
            {"role": "user", "content": "q", "weight": 0},
            {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
            {"role": "function", "name": "f", "content": "r"},
            {"role": "assistant", "content": "a", "weight": 1},
        ]
    }
    fields = fields_from_row(legacy, "messages")
    assert fields["messages"][1]["tool_calls"] == [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert fields["messages"][2] == {"role": "tool", "content": "r", "name": "f"}
    assert fields["meta"] == {"turn_keys_dropped": ["weight"]}
    glaive = {  # LLaMA-Factory's demo: one call as an object, tools as JSON text of bare definitions
        "conversations": [
            {"from": "human", "value": "q"},
            {"from": "function_call", "value": '{"name": "f", "arguments": {"x": 1}}'},
            {"from": "observation", "value": '{"y": 2}'},
            {"from": "gpt", "value": "a"},
        ],
        "tools": '[{"name": "f", "description": "d", "parameters": {}}]',
    }
    fields = fields_from_row(glaive, "sharegpt")
    assert [t["role"] for t in fields["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert fields["messages"][2]["content"] == '{"y": 2}'
    assert fields["tools"] == [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}}]
    with pytest.raises(ValueError, match="function_call"):
        fields_from_row({"conversations": [{"from": "function_call", "value": "not json"}]}, "sharegpt")
