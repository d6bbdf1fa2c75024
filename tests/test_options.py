from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from curate.errors import ConfigError
from curate.options import describe_options, parse_options


@dataclass(frozen=True)
class Opts:
    name: str | None = None
    size: int = 3
    ratio: float = 0.5
    mode: Literal["a", "b"] = "a"
    tags: list[str] = field(default_factory=list, metadata={"help": "labels"})
    on: bool = False


def test_defaults_and_conversion():
    assert parse_options(Opts, None, owner="x") == Opts()
    assert parse_options(Opts, {"ratio": 1, "tags": ["t"], "mode": "b"}, owner="x") == Opts(
        ratio=1.0, tags=["t"], mode="b"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sise": 3}, "unknown option 'sise'"),
        ({"size": "3"}, "option 'size' must be int"),
        ({"size": True}, "must be an integer"),
        ({"mode": "c"}, "must be one of 'a', 'b'"),
        ({"tags": "t"}, "must be a list"),
        ({"on": 1}, "true or false"),
    ],
)
def test_errors_name_the_owner_and_option(values, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_options(Opts, values, owner="importer 'demo'")
    assert "importer 'demo'" in str(info.value)


def test_unknown_option_hint_lists_known_ones():
    with pytest.raises(ConfigError) as info:
        parse_options(Opts, {"nope": 1}, owner="x")
    assert "mode" in info.value.hint and "size" in info.value.hint


def test_describe_options():
    rows = {r["name"]: r for r in describe_options(Opts)}
    assert rows["tags"]["help"] == "labels"
    assert rows["size"]["default"] == "3"
