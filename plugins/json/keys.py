"""Reading an object's keys: paths into nested values, mapped columns, templates, and the scalars kept as meta."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curate.plugin_api import is_small_scalar

from . import limits
from .problems import Unfit


def is_text(value: Any) -> bool:
    """A string or a number (not a boolean): something that reads as text."""
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def lookup(obj: Mapping[str, Any], key: str) -> tuple[Any, bool]:
    """``obj[key]``, or a path ``a.b.0`` into nested objects and lists; ``(value, found)``."""
    if key in obj:
        return obj[key], True
    if "." not in key:
        return None, False
    value: Any = obj
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None, False
    return value, True


def top(obj: Mapping[str, Any], key: str) -> str:
    """The top-level key that ``key`` (maybe a path ``a.b``) reads."""
    return key if key in obj else key.split(".")[0]


def column(obj: Mapping[str, Any], key: str, option: str, *, optional: bool = False) -> str:
    """The text under ``key`` (a column option's value); missing or null is ``""`` if ``optional``, else unfit."""
    value, found = lookup(obj, key)
    if value is None:
        if optional:
            return ""
        what = "is null" if found else "is missing"
        raise Unfit(f"key {key!r} ({option}) {what}; keys here: {key_list(obj)}")
    if isinstance(value, str):
        return value
    if is_text(value):
        return str(value)
    raise Unfit(f"key {key!r} ({option}) holds a {kind(value)}, not text; use template to pick from it")


def render(template: str, obj: Mapping[str, Any]) -> str:
    """``template`` filled from ``obj``'s keys (null values as empty strings)."""
    values = {k: "" if v is None else v for k, v in obj.items()}
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise Unfit(
            f"template needs key {exc.args[0]!r}, which this object lacks; keys here: {key_list(obj)}"
        ) from None
    except (IndexError, AttributeError, ValueError, TypeError) as exc:
        raise Unfit(f"template cannot be filled from this object: {exc}") from None


def scalar_fields(obj: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    """The small scalar keys that are not content (not in ``used``), for ``meta["fields"]``."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in used or len(key) > limits.MAX_KEY_CHARS or not is_small_scalar(value):
            continue
        out[key] = value
        if len(out) >= limits.MAX_FIELDS:
            break
    return out


def kind(value: Any) -> str:
    """What a JSON value is, in JSON's words: object, array, string, number, boolean or null."""
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def key_list(obj: Mapping[str, Any]) -> str:
    """The first ten keys of ``obj``, quoted, for a message."""
    keys = list(obj)
    shown = ", ".join(repr(k)[:40] for k in keys[:10])
    return (shown + f", ... ({len(keys)} in all)" if len(keys) > 10 else shown) or "none"
