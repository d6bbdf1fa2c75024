"""Tables and how their rows become records.

Column plans, the column names guessed, row helpers and the problems rows give.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from curate.plugin_api import ANSWER_NAMES, PROMPT_NAMES, TEXT_NAMES, Problem

from .literals import (
    Blob,
    Dialect,
    Expr,
    Value,
)
from .scanner import (
    STATEMENT_START,
    NeedMore,
    SqlSyntaxError,
    Statement,
)
from .statements import Scanner

RAW_LIMIT = 10_000  # the most statement text a Problem carries
_DDL_LIMIT = 1 << 18  # the most of a CREATE statement kept to read its columns
_ROUTINE_PEEK = 1000  # how far CREATE ... TRIGGER/FUNCTION/PROCEDURE is looked for
_COPY_HEAD = 1 << 16  # the most of a COPY statement kept to read its columns
_MAX_FIELDS = 16  # extra scalar columns kept in meta["fields"]
_MAX_FIELD_CHARS = 200
_HEADER_CACHE = 512

GENERIC = Dialect("generic", backslash_escapes=False, dollar_quotes=True, hash_comments=False)

# Column names guessed when no mapping is given, in order of preference (after the shared ones).
_PROMPT_NAMES = (*PROMPT_NAMES, "request")
_ANSWER_NAMES = (*ANSWER_NAMES, "reply", "generation", "target")
_TEXT_NAMES = (
    *TEXT_NAMES,
    "message",
    "comment",
    "post",
    "article",
    "document",
    "passage",
    "description",
    "summary",
    "abstract",
    "review",
    "transcript",
    "story",
    "note",
    "notes",
    "caption",
)
_TEXT_AFFIX = re.compile(r"^(?:text|content|body)_|_(?:text|content|body|message)$", re.I)
_BINARY_TYPE = re.compile(r"blob|binary|bytea|\bimage\b|\braw\b", re.I)
_NON_TEXT_TYPE = re.compile(
    r"int|serial|numeric|decimal|float|double|real|bool|date|time|year|\bbit\b|money|uuid|json|inet|point", re.I
)
_CONFORMING = re.compile(r"standard_conforming_strings\s*(?:=|TO)\s*'?(on|off)", re.I)
_BYTEA_HEX = re.compile(r"\\x[0-9A-Fa-f]*")
_LETTERS = re.compile(r"[A-Za-z_]+")
_DELIMITER_COMMAND = re.compile(r"delimiter[ \t]", re.I)
_ROUTINE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|CONSTRAINT|DEFINER\s*=\s*\S+)\s+)*(?:TRIGGER|FUNCTION|PROCEDURE)\b",
    re.I,
)
_CONSTRAINTS = frozenset(
    "PRIMARY UNIQUE CONSTRAINT FOREIGN CHECK FULLTEXT SPATIAL EXCLUDE LIKE PERIOD KEY INDEX".split()
)
_TYPE_WORDS = frozenset(
    """int integer bigint smallint tinyint mediumint varchar char character text tinytext mediumtext longtext
    nvarchar nchar clob string blob longblob mediumblob tinyblob binary varbinary bytea numeric decimal real
    double float bool boolean date time timestamp timestamptz datetime year json jsonb uuid serial bigserial
    enum set bit interval money inet cidr xml""".split()
)
# First words of statements that carry no rows (sqlparse tags most SQL words as keywords itself).
_COMMANDS = frozenset(
    """PRAGMA ANALYZE VACUUM REINDEX ATTACH DETACH SAVEPOINT RELEASE LISTEN NOTIFY UNLISTEN DISCARD CHECKPOINT
    SECURITY OPTIMIZE REPAIR FLUSH PURGE RENAME HANDLER INSTALL UNINSTALL CLUSTER REFRESH IMPORT""".split()
)
_SNIFF = re.compile(
    r"^-- (?:MySQL dump|MariaDB dump|PostgreSQL database dump|phpMyAdmin SQL Dump)"
    r"|^PRAGMA foreign_keys=OFF;\s*BEGIN TRANSACTION;"
    r"|^BEGIN TRANSACTION;\s*CREATE TABLE"
    r"|^\s*INSERT\s+INTO\s+[^\s(]+[^;]{0,2000}?\bVALUES\s*\("
    r"|^\s*CREATE\s+TABLE\s+[^\s(]+\s*\("
    r"|^COPY\s+\S+[^;\n]*\bFROM\s+stdin;",
    re.M | re.I,
)


# ---------------------------------------------------------------------------------------
# Tables and how their rows become records.


@dataclass(frozen=True)
class _Plan:
    """Which columns of a table's rows make a record (indices into the row)."""

    names: tuple[str, ...]
    numbered: bool = False  # the dump names no columns: names are "1", "2"...
    text: int | None = None
    input: int | None = None
    output: int | None = None
    system: int | None = None
    template: tuple[tuple[str, int], ...] | None = None
    binary: frozenset[int] = frozenset()
    guessed: str | None = None

    @property
    def used(self) -> set[int]:
        used = {i for i in (self.text, self.input, self.output, self.system) if i is not None}
        return used | {i for _, i in self.template or ()}

    @functools.cached_property
    def others(self) -> tuple[tuple[int, str], ...]:
        """The columns that may go to meta["fields"]: not content, not binary, short names."""
        used = self.used
        return tuple(
            (i, name) for i, name in enumerate(self.names) if i not in used and i not in self.binary and len(name) <= 64
        )


@dataclass
class _Table:
    name: str
    columns: list[str] | None = None
    types: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    plans: dict[tuple[str, ...] | None, _Plan | str] = field(default_factory=dict)
    skipped: str | None = None
    skipped_line: int = 0


