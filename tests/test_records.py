from __future__ import annotations

import pytest

from curate.records import Record, RecordError, Source

SRC = Source("json", "data/a.jsonl", "line 3")


def test_id_is_stable_and_depends_on_source_and_content():
    a = Record.create(SRC, text="hello")
    assert a.id == Record.create(SRC, text="hello").id
    assert a.id != Record.create(SRC, text="hello!").id
    assert a.id != Record.create(Source("json", "data/a.jsonl", "line 4"), text="hello").id
    assert a.id != Record.create(Source("json", "data/b.jsonl", "line 3"), text="hello").id


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"text": "a", "output": "b"},
        {"text": "a", "messages": [{"role": "user", "content": "x"}]},
        {"input": "q"},
        {"messages": []},
        {"messages": [{"role": "wizard", "content": "x"}]},
        {"messages": [{"role": "user", "content": 3}]},
        {"messages": [{"role": "user", "content": "x", "extra": 1}]},
        {"text": 5},
    ],
)
def test_exactly_one_valid_shape(kwargs):
    with pytest.raises(RecordError):
        Record.create(SRC, **kwargs)


def test_shapes_and_views():
    io = Record.create(SRC, input="2+2?", output="4")
    assert io.shape == "input-output"
    assert io.model_texts() == ["4"]
    chat = Record.create(
        SRC,
        messages=[
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": "a"},
        ],
    )
    assert chat.shape == "messages"
    assert chat.model_texts() == ["a"]
    assert chat.texts() == ["s", "u", "a"]
    assert Record.create(SRC, output="only").input == ""


def test_round_trip_through_dict():
    rec = Record.create(SRC, input="q", output="a", meta={"k": 1})
    back = Record.from_dict(rec.to_dict())
    assert back == rec


def test_content_key_separates_fields():
    assert (
        Record.create(SRC, input="ab", output="c").content_key()
        != Record.create(SRC, input="a", output="bc").content_key()
    )


CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
TOOL_TURNS = [
    {"role": "user", "content": "q"},
    {"role": "assistant", "content": "", "tool_calls": [CALL]},
    {"role": "tool", "content": "r", "tool_call_id": "c1", "name": "f"},
    {"role": "assistant", "content": "a"},
]


def test_tool_calls_are_content():
    rec = Record.create(SRC, messages=TOOL_TURNS, tools=[{"type": "function", "function": {"name": "f"}}])
    assert rec.uses_tools and not Record.create(SRC, messages=TOOL_TURNS[:1]).uses_tools
    assert rec.model_texts() == ["f({})", "a"]  # a turn that only calls a tool is not empty
    assert Record.from_dict(rec.to_dict()) == rec  # spill files and the ledger keep them
    other = [*TOOL_TURNS[:1], {**TOOL_TURNS[1], "tool_calls": [{**CALL, "function": {"name": "g", "arguments": "{}"}}]}]
    assert rec.id != Record.create(SRC, messages=[*other, *TOOL_TURNS[2:]], tools=rec.tools).id
    assert rec.id != Record.create(SRC, messages=TOOL_TURNS).id  # the tools offered are content too
    rec.replace_fields({"messages[3]": "b"})
    assert rec.messages[1]["tool_calls"] == [CALL] and rec.messages[3]["content"] == "b"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"messages": [{"role": "user", "content": "q", "tool_calls": [CALL]}]},
        {"messages": [{"role": "assistant", "content": "", "tool_calls": []}]},
        {"messages": [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f"}}]}]},
        {"messages": [{"role": "user", "content": "q", "tool_call_id": "c1"}]},
        {"text": "t", "tools": [{"type": "function", "function": {"name": "f"}}]},
        {"messages": TOOL_TURNS, "tools": ["f"]},
    ],
)
def test_tool_keys_are_checked(kwargs):
    with pytest.raises(RecordError):
        Record.create(SRC, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "t \ud800 \U0001f600"},
        {"input": "", "output": "o"},
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                }
            ],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        },
    ],
)
def test_a_record_survives_pickling_whole(kwargs):
    import pickle

    record = Record.create(SRC, meta={"format": "x", "fields": {"n": 1.5}}, **kwargs)
    back = pickle.loads(pickle.dumps([record, record], protocol=pickle.HIGHEST_PROTOCOL))
    assert back[0] == record and back[0].source == record.source and back[0].id == record.id
    assert back[0] is back[1]  # the memo keeps shared records shared
