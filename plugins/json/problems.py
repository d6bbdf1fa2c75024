"""What goes wrong reading JSON, and how it is said: unfit values, parse errors, read failures."""

from __future__ import annotations

import json
from typing import Any

from curate.plugin_api import Problem

from . import limits


class Unfit(Exception):
    """A JSON value that cannot become a record; the message says why and what to do."""


def dump(value: Any) -> str | None:
    """``value`` as JSON text, cut to ``limits.RAW_LIMIT``: the raw text of a problem about it."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - values parsed from JSON dump
        return None
    return text[: limits.RAW_LIMIT]


def json_error(exc: BaseException, *, truncated: bool = False) -> str:
    """The message for text that does not parse; ``truncated`` when it is a last line without a line end."""
    if isinstance(exc, RecursionError):
        return "not usable JSON: nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        if exc.msg == "Extra data":
            return f"more than one JSON value on the line (extra data at column {exc.colno}); put one object per line"
        message = f"not valid JSON at column {exc.colno}: {reason(exc)}"
        if truncated:
            message += "; this last line has no line end, so the file may be truncated"
        return message
    return f"not usable JSON: {exc}"


def reason(exc: json.JSONDecodeError) -> str:
    """The parser's own words, without their trailing ``starting at``."""
    return exc.msg.removesuffix(" starting at").removesuffix(":")


def describe(exc: BaseException) -> str:
    """``Type: message``, or the type alone when the exception says nothing."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def read_failure(locator: str | None, exc: BaseException, done: int) -> Problem:
    """The problem for a file that cannot be read on (truncated, damaged compression) after ``done`` records."""
    return Problem(
        locator,
        f"cannot read on from here ({describe(exc)}): the file is truncated or its compression is damaged; "
        f"the {done} record(s) before were read",
    )