class _Unfit(Exception):
    """A row that cannot become a record; the message says why."""


@dataclass(frozen=True)
class _Target:
    """The table (and column list, if any) of an INSERT or COPY statement."""

    parts: tuple[str, ...]
    columns: tuple[str, ...] | None


# ---------------------------------------------------------------------------------------
# Helpers.


def _text(plan: _Plan, values: list[Value], index: int, *, optional: bool = False) -> str:
    name = plan.names[index] if index < len(plan.names) else str(index + 1)
    if index >= len(values):
        raise _Unfit(f"column {name} does not exist: this row has {len(values)} value(s)")
    value = values[index]
    if value is None:
        if optional:
            return ""
        raise _Unfit(f"column {name!r} is NULL")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Blob):
        raise _Unfit(f"column {name!r} holds {value.describe()}, not text; skipped")
    if isinstance(value, Expr):
        raise _Unfit(
            f"column {name!r} is an SQL expression ({value.sql[:80]!r}), not a literal value; "
            "only literal values are read, nothing is executed"
        )
    if index in plan.binary and _BYTEA_HEX.fullmatch(value):
        size = max(0, len(value) - 2) // 2
        raise _Unfit(f"column {name!r} holds binary data (bytea, {size} bytes), not text; skipped")
    return value


def _meta(table: _Table, plan: _Plan, values: list[Value]) -> dict[str, Any]:
    meta: dict[str, Any] = {"table": table.name}
    if plan.guessed:
        meta["guessed"] = plan.guessed
    fields: dict[str, Any] = {}
    for i, name in plan.others:
        value = values[i] if i < len(values) else None
        if isinstance(value, str) and len(value) > _MAX_FIELD_CHARS:
            continue
        if isinstance(value, float) and value != value:  # pragma: no cover - NaN never parses
            continue
        if isinstance(value, (str, int, float, bool)):
            fields[name] = value
            if len(fields) >= _MAX_FIELDS:
                break
    if fields:
        meta["fields"] = fields
    return meta


def _bad_insert(
    exc: SqlSyntaxError,
    where: str,
    line: int,
    raw: str,
    table: _Table,
    kept: int,
    first: int,
    st: Statement,
    truncated: bool,
    last: int,
) -> Problem:
    """The problem for an INSERT whose row starting on line ``first`` does not parse (``st``: what was skipped)."""
    before = f"the {kept} row(s) before it in this statement were kept" if kept else "no row of it was kept"
    if st.resumed is not None:
        message = (
            f"cannot parse the INSERT into {table.name} starting on line {line}: {exc.message} ({where}); "
            f"{_lines(first, st.resumed - 1)} skipped and reading resumed at line {st.resumed}, where the next "
            f"statement starts; {before}"
        )
    elif truncated:
        message = (
            f"the INSERT into {table.name} starting on line {line} is cut off: {exc.message} ({where}); "
            f"the dump looks truncated; {before}"
        )
    else:
        span = f"line {first}" if last <= first else f"lines {first}-{last}"
        message = (
            f"cannot parse the INSERT into {table.name} starting on line {line}: {exc.message} ({where}); "
            f"the rest of the statement ({span}) was skipped, {before}"
        )
    return Problem(f"line {line}", message, raw=raw[:RAW_LIMIT])


def _after_values(sc: Scanner, word: int) -> str:
    """``"trailer"`` for the word at ``word`` after a statement's last values (``ON DUPLICATE KEY UPDATE``), or
    ``"unended"`` when it starts the next statement's line: the ';' between them is missing."""
    line_end = sc.text.rfind("\n", 0, word)
    if line_end < 0 or sc.text[line_end:word].strip():
        return "trailer"
    if not sc.eof and len(sc.text) - word < 512:
        raise NeedMore  # the pattern looks at the start of the line
    return "unended" if STATEMENT_START.match(sc.text, line_end) else "trailer"


def _unended(line: int, next_line: int) -> Problem:
    return Problem(
        f"line {line}",
        f"the INSERT starting on line {line} has no ';' before the statement on line {next_line}; "
        "both were read (add the ';' to silence this)",
        warning=True,
    )


def _broken(line: int, st: Statement, head: str) -> Problem:
    """The problem for a statement whose quotes are off: where that showed, which lines were skipped."""
    assert st.resumed is not None
    seen = f" (text follows a closing quote on line {st.broken})" if st.broken is not None else ""
    return Problem(
        f"line {line}",
        f"the statement starting on line {line} has an unbalanced quote{seen}: {_lines(line, st.resumed - 1)} "
        f"skipped and reading resumed at line {st.resumed}, where the next statement starts",
        raw=head[:RAW_LIMIT] or None,
    )


def _lines(first: int, last: int) -> str:
    return f"line {first} was" if last <= first else f"lines {first}-{last} were"


def _truncated(line: int, problem: str, head: str) -> Problem:
    return Problem(
        f"line {line}",
        f"{problem}: the statement starting on line {line} runs to the end of the file, which looks truncated "
        "(or a quote is unbalanced); the rows before it were kept",
        raw=head[:RAW_LIMIT] or None,
    )


def _names(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return (shown + f", ... ({len(names)} in all)" if len(names) > limit else shown) or "none"


def _find_column(names: Sequence[str], wanted: str) -> int | None:
    if wanted in names:
        return names.index(wanted)
    lowered = [n.lower() for n in names]
    if lowered.count(wanted.lower()) == 1:
        return lowered.index(wanted.lower())
    return None
