"""Reading Postgres ``COPY table (cols) FROM stdin;`` blocks: tab-separated lines up to ``\\.``."""

from __future__ import annotations

from collections.abc import Generator

from curate.plugin_api import Problem, Record

from .headers import _parse_copy
from .literals import (
    Value,
    unescape_c,
)
from .table_reader import _TableReader
from .tables import (
    _COPY_HEAD,
    RAW_LIMIT,
    _broken,
    _Plan,
    _Table,
    _truncated,
)


class _CopyReading(_TableReader):
    """Reading COPY blocks."""

    # -- COPY ----------------------------------------------------------------------------

    def _copy(self, pos: int, line: int) -> Generator[Record | Problem, None, int]:
        sc = self.sc
        st = sc.statement(pos, keep=_COPY_HEAD)
        if st.resumed is not None:
            yield _broken(line, st, st.head)
            return st.end
        if st.problem:
            yield _truncated(line, st.problem, st.head)
            return st.end
        end = st.end
        parsed = _parse_copy(st.head)
        if parsed is None:  # COPY ... TO, or FROM a file: no data in the dump
            return end
        target, unsupported = parsed
        found, end = sc.retry(sc.line, end)  # the rest of the COPY line
        q = found[1] if found else end
        self.data_statements += 1
        table = self._table(target.parts)
        columns = list(target.columns) if target.columns is not None else table.columns
        wanted = self._wanted(table)
        plan = None if unsupported or not wanted else self._plan(table, columns, line)
        skipped: list[str] = []
        kept = left_out = 0
        while True:
            found, q = sc.retry(sc.line, q)
            if found is None or not found[2]:
                last = found[0] if found else ""
                if not wanted:
                    self._skip(table, left_out)
                if last.rstrip("\r") == "\\.":
                    return found[1] if found else q
                yield Problem(
                    f"line {line}",
                    f"the COPY data for {table.name} starting on line {line} ends with the file, without its \\. line: "
                    f"the dump looks truncated; {kept} row(s) before were read"
                    + ("; the last line, probably cut, is not imported" if last else "")
                    + ("" if wanted else " (a table that is not imported)"),
                    raw=(last[:RAW_LIMIT] or None) if wanted else None,
                )
                return found[1] if found else q
            data, nxt, _ = found
            if data.rstrip("\r") == "\\.":
                break
            if plan is not None:
                yield self._copy_row(table, plan, data, q)
                kept += 1
            elif not wanted:
                left_out += 1
            elif unsupported and sum(map(len, skipped)) < RAW_LIMIT:
                skipped.append(data)
            q = nxt
        if not wanted:
            self._skip(table, left_out)
        elif unsupported:
            yield Problem(
                f"line {line}",
                f"COPY {table.name} uses options this importer does not read ({unsupported}); its data was skipped. "
                "Dump again with pg_dump's default text format, or with --inserts",
                raw="\n".join(skipped)[:RAW_LIMIT] or None,
            )
        return nxt

    def _copy_row(self, table: _Table, plan: _Plan, data: str, pos: int) -> Record | Problem:
        fields = data.rstrip("\r").split("\t")
        values: list[Value] = [None if f == "\\N" else unescape_c(f, unicode_escapes=False) for f in fields]
        return self._row(table, plan, values, pos, pos + len(data))
