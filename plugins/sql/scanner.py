"""The window over a dump's text and the readers of literal values in it.

A :class:`ValueScanner` keeps a window (:attr:`~ValueScanner.text`) over the text of a dump
and reads one piece at a time from it. The window only grows while a single piece is read
(doubling, so a piece costs linear time), and everything before the piece being read is
dropped when more text comes in: memory is bounded by the largest row (or the kept head of
a statement), never by the size of a statement or of the file. (One exception, bounded by
:data:`~curate.plugins.sql.limits.HOLD_MAX`: a string that runs over a line starting a
statement keeps the window from there, so that reading can resume there if the string
never closes.)

Reading methods take and return positions in the window's text. When the window ends
before the piece does they raise :class:`NeedMore`; the caller then calls
:meth:`ValueScanner.fill` with the position the piece started at and reads it again (see
:meth:`ValueScanner.retry`). Malformed input raises :class:`SqlSyntaxError` with the position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TypeVar

from . import limits
from .literals import (
    Blob,
    Dialect,
    Expr,
    Value,
    _call,
    _number,
    unescape_c,
    unescape_mysql,
)

T = TypeVar("T")

#: The most characters a piece that may straddle the window's end needs to be recognised.
_LOOKBACK = 64
#: Nesting of function calls inside a value before it is kept as an expression instead.
_MAX_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Statement:
    """What :meth:`Scanner.statement` found.

    ``end``: the position after the statement (after its delimiter, at the end of file,
    or at the start of the line where reading resumes). ``head``: its first characters.
    ``problem``: set when the file ends inside a string or comment. ``resumed``: the line
    reading resumed on, when the scan stopped at the next statement's start because the
    statement's quotes are broken (``broken``: the line where that showed) or because
    the caller asked for recovery.
    """

    end: int
    head: str
    problem: str | None = None
    resumed: int | None = None
    broken: int | None = None


#: A line that starts a statement, as dump tools write them (upper case): where reading
#: resumes after an unbalanced quote. Matches the line end before it.
STATEMENT_START = re.compile(
    r"\n(?=(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s|(?:CREATE|DROP|ALTER)\s+(?:OR\s+REPLACE\s+)?[A-Z]"
    r"|(?:LOCK|UNLOCK)\s+TABLES\b|COPY\s+\S+.*\bFROM\s+stdin;|(?:BEGIN|START)\s+TRANSACTION\b|COMMIT;"
    r"|SET\s+[\w@]|/\*!\d{5}\s)"
)
#: A line that starts a statement that never spans lines of another (MySQL routines and SQLite triggers aside):
#: a statement at the top level of the one before has lost its ';'.
_UNENDED = re.compile(
    r"\n(?=(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s|(?:CREATE|DROP)\s+TABLE\s|COPY\s+\S+.*\bFROM\s+stdin;"
    r"|(?:LOCK|UNLOCK)\s+TABLES\b)"
)
_WORD_CHAR = re.compile(r"\w")
_NAME_PART = r"""(?:`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\]|[A-Za-z_][\w$]*)"""
_COLUMN_NAME = re.compile(rf"{_NAME_PART}(?:\s*\.\s*{_NAME_PART})*")
_LAST_NAME_PART = re.compile(rf"{_NAME_PART}$")
_EXCERPT = 20
_QUOTE_THEN_WORD = (
    "text right after a closing quote ({text!r}): a quote inside a string is not escaped, or one is missing"
)


class NeedMore(Exception):
    """The window ends before the piece being read does: fill it and read the piece again."""


class SqlSyntaxError(Exception):
    """Text that is not what SQL allows here; ``pos`` is where, ``truncated`` if the file ended."""

    def __init__(self, message: str, pos: int, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.truncated = truncated
        #: Set by :meth:`Scanner.retry`: the position the failed piece started at.
        self.start: int | None = None


_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"[A-Za-z_][\w$]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_HEX_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]*")
_BIT_NUMBER = re.compile(r"0[bB][01]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_QUOTE_OR_BACKSLASH = {q: re.compile(r"[" + re.escape(q) + r"\\]") for q in "'\"`"}
_HEADER_TOKEN = re.compile(
    r"""\s+|--[^\n]*|\#[^\n]*|/\*[\s\S]*?\*/|`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\]"""
    r"""|'(?:[^'\\]|\\[\s\S]|'')*'|[A-Za-z_][\w$]*|[\s\S]"""
)

_OPENED = {"*/": "a /* comment", "'": "a string", '"': 'a "quoted" name or string', "`": "a `quoted` name"}
#: ``INSERT INTO `t` (`a`, `b`) VALUES`` without comments or strings: most headers, found fast.
_SIMPLE_HEADER = re.compile(r"(?:INSERT|REPLACE)\b[^;'()\-/#]*?(?:\([^;'()\-/#]*\)[^;'()\-/#]*?)?(\bVALUES\b)", re.I)
_NOT_SIMPLE = re.compile(r"\b(?:SELECT|SET|DEFAULT|WITH|TABLE|VALUE)\b", re.I)


class ValueScanner:
    """A window (:attr:`text`) over a dump's text stream, and readers for its literal values."""

    def __init__(self, stream: IO[str], dialect: Dialect, *, chunk: int | None = None) -> None:
        self.stream = stream
        self.dialect = dialect
        self.delimiter = ";"
        self.text = ""
        self.eof = False
        self._chunk = chunk or limits.CHUNK
        self._line_pos = 0
        self._line_no = 1
        self._column_base = 0  # characters of the window's first line dropped before it
        self._patterns: dict[tuple[str, Dialect, bool], re.Pattern[str]] = {}

    # -- the window -------------------------------------------------------------------

    def fill(self, keep_from: int) -> int:
        """Drop the text before ``keep_from``, read more; return ``keep_from``'s new position."""
        if self.eof:
            return keep_from
        if self._line_pos < keep_from:
            self.line_at(keep_from)
        kept = len(self.text) - keep_from
        chunk = self.stream.read(max(self._chunk, kept))
        if not chunk:
            self.eof = True
        if keep_from:
            nl = self.text.rfind("\n", 0, keep_from)
            self._column_base = keep_from - nl - 1 if nl >= 0 else self._column_base + keep_from
            self.text = self.text[keep_from:] + chunk
            self._line_pos -= keep_from
        elif chunk:
            self.text += chunk
        return 0

    def retry(self, read: Callable[[int], T], pos: int) -> tuple[T, int]:
        """Call ``read(pos)`` until the window holds all it needs; ``(result, pos)``, pos as moved."""
        while True:
            try:
                return read(pos), pos
            except NeedMore:
                if len(self.text) - pos > limits.HOLD_MAX and not self.eof:
                    self._runaway(pos)
                pos = self.fill(pos)
            except SqlSyntaxError as exc:
                exc.start = pos  # where the piece started, in the window as it is now
                raise

    def _runaway(self, pos: int) -> None:
        """A piece from ``pos`` past :data:`HOLD_MAX` characters: an error if it runs over a statement's start.

        A row that long holding the start of another statement is a quote left open (a row in
        a dump whose quotes parse is never that), and reading on would hold the rest of the file.
        """
        found = STATEMENT_START.search(self.text, pos)
        if found is None:
            return
        line = self.line_at(found.start() + 1)
        exc = SqlSyntaxError(
            f"a row runs on for over {limits.HOLD_MAX >> 20} MiB, past the start of a statement on line {line}: "
            "a quote is probably missing",
            found.start() + 1,
        )
        exc.start = pos
        raise exc

    def ensure(self, pos: int, size: int) -> int:
        """Make the window hold ``size`` characters from ``pos`` (or all that is left)."""
        while len(self.text) - pos < size and not self.eof:
            pos = self.fill(pos)
        return pos

    def line_at(self, pos: int) -> int:
        """The 1-based line number of a position in the window (cheap when positions move forward)."""
        if pos >= self._line_pos:
            self._line_no += self.text.count("\n", self._line_pos, pos)
        else:
            self._line_no -= self.text.count("\n", pos, self._line_pos)
        self._line_pos = pos
        return self._line_no

    def where(self, pos: int) -> str:
        """``line L, column C`` of a position in the window."""
        pos = max(0, min(pos, len(self.text)))
        nl = self.text.rfind("\n", 0, pos)
        column = pos - nl if nl >= 0 else pos + 1 + self._column_base
        return f"line {self.line_at(pos)}, column {column}"

    # -- space, comments and strings ------------------------------------------------------

    def skip_space(self, pos: int) -> int:
        """The position after whitespace and comments from ``pos`` (the text's length at the end of file)."""
        text = self.text
        n = len(text)
        if pos < n:  # the common case: nothing to skip
            c = text[pos]
            if c not in "-/#" and not c.isspace():
                return pos
        while True:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                if self.eof:
                    return n
                raise NeedMore
            c = text[pos]
            if c == "#" and self.dialect.hash_comments:
                end = "\n"
            elif c in "-/":
                if pos + 1 >= n:
                    if self.eof:
                        return pos
                    raise NeedMore
                pair = text[pos : pos + 2]
                if pair == "--":
                    end = "\n"
                elif pair == "/*":
                    end = "*/"
                else:
                    return pos
            else:
                return pos
            found = text.find(end, pos + 2 if end == "*/" else pos + 1)
            if found < 0:
                if not self.eof:
                    raise NeedMore
                if end == "*/":
                    raise SqlSyntaxError("a /* comment that is never closed", pos, truncated=True)
                return n
            pos = found + len(end)

    def string(self, pos: int, *, backslash: bool | None = None) -> tuple[str, int, bool]:
        """The raw body of the quoted string at ``pos``; ``(body, end, escaped)``.

        ``escaped`` says the body holds backslashes or doubled quotes to decode.
        """
        text = self.text
        n = len(text)
        quote = text[pos]
        if backslash is None:
            backslash = self.dialect.backslash_escapes and quote != "`"
        special = _QUOTE_OR_BACKSLASH[quote] if backslash else None
        i = pos + 1
        escaped = False
        while True:
            if special is not None:
                m = special.search(text, i)
                j = m.start() if m else -1
            else:
                j = text.find(quote, i)
            if j < 0:
                break
            if text[j] == "\\":
                if j + 1 >= n:
                    break
                escaped = True
                i = j + 2
                continue
            if j + 1 >= n and not self.eof:
                raise NeedMore  # a quote at the window's end may be the first of a doubled pair
            if j + 1 < n and text[j + 1] == quote:
                escaped = True
                i = j + 2
                continue
            return text[pos + 1 : j], j + 1, escaped
        if not self.eof:
            raise NeedMore
        raise SqlSyntaxError(f"a string (opened with {quote}) that is never closed", pos, truncated=True)

    def _text_string(self, pos: int, *, c_escapes: bool = False) -> tuple[str, int]:
        quote = self.text[pos]
        if c_escapes:
            body, end, escaped = self.string(pos, backslash=True)
            return (unescape_c(body) if escaped else body), end
        body, end, escaped = self.string(pos)
        if not escaped:
            return body, end
        if self.dialect.backslash_escapes and quote in "'\"":
            return unescape_mysql(body, quote), end
        return body.replace(quote * 2, quote), end

    def _dollar(self, pos: int, tag: str) -> tuple[str, int]:
        end = self.text.find(tag, pos + len(tag))
        if end < 0:
            if not self.eof:
                raise NeedMore
            raise SqlSyntaxError(f"a {tag}-quoted string that is never closed", pos, truncated=True)
        return self.text[pos + len(tag) : end], end + len(tag)

    # -- values and tuples ------------------------------------------------------------------

    def tuple_values(self, pos: int, depth: int = 0) -> tuple[list[Value], int]:
        """The values of the parenthesised tuple at ``pos``; ``(values, position after ')')``."""
        text = self.text
        if text[pos] != "(":
            raise SqlSyntaxError(f"expected '(' to open a row of values, found {text[pos]!r}", pos)
        values: list[Value] = []
        q = self._next(pos + 1, "inside a row of values")
        if text[q] == ")":
            return values, q + 1
        n = len(text)
        while True:
            value, q = self.value(q, depth)
            values.append(value)
            c = text[q] if q < n else ""
            if c != "," and c != ")":
                q = self._next(q, "inside a row of values")
                c = text[q]
            if c == ",":
                q += 1
                if q >= n or text[q].isspace() or text[q] in "-/#":
                    q = self._next(q, "inside a row of values")
                continue
            if c == ")":
                return values, q + 1
            raise SqlSyntaxError(f"expected ',' or ')' after value {len(values)} of the row, found {c!r}", q)

    def _next(self, pos: int, where: str) -> int:
        """The next significant position; a truncation error at the end of file."""
        pos = self.skip_space(pos)
        if pos >= len(self.text):
            raise SqlSyntaxError(f"the file ends {where}", pos, truncated=True)
        return pos

    def value(self, pos: int, depth: int = 0, stop: str | None = None) -> tuple[Value, int]:
        """The literal at ``pos`` (an :class:`Expr` for anything else); ``(value, end)``.

        A value ends before ``,`` or ``)``; with ``stop`` (the delimiter, in an ``INSERT ... SET``
        list) also before ``stop`` or a word (``ON DUPLICATE KEY UPDATE``).
        """
        text = self.text
        n = len(text)
        c = text[pos]
        value: Value
        if c in "'\"":
            value, end = self._text_string(pos)
            return self._postfix(value, pos, end, depth, stop)
        if c.isdigit() or c in "+-.":
            if c == "0" and pos + 1 < n and text[pos + 1] in "xXbB":
                m = (_HEX_NUMBER if text[pos + 1] in "xX" else _BIT_NUMBER).match(text, pos)
                assert m is not None
                digits = m.end() - pos - 2
                blob = Blob("hex literal", digits // 2) if text[pos + 1] in "xX" else Blob("bit literal", digits // 8)
                return self._postfix(blob, pos, m.end(), depth, stop)
            m = _NUMBER.match(text, pos)
            if m is not None:
                return self._postfix(_number(m.group()), pos, m.end(), depth, stop)
            return self._expression(pos, stop)
        if c == "$" and self.dialect.dollar_quotes:
            m = _DOLLAR_TAG.match(text, pos)
            if m is not None:
                value, end = self._dollar(pos, m.group())
                return self._postfix(value, pos, end, depth, stop)
        if c.isalpha() or c == "_":
            return self._word_value(pos, depth, stop)
        if c in "([":
            return self._expression(pos, stop)
        if c in ",);":
            raise SqlSyntaxError(f"a value is missing before {c!r}", pos)
        return self._expression(pos, stop)

    def _word_value(self, pos: int, depth: int, stop: str | None) -> tuple[Value, int]:
        text = self.text
        n = len(text)
        m = _WORD.match(text, pos)
        assert m is not None
        word, end = m.group(), m.end()
        if end >= n and not self.eof:
            raise NeedMore
        nxt = text[end] if end < n else ""
        up = word.upper()
        if nxt == "'" and len(up) == 1 and up in "XBNE":
            if up == "X":
                body, end, _ = self.string(end, backslash=False)
                return self._postfix(Blob("hex literal", len(body) // 2), pos, end, depth, stop)
            if up == "B":
                body, end, _ = self.string(end, backslash=False)
                return self._postfix(Blob("bit literal", len(body) // 8), pos, end, depth, stop)
            value, end = self._text_string(end, c_escapes=up == "E")
            return self._postfix(value, pos, end, depth, stop)
        if word.startswith("_") and len(word) > 1:  # a MySQL character set introducer: _utf8mb4'...'
            q = self.skip_space(end)
            if q < n and text[q] in "'\"":
                value, end = self._text_string(q)
                blob = Blob("_binary string", len(value)) if up == "_BINARY" else value
                return self._postfix(blob, pos, end, depth, stop)
            if q + 1 < n and text[q] == "0" and text[q + 1] in "xX":
                m = _HEX_NUMBER.match(text, q)
                assert m is not None
                return self._postfix(Blob("hex literal", (m.end() - q - 2) // 2), pos, m.end(), depth, stop)
        if up == "NULL":
            return self._postfix(None, pos, end, depth, stop)
        if up in ("TRUE", "FALSE"):
            return self._postfix(up == "TRUE", pos, end, depth, stop)
        q = self.skip_space(end)
        if q < n and text[q] == "(" and depth < _MAX_DEPTH:
            args, end = self.tuple_values(q, depth + 1)
            result = _call(up, args)
            if result is not None:
                return self._postfix(result, pos, end, depth, stop)
        return self._expression(pos, stop)

    def _postfix(self, value: Value, start: int, end: int, depth: int, stop: str | None) -> tuple[Value, int]:
        """What may follow a literal: adjacent strings (concatenated), ``::type`` casts."""
        text = self.text
        n = len(text)
        if end < n:
            c = text[end]
            if c in ",)":  # the common case
                return value, end
            if text[end - 1] in "'\"" and (c.isalnum() or c == "_"):
                raise self._quote_then_word(end)
        q = self.skip_space(end)
        while q < n:
            c = text[q]
            if c in ",)" or (stop is not None and (text.startswith(stop, q) or c.isalpha())):
                return value, q
            if c in "'\"" and isinstance(value, str):
                more, q = self._text_string(q)
                value += more
                q = self.skip_space(q)
                continue
            if text.startswith("::", q):
                after = self._balanced(q + 2, stop)
                cast = text[q + 2 : after].lower()
                if isinstance(value, str) and "bytea" in cast:
                    value = Blob("bytea", max(0, len(value) - 2) // 2)
                q = after
                continue
            break
        if q >= n:
            if not self.eof:
                raise NeedMore
            return value, q
        return self._expression(start, stop)

    def _quote_then_word(self, pos: int) -> SqlSyntaxError:
        """The error for a letter right after the closing quote at ``pos - 1`` (``'it's'``), quoting a little of it."""
        if len(self.text) < pos + _EXCERPT and not self.eof:
            raise NeedMore  # the same excerpt whatever the window
        excerpt = self.text[pos - 1 : pos + _EXCERPT].split("\n", 1)[0]
        return SqlSyntaxError(_QUOTE_THEN_WORD.format(text=excerpt), pos)

    def _expression(self, pos: int, stop: str | None = None) -> tuple[Expr, int]:
        end = self._balanced(pos, stop)
        return Expr(self.text[pos:end].strip()), end

    def _balanced(self, pos: int, stop: str | None = None) -> int:
        """The position of the first ``,`` or ``)`` (or ``stop``) outside brackets and quotes from ``pos``."""
        text = self.text
        n = len(text)
        pattern = self._pattern(stop or "", block=False, balanced=True)
        depth = 0
        while True:
            m = pattern.search(text, pos)
            if m is None:
                if not self.eof:
                    raise NeedMore
                raise SqlSyntaxError("the file ends inside an expression", n, truncated=True)
            tok, start = m.group(), m.start()
            pos = m.end()
            if tok in "([":
                depth += 1
            elif tok in ")]":
                if depth == 0:
                    if tok == ")":
                        return start
                    raise SqlSyntaxError("a ']' that closes nothing", start)
                depth -= 1
            elif tok == "," or tok == stop:
                if depth == 0:
                    return start
            elif tok in ("'", '"', "`"):
                _, pos, _ = self.string(start)
                if pos < n and _WORD_CHAR.match(text, pos):
                    raise self._quote_then_word(pos)
            elif tok in ("E'", "e'"):
                _, pos, _ = self.string(start + 1, backslash=True)
            elif tok in ("--", "#", "/*"):
                pos = self.skip_space(start)
                if pos == start:  # pragma: no cover - skip_space always moves past a comment
                    pos += len(tok)
            elif tok.startswith("$"):
                _, pos = self._dollar(start, tok)

    def _pattern(self, delimiter: str, *, block: bool, balanced: bool = False) -> re.Pattern[str]:
        key = (delimiter if not balanced else "\0" + delimiter, self.dialect, block)
        pattern = self._patterns.get(key)
        if pattern is None:
            alts = [re.escape(delimiter)] if delimiter else []
            if balanced:
                alts.insert(0, r"[(),\[\]]")
            if self.dialect.dollar_quotes:
                alts += [r"(?<![\w$])[Ee]'", r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$"]
            alts += ["'", '"', "`", "--", r"/\*"]
            if self.dialect.hash_comments:
                alts.append("#")
            if block:
                alts.append(r"(?i:\b(?:BEGIN|CASE|END)\b)")
            pattern = self._patterns[key] = re.compile("|".join(alts))
        return pattern
