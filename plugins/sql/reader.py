"""One pass over one dump: statement by statement, each handed to what reads it."""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from dataclasses import replace

from sqlparse import tokens as tt

from curate.plugin_api import Problem, Record

from . import limits
from .copy import _CopyReading
from .headers import _parse_create_table, _significant
from .inserts import _InsertReading
from .scanner import (
    SqlSyntaxError,
)
from .tables import (
    _COMMANDS,
    _CONFORMING,
    _DDL_LIMIT,
    _DELIMITER_COMMAND,
    _LETTERS,
    _ROUTINE,
    RAW_LIMIT,
    _broken,
    _truncated,
)


class _Reader(_InsertReading, _CopyReading):
    """One pass over one dump."""

    # -- statements --------------------------------------------------------------------

    def run(self) -> Iterator[Record | Problem]:
        sc = self.sc
        pos = 0
        while True:
            try:
                start = self._next_statement(pos)
            except SqlSyntaxError as exc:
                line = sc.line_at(exc.pos)
                yield Problem(
                    f"line {line}",
                    f"{exc.message} (line {line}): the dump looks truncated; the rows before were kept",
                    raw=sc.text[exc.pos : exc.pos + RAW_LIMIT],
                )
                break
            if start is None:
                break
            self._line = line = sc.line_at(start)
            m = _LETTERS.match(sc.text, start)
            word = m.group().upper() if m else ""
            if word in ("INSERT", "REPLACE"):
                pos = yield from self._insert(start, line)
            elif word == "COPY":
                pos = yield from self._copy(start, line)
            else:
                pos = yield from self._other(start, line, word)
        yield from self._summary()

    def _next_statement(self, pos: int) -> int | None:
        """The start of the next statement, past empty ones, psql meta-commands and DELIMITER lines."""
        sc = self.sc
        while True:
            start, _ = sc.retry(sc.skip_space, pos)
            if start >= len(sc.text):
                return None
            start = sc.ensure(start, 16)
            text = sc.text
            if text.startswith(sc.delimiter, start):
                pos = start + len(sc.delimiter)
                continue
            if text[start] == "\\" or _DELIMITER_COMMAND.match(text, start):
                found, start = sc.retry(sc.line, start)
                assert found is not None
                line, pos, _ = found
                if line[0] != "\\":
                    words = line.split()
                    if len(words) > 1:
                        sc.delimiter = words[1]
                continue
            return start

    def _other(self, pos: int, line: int, word: str) -> Generator[Problem, None, int]:
        sc = self.sc
        block = False
        if word == "CREATE" and sc.delimiter == ";":
            pos = sc.ensure(pos, limits.ROUTINE_PEEK)
            block = _ROUTINE.match(sc.text, pos) is not None
        keep = _DDL_LIMIT if word in ("CREATE", "SET") else RAW_LIMIT
        pos = sc.ensure(pos, 256)
        first_token = next(_significant(sc.text[pos : pos + 256]), None)
        junk = first_token is not None and not (first_token[0] in tt.Keyword or first_token[1].upper() in _COMMANDS)
        # Not SQL (pasted prose, a stray quote after a statement): its quotes mean nothing, so it ends at the
        # next statement's start at the latest.
        st = sc.statement(pos, keep=keep, block=block, recover=junk)
        head = st.head
        if junk:
            assert first_token is not None
            resumed = (
                "" if st.resumed is None else f" (lines {line}-{st.resumed - 1}; reading resumed at line {st.resumed})"
            )
            yield Problem(
                f"line {line}",
                f"not an SQL statement this importer knows (it starts with {first_token[1][:40]!r}); skipped{resumed}. "
                "If it held rows, repair it into an INSERT",
                raw=head[:RAW_LIMIT] or None,
            )
            return st.end
        if st.resumed is not None:
            yield _broken(line, st, head)
            return st.end
        if st.problem:
            yield _truncated(line, st.problem, head)
            return st.end
        end = st.end
        tokens = list(itertools.islice(_significant(head), 4))
        first = tokens[0][1].upper() if tokens else ""
        if first == "CREATE" and any(v.upper() == "TABLE" for _, v in tokens[1:]):
            self._create_table(head)
        elif first == "SET":
            self._set(head)
        return end

    def _set(self, head: str) -> None:
        m = _CONFORMING.search(head)
        if m and self.sc.dialect.name in ("postgres", "generic"):
            self.sc.dialect = replace(self.sc.dialect, backslash_escapes=m.group(1).lower() == "off")

    def _create_table(self, head: str) -> None:
        parsed = _parse_create_table(head)
        if parsed is None:
            return
        parts, columns = parsed
        table = self._table(parts)
        if columns:
            table.columns = [name for name, _ in columns]
            table.types = {name: kind for name, kind in columns}
            table.plans.clear()
