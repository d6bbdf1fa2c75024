"""The SQL dump importer: options, sniffing, dialect detection, and the read loop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from curate.plugin_api import (
    DECOMPRESSION_ERRORS,
    ColumnMapping,
    Importer,
    InputFile,
    Problem,
    Record,
    detect_encoding,
    is_probably_binary,
    open_text,
)

from .literals import (
    DIALECTS,
    MYSQL,
    POSTGRES,
    SQLITE,
    Dialect,
)
from .reader import _Reader
from .tables import (
    _CONFORMING,
    _SNIFF,
    GENERIC,
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
