"""SQL dumps (mysqldump, pg_dump, sqlite3 ``.dump``): one record per row of ``INSERT`` or ``COPY`` data.

The dump is read as text and never executed: no database, driver or server is involved.
A hand-written scanner (:mod:`curate.plugins.sql_values`) finds statement boundaries and
reads ``VALUES`` tuples one at a time, so memory stays bounded by the largest row whatever
the size of a statement or file; sqlparse's lexer classifies statements and reads
``CREATE TABLE``, ``INSERT`` and ``COPY`` headers.

What is read:

* MySQL's ``INSERT INTO t SET a = 'x', b = 'y'``: one row, its columns named by the list.
* ``INSERT`` / ``REPLACE`` with one or many ``VALUES (...)`` tuples: strings with MySQL
  backslash escapes or doubled quotes, Postgres ``E'...'`` and ``$$...$$`` strings, MySQL
  ``_utf8mb4'...'`` introducers, numbers, ``NULL``, ``TRUE``/``FALSE``, SQLite's
  ``replace('...', '\\n', char(10))``. Hex literals (``X'..'``, ``0x..``), ``_binary`` strings
  and bytea values are binary data: a row whose text would come from one is a problem.
* Postgres ``COPY table (cols) FROM stdin;`` blocks, tab-separated up to ``\\.``, ``\\N`` for NULL.
* Column names from the ``INSERT`` or ``COPY`` column list, else from the table's ``CREATE TABLE``.
* Comments of every kind (MySQL ``/*!40101 ... */`` too), ``DELIMITER ;;`` blocks, stored
  procedures, functions and triggers are skipped, as are the statements that carry no rows.

Which column is the text: ``text_column``, or ``input_column`` + ``output_column`` (and
``system_column``), or ``template`` (CLI: ``--text-column`` and friends), for the tables named
in ``tables`` (CLI: ``--sql-table``) or every table that has those columns. With no mapping,
each table gets a guess by column name (``question``/``answer``, ``body``, ``content``...);
a table with nothing textual is skipped with one problem saying what to pass.

With ``tables``, the statements of the other tables are skipped (never parsed, never
rejects of the build) and counted: one warning per file lists them ("skipped 12
statement(s) of tables left out by --sql-table: users (10 statement(s)), ..."), with the
rows of their ``COPY`` blocks.

Records are located as ``table posts row 3 (line 120)``: the row's 1-based index within its
table and the line its tuple starts on. A statement that cannot be parsed is one problem
(``line N``, carrying the statement's text) and reading goes on with the next one.

An unbalanced quote (``'it's'``, a string that never closes, ``'ends with\\'`` in MySQL)
costs its own statement only: once the quotes are seen to be off (a row that does not
parse, a letter right after a closing quote, a string that runs to the end of the file),
reading resumes at the next line that starts a statement as dump tools write them
(``INSERT INTO``, ``CREATE TABLE``, ``COPY ... FROM stdin;``, ``LOCK TABLES``...: see
:data:`~curate.plugins.sql_values.STATEMENT_START`), and the problem names the lines skipped
("line 26 was skipped and reading resumed at line 27"). Such lines inside a string that
parses (SQL quoted in a post about SQL) stay text. A missing ``;`` between an INSERT and the
next statement's line loses nothing: both are read, with a warning.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any, Literal

import sqlparse
from sqlparse import tokens as tt

import curate
from curate.importing import (
    DECOMPRESSION_ERRORS,
    Importer,
    InputFile,
    Problem,
    detect_encoding,
    is_probably_binary,
    open_text,
)
from curate.mapping import ANSWER_NAMES, PROMPT_NAMES, SYSTEM_NAMES, TEXT_NAMES, ColumnMapping
from curate.records import Record, RecordError

from .sql_values import (
    DIALECTS,
    HEADER_MAX,
    MYSQL,
    POSTGRES,
    SQLITE,
    STATEMENT_START,
    Blob,
    Dialect,
    Expr,
    NeedMore,
    Scanner,
    SqlSyntaxError,
    Statement,
    Value,
    unescape_c,
    unquote,
)

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
_WORD = re.compile(r"[A-Za-z_]+")
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


@dataclass(frozen=True)
class SqlOptions(ColumnMapping):
    tables: list[str] | None = field(
        default=None,
        metadata={"help": "tables to import (CLI: --sql-table); default: every table with a text-like column"},
    )
    dialect: Literal["auto", "mysql", "postgres", "sqlite"] = field(
        default="auto",
        metadata={"help": "how strings are escaped: detected from the dump; force it if backslashes come out wrong"},
    )

    def __post_init__(self) -> None:
        if self.tables is not None and not all(isinstance(t, str) and t.strip() for t in self.tables):
            raise ValueError("tables must be a list of table names")
        super().__post_init__()


class SqlImporter(Importer[SqlOptions]):
    name = "sql"
    suffixes = (".sql", ".dump", ".pgsql")
    Options = SqlOptions
    description = "SQL dumps (mysqldump, pg_dump, sqlite3 .dump): rows of INSERT and COPY data; nothing is executed."

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """A dump's header comment, or statements such as ``INSERT INTO t ... VALUES (`` at a line start."""
        if head.startswith(b"PGDMP"):
            return True  # claimed so that the problem can say how to convert it
        if is_probably_binary(head):
            return False
        return _SNIFF.search(_decode_head(head)) is not None

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except DECOMPRESSION_ERRORS as exc:
            yield Problem(None, f"cannot read the file: {exc}; check that it is not damaged")
            return
        if head.startswith(b"PGDMP"):
            yield Problem(
                None,
                "a pg_dump custom-format archive, not an SQL text dump: convert it with "
                "`pg_restore -f dump.sql FILE` (no database needed) and import dump.sql",
            )
            return
        if head.startswith(b"SQLite format 3\0"):
            yield Problem(
                None,
                "an SQLite database file, not a dump: write one with `sqlite3 FILE .dump > dump.sql` "
                "and import dump.sql",
            )
            return
        if is_probably_binary(head):
            yield Problem(
                None, "binary content, not an SQL text dump; if it is compressed, name it .gz, .bz2, .xz or .zst"
            )
            return
        dialect = DIALECTS.get(self.options.dialect) or detect_dialect(_decode_head(head))
        stream, _, warning = open_text(file)
        if warning:
            yield Problem(None, warning, warning=True)
        with stream:
            reader = _Reader(self, file, stream, dialect)
            try:
                yield from reader.run()
            except DECOMPRESSION_ERRORS as exc:
                yield Problem(
                    reader.where(),
                    f"reading stopped: {exc}; the file is damaged or truncated (the rows before were kept)",
                )


