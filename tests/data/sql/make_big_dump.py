"""Write a large synthetic SQL dump, for measuring the sql importer's memory and speed.

    python tests/data/sql/make_big_dump.py OUT.sql [SIZE_MB] [mysql|postgres|sqlite] [ROWS_PER_INSERT]

By default each statement is a one-row INSERT (``mysqldump --skip-extended-insert``,
``pg_dump --inserts`` and ``sqlite3 .dump`` write dumps like this) with escapes, a NULL
every 97 rows and a five-row INSERT every 1000 statements: 35 MB makes about 140,000
statements. ROWS_PER_INSERT > 1 writes extended INSERTs (mysqldump's default) instead.
The tests import :func:`write_dump` to build smaller dumps on the fly.
"""

from __future__ import annotations

import sys
from typing import TextIO

_WORDS = (
    "the quick brown fox jumps over lazy dog while a curious reader wonders whether "
    "it's really a good idea to store text in a database dump; nobody knows"
).split()


def _body(i: int, repeat: int) -> str:
    words = [_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range((12 + i % 25) * repeat)]
    return " ".join(words) + f". Row {i}\nsecond line with a \"quote\" and 'single quotes'."


def _quote(text: str, dialect: str) -> str:
    if dialect == "mysql":
        text = text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\n", "\\n")
        return f"'{text}'"
    return "'" + text.replace("'", "''") + "'"


def _row(i: int, dialect: str, repeat: int) -> str:
    body = "NULL" if i % 97 == 0 else _quote(_body(i, repeat), dialect)
    return f"({i},{_quote(f'Post {i}', dialect)},{body},{i % 13})"


def write_dump(out: TextIO, size: int, dialect: str = "mysql", *, rows_per_insert: int = 1, repeat: int = 1) -> int:
    """Write about ``size`` characters of dump to ``out``; return the number of rows.

    ``repeat`` makes the text of each row that many times longer.
    """
    table = "`posts`" if dialect == "mysql" else "posts"
    written = out.write(f"-- synthetic {dialect} dump\n")
    written += out.write(f"CREATE TABLE {table} (id integer, title varchar(200), body text, score integer);\n")
    rows = 0
    statements = 0
    while written < size:
        statements += 1
        count = rows_per_insert if rows_per_insert > 1 or statements % 1000 else 5
        values = ",".join(_row(rows + k + 1, dialect, repeat) for k in range(count))
        rows += count
        written += out.write(f"INSERT INTO {table} VALUES {values};\n")
    return rows


if __name__ == "__main__":
    target = sys.argv[1]
    megabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 35.0
    flavour = sys.argv[3] if len(sys.argv) > 3 else "mysql"
    per_insert = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(target, "w", encoding="utf-8") as fh:
        total = write_dump(fh, int(megabytes * 1_000_000), flavour, rows_per_insert=per_insert)
    print(f"{target}: {total} rows")
