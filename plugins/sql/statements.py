"""Statement boundaries, ``INSERT`` headers and ``SET`` lists, ``COPY`` data lines: the :class:`Scanner`.

Nothing here runs SQL or talks to a database. Where a statement ends respects quotes,
comments, Postgres dollar quotes, the MySQL client's ``DELIMITER`` and ``BEGIN ... END``
bodies.
"""

from __future__ import annotations

import re

from . import limits
from .literals import (
    Value,
    unquote,
)
from .scanner import (
    _COLUMN_NAME,
    _HEADER_TOKEN,
    _LAST_NAME_PART,
    _LOOKBACK,
    _NOT_SIMPLE,
    _OPENED,
    _QUOTE_OR_BACKSLASH,
    _SIMPLE_HEADER,
    _UNENDED,
    _WORD_CHAR,
    STATEMENT_START,
    NeedMore,
    SqlSyntaxError,
    Statement,
    ValueScanner,
)


class Scanner(ValueScanner):
    """A :class:`ValueScanner` that also reads statements, ``INSERT`` headers, ``SET`` lists and ``COPY`` lines."""

    def statement(self, pos: int, *, keep: int = 0, block: bool = False, recover: bool = False) -> Statement:
        """Move past the statement that starts at ``pos``; see :class:`Statement` for what comes back.

        The statement ends after its delimiter (or at the end of file); ``head`` keeps its
        first ``keep`` characters. With ``block``, ``BEGIN ... END`` (and ``CASE ... END``)
        pairs hide delimiters, as in SQLite triggers. Reads on by itself (this is not a
        :meth:`retry` method); what it has moved past is dropped from the window.

        Quotes that are seen to be broken (a closing quote with a letter or digit right
        after it, which SQL never writes), or ``recover=True`` (the caller found the
        statement damaged), make the scan stop at the next line that starts a statement
        (:data:`STATEMENT_START`), inside quotes or not: an unbalanced quote then costs the
        lines up to there, not the rest of the dump.
        """
        delimiter = self.delimiter
        pattern = self._pattern(delimiter, block=block)
        parts: list[str] = []
        kept = 0
        seg = pos
        floor = pos  # statement starts are looked for from here (the start, while it is in the window)
        mode: str | None = None  # None, a quote character, or the text that ends a comment / dollar quote
        backslash = False
        depth = 0
        opened = pos
        opened_line: int | None = None
        recovering = recover
        broken: int | None = None  # the line where the quotes were seen to be off
        held: int | None = None  # a statement start inside the open string: the window is kept from there
        nl = -1  # the next line end in the window (n if none), once looked for
        look: int | None = None  # where to look for the next statement start, when not from ``pos``

        def keep_text(upto: int) -> None:
            nonlocal kept
            if kept < keep and upto > seg:
                piece = self.text[seg : min(upto, seg + keep - kept)]
                parts.append(piece)
                kept += len(piece)

        while True:
            text = self.text
            n = len(text)
            resume = n
            # The next thing that changes the mode: a token (m), or the end of a quote or comment (j); n if none.
            m: re.Match[str] | None = None
            j = -1
            if mode is None:
                m = pattern.search(text, pos)
                event = m.start() if m is not None else n
            else:
                if mode in ("'", '"') and backslash:
                    found = _QUOTE_OR_BACKSLASH[mode].search(text, pos)
                    j = found.start() if found else -1
                else:
                    j = text.find(mode, pos)
                event = j if j >= 0 else n
            if recovering:
                start_line = STATEMENT_START.search(text, max(pos - 1, floor) if look is None else look)
                look = None
                if start_line is not None and start_line.start() < event:
                    cut = start_line.start()
                    keep_text(cut)
                    return Statement(cut + 1, "".join(parts), None, self.line_at(cut + 1), broken)
                if start_line is None and not self.eof and event >= n - _LOOKBACK:
                    resume = max(pos, n - _LOOKBACK)  # a statement start may be cut by the window's end
                    keep_text(resume)
                    pos = seg = self.fill(resume)
                    floor = 0
                    continue
            lo = pos - 1 if pos > floor else floor
            if nl < lo:  # the next line end: most tokens and strings have none before them
                nl = text.find("\n", lo)
                if nl < 0:
                    nl = n
            if mode is None and nl < event and depth == 0 and not block and delimiter == ";":
                found = _UNENDED.search(text, lo, min(n, event + 512))
                if found is not None and found.start() < event:  # no ';' before the next statement's line
                    keep_text(found.start())
                    return Statement(found.start() + 1, "".join(parts), None, None, broken)
            if mode is None:
                if m is not None and (m.end() < n or self.eof):
                    tok, start = m.group(), m.start()
                    pos = m.end()
                    if tok == delimiter:
                        if depth == 0:
                            keep_text(start)
                            return Statement(pos, "".join(parts), None, None, broken)
                        continue
                    opened = start
                    opened_line = None
                    if tok in ("'", '"'):
                        mode, backslash = tok, self.dialect.backslash_escapes
                    elif tok == "`":
                        mode, backslash = tok, False
                    elif tok in ("E'", "e'"):
                        mode, backslash = "'", True
                    elif tok in ("--", "#"):
                        mode = "\n"
                    elif tok == "/*":
                        mode = "*/"
                    elif tok.startswith("$"):
                        mode = tok
                    elif tok.upper() == "END":
                        depth = max(0, depth - 1)
                    else:
                        depth += 1
                    continue
                resume = m.start() if m is not None else max(pos, n - _LOOKBACK)
            elif mode in ("'", '"', "`"):
                if held is None and not recovering and nl < event:  # a statement start in the string: keep it
                    found = STATEMENT_START.search(text, lo, min(n, event + 512))
                    if found is not None and found.start() < event:
                        held = found.start()
                if j < 0:
                    resume = max(pos, n - _LOOKBACK)  # looked at again: a statement start may be cut here
                elif text[j] == "\\":
                    if j + 1 < n:
                        pos = j + 2
                        continue
                    resume = j
                else:
                    if j + 1 < n or self.eof:
                        if j + 1 < n and text[j + 1] == mode:
                            pos = j + 2
                            continue
                        pos, mode, held = j + 1, None, None
                        if broken is None and j + 1 < n and _WORD_CHAR.match(text, j + 1):
                            # 'it's': a closing quote with a letter after it. The quotes are off from some
                            # earlier point: resume at the first statement start since the statement's.
                            broken, recovering, look = self.line_at(j), True, floor
                        continue
                    resume = j
            else:
                if j >= 0:
                    pos, mode = j + len(mode), None
                    continue
                resume = max(pos, n - len(mode) + 1)
            if self.eof:
                keep_text(n)
                if mode is None or mode == "\n":
                    return Statement(n, "".join(parts), None, None, broken)
                if held is not None:  # the string never closes: it ends where the next statement starts
                    return Statement(held + 1, "".join(parts), None, self.line_at(held + 1), broken)
                if opened_line is None:
                    opened_line = self.line_at(opened)
                what = _OPENED.get(mode, f"a {mode}-quoted string")
                problem = f"{what} opened on line {opened_line} is never closed"
                return Statement(n, "".join(parts), problem, None, broken)
            if mode is not None and opened_line is None:
                opened_line = self.line_at(opened)
            keep_text(resume)
            if held is not None and resume - held > limits.HOLD_MAX:
                held = None  # too far to go back to: an unclosed string then runs to the end of file
            if held is not None and held < resume:
                pos = seg = self.fill(held) + resume - held
                held = 0
            else:
                pos = seg = self.fill(resume)
            floor = opened = 0
            nl = -1

    def insert_header(self, pos: int) -> tuple[int | None, int, str]:
        """``(end, pos, kind)``: where ``INSERT ... VALUES`` (kind ``"values"``) or ``INSERT ... SET``
        (kind ``"set"``) from ``pos`` ends; ``end`` is None when neither follows (``INSERT ... SELECT``).

        Reads on to see :data:`HEADER_MAX` characters if needed; ``pos`` is the start's new position.
        """
        text = self.text
        m = _SIMPLE_HEADER.match(text, pos)
        if m is not None and (m.end() < len(text) or self.eof) and not _NOT_SIMPLE.search(text, pos, m.start(1)):
            end: tuple[int, str] | None = (m.end(), "values")
        else:
            pos = self.ensure(pos, limits.HEADER_MAX)
            end = self._header_end(pos)
        if end is None or STATEMENT_START.search(self.text, pos, end[0]):  # a header never spans statements
            return None, pos, ""
        return end[0], pos, end[1]

    def _header_end(self, pos: int) -> tuple[int, str] | None:
        text = self.text
        limit = min(len(text), pos + limits.HEADER_MAX)
        depth = 0
        previous = ""
        delimiter = self.delimiter
        while pos < limit:
            if depth == 0 and text.startswith(delimiter, pos):
                return None
            m = _HEADER_TOKEN.match(text, pos)
            assert m is not None
            if m.end() > limit and not self.eof:
                return None
            tok = m.group()
            pos = m.end()
            c = tok[0]
            if c == "(":
                depth += 1
            elif c == ")":
                depth = max(0, depth - 1)
            elif depth == 0 and (c.isalpha() or c == "_"):
                up = tok.upper()
                if up == "VALUES" or (up == "VALUE" and previous not in ("SYSTEM", "USER")):
                    return pos, "values"
                if up == "SET":  # INSERT [INTO] t SET a = 1, b = 2 (MySQL)
                    return pos, "set"
                if up in ("SELECT", "SET", "DEFAULT", "WITH", "TABLE"):
                    return None
                previous = up
        return None

    def assignments(self, pos: int) -> tuple[list[str], list[Value], int]:
        """The ``column = value`` list of ``INSERT ... SET`` at ``pos``; ``(names, values, end)``.

        The list ends at the statement's delimiter, at a word that follows a value (``ON
        DUPLICATE KEY UPDATE``, ``AS alias``) or at the end of file; ``end`` is there. Names
        lose their quotes and any table prefix (``t.`a``` is ``a``).
        """
        text = self.text
        names: list[str] = []
        values: list[Value] = []
        q = self._next(pos, "in the SET list of an INSERT")
        while True:
            m = _COLUMN_NAME.match(text, q)
            if m is None or m.end() >= len(text):
                if not self.eof and len(text) - q < limits.HEADER_MAX:
                    raise NeedMore
                if m is None:
                    raise SqlSyntaxError(f"expected a column name in the SET list, found {text[q : q + 20]!r}", q)
            assert m is not None
            name = unquote(_LAST_NAME_PART.search(m.group()).group())  # type: ignore[union-attr]
            q = self._next(m.end(), "in the SET list of an INSERT")
            if text.startswith(":=", q):
                q += 2
            elif text[q] == "=":
                q += 1
            else:
                raise SqlSyntaxError(f"expected '=' after column {name} in the SET list, found {text[q]!r}", q)
            value, q = self.value(self._next(q, "in the SET list of an INSERT"), stop=self.delimiter)
            names.append(name)
            values.append(value)
            q = self.skip_space(q)
            if q < len(text) and text[q] == ",":
                q = self._next(q + 1, "in the SET list of an INSERT")
                continue
            return names, values, q

    def line(self, pos: int) -> tuple[str, int, bool] | None:
        """``(line, position after it, ended)`` for the line at ``pos``; None at the end of file.

        ``ended`` is False for a last line that the file cuts off before its line end.
        """
        text = self.text
        if pos >= len(text):
            if self.eof:
                return None
            raise NeedMore
        end = text.find("\n", pos)
        if end < 0:
            if not self.eof:
                raise NeedMore
            return text[pos:], len(text), False
        return text[pos:end], end + 1, True