def detect_dialect(head: str) -> Dialect:
    """MySQL, Postgres or SQLite from the first part of a dump; a generic dialect when unsure.

    >>> detect_dialect("-- MySQL dump 10.13  Distrib 8.0.36").name
    'mysql'
    >>> detect_dialect("PRAGMA foreign_keys=OFF;\\nBEGIN TRANSACTION;\\nCREATE TABLE t(a);").name
    'sqlite'
    """
    if re.search(r"-- (?:MySQL|MariaDB) dump|phpMyAdmin SQL Dump|/\*!\d{5}|\bENGINE\s*=|\bLOCK TABLES\b", head, re.I):
        return MYSQL
    if re.search(r"PostgreSQL database dump|standard_conforming_strings|\bFROM stdin;|pg_catalog\.", head):
        m = _CONFORMING.search(head)  # the first SET decides; later ones change it as they come
        return replace(POSTGRES, backslash_escapes=True) if m and m.group(1).lower() == "off" else POSTGRES
    if re.search(r"PRAGMA foreign_keys\s*=\s*OFF;|^BEGIN TRANSACTION;", head, re.M):
        return SQLITE
    if "`" in head:
        return MYSQL
    if re.search(r"\\['\"\\]", head) and "''" not in head:
        return replace(GENERIC, backslash_escapes=True)
    return GENERIC


def _decode_head(head: bytes) -> str:
    encoding, _ = detect_encoding(head)
    return head.decode(encoding.replace("cp1252", "latin-1"), errors="replace")


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


class _Reader:
    """One pass over one dump."""

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
            m = _WORD.match(sc.text, start)
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
            pos = sc.ensure(pos, _ROUTINE_PEEK)
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

    # -- INSERT --------------------------------------------------------------------------

    def _insert(self, pos: int, line: int) -> Generator[Record | Problem, None, int]:
        sc = self.sc
        end, pos, kind = sc.insert_header(pos)
        if end is None:
            st = sc.statement(pos, keep=RAW_LIMIT)
            target = _parse_insert_header(st.head[:HEADER_MAX])
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
        if _WORD.match(text, s):
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
        if _WORD.match(text, s):
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


# -- reading statements with sqlparse's lexer -------------------------------------------------


def _significant(sql: str) -> Iterator[tuple[Any, str]]:
    """sqlparse's tokens of ``sql`` without whitespace and comments."""
    for ttype, value in sqlparse.lexer.tokenize(sql):
        if ttype in tt.Whitespace or ttype in tt.Comment or ttype in tt.Newline:
            continue
        yield ttype, value


