"""SQL dialects and literal values: what a dump's strings, numbers and calls read as."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """How a dump writes strings and comments.

    ``backslash_escapes``: ``'it\\'s'`` (MySQL; Postgres with ``standard_conforming_strings``
    off). ``dollar_quotes``: ``$tag$ ... $tag$`` strings and ``E'...'`` escape strings
    (Postgres). ``hash_comments``: ``# comment`` (MySQL).
    """

    name: str
    backslash_escapes: bool
    dollar_quotes: bool
    hash_comments: bool


MYSQL = Dialect("mysql", backslash_escapes=True, dollar_quotes=False, hash_comments=True)
POSTGRES = Dialect("postgres", backslash_escapes=False, dollar_quotes=True, hash_comments=False)
SQLITE = Dialect("sqlite", backslash_escapes=False, dollar_quotes=False, hash_comments=False)
DIALECTS = {d.name: d for d in (MYSQL, POSTGRES, SQLITE)}


@dataclass(frozen=True, slots=True)
class Blob:
    """A binary value (``X'..'``, ``0x..``, ``_binary '..'``, a bytea string): never read as text."""

    kind: str
    size: int

    def describe(self) -> str:
        return f"binary data ({self.kind}, {self.size} bytes)"


@dataclass(frozen=True, slots=True)
class Expr:
    """An SQL expression that is not a literal (a function call, an array, ``DEFAULT``), as written."""

    sql: str


Value = str | int | float | bool | None | Blob | Expr


_MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
_MYSQL_ESCAPE = {q: re.compile(r"\\([\s\S])|" + re.escape(q * 2)) for q in "'\""}
_C_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_C_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([\s\S]))|('')")


def unescape_mysql(raw: str, quote: str = "'") -> str:
    """Decode a MySQL string body: ``\\n``, ``\\'``, ``\\\\``, doubled quotes...

    >>> unescape_mysql(r"it\\'s a \\"test\\"\\nok''")
    'it\\'s a "test"\\nok\\''
    """
    if "\\" not in raw and quote * 2 not in raw:
        return raw

    def decode(m: re.Match[str]) -> str:
        char = m.group(1)
        return quote if char is None else _MYSQL_ESCAPES.get(char, char)

    return _MYSQL_ESCAPE[quote].sub(decode, raw)


def unescape_c(raw: str, *, unicode_escapes: bool = True) -> str:
    """Decode Postgres ``E'...'`` / ``COPY`` escapes: ``\\n``, octal and hex bytes (UTF-8), ``\\uXXXX``.

    >>> unescape_c(r"caf\\303\\251\\tok\\x21")
    'café\\tok!'
    """
    if "\\" not in raw and "''" not in raw:
        return raw
    out: list[str] = []
    pending = bytearray()
    pos = 0

    def flush() -> None:
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
            pending.clear()

    for m in _C_ESCAPE.finditer(raw):
        if m.start() > pos:
            flush()
            out.append(raw[pos : m.start()])
        pos = m.end()
        octal, hexa, u4, u8, char, doubled = m.groups()
        if octal is not None:
            pending.append(int(octal, 8) & 0xFF)
            continue
        if hexa is not None:
            pending.append(int(hexa, 16))
            continue
        flush()
        if doubled is not None:
            out.append("'")
        elif u4 is not None or u8 is not None:
            digits = u4 if u4 is not None else u8
            if not unicode_escapes:
                out.append(("u" if u4 is not None else "U") + digits)
                continue
            code = int(digits, 16)
            out.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd")
        else:
            out.append(_C_ESCAPES.get(char, char))
    flush()
    out.append(raw[pos:])
    return "".join(out)


def unquote(name: str) -> str:
    """An identifier without its quotes: `a`, "a", [a], 'a' -> a (doubled quotes undone)."""
    if len(name) >= 2:
        first, last = name[0], name[-1]
        if first == last and first in "`\"'":
            return name[1:-1].replace(first * 2, first)
        if first == "[" and last == "]":
            return name[1:-1]
    return name


def _number(literal: str) -> int | float | str:
    body = literal.lstrip("+-")
    if len(body) > 30:
        return literal
    try:
        if "." in body or "e" in body or "E" in body:
            value = float(literal)
            return value if value not in (float("inf"), float("-inf")) else literal
        return int(literal)
    except ValueError:  # pragma: no cover - the regex only matches numbers
        return literal


def _call(name: str, args: list[Value]) -> Value | Expr | None:
    """The value of the few functions dumps use around literals; ``None`` if not evaluated."""
    if name == "REPLACE" and len(args) == 3 and all(isinstance(a, str) for a in args):
        text, old, new = args
        assert isinstance(text, str) and isinstance(old, str) and isinstance(new, str)
        return text.replace(old, new) if old else text
    if name == "CHAR" and args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        try:
            return "".join(chr(a) for a in args)  # type: ignore[arg-type]
        except (ValueError, OverflowError):
            return None
    if name in ("UNHEX", "FROM_BASE64", "DECODE") and args and isinstance(args[0], str):
        return Blob(name.lower() + "()", len(args[0]) // 2)
    return None
