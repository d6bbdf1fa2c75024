"""Reading statement headers (``INSERT``, ``COPY``, ``CREATE TABLE``) with sqlparse's lexer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlparse
from sqlparse import tokens as tt

from .literals import (
    unquote,
)
from .tables import (
    _CONSTRAINTS,
    _TYPE_WORDS,
    _Target,
)

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
