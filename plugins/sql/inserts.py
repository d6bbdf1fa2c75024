"""Reading ``INSERT`` statements.

``VALUES`` tuples one at a time, MySQL's ``INSERT ... SET``, and recovering from damaged quotes.
"""

from __future__ import annotations

from collections.abc import Generator

from curate.plugin_api import Problem, Record

from . import limits
from .headers import _parse_insert_header
from .literals import (
    Value,
)
from .scanner import (
    NeedMore,
    SqlSyntaxError,
)
from .table_reader import _TableReader
from .tables import (
    _HEADER_CACHE,
    _LETTERS,
    RAW_LIMIT,
    _after_values,
    _bad_insert,
    _broken,
    _Table,
    _Target,
    _truncated,
    _unended,
)


class _InsertReading(_TableReader):
    """Reading INSERT statements."""

    # -- INSERT --------------------------------------------------------------------------

    def _insert(self, pos: int, line: int) -> Generator[Record | Problem, None, int]:
        sc = self.sc
        end, pos, kind = sc.insert_header(pos)
        if end is None:
            st = sc.statement(pos, keep=RAW_LIMIT)
            target = _parse_insert_header(st.head[: limits.HEADER_MAX])
            if isinstance(target, _Target) and not self._wanted(self._table(target.parts)):
                self._skip(self._table(target.parts))
                if st.resumed is not None or st.problem:
                    yield self._skipped_damage(line, st)
                return st.end
            yield self._unread(
                line, st, "an INSERT without a VALUES or SET list (INSERT ... SELECT) has no literal rows to read"
            )
            return st.end
        target = self._insert_target(sc.text[pos:end])
        if isinstance(target, str):
            st = sc.statement(pos, keep=RAW_LIMIT)
            yield self._unread(line, st, target)
            return st.end
        header = sc.text[pos:end]
        self.data_statements += 1
        table = self._table(target.parts)
        if not self._wanted(table):
            st = sc.statement(end, keep=RAW_LIMIT)
            self._skip(table)
            if st.resumed is not None or st.problem:
                yield self._skipped_damage(line, st)
            return st.end
        if kind == "set":
            return (yield from self._insert_set(table, header, end, line))
        columns = list(target.columns) if target.columns is not None else table.columns
        plan = self._plan(table, columns, line)
        if plan is None:
            st = sc.statement(end, keep=RAW_LIMIT)
            if st.resumed is not None:
                yield _broken(line, st, header + st.head)
            elif st.problem:
                yield _truncated(line, st.problem, header + st.head)
            return st.end
        q = end
        kept = 0
        while True:
            try:
                (values, t0, t1, nxt, state), q = sc.retry(self._row_step, q)
            except SqlSyntaxError as exc:
                return (yield from self._recover(exc, q, line, header, table, kept))
            yield self._row(table, plan, values, t0, t1)
            kept += 1
            if state == "next":
                q = nxt
                continue
            if state == "trailer":  # ON DUPLICATE KEY UPDATE ..., ON CONFLICT ..., RETURNING ...
                return (yield from self._trailer(nxt, line))
            if state == "unended":
                yield _unended(line, sc.line_at(nxt))
            return nxt

    def _insert_set(self, table: _Table, header: str, q: int, line: int) -> Generator[Record | Problem, None, int]:
        """The one row of ``INSERT INTO t SET a = 1, b = 'x'`` (MySQL), its columns named by the list."""
        sc = self.sc
        try:
            (names, values, t0, t1, nxt, state), q = sc.retry(self._set_step, q)
        except SqlSyntaxError as exc:
            return (yield from self._recover(exc, q, line, header, table, 0))
        plan = self._plan(table, names, line)
        if plan is not None:
            yield self._row(table, plan, values, t0, t1)
        if state == "trailer":
            return (yield from self._trailer(nxt, line))
        if state == "unended":
            yield _unended(line, sc.line_at(nxt))
        return nxt

    def _set_step(self, q: int) -> tuple[list[str], list[Value], int, int, int, str]:
        """The SET list and what follows it: ``(names, values, start, end, next, state)``."""
        sc = self.sc
        t0 = sc.skip_space(q)
        names, values, t1 = sc.assignments(t0)
        text, delimiter = sc.text, sc.delimiter
        s = sc.skip_space(t1)
        if s >= len(text):
            return names, values, t0, t1, s, "end"
        if text.startswith(delimiter, s):
            return names, values, t0, t1, s + len(delimiter), "end"
        if s + len(delimiter) > len(text) and not sc.eof:
            raise NeedMore
        if _LETTERS.match(text, s):
            return names, values, t0, t1, s, _after_values(sc, s)
        raise SqlSyntaxError(f"expected ',' or {delimiter!r} after a value of the SET list, found {text[s]!r}", s)

    def _recover(
        self, exc: SqlSyntaxError, q: int, line: int, header: str, table: _Table, kept: int
    ) -> Generator[Problem, None, int]:
        """After a row that does not parse: skip to the statement's end, or to the next statement's start."""
        sc = self.sc
        if exc.start is not None:
            q = exc.start  # the window may have moved since the caller's q
        where = sc.where(exc.pos)
        first = sc.line_at(q)
        st = sc.statement(q, keep=RAW_LIMIT, recover=True)
        truncated = exc.truncated and st.end >= len(sc.text) and sc.eof  # not when the statement ends after all
        last = sc.line_at(max(st.end - 1, 0))
        raw = header + " " + st.head.lstrip()
        yield _bad_insert(exc, where, line, raw, table, kept, first, st, truncated, last)
        return st.end

    def _trailer(self, pos: int, line: int) -> Generator[Problem, None, int]:
        """Past ``ON DUPLICATE KEY UPDATE ...`` and the like, after the rows."""
        st = self.sc.statement(pos, keep=RAW_LIMIT)
        if st.resumed is not None:
            yield _broken(line, st, st.head)
        return st.end

    def _row_step(self, q: int) -> tuple[list[Value], int, int, int, str]:
        """One tuple of values and what follows it: ``(values, start, end, next, state)``."""
        sc = self.sc
        text = sc.text
        t0 = sc.skip_space(q)
        if t0 >= len(text):
            raise SqlSyntaxError("the file ends before the statement's row of values", t0, truncated=True)
        values, t1 = sc.tuple_values(t0)
        s = sc.skip_space(t1)
        delimiter = sc.delimiter
        if s >= len(text):
            return values, t0, t1, s, "end"
        if text.startswith(delimiter, s):
            return values, t0, t1, s + len(delimiter), "end"
        if s + len(delimiter) > len(text) and not sc.eof:
            raise NeedMore
        if text[s] == ",":
            return values, t0, t1, s + 1, "next"
        if _LETTERS.match(text, s):
            return values, t0, t1, s, _after_values(sc, s)
        raise SqlSyntaxError(f"expected ',' or {delimiter!r} after a row of values, found {text[s]!r}", s)

    def _insert_target(self, header: str) -> _Target | str:
        """The parsed header, cached: a dump repeats the same few headers thousands of times."""
        target = self.headers.get(header)
        if target is None:
            target = _parse_insert_header(header)
            if len(header) <= 4096:
                if len(self.headers) >= _HEADER_CACHE:
                    self.headers.clear()
                self.headers[header] = target
        return target
