"""curate.jsonl: the fast dumps/loads give exactly the standard library's bytes and values.

Every test runs twice: with msgspec (when installed) and with the standard library alone.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import jsonl
from curate.jsonl import dumps, loads


@pytest.fixture(params=["msgspec", "stdlib"], autouse=True)
def backend(request, monkeypatch):
    if request.param == "msgspec":
        pytest.importorskip("msgspec")
        assert jsonl._fast is not None
    else:
        monkeypatch.setattr(jsonl, "_fast", None)
    return request.param


def reference(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


TRICKY = [
    {"text": "plain"},
    {"text": "non-BMP \U0001f600 \U00010348 and BMP é \u2028 \u2029 \ufeff \uffff"},
    {"text": "lone \ud800 high and \udfff low surrogates"},
    {"text": '\x00\x01\x1f\x7f\x80\x9f controls \b\f\n\r\t quote " backslash \\ slash /'},
    {"n": 2**63 - 1, "m": -(2**63), "big": 2**64, "huge": 10**40, "neg": -(10**30)},
    {"f": 1.0, "g": 1e-05, "h": 1e16, "i": 1.5e-07, "j": 0.1, "k": -0.0, "l": 5e-324, "m": 1.7976931348623157e308},
    {"nan": math.nan, "inf": math.inf, "minf": -math.inf},
    {"b": True, "c": False, "z": None, "empty": {}, "list": [], "t": (1, "two")},
    {"messages": [{"role": "user", "content": "hi é"}, {"role": "assistant", "content": "\U0001f600"}]},
    {"z": 1, "a": 2, "m": {"y": [1, {"x": "é"}], "b": None}},  # insertion order, not sorted
    {1: "int key", None: "none key", False: "bool key", 2.5: "float key"},
    ["a", ["b", ["c", [1, 2.5]]]],
    "a bare string \ud83d",
    12345678901234567890123,
    0.30000000000000004,
]


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_dumps_is_byte_identical_to_json_dumps(value):
    assert dumps(value) == reference(value)


def test_dumps_pins_the_spelling_of_tricky_values():
    assert dumps({"t": "\U0001f600é\ud800"}) == '{"t":"\U0001f600é\ud800"}'  # the surrogate stays as it is
    floats = [1e-05, 1e16, 1.0, 2**64, math.nan, -math.inf]
    assert dumps(floats) == "[1e-05,1e+16,1.0,18446744073709551616,NaN,-Infinity]"
    assert dumps({"c": "\x00\x1f\x7f\n"}) == '{"c":"\\u0000\\u001f\x7f\\n"}'
    assert dumps({2: 1}) == '{"2":1}'


def test_dumps_keeps_the_standard_librarys_errors():
    with pytest.raises(TypeError):
        dumps({"x": {1, 2}})
    with pytest.raises(TypeError):
        dumps({(1, 2): "tuple key"})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(loop)


def test_subclasses_are_written_as_the_standard_library_writes_them():
    class Text(str):
        pass

    class Mapping(dict):
        pass

    value = Mapping(a=Text("x"), b=[True, 3])
    assert dumps(value) == reference(value)


LINES = [
    '{"text": "a", "n": 1}\n',
    '{"a": 1, "a": 2}',
    '"\\ud800"',
    '"\\udc00 then \\ud83d\\ude00"',
    '{"raw": "a byte read with surrogateescape \udcff"}',
    str(2**64),
    str(-(2**63) - 1),
    "123456789012345678901234567890",
    "1E400",
    "-1e400",
    "NaN",
    "[Infinity, -Infinity]",
    "1.7976931348623159e308",
    "0.1e-400",
    "-0",
    "-0.0",
    "[" * 300 + "]" * 300,
    ' {"é": ["\\u00e9", 2.5e-7]} ',
]


@pytest.mark.parametrize("text", LINES, ids=range(len(LINES)))
def test_loads_gives_json_loads_values(text):
    got, want = loads(text), json.loads(text)
    assert repr(got) == repr(want)  # repr: tells NaN, -0.0, int from float apart
    assert type(got) is type(want)


BAD = ['{"a": 1', '{"a": 1}x', "[1,]", '"a\tb"', "\ufeff{}", "", '{"a" 1}', '"\\x"', "[" * 100]


@pytest.mark.parametrize("text", BAD, ids=range(len(BAD)))
def test_loads_raises_json_loads_errors(text):
    with pytest.raises(json.JSONDecodeError) as want:
        json.JSONDecoder().decode(text)  # json.loads also refuses a BOM; the decoder, like loads, does not look
    with pytest.raises(json.JSONDecodeError) as got:
        loads(text)
    assert (got.value.msg, got.value.pos) == (want.value.msg, want.value.pos)


def test_loads_not_strict_allows_control_characters_in_strings():
    assert loads('{"t": "a\tb\nc"}', strict=False) == {"t": "a\tb\nc"}
    with pytest.raises(json.JSONDecodeError, match="Invalid control character"):
        loads('{"t": "a\tb"}')


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_value_round_trips_as_the_standard_library_does(value):
    line = dumps(value)
    assert line == reference(value)
    assert repr(loads(line)) == repr(json.loads(line))
