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