def _name(tokens: list[tuple[Any, str]], i: int) -> tuple[tuple[str, ...], int] | None:
    """A possibly qualified name at ``tokens[i]``; ``(parts, next index)``."""
    if i >= len(tokens) or tokens[i][0] in tt.Punctuation:
        return None
    parts = [unquote(tokens[i][1])]
    i += 1
    while i + 1 < len(tokens) and tokens[i][1] == ".":
        parts.append(unquote(tokens[i + 1][1]))
        i += 2
    return tuple(parts), i


def _column_list(tokens: list[tuple[Any, str]], i: int) -> tuple[tuple[str, ...], int] | None:
    """``(a, b, c)`` at ``tokens[i]``; ``(names, index after ')')``."""
    if i >= len(tokens) or tokens[i][1] != "(":
        return None
    names = []
    i += 1
    while i < len(tokens) and tokens[i][1] != ")":
        if tokens[i][1] != ",":
            names.append(unquote(tokens[i][1]))
        i += 1
    return tuple(names), i + 1


def _parse_insert_header(header: str) -> _Target | str:
    """Table and columns of ``INSERT [INTO] t [(cols)] ... VALUES``, or a problem message."""
    tokens = list(_significant(header))
    if not tokens or tokens[0][1].upper() not in ("INSERT", "REPLACE"):
        return "not an INSERT statement"
    i = next((k + 1 for k, (_, v) in enumerate(tokens) if v.upper() == "INTO"), None)
    if i is None:  # MySQL allows INSERT [IGNORE] t VALUES
        i = 1
        while i < len(tokens) and tokens[i][1].upper() in ("IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"):
            i += 1
    named = _name(tokens, i)
    if named is None or named[0][0].upper() in ("VALUES", "VALUE"):
        return "cannot find the table name in this INSERT statement; skipped"
    parts, i = named
    listed = _column_list(tokens, i)
    return _Target(parts, listed[0] if listed else None)


def _parse_copy(head: str) -> tuple[_Target, str] | None:
    """``(target, unsupported options)`` of ``COPY t (cols) FROM stdin``; None if no data follows."""
    tokens = list(_significant(head))
    named = _name(tokens, 1)
    if named is None:
        return None
    parts, i = named
    listed = _column_list(tokens, i)
    columns = None
    if listed is not None:
        columns, i = listed
    if i + 1 >= len(tokens) or tokens[i][1].upper() != "FROM" or tokens[i + 1][1].upper() not in ("STDIN", "PSTDIN"):
        return None
    rest = " ".join(v for _, v in tokens[i + 2 :])
    return _Target(parts, columns), rest[:200]


def _parse_create_table(head: str) -> tuple[tuple[str, ...], list[tuple[str, str]]] | None:
    """The name and ``(column, type)`` list of a CREATE TABLE statement."""
    tokens = list(_significant(head))
    i = next((k + 1 for k, (_, v) in enumerate(tokens[:6]) if v.upper() == "TABLE"), None)
    if i is None:
        return None
    while i < len(tokens) and tokens[i][1].upper() in ("IF NOT EXISTS", "IF", "NOT", "EXISTS"):
        i += 1
    named = _name(tokens, i)
    if named is None:
        return None
    parts, i = named
    if i < len(tokens) and tokens[i][1].upper() == "USING":  # SQLite virtual tables: USING fts5(title, body)
        i += 2
    if i >= len(tokens) or tokens[i][1] != "(":
        return parts, []
    definitions: list[list[tuple[Any, str]]] = [[]]
    depth = 0
    for ttype, value in tokens[i + 1 :]:
        if value == "(":
            depth += 1
        elif value == ")":
            if depth == 0:
                break
            depth -= 1
        elif value == "," and depth == 0:
            definitions.append([])
            continue
        definitions[-1].append((ttype, value))
    columns = []
    for definition in definitions:
        if not definition or any(v == "=" for _, v in definition):
            continue
        first = definition[0][1]
        word = first.split()[0].upper()
        quoted = first[0] in "`\"['"
        if not quoted and word in _CONSTRAINTS:
            follows = definition[1][1].lower().split("(")[0] if len(definition) > 1 else ""
            if word not in ("KEY", "INDEX") or follows not in _TYPE_WORDS:
                continue
        kind = " ".join(v for _, v in definition[1:])
        columns.append((unquote(first), kind))
    return parts, columns


@curate.hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(SqlImporter)
