"""Typed, validated options for plugins.

A plugin declares its options as a dataclass. :func:`parse_options` builds one from a
mapping (a TOML table, CLI flags, keyword arguments), rejecting unknown keys and values
of the wrong type with a message that names the plugin and the option.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from curate.errors import ConfigError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """The options of a plugin that takes none."""


def parse_options(cls: type[T], values: Mapping[str, Any] | None, *, owner: str) -> T:
    """Build the options dataclass ``cls`` from ``values``; ``owner`` names the plugin in errors.

    >>> @dataclasses.dataclass
    ... class Opts:
    ...     size: int = 3
    >>> parse_options(Opts, {"size": 5}, owner="demo")
    Opts(size=5)
    """
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise ConfigError(
            f"{owner}: unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
            hint=f"options {owner} accepts: {known}",
        )
    hints = typing.get_type_hints(cls)
    converted = {name: _check(hints[name], value, f"{owner}: option {name!r}") for name, value in values.items()}
    try:
        return cls(**converted)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{owner}: {exc}") from exc


def describe_options(cls: type) -> list[dict[str, str]]:
    """Name, type, default and help text of each option (for ``curate plugins`` and docs)."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "required"
        out.append(
            {"name": f.name, "type": _type_name(hints[f.name]), "default": default, "help": f.metadata.get("help", "")}
        )
    return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arm in typing.get_args(tp):
            try:
                return _check(arm, value, where)
            except ConfigError as exc:
                errors.append(exc)
        raise ConfigError(f"{where} must be {_type_name(tp)}, got {value!r}")
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        choices = ", ".join(repr(a) for a in typing.get_args(tp))
        raise ConfigError(f"{where} must be one of {choices}, got {value!r}")
    if tp is type(None):
        if value is None:
            return None
        raise ConfigError(f"{where} must be empty")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        args = typing.get_args(tp)
        item = args[0] if args else Any
        return (
            [_check(item, v, where) for v in value] if origin is list else tuple(_check(item, v, where) for v in value)
        )
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table, got {value!r}")
        return dict(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where} must be {_type_name(tp)}, got {value!r}")
    return value
