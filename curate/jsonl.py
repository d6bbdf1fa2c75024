"""JSON Lines text, fast: one compact line per value, and one value per line read back.

:func:`dumps` writes exactly what ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
writes: keys in insertion order, text kept as UTF-8 (control characters escaped), floats as
Python's ``repr``, ``NaN`` and ``Infinity`` as Python spells them, integers of any size, lone
surrogates left in the string as they are. When `msgspec <https://jcristharif.com/msgspec/>`_ is
installed it writes the values whose bytes it is known to give identically (no floats, only the
plain JSON types with string keys, text without lone surrogates), four to six times faster;
everything else goes through the standard library, so the output never depends on whether
msgspec is there.

:func:`loads` parses one JSON text as ``json.JSONDecoder().decode`` does (the values and the
:class:`json.JSONDecodeError` messages and positions of ``json.loads``, but a leading BOM is
an ordinary syntax error); msgspec, when installed, parses the texts
it accepts, which it reads identically (it refuses ``NaN``, ``Infinity``, numbers that overflow
a float and lone surrogates, which the standard library then reads or rejects).
"""

from __future__ import annotations

import json
from typing import Any

try:  # an optional accelerator: outputs are the same without it
    import msgspec as _msgspec
except ImportError:  # pragma: no cover - the tests run both ways by monkeypatching _fast
    _msgspec = None  # type: ignore[assignment]

__all__ = ["dumps", "loads"]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode = _ENCODER.encode
_decode = json.JSONDecoder().decode
_decode_lenient = json.JSONDecoder(strict=False).decode
#: msgspec's encoder and decoder, or None (without msgspec, or when a test turns it off).
_fast: tuple[Any, Any] | None = (
    (_msgspec.json.Encoder().encode, _msgspec.json.Decoder().decode) if _msgspec is not None else None
)
#: What msgspec raises on what it will not write or read (the standard library then does).
_FAST_ERRORS: tuple[type[BaseException], ...] = (
    (_msgspec.MsgspecError, UnicodeEncodeError, TypeError, ValueError, RecursionError) if _msgspec is not None else ()
)


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only types msgspec writes exactly as ``json`` does (no float, no subclass)."""
    kind = value.__class__
    if kind is str or kind is bool or kind is int or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if key.__class__ is not str:
                return False
            kind = item.__class__
            if kind is not str and not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(item.__class__ is str or _plain(item) for item in value)
    return False


def dumps(value: Any) -> str:
    """One JSON Lines line (without its newline): compact, UTF-8 kept, keys in insertion order.

    Byte for byte ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``:

    >>> dumps({"text": "café \\U0001f600", "n": 2**70, "x": 1e-05, "q": '"'})
    '{"text":"café 😀","n":1180591620717411303424,"x":1e-05,"q":"\\\\""}'
    """
    if _fast is not None:
        try:
            if _plain(value):
                return _fast[0](value).decode()
        except _FAST_ERRORS:  # a lone surrogate, deep nesting: the standard library decides
            pass
    return _encode(value)


def loads(text: str, *, strict: bool = True) -> Any:
    """The value of one JSON text, as ``json.JSONDecoder(strict=strict).decode`` gives it (errors included).

    With ``strict=False``, control characters (tabs, newlines) are allowed inside strings.

    >>> loads('{"a": [1, 2.5, "\\\\ud800"]}') == {"a": [1, 2.5, "\\ud800"]}
    True
    """
    if _fast is not None:
        try:
            return _fast[1](text)
        except _FAST_ERRORS:
            pass  # the standard library reads it, or raises its own error
    return _decode(text) if strict else _decode_lenient(text)
