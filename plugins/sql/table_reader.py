"""What every part of a dump's reader shares.

The tables met, the column plan of each, rows made into records, the summary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from curate.plugin_api import SYSTEM_NAMES, InputFile, Problem, Record, RecordError

from .literals import (
    Dialect,
    Value,
)
from .scanner import (
    Statement,
)
from .statements import Scanner
from .tables import (
    _ANSWER_NAMES,
    _BINARY_TYPE,
    _NON_TEXT_TYPE,
    _PROMPT_NAMES,
    _TEXT_AFFIX,
    _TEXT_NAMES,
    RAW_LIMIT,
    _broken,
    _find_column,
    _meta,
    _names,
    _Plan,
    _Table,
    _Target,
    _text,
    _truncated,
    _Unfit,
)

if TYPE_CHECKING:
    from .importer import SqlImporter, SqlOptions


class _TableReader:
    """The state of one pass over one dump, and how its rows become records."""

    def __init__(self, importer: SqlImporter, file: InputFile, stream: IO[str], dialect: Dialect) -> None:
        self.importer = importer
        self.options: SqlOptions = importer.options
        self.file = file
        self.sc = Scanner(stream, dialect)
        self.tables: dict[str, _Table] = {}
        self.headers: dict[str, _Target | str] = {}
        self.wanted = {t.strip().lower() for t in self.options.tables} if self.options.tables else None
        self.found: set[str] = set()
        #: Statements (and COPY rows) of tables left out by ``tables``: table name -> [statements, rows or -1].
        self.skipped: dict[str, list[int]] = {}
        self.data_statements = 0
        self._line = 1
        self._template = self.options.template_fields()

    def where(self) -> str:
        return f"line {self._line}"

    def _unread(self, line: int, st: Statement, why: str) -> Problem:
        """The problem for an INSERT whose rows cannot be read."""
        if st.resumed is not None:
            return _broken(line, st, st.head)
        if st.problem:
            return _truncated(line, st.problem, st.head)
        return Problem(f"line {line}", f"{why}; skipped", raw=st.head)

    def _skip(self, table: _Table, rows: int = -1) -> None:
        """Count a statement of a table that ``tables`` leaves out (``rows``: -1 when not counted)."""
        if self.wanted is None:  # SQLite's own tables, never wanted: nothing to say
            return
        counts = self.skipped.setdefault(table.name, [0, 0])
        counts[0] += 1
        counts[1] = -1 if rows < 0 or counts[1] < 0 else counts[1] + rows

    def _skipped_damage(self, line: int, st: Statement) -> Problem:
        """A damaged statement of a table left out: said, but nothing of it is a reject of this build."""
        if st.resumed is not None:
            problem = _broken(line, st, "")
            return Problem(
                problem.locator, problem.message + " (a statement of a table that is not imported)", warning=True
            )
        return Problem(
            f"line {line}",
            f"{st.problem}: the statement starting on line {line} (of a table that is not imported) runs to the end "
            "of the file, which looks truncated (or a quote is unbalanced); the rows before it were kept",
        )

    # -- rows ----------------------------------------------------------------------------

    def _row(self, table: _Table, plan: _Plan, values: list[Value], pos: int, end: int) -> Record | Problem:
        """The record (or problem) for one row whose text is ``sc.text[pos:end]``."""
        table.rows += 1
        locator = f"table {table.name} row {table.rows} (line {self.sc.line_at(pos)})"
        try:
            if not plan.numbered and len(values) != len(plan.names):
                raise _Unfit(
                    f"this row has {len(values)} value(s) but {len(plan.names)} column(s) are named "
                    f"({_names(plan.names)}); skipped"
                )
            content = self._content(plan, values)
            source = self.file.source(self.importer.name, locator)
            return Record.create(source, meta=_meta(table, plan, values), **content)
        except (_Unfit, RecordError) as exc:
            return Problem(locator, str(exc), raw=self.sc.text[pos : min(end, pos + RAW_LIMIT)])

    def _content(self, plan: _Plan, values: list[Value]) -> dict[str, Any]:
        def get(index: int | None, *, optional: bool = False) -> str:
            if index is None:
                return ""
            return _text(plan, values, index, optional=optional)

        if plan.template is not None:
            fields = {name: get(i, optional=True) for name, i in plan.template}
            try:
                prompt = self.options.template.format_map(fields)  # type: ignore[union-attr]
            except (KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:
                raise _Unfit(f"template cannot be filled from this row: {exc}") from None
        else:
            prompt = get(plan.input, optional=True)
        content: dict[str, Any]
        if plan.text is not None:
            content = {"text": get(plan.text)}
            texts = [content["text"]]
        elif plan.output is None:
            content = {"text": prompt}
            texts = [prompt]
        else:
            answer = get(plan.output)
            system = get(plan.system, optional=True)
            texts = [system, prompt, answer]
            if system.strip():
                turns = [{"role": "system", "content": system}]
                if prompt:
                    turns.append({"role": "user", "content": prompt})
                content = {"messages": [*turns, {"role": "assistant", "content": answer}]}
            else:
                content = {"input": prompt, "output": answer}
        if not any(t.strip() for t in texts):
            used = ", ".join(plan.names[i] for i in sorted(plan.used) if i < len(plan.names))
            raise _Unfit(f"empty: no text in column(s) {used}")
        return content

    # -- tables --------------------------------------------------------------------------

    def _table(self, parts: Sequence[str]) -> _Table:
        key = ".".join(parts).lower()
        table = self.tables.get(key)
        if table is None:
            last = parts[-1].lower()
            matches = [t for k, t in self.tables.items() if k.rsplit(".", 1)[-1] == last]
            if len(matches) == 1 and (len(parts) == 1 or "." not in key):
                return matches[0]
            table = self.tables[key] = _Table(".".join(parts))
        return table

    def _wanted(self, table: _Table) -> bool:
        name = table.name.lower()
        if self.wanted is None:
            return not name.startswith("sqlite_")  # SQLite's own tables (sqlite_sequence, sqlite_schema...)
        for candidate in (name, name.rsplit(".", 1)[-1]):
            if candidate in self.wanted:
                self.found.add(candidate)
                return True
        return False

    def _plan(self, table: _Table, columns: list[str] | None, line: int) -> _Plan | None:
        """How the table's rows become records, or None when they are not read."""
        if not self._wanted(table):
            return None
        key = tuple(columns) if columns is not None else None
        plan = table.plans.get(key)
        if plan is None:
            plan = table.plans[key] = self._resolve(table, columns)
        if isinstance(plan, str):
            if table.skipped is None:
                table.skipped, table.skipped_line = plan, line
            return None
        return plan

    def _resolve(self, table: _Table, columns: list[str] | None) -> _Plan | str:
        o = self.options
        names = tuple(columns) if columns is not None else ()
        types = [table.types.get(n, "") for n in names]
        binary = frozenset(i for i, t in enumerate(types) if _BINARY_TYPE.search(t))
        if o.mapped:
            missing: list[str] = []

            def find(column: str | None, option: str) -> int | None:
                if column is None:
                    return None
                index = _find_column(names, column)
                if index is None and columns is None and column.isdigit() and int(column) >= 1:
                    return int(column) - 1
                if index is None:
                    missing.append(f"{column!r} ({option})")
                return index

            plan = _Plan(
                names,
                numbered=columns is None,
                text=find(o.text_column, "text_column"),
                input=find(o.input_column, "input_column"),
                output=find(o.output_column, "output_column"),
                system=find(o.system_column, "system_column"),
                binary=binary,
            )
            if o.template is not None:
                fields = [(name, find(name, "template")) for name in self._template]
                plan = replace(plan, template=tuple((name, i) for name, i in fields if i is not None))
            if missing:
                what = f"its columns: {_names(names)}" if columns is not None else "the dump names none of its columns"
                return f"table {table.name} has no column {' or '.join(missing)}; {what}"
            return plan
        if columns is None:
            return (
                f"the dump names no columns for table {table.name} (no column list in its INSERTs, no CREATE TABLE), "
                "so no column can be chosen by name; columns are numbered from 1 instead"
            )
        lowered = [n.lower() for n in names]
        candidates = [i for i, t in enumerate(types) if i not in binary and not _NON_TEXT_TYPE.search(t)]
        allowed = {lowered[i]: i for i in reversed(candidates)}
        answer = next((allowed[n] for n in _ANSWER_NAMES if n in allowed), None)
        prompt = next((allowed[n] for n in _PROMPT_NAMES if n in allowed), None)
        if answer is not None and prompt is not None:
            system = next((allowed[n] for n in SYSTEM_NAMES if n in allowed), None)
            guessed = "/".join(names[i] for i in (system, prompt, answer) if i is not None)
            return _Plan(names, input=prompt, output=answer, system=system, binary=binary, guessed=guessed)
        text = next((allowed[n] for n in _TEXT_NAMES if n in allowed), None)
        if text is None:
            text = next((i for i in candidates if _TEXT_AFFIX.search(names[i])), None)
        if text is not None:
            return _Plan(names, text=text, binary=binary, guessed=names[text])
        return f"table {table.name} has no column that looks like text (columns: {_names(names)})"

    def _summary(self) -> Iterator[Problem]:
        for table in self.tables.values():
            if table.skipped is None:
                continue
            column = "COLUMN" if table.columns else "N"
            yield Problem(
                f"table {table.name} (line {table.skipped_line})",
                f"{table.skipped}; its rows were skipped. Tables in this dump: {self._listing()}. "
                f"To import it, pass --sql-table {table.name} --text-column {column} "
                "(or --input-column and --output-column, or --template '{a}: {b}')",
            )
        if self.skipped:
            shown = sorted(self.skipped.items(), key=lambda item: (-item[1][0], item[0]))
            listed = ", ".join(
                f"{name} ({n} statement(s){'' if rows < 0 else f', {rows} row(s)'})" for name, (n, rows) in shown[:20]
            )
            more = f", ... ({len(shown)} tables in all)" if len(shown) > 20 else ""
            total = sum(n for n, _ in self.skipped.values())
            yield Problem(
                None,
                f"skipped {total} statement(s) of tables left out by --sql-table: {listed}{more}",
                warning=True,
            )
        if self.wanted is not None:
            for name in sorted(self.wanted - self.found):
                yield Problem(
                    None,
                    f"no rows for table {name!r} (--sql-table) in this dump; tables with rows here: {self._listing()}",
                )
        if self.data_statements == 0:
            yield Problem(None, "no INSERT or COPY data in this dump (a schema-only dump?); nothing was imported")

    def _listing(self) -> str:
        shown = []
        for table in list(self.tables.values())[:20]:
            shown.append(f"{table.name} ({_names(table.columns or (), limit=12)})" if table.columns else table.name)
        more = f", ... ({len(self.tables)} in all)" if len(self.tables) > 20 else ""
        return (", ".join(shown) + more) or "none"
