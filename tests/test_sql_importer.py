"""The built-in SQL dump importer.

Golden files: each dump under tests/data/sql/ has a ``<name>.expected.jsonl`` beside it, one line
per record (``Record.to_dict()``) or problem (``{"problem": {...}}``), in order; options for a
dump live in ``<stem>.options.json``. After an intentional change of behaviour, regenerate them
with ``python -m tests.test_sql_importer --regen`` and review the diff.

``tests/data/sql/make_big_dump.py`` writes large synthetic dumps (35 MB for the numbers in the
importer's report); the memory test below builds a smaller one with it.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import socket
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate import Pipeline
from curate.errors import ConfigError
from curate.importing import InputFile, Problem
from curate.plugins.sql import SqlImporter, detect_dialect, limits, register_importers, tables
from curate.records import Record
from curate.registry import get_registry
from tests.importer_helpers import as_dicts, options_for, read_expected, read_items, write_expected

DATA = Path(__file__).parent / "data" / "sql"


def _options(path: Path) -> dict[str, Any]:
    return options_for(DATA, path)


def read_path(path: Path, display: str | None = None, **options: Any) -> list[Record | Problem]:
    return read_items(SqlImporter, path, display, **options)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEWER = settings(SETTINGS, max_examples=30)


def _inputs() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.suffix in (".sql", ".dump", ".pgsql"))


def read_text(tmp_path: Path, content: str | bytes, name: str = "dump.sql", **options: Any) -> list[Record | Problem]:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_path(path, **options)


def records(items: list[Record | Problem]) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


def problems(items: list[Record | Problem]) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem)]


def texts(items: list[Record | Problem]) -> list[str | None]:
    return [r.text for r in records(items)]


def golden(path: Path) -> list[dict[str, Any]]:
    return as_dicts(read_path(path, f"sql/{path.name}", **_options(path)))


def regenerate() -> None:
    for path in _inputs():
        write_expected(path, golden(path))


def _make_big_dump() -> Any:
    spec = importlib.util.spec_from_file_location("make_big_dump", DATA / "make_big_dump.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert golden(path) == read_expected(path)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_golden_whatever_the_window_size(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Pieces cut by the window's end (strings, escapes, comments, delimiters) read the same."""
    monkeypatch.setattr(limits, "CHUNK", chunk)
    monkeypatch.setattr(limits, "HEADER_MAX", 300)
    monkeypatch.setattr(limits, "ROUTINE_PEEK", 300)
    for path in _inputs():
        assert golden(path) == read_expected(path), path.name


def test_mysql_blog_dump() -> None:
    items = read_path(DATA / "mysql_blog.sql")
    by_table: dict[str, list[Record]] = {}
    for rec in records(items):
        by_table.setdefault(rec.meta["table"], []).append(rec)
    assert set(by_table) == {"posts", "comments", "qa"}
    first = by_table["posts"][0]
    assert first.text == 'It\'s my first post.\nSecond line with a "quote" and a backslash: C:\\temp.'
    assert first.source.locator == "table posts row 1 (line 63)"
    assert first.meta == {
        "table": "posts",
        "guessed": "body",
        "fields": {"id": 1, "title": "Hello, world", "author_id": 1, "published": 1},
    }
    assert by_table["posts"][1].text == "Line one\r\nLine two\twith a tab; and a semicolon; inside"
    assert by_table["comments"][1].text == "Doubled 'quotes' work too"  # with a _utf8mb4 introducer
    qa = by_table["qa"]
    assert [(r.input, r.output) for r in qa] == [("What is 2+2?", "4"), ("Capital of France?", "Paris, of course.")]
    found = {p.locator: p.message for p in problems(items)}
    assert found["table posts row 3 (line 63)"] == "column 'body' is NULL"
    assert "_binary string" in found["table comments row 3 (line 81)"]
    users = found["table users (line 41)"]
    assert "no column that looks like text (columns: id, email, avatar, created_at)" in users
    assert "--sql-table users --text-column COLUMN" in users
    assert "posts (id, title, body, author_id, published)" in users  # which tables exist


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_routines_triggers_and_functions_are_never_read_as_rows(path: Path) -> None:
    for item in read_path(path, **_options(path)):
        if isinstance(item, Record):
            assert "must not be imported" not in json.dumps(item.to_dict())
            assert "not data" not in json.dumps(item.to_dict())


def test_postgres_copy_dump() -> None:
    items = read_path(DATA / "postgres_blog.sql")
    recs = records(items)
    assert [r.source.locator for r in recs][:3] == [
        "table public.comments row 1 (line 81)",
        "table public.comments row 2 (line 82)",
        "table public.comments row 3 (line 83)",
    ]
    assert recs[1].text == "Line one\nLine two\twith a tab and a backslash \\ here"
    assert recs[1].meta["fields"] == {"id": "2", "post_id": "1"}  # \N is NULL, left out
    assert recs[2].text == "Café in octal, café in hex"
    assert recs[3].text == "It's my first post; with a semicolon."
    qa = [r for r in recs if r.meta["table"] == "public.qa"]
    assert [(r.input, r.output) for r in qa] == [("What is 2+2?", "4"), ("Capital of France?", "Paris")]
    assert "attachment" not in qa[1].meta["fields"]  # bytea is not metadata
    assert {p.locator: p.message for p in problems(items)} == {
        "table public.comments row 4 (line 84)": "column 'body' is NULL",
        "table public.posts row 2 (line 94)": "empty: no text in column(s) body",
    }


def test_postgres_insert_dump() -> None:
    items = read_path(DATA / "postgres_inserts.sql")
    assert [r.text for r in records(items) if r.meta["table"] == "public.posts"] == [
        "It's my first post. A backslash stays: C:\\temp\\new",
        "E-string: it's\ttabbed\nand \\ backslashed, café é",
        "Dollar-quoted; with 'quotes' inside",
        "A body\nover two lines",
    ]
    assert records(items)[3].meta["fields"] == {"id": 5, "title": "Multi\nline title"}  # ON CONFLICT DO NOTHING
    qa = [r for r in records(items) if r.output is not None]
    assert [(r.input, r.output) for r in qa] == [("What is 2+2?", "4"), ("Cast?", "yes")]  # OVERRIDING, ::text


def test_sqlite_dump() -> None:
    items = read_path(DATA / "sqlite_blog.sql")
    posts = [r for r in records(items) if r.meta["table"] == "posts"]
    assert [r.text for r in posts] == [
        "It's my first post.",
        "Line one\nLine two\nand a backslash \\\\ too",
        "CRLF line\r\nnext\r\n",
        "Raw newline\ninside the string",
    ]
    assert posts[0].meta["guessed"] == "body"  # from CREATE TABLE's [body], the INSERTs name no columns
    found = {p.locator: p.message for p in problems(items)}
    assert found["table posts row 4 (line 12)"] == "column 'body' is NULL"
    assert "binary data (hex literal, 5 bytes)" in found["table comments row 3 (line 18)"]
    assert "4 value(s) but 3 column(s)" in found["table comments row 2 (line 17)"]
    assert not any("sqlite_sequence" in (p.locator or "") for p in problems(items))


def test_unparseable_statements_are_problems_and_reading_goes_on() -> None:
    items = read_path(DATA / "bad_statements.sql")
    assert texts(items) == [
        "A good row before the damage.",
        "Kept: the damage is in the next tuple.",
        "Good again; with a semicolon inside the string.",
        "The last good row.",
    ]
    bad = problems(items)
    assert bad[0].locator == "line 4"
    assert "a value is missing before ','" in bad[0].message and "line 4, column 93" in bad[0].message
    assert "1 row(s) before it in this statement were kept" in bad[0].message
    assert bad[0].raw is not None and bad[0].raw.startswith("INSERT INTO `notes` VALUES (3,'third',,")
    assert "(4,'fourth'" in bad[0].raw
    assert bad[1].locator == "line 6" and "not an SQL statement" in bad[1].message
    assert bad[2].locator == "line 7" and "INSERT ... SELECT" in bad[2].message and "SELECT id" in (bad[2].raw or "")
    assert "an SQL expression" in bad[5].message and "nothing is executed" in bad[5].message


def test_raw_statement_text_is_capped(tmp_path: Path) -> None:
    huge = "x" * 50_000
    items = read_text(tmp_path, f"INSERT INTO t (body) VALUES ('{huge}', ,);\nINSERT INTO t (body) VALUES ('ok');\n")
    assert texts(items) == ["ok"]
    (bad,) = problems(items)
    assert bad.raw is not None and len(bad.raw) == tables.RAW_LIMIT


def test_truncated_dump_keeps_rows_before_and_reports_once() -> None:
    items = read_path(DATA / "truncated.sql")
    assert texts(items) == ["One.", "Two."]
    (problem,) = problems(items)
    assert problem.locator == "line 6" and "cut off" in problem.message and "truncated" in problem.message
    assert problem.raw is not None and "cut in the middle of this stri" in problem.raw


def test_a_dump_cut_anywhere_yields_a_prefix_and_at_most_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "CHUNK", 5)
    full = (
        "CREATE TABLE t (id int, body text);\n"
        "INSERT INTO t VALUES (1,'one'),(2,'it''s two');\n"
        "-- a comment; with a semicolon\n"
        "INSERT INTO t VALUES (3,'th\\'ree /* no */');\n"
        "COPY t (id, body) FROM stdin;\n4\tfour\n5\tfi\\tve\n\\.\n"
        "INSERT INTO t VALUES (6,'six');\n"
    )
    everything = texts(read_text(tmp_path, full, dialect="mysql"))
    assert everything == ["one", "it's two", "th'ree /* no */", "four", "fi\tve", "six"]
    row_ends = [full.index(s) + len(s) for s in ("'one')", "two')", "*/')", "four\n", "ve\n", "'six')")]
    for cut in range(1, len(full)):
        items = read_text(tmp_path, full[:cut], dialect="mysql")
        got = texts(items)
        complete = sum(end <= cut for end in row_ends)
        assert got == everything[:complete], (cut, full[:cut], items)
        located = [p for p in problems(items) if p.locator is not None]
        assert len(located) <= 1, (cut, items)


# -- values and escapes -----------------------------------------------------------------------


def test_mysql_escapes(tmp_path: Path) -> None:
    dump = (
        "-- MySQL dump 10.13\n"
        "INSERT INTO `t` (`body`) VALUES "
        r"('nul\0 bs\b nl\n cr\r tab\t z\Z back\\ q\' dq\" pct\% us\_ other\x'),"
        "('doubled '' quote'),"
        '("double ""quoted"" string, it\'s"),'
        "(_utf8mb4'intro'),(_latin1 'spaced intro'),(N'national'),"
        "('adjacent' ' strings'),"
        "('#not a comment -- nor this /* nor this */');\n"
    )
    assert texts(read_text(tmp_path, dump)) == [
        "nul\0 bs\b nl\n cr\r tab\t z\x1a back\\ q' dq\" pct\\% us\\_ otherx",
        "doubled ' quote",
        'double "quoted" string, it\'s',
        "intro",
        "spaced intro",
        "national",
        "adjacent strings",
        "#not a comment -- nor this /* nor this */",
    ]


def test_postgres_escapes(tmp_path: Path) -> None:
    dump = (
        "-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n"
        "INSERT INTO public.t (body) VALUES ('plain \\n stays, it''s'), "
        r"(E'\b\f\n\r\t \101\x42 \u00e9\U0001F600 \q \\ \' '' x'), "
        "(e'lower e'), ($$dollar ' \\ $$), ($tag$a $$ inside$tag$), ('cast'::character varying);\n"
        "COPY public.t (body) FROM stdin;\n"
        r"tab\there\nnew \\ \101\x42 \303\251 \u00e9 \N stays"
        "\n"
        "\\N\n"
        "\\.\n"
        "SET standard_conforming_strings = off;\n"
        "INSERT INTO public.t (body) VALUES ('now \\' escapes');\n"
    )
    items = read_text(tmp_path, dump)
    assert texts(items) == [
        "plain \\n stays, it's",
        "\b\f\n\r\t AB é\U0001f600 q \\ ' ' x",
        "lower e",
        "dollar ' \\ ",
        "a $$ inside",
        "cast",
        "tab\there\nnew \\ AB é u00e9 N stays",
        "now ' escapes",
    ]
    assert [p.message for p in problems(items)] == ["column 'body' is NULL"]


def test_sqlite_literals(tmp_path: Path) -> None:
    dump = (
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
        "CREATE TABLE t(body TEXT);\n"
        "INSERT INTO t VALUES('it''s');\n"
        "INSERT INTO t VALUES('back\\slash stays');\n"
        "INSERT INTO t VALUES(replace('a\\nb','\\n',char(10)));\n"
        "INSERT INTO t VALUES(char(72,105));\n"
        'INSERT INTO "t" VALUES("double quoted");\n'
        "COMMIT;\n"
    )
    assert texts(read_text(tmp_path, dump)) == ["it's", "back\\slash stays", "a\nb", "Hi", "double quoted"]


def test_numbers_booleans_and_expressions(tmp_path: Path) -> None:
    dump = (
        "CREATE TABLE t (a int, b float, c bool, d text, e text, body text);\n"
        "INSERT INTO t VALUES (-12, 1.5e3, TRUE, DEFAULT, now(), 'x'), (+3, .5, false, NULL, ARRAY['a,b', 'c'], 'y');\n"
    )
    items = read_text(tmp_path, dump)
    assert [r.meta["fields"] for r in records(items)] == [
        {"a": -12, "b": 1500.0, "c": True},
        {"a": 3, "b": 0.5, "c": False},
    ]
    mapped = read_text(tmp_path, dump, template="{a} {b} {c} {d}")
    assert texts(mapped) == ["3 0.5 false "]  # NULL renders as nothing
    assert "column 'd' is an SQL expression ('DEFAULT')" in problems(mapped)[0].message


def test_nulls(tmp_path: Path) -> None:
    dump = (
        "CREATE TABLE qa (question text, answer text, sys text);\n"
        "INSERT INTO qa VALUES (NULL, 'an answer', NULL), ('q', NULL, NULL), ('q2', 'a2', NULL);\n"
    )
    items = read_text(tmp_path, dump, input_column="question", output_column="answer", system_column="sys")
    assert [(r.input, r.output) for r in records(items)] == [("", "an answer"), ("q2", "a2")]
    assert [(p.locator, p.message) for p in problems(items)] == [("table qa row 2 (line 2)", "column 'answer' is NULL")]
    assert texts(read_text(tmp_path, dump, template="Q: {question} S: {sys}")) == ["Q:  S: ", "Q: q S: ", "Q: q2 S: "]


def test_binary_values_are_skipped_with_a_reason(tmp_path: Path) -> None:
    dump = (
        "CREATE TABLE files (name text, body text, data blob);\n"
        "INSERT INTO files VALUES ('a', X'48656C6C6F', NULL), ('b', 0x48656C6C6F, NULL), ('c', _binary 'raw', NULL),"
        " ('d', B'0101', NULL), ('e', 'plain text', X'00FF'), ('f', unhex('4142'), NULL);\n"
        "CREATE TABLE pg (body bytea);\nINSERT INTO pg VALUES ('\\x48656c6c6f'), ('\\x00'::bytea);\n"
        "COPY pg (body) FROM stdin;\n\\\\x4142\n\\.\n"
    )
    items = read_text(tmp_path, dump, text_column="body")
    assert texts(items) == ["plain text"]
    reasons = [p.message for p in problems(items)]
    assert reasons[:5] == [
        "column 'body' holds binary data (hex literal, 5 bytes), not text; skipped",
        "column 'body' holds binary data (hex literal, 5 bytes), not text; skipped",
        "column 'body' holds binary data (_binary string, 3 bytes), not text; skipped",
        "column 'body' holds binary data (bit literal, 0 bytes), not text; skipped",
        "column 'body' holds binary data (unhex(), 2 bytes), not text; skipped",
    ]
    assert reasons[5:] == [
        "column 'body' holds binary data (bytea, 5 bytes), not text; skipped",
        "column 'body' holds binary data (bytea, 1 bytes), not text; skipped",
        "column 'body' holds binary data (bytea, 2 bytes), not text; skipped",
    ]
    assert "data" not in records(items)[0].meta.get("fields", {})
    auto = read_text(tmp_path, dump)  # with no mapping, a blob/bytea column is never guessed as text
    assert "table pg" in " ".join(p.locator or "" for p in problems(auto))


def test_delimiter_blocks_and_stored_routines_are_skipped(tmp_path: Path) -> None:
    dump = textwrap.dedent(
        """\
        CREATE TABLE `t` (`body` text);
        DELIMITER $$
        CREATE PROCEDURE p()
        BEGIN
          INSERT INTO t VALUES ('in a procedure; must not be imported');
        END$$
        CREATE FUNCTION f() RETURNS int DETERMINISTIC
        BEGIN
          RETURN 1;
        END $$
        DELIMITER ;
        INSERT INTO `t` VALUES ('after the block');
        delimiter //
        CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.body = 'x; y'; END//
        delimiter ;
        CREATE TRIGGER sqlite_style AFTER INSERT ON t BEGIN
          INSERT INTO t VALUES ('in a trigger; must not be imported');
          SELECT CASE WHEN 1 THEN 'a' END;
        END;
        INSERT INTO `t` VALUES ('the end');
        """
    )
    items = read_text(tmp_path, dump)
    assert texts(items) == ["after the block", "the end"]
    assert problems(items) == []


def test_insert_and_copy_variants(tmp_path: Path) -> None:
    dump = textwrap.dedent(
        """\
        -- MySQL dump
        INSERT IGNORE INTO `t` (`body`) VALUES ('ignore');
        INSERT LOW_PRIORITY `t` (`body`) VALUE ('no INTO, VALUE');
        REPLACE INTO `t` (`body`) VALUES ('replace');
        INSERT INTO `t` (`id`, `body`) VALUES (1, 'upsert') AS new ON DUPLICATE KEY UPDATE `body` = new.`body`;
        INSERT INTO `t` (`body`) VALUES ('spaced')  ,  ('rows') ;
        INSERT INTO `t` (body) SELECT 'not literal rows';
        INSERT INTO `t` SET `body` = 'set form';
        """
    )
    items = read_text(tmp_path, dump)
    assert texts(items) == ["ignore", "no INTO, VALUE", "replace", "upsert", "spaced", "rows", "set form"]
    [select] = problems(items)
    assert select.locator == "line 7" and "(INSERT ... SELECT) has no literal rows" in select.message
    sqlite = "INSERT OR REPLACE INTO t(body) VALUES('or replace');\nINSERT OR IGNORE INTO \"t\" VALUES('x');\n"
    assert texts(read_text(tmp_path, sqlite, tables=["t"], text_column="body"))[0] == "or replace"
    copy = (
        "COPY t (body) TO stdout;\n"
        "COPY t (body) FROM '/tmp/file.csv';\n"
        'COPY t (body) FROM stdin WITH (FORMAT csv);\n"a,b"\n\\.\n'
        "COPY t (body) FROM stdin;\nkept\n\\.\n"
    )
    items = read_text(tmp_path, copy)
    assert texts(items) == ["kept"]
    (unsupported,) = problems(items)
    assert unsupported.locator == "line 3" and "WITH ( FORMAT csv )" in unsupported.message
    assert unsupported.raw == '"a,b"'


def test_comments_of_every_kind(tmp_path: Path) -> None:
    dump = (
        "-- MySQL dump\n# hash comment; with a semicolon\n/* block; comment */\n"
        "/*!40101 SET NAMES utf8mb4 */;\n/*!50003 CREATE*/ /*!50003 TRIGGER x BEFORE INSERT ON t BEGIN END */;\n"
        "INSERT /* inline */ INTO `t` (`body`) -- trailing\n VALUES /* a */ ('one' /* b */), # c\n ('two');\n"
    )
    items = read_text(tmp_path, dump, tables=["t"])
    assert texts(items) == ["one", "two"]
    assert problems(items) == []


# -- columns and tables -----------------------------------------------------------------------


def test_insert_without_columns_uses_create_table(tmp_path: Path) -> None:
    dump = "\n".join(
        [
            "CREATE TABLE IF NOT EXISTS `a` (`id` int, `key` varchar(10), `body` text,"
            " KEY `k` (`key`), PRIMARY KEY (`id`));",
            'CREATE TABLE "b" ("id" integer, "Body ""quoted""" text, CONSTRAINT pk PRIMARY KEY ("id"));',
            "CREATE TABLE [c] ([id] int, [the body] text, UNIQUE ([id]));",
            "CREATE TABLE d (id integer, key text, value text, CHECK (id > 0));",
            "INSERT INTO a VALUES (1, 'k', 'from a');",
            "INSERT INTO b VALUES (1, 'from b');",
            "INSERT INTO c VALUES (1, 'from c');",
            "INSERT INTO d VALUES (1, 'k', 'from d');",
        ]
    )
    assert texts(read_text(tmp_path, dump, tables=["a"])) == ["from a"]
    assert texts(read_text(tmp_path, dump, tables=["b"], text_column='Body "quoted"')) == ["from b"]
    assert texts(read_text(tmp_path, dump, tables=["c"], text_column="the body")) == ["from c"]
    items = read_text(tmp_path, dump, tables=["d"], text_column="value")
    assert texts(items) == ["from d"] and records(items)[0].meta["fields"] == {"id": 1, "key": "k"}


def test_columns_are_numbered_when_the_dump_names_none(tmp_path: Path) -> None:
    items = read_path(DATA / "no_columns.sql", **_options(DATA / "no_columns.sql"))
    assert texts(items) == ["Remember the milk", "Call Ada about the dump"]
    auto = read_path(DATA / "no_columns.sql", tables=["notes"])
    assert texts(auto) == []
    (problem,) = problems(auto)
    assert "names no columns" in problem.message and "--sql-table notes --text-column N" in problem.message


def test_tables_option(tmp_path: Path) -> None:
    items = read_path(DATA / "mysql_blog.sql", tables=["comments", "missing"])
    assert {r.meta["table"] for r in records(items)} == {"comments"}
    missing = [p for p in problems(items) if p.locator is None and not p.warning]
    assert len(missing) == 1 and "no rows for table 'missing'" in missing[0].message
    assert "posts (id, title, body" in missing[0].message
    # schema-qualified names match their bare name, and case does not matter
    pg = read_path(DATA / "postgres_blog.sql", tables=["POSTS"])
    assert texts(pg) == ["It's my first post; with a semicolon."]


def test_column_mapping_applies_to_every_table_that_has_the_columns() -> None:
    items = read_path(DATA / "mysql_blog.sql", text_column="body")
    assert {r.meta["table"] for r in records(items)} == {"posts", "comments"}
    assert all("guessed" not in r.meta for r in records(items))
    skipped = {p.locator: p.message for p in problems(items) if p.locator and " row " not in p.locator}
    assert set(skipped) == {"table users (line 41)", "table qa (line 94)"}
    assert "has no column 'body' (text_column); its columns: id, question, answer" in skipped["table qa (line 94)"]


def test_template_input_output_and_system_columns(tmp_path: Path) -> None:
    templated = read_path(DATA / "mysql_blog.sql", tables=["posts"], template="# {title}\n\n{body}")
    assert texts(templated)[0].startswith("# Hello, world\n\nIt's my first post.")
    assert texts(templated)[2] == "# Draft\n\n"  # NULL renders as nothing
    qa = read_path(DATA / "mysql_blog.sql", tables=["qa"], template="Q{id}: {question}", output_column="answer")
    assert [(r.input, r.output) for r in records(qa)] == [
        ("Q1: What is 2+2?", "4"),
        ("Q2: Capital of France?", "Paris, of course."),
    ]
    dump = "CREATE TABLE c (sys text, q text, a text);\nINSERT INTO c VALUES ('Be brief.', 'Hi?', 'Hello.');\n"
    (rec,) = read_text(tmp_path, dump, system_column="sys", input_column="q", output_column="a")
    assert isinstance(rec, Record) and rec.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi?"},
        {"role": "assistant", "content": "Hello."},
    ]
    missing = read_text(tmp_path, dump, template="{nope}")
    assert "no column 'nope' (template)" in problems(missing)[0].message


def test_guessing_columns(tmp_path: Path) -> None:
    dump = textwrap.dedent(
        """\
        CREATE TABLE wp_posts (ID bigint, post_title text, post_content longtext, post_excerpt text);
        INSERT INTO wp_posts VALUES (1, 'T', 'WordPress body', 'excerpt');
        CREATE TABLE chats (id int, system text, prompt text, response text, body text);
        INSERT INTO chats VALUES (1, 'sys', 'p', 'r', 'ignored: a pair wins');
        CREATE TABLE counts (id int, text_count int, comment int);
        INSERT INTO counts VALUES (1, 2, 3);
        """
    )
    items = read_text(tmp_path, dump)
    recs = records(items)
    assert recs[0].text == "WordPress body" and recs[0].meta["guessed"] == "post_content"
    assert recs[1].messages is not None and recs[1].meta["guessed"] == "system/prompt/response"
    (skipped,) = problems(items)
    assert skipped.locator == "table counts (line 6)" and "no column that looks like text" in skipped.message


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"text_column": "a", "output_column": "b"}, "text_column excludes"),
        ({"input_column": "a"}, "needs output_column"),
        ({"template": "{a}", "input_column": "b", "output_column": "c"}, "template builds the prompt"),
        ({"system_column": "s"}, "system_column needs output_column"),
        ({"template": "{0}"}, "column names in braces"),
        ({"template": "{unclosed"}, "not a valid format string"),
        ({"tables": "posts"}, "must be"),
        ({"tables": [""]}, "list of table names"),
        ({"dialect": "oracle"}, "must be one of"),
        ({"table": ["x"]}, "unknown option"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        SqlImporter.from_options(options)


# -- dialects, files and sniffing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "dialect", "backslashes"),
    [
        ("-- MySQL dump 10.13", "mysql", True),
        ("-- MariaDB dump 10.19", "mysql", True),
        ("-- phpMyAdmin SQL Dump\n", "mysql", True),
        ("INSERT INTO `t` VALUES (1);", "mysql", True),
        ("--\n-- PostgreSQL database dump\n--\nSET standard_conforming_strings = on;", "postgres", False),
        ("SET standard_conforming_strings = off;", "postgres", True),
        ("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n", "sqlite", False),
        ("INSERT INTO t VALUES ('it\\'s');", "generic", True),
        ("INSERT INTO t VALUES ('it''s');", "generic", False),
    ],
)
def test_dialect_detection(head: str, dialect: str, backslashes: bool) -> None:
    found = detect_dialect(head)
    assert (found.name, found.backslash_escapes) == (dialect, backslashes)


def test_dialect_option_overrides_detection(tmp_path: Path) -> None:
    dump = "INSERT INTO t (body) VALUES ('C:\\new\\table');\n"
    assert texts(read_text(tmp_path, dump)) == ["C:\\new\\table"]
    assert texts(read_text(tmp_path, dump, dialect="mysql")) == ["C:\new\table"]


def test_special_files(tmp_path: Path) -> None:
    (custom,) = read_text(tmp_path, b"PGDMP\x01\x0e\x00\x04\x08\x01\x01", "db.dump")
    assert isinstance(custom, Problem) and custom.locator is None and "pg_restore -f dump.sql" in custom.message
    (db,) = read_text(tmp_path, b"SQLite format 3\x00" + b"\x00" * 100, "db.sql")
    assert isinstance(db, Problem) and "sqlite3 FILE .dump" in db.message
    (binary,) = read_text(tmp_path, bytes(range(256)) * 4, "x.sql")
    assert isinstance(binary, Problem) and "binary content" in binary.message
    (schema_only,) = read_text(tmp_path, "CREATE TABLE t (body text);\n", "schema.sql")
    assert isinstance(schema_only, Problem) and "no INSERT or COPY data" in schema_only.message
    assert read_text(tmp_path, "", "empty.sql")[0].message == schema_only.message


def test_encodings_and_compression(tmp_path: Path) -> None:
    dump = "CREATE TABLE t (body text);\nINSERT INTO t VALUES ('naïve café');\n"
    assert texts(read_text(tmp_path, gzip.compress(dump.encode()), "dump.sql.gz")) == ["naïve café"]
    assert texts(read_text(tmp_path, dump.encode("utf-16"), "dump.sql")) == ["naïve café"]
    latin = read_text(tmp_path, dump.encode("cp1252"), "dump.pgsql")
    assert texts(latin) == ["naïve café"]
    (warning,) = problems(latin)
    assert warning.warning and "cp1252" in warning.message


def test_truncated_gzip_keeps_rows_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CHUNK", 4096)
    rows = ",".join(f"({i}, 'row number {i} with some padding text')" for i in range(30_000))
    blob = gzip.compress(f"CREATE TABLE t (id int, body text);\nINSERT INTO t VALUES {rows};\n".encode())
    items = read_text(tmp_path, blob[: len(blob) // 2], "dump.sql.gz")
    assert 0 < len(records(items)) < 30_000
    assert isinstance(items[-1], Problem) and "damaged or truncated" in items[-1].message


def test_registered_through_the_hook() -> None:
    registered: list[type] = []
    register_importers(registered.append)
    assert registered == [SqlImporter]
    registry = get_registry()
    assert registry.importer("sql") is SqlImporter
    for name in ("a.sql", "a.dump", "a.pgsql", "a.SQL.gz"):
        assert registry.importer_for(InputFile(Path(name), name)) is SqlImporter


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        (b"-- MySQL dump 10.13  Distrib 8.0.36\n", True),
        (b"--\n-- PostgreSQL database dump\n--\n", True),
        (b"PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(a);\n", True),
        (b"BEGIN TRANSACTION;\nCREATE TABLE t(a);\n", True),
        (b"\n  insert into posts (id, body) values (1, 'x');\n", True),
        (b"INSERT INTO `posts` VALUES (1,'x');", True),
        (b"COPY public.t (a) FROM stdin;\n1\n\\.\n", True),
        (b"PGDMP\x01\x0e\x00", True),
        (b"Please INSERT INTO the form your VALUES (name, age).", False),
        (b"The CREATE TABLE statement makes a table.", False),
        (b'{"text": "INSERT INTO t VALUES (1)"}', False),
        (b"\x00\x01\x02INSERT INTO t VALUES (", False),
    ],
)
def test_sniff(tmp_path: Path, head: bytes, claimed: bool) -> None:
    assert SqlImporter.sniff(head, InputFile(tmp_path / "x", "x")) is claimed


# -- nothing is executed ----------------------------------------------------------------------


def test_nothing_is_executed_or_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the SQL importer must not execute or connect to anything")

    monkeypatch.setattr(sqlite3, "connect", forbidden)
    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    for path in _inputs():
        assert read_path(path, **_options(path))


def test_no_database_driver_is_imported() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from curate.importing import InputFile
        before = set(sys.modules)
        from curate.plugins.sql import SqlImporter
        for path in sorted(Path({str(DATA)!r}).glob("*.sql")):
            list(SqlImporter.from_options({{}}).read(InputFile(path, path.name)))
        drivers = {{"sqlite3", "_sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "asyncpg",
                    "sqlalchemy", "pg8000", "mariadb", "subprocess", "socket"}}
        print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in drivers))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# -- memory -----------------------------------------------------------------------------------


def test_memory_stays_bounded_on_a_large_statement(tmp_path: Path) -> None:
    """A 5 MB dump that is one INSERT of 1,000 rows: the window holds a few rows, never the statement."""
    path = tmp_path / "big.sql"
    with path.open("w", encoding="utf-8") as fh:
        rows = _make_big_dump().write_dump(fh, 5_000_000, "mysql", rows_per_insert=1000, repeat=40)
    size = path.stat().st_size
    assert size > 4_500_000 and rows == 1000
    importer = SqlImporter.from_options({})
    count = 0
    tracemalloc.start()
    try:
        for item in importer.read(InputFile(path, "big.sql")):
            count += isinstance(item, Record)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows - rows // 97  # every 97th body is NULL
    assert peak < 3_000_000, f"peak {peak} bytes while reading {size} bytes"


# -- unbalanced quotes: resynchronising at the next statement ----------------------------------


def test_damaged_quotes_cost_their_own_lines_only() -> None:
    """A hand-edited mysqldump (golden file damaged_quotes.sql): each damage is one problem naming its lines."""
    items = read_path(DATA / "damaged_quotes.sql")
    assert texts(items)[:6] == [
        "First post of the forum.",
        "Be kind. Don't spam.",
        "Read again: the next statement starts on its own line.",
        "The row after the unterminated string.",
        "The last row of posts.",
        "Set form, written by a migration script.",
    ]
    damaged = [p for p in problems(items) if p.locator in ("line 26", "line 28", "line 30")]
    assert [p.locator for p in damaged] == ["line 26", "line 28", "line 30"]
    for problem, line in zip(damaged, (26, 28, 30), strict=True):
        assert f"line {line} was skipped and reading resumed at line {line + 1}, where the next statement starts" in (
            problem.message
        )
        assert (
            problem.raw is not None
            and problem.raw.startswith("INSERT INTO `posts` VALUES (")
            and "\n" not in problem.raw
        )
    assert 'text right after a closing quote ("\'s broken: the apostr")' in damaged[0].message


def _numbered_dump(style: str, rows: int, damage: str) -> str:
    """A dump in the style of mysqldump, pg_dump --inserts or sqlite3 .dump, one INSERT per row, the
    second row's statement damaged by ``damage``."""
    head = {
        "mysql": "-- MySQL dump 10.13  Distrib 8.0.36\nCREATE TABLE `notes` (`id` int, `body` text);\n",
        "postgres": "-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n"
        "CREATE TABLE public.notes (id integer, body text);\n",
        "sqlite": "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);\n",
    }[style]
    table = {"mysql": "`notes`", "postgres": "public.notes", "sqlite": "notes"}[style]
    lines = [f"INSERT INTO {table} VALUES({i},'Note number {i}.');\n" for i in range(1, rows + 1)]
    lines[1] = f"INSERT INTO {table} VALUES(2,{damage});\n"
    return head + "".join(lines) + ("COMMIT;\n" if style == "sqlite" else "")


_DAMAGE = {
    "an apostrophe not escaped": "'It's broken'",
    "a string that never closes": "'Never closed",
    "a quote escaped by mistake": "'Backslash at the end\\'",
    "a quote then a parenthesis": "'Opens' (",
}


@pytest.mark.parametrize(
    ("style", "damage"),
    [
        (style, damage)
        for style in ("mysql", "postgres", "sqlite")
        for damage in sorted(_DAMAGE)
        if style == "mysql" or "escaped" not in damage  # a backslash escapes nothing in Postgres and SQLite
    ],
)
def test_a_thousand_statements_after_an_unbalanced_quote_are_read(tmp_path: Path, style: str, damage: str) -> None:
    dump = _numbered_dump(style, 1002, _DAMAGE[damage])
    items = read_text(tmp_path, dump)
    got = texts(items)
    assert got == [f"Note number {i}." for i in range(1, 1003) if i != 2], problems(items)
    [problem] = problems(items)
    first = dump.count("\n", 0, dump.index("VALUES(2,")) + 1
    assert problem.locator == f"line {first}"
    if "parenthesis" in damage:  # the quotes are fine: the statement's own ';' ends it
        assert "the rest of the statement (line 4) was skipped".replace("4", str(first)) in problem.message
    else:
        assert f"line {first} was skipped and reading resumed at line {first + 1}" in problem.message
    assert problem.raw is not None and "Note number 3" not in problem.raw


@pytest.mark.parametrize("chunk", [3, 64, 1 << 18])
def test_resynchronising_reads_the_same_whatever_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(limits, "CHUNK", chunk)
    for damage in _DAMAGE.values():
        items = read_text(tmp_path, _numbered_dump("mysql", 6, damage))
        assert texts(items) == [f"Note number {i}." for i in (1, 3, 4, 5, 6)], damage
        assert [p.locator for p in problems(items)] == ["line 4"], damage


@pytest.mark.slow
def test_a_string_that_never_closes_holds_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No quote after the stray one: the row stops growing at HOLD_MAX and reading resumes at the next line."""
    monkeypatch.setattr(limits, "HOLD_MAX", 1 << 16)
    monkeypatch.setattr(limits, "CHUNK", 1 << 13)
    tail = "".join(f"INSERT INTO public.counts VALUES ({i}, {i * 7});\n" for i in range(25_000))  # 1 MB
    dump = (
        "-- PostgreSQL database dump\nCREATE TABLE public.counts (id integer, body text);\n"
        "INSERT INTO public.counts VALUES (0, 'opened, never closed);\n" + tail
    )
    path = tmp_path / "dump.sql"
    path.write_text(dump, encoding="utf-8")
    tracemalloc.start()
    try:
        count = 0
        found = []
        for item in SqlImporter.from_options({}).read(InputFile(path, "dump.sql")):
            if isinstance(item, Record):
                count += 1
            else:
                found.append(item)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 25_000
    [problem] = found
    assert problem.locator == "line 3" and "line 3 was skipped and reading resumed at line 4" in problem.message
    assert peak < 800_000, f"peak {peak} bytes"


def test_statement_starts_inside_valid_strings_are_only_text(tmp_path: Path) -> None:
    """pg_dump and older sqlite3 keep raw line ends in strings: SQL in a post about SQL stays in the post."""
    snippet = (
        "Run this once:\nINSERT INTO users VALUES (1, ''bob'');\nCREATE TABLE audit (id int);\nCOMMIT;\n"
        "It''s idempotent."
    )
    pg = (
        "-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n"
        "CREATE TABLE public.snippets (id integer NOT NULL, title text, body text);\n"
        f"INSERT INTO public.snippets VALUES (1, 'Seed script', '{snippet}');\n"
        "INSERT INTO public.snippets VALUES (2, 'Next', 'Plain.');\n"
    )
    items = read_text(tmp_path, pg)
    assert problems(items) == []
    assert texts(items) == [snippet.replace("''", "'"), "Plain."]
    sqlite = (
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE s(id INTEGER, body TEXT);\n"
        f"INSERT INTO s VALUES(1,'{snippet}');\nCOMMIT;\n"
    )
    assert texts(read_text(tmp_path, sqlite)) == [snippet.replace("''", "'")]
    table = "INSERT INTO skipped VALUES (1, 'x');\n"
    items = read_text(tmp_path, pg + table.replace("x", snippet), tables=["snippets"])  # skipped, not parsed
    assert texts(items) == [snippet.replace("''", "'"), "Plain."] and not [p for p in problems(items) if not p.warning]


def test_an_unbalanced_quote_in_a_create_statement(tmp_path: Path) -> None:
    dump = (
        "-- MySQL dump 10.13\n"
        "CREATE TABLE `t` (`id` int, `body` text COMMENT 'the post's body');\n"
        "INSERT INTO `t` (`id`, `body`) VALUES (1,'one');\n"
        "INSERT INTO `t` (`id`, `body`) VALUES (2,'two');\n"
    )
    items = read_text(tmp_path, dump)
    assert texts(items) == ["one", "two"]
    [problem] = problems(items)
    assert problem.locator == "line 2" and "has an unbalanced quote (text follows a closing quote on line 2)" in (
        problem.message
    )
    assert "line 2 was skipped and reading resumed at line 3" in problem.message


def test_a_missing_semicolon_loses_nothing(tmp_path: Path) -> None:
    dump = (
        "-- MySQL dump 10.13\n"
        "CREATE TABLE `t` (`id` int, `body` text)\n"
        "INSERT INTO `t` VALUES (1,'one'),(2,'two')\n"
        "INSERT INTO `t` VALUES (3,'three');\n"
        "INSERT INTO `t` SET `id`=4, `body`='four'\n"
        "INSERT INTO `t` VALUES (5,'five') ON DUPLICATE KEY UPDATE `body`='5';\n"
    )
    items = read_text(tmp_path, dump)
    assert texts(items) == ["one", "two", "three", "four", "five"]
    assert [(p.locator, p.warning) for p in problems(items)] == [("line 3", True), ("line 5", True)]
    assert "has no ';' before the statement on line 4; both were read" in problems(items)[0].message
    assert records(items)[0].meta["fields"] == {"id": 1}  # the CREATE TABLE without ';' still named the columns


# -- INSERT ... SET ---------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 5, 1 << 18])
def test_insert_set_is_one_row_named_by_its_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(limits, "CHUNK", chunk)
    dump = textwrap.dedent(
        """\
        -- MySQL dump 10.13
        CREATE TABLE `faq` (`id` int, `question` text, `answer` text, `updated` datetime);
        INSERT INTO `faq` SET `id`=1, `question`='How do I reset my password?', `answer`='Use the \\'Forgot\\' link.';
        INSERT faq SET answer = 'Yes, from Settings > Export.', question = 'Can I export my data?', updated = NOW();
        INSERT IGNORE INTO `faq` SET `faq`.`question` = _utf8mb4'Is there an API?' , `faq`.`answer` = 'Yes: v2.'
          ON DUPLICATE KEY UPDATE `answer` = VALUES(`answer`);
        REPLACE INTO faq SET question='Where are you based?', answer=NULL;
        INSERT INTO faq SET question='Broken', answer='it's not closed right';
        INSERT INTO faq SET question='After the damage', answer='Still read.';
        """
    )
    items = read_text(tmp_path, dump)
    assert [(r.input, r.output) for r in records(items)] == [
        ("How do I reset my password?", "Use the 'Forgot' link."),
        ("Can I export my data?", "Yes, from Settings > Export."),
        ("Is there an API?", "Yes: v2."),
        ("After the damage", "Still read."),
    ]
    assert records(items)[0].meta == {"table": "faq", "guessed": "question/answer", "fields": {"id": 1}}
    assert records(items)[1].source.locator == "table faq row 2 (line 4)"
    null, broken = problems(items)
    assert null.locator == "table faq row 4 (line 7)" and "'answer' is NULL" in null.message
    assert null.raw == "question='Where are you based?', answer=NULL"
    assert broken.locator == "line 8" and "resumed at line 9" in broken.message


def test_insert_set_with_a_mapping_and_a_template(tmp_path: Path) -> None:
    dump = "INSERT INTO `kb` SET `title`='Billing', `body`='Invoices are sent monthly.', `views`=12;\n"
    assert texts(read_text(tmp_path, dump, text_column="body")) == ["Invoices are sent monthly."]
    assert texts(read_text(tmp_path, dump, template="{title}: {body}")) == ["Billing: Invoices are sent monthly."]
    [problem] = problems(read_text(tmp_path, dump, text_column="missing"))
    assert "has no column 'missing' (text_column); its columns: title, body, views" in problem.message


# -- --sql-table: the other tables are skipped and counted, never rejected ---------------------


_TWO_TABLES = textwrap.dedent(
    """\
    -- MySQL dump 10.13  Distrib 8.0.36
    CREATE TABLE `posts` (`id` int, `body` text);
    CREATE TABLE `users` (`id` int, `bio` text, `avatar` blob);
    INSERT INTO `users` VALUES (1,'Ana',0x89504E47),(2,'Bo',NULL);
    INSERT INTO `posts` VALUES (1,'First post.');
    INSERT INTO `users` SET `id`=3, `bio`='Set form';
    INSERT INTO `users` (`id`, `bio`) SELECT id, name FROM staff;
    INSERT INTO `users` VALUES (4,'It's a hand-edited bio');
    INSERT INTO `posts` VALUES (2,'Second post.');
    INSERT INTO `audit_log` VALUES (1,'login'),(2,'logout');
    """
)


def test_other_tables_are_skipped_and_counted_as_a_warning(tmp_path: Path) -> None:
    items = read_text(tmp_path, _TWO_TABLES, tables=["posts"])
    assert texts(items) == ["First post.", "Second post."]
    assert [p for p in problems(items) if p.raw is not None] == []  # nothing of theirs is a reject
    damaged, skipped = problems(items)
    assert damaged.warning and damaged.locator == "line 8" and "resumed at line 9" in damaged.message
    assert skipped.warning and skipped.locator is None
    assert skipped.message == (
        "skipped 5 statement(s) of tables left out by --sql-table: users (4 statement(s)), audit_log (1 statement(s))"
    )


def test_other_tables_copy_rows_are_counted(tmp_path: Path) -> None:
    dump = (
        "-- PostgreSQL database dump\n"
        "COPY public.posts (id, body) FROM stdin;\n1\tHello.\n\\.\n"
        "COPY public.users (id, bio) FROM stdin;\n1\tAna\n2\tBo\n3\tCy\n\\.\n"
        "COPY public.sessions (id, token) FROM stdin WITH (FORMAT csv);\n1,abc\n\\.\n"
        "COPY public.events (id, kind) FROM stdin;\n1\tlogin\n2\tlog"
    )
    items = read_text(tmp_path, dump, tables=["posts"])
    assert texts(items) == ["Hello."]
    truncated, skipped = problems(items)
    assert not truncated.warning and truncated.raw is None and "a table that is not imported" in truncated.message
    assert skipped.warning and skipped.message == (
        "skipped 3 statement(s) of tables left out by --sql-table: "
        "public.events (1 statement(s), 1 row(s)), public.sessions (1 statement(s), 1 row(s)), "
        "public.users (1 statement(s), 3 row(s))"
    )


def test_a_build_with_sql_table_rejects_nothing_of_the_other_tables(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "forum.sql").write_text(_TWO_TABLES, encoding="utf-8")
    pipeline = Pipeline().source(tmp_path / "in", importer="sql", tables=["posts"])
    result = pipeline.set(report=False, format="text").run(tmp_path / "out")
    counts = result.counts
    assert counts["read"] == 2 and counts["rejected"] == 0
    assert counts["read"] == counts["train"] + counts["val"] + counts["rejected"]
    warnings = [w["message"] for w in result.manifest["warnings"]]
    assert any(m.startswith("skipped 5 statement(s) of tables left out by --sql-table: users") for m in warnings)
    assert result.manifest["errors"] == []


# -- properties -------------------------------------------------------------------------------

_NAMES = st.sampled_from(["d.sql", "d.dump", "d.pgsql"])
_DIALECTS = st.sampled_from(["auto", "mysql", "postgres", "sqlite"])


@SETTINGS
@given(data=st.binary(max_size=600), name=_NAMES)
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes, name: str) -> None:
    read_text(tmp_path, data, name)


# fmt: off
_FRAGMENTS = st.sampled_from([
    "INSERT INTO ", "REPLACE INTO ", "`t`", '"t"', "[t]", "t", "public.t", " (a, body) ", " VALUES ", " VALUE ",
    "(", ")", ",", ";", ";;", "'", "''", "\\", "\\'", "'text'", "E'x\\'y'", "NULL", "0x1F", "X'00'", "_binary",
    "_utf8mb4'a'", "replace(", "char(10)", "::text", "12", "-3.5e2", "\n", " ", "\t", "--", "-- c\n", "#", "/*",
    "*/", "/*!40101 ", "$$", "$a$", "DELIMITER ;;\n", "DELIMITER ;\n", "delimiter //\n", "//", "BEGIN ", "END",
    "CASE ", "CREATE TABLE t (a int, body text);", "CREATE TRIGGER x ", "CREATE FUNCTION f() ",
    "COPY t (a, body) FROM stdin;\n", "1\tx\n", "\\N", "\\.\n", "\\restrict k\n",
    "SET standard_conforming_strings = off;", "ON DUPLICATE KEY UPDATE a=1", "SELECT ", "DEFAULT", "ARRAY[", "]",
    "é", "\u2028", "\r\n", " SET ", "body = ", "`t`.`body`=", ":=", "'it's'", "\nINSERT INTO t VALUES ", "\nCOMMIT;",
])
# fmt: on


@SETTINGS
@given(parts=st.lists(_FRAGMENTS, max_size=40), name=_NAMES, dialect=_DIALECTS, chunk=st.sampled_from([3, 1 << 18]))
def test_sql_like_noise_never_crashes(tmp_path: Path, parts: list[str], name: str, dialect: str, chunk: int) -> None:
    original = limits.CHUNK
    limits.CHUNK = chunk
    try:
        read_text(tmp_path, "".join(parts), name, dialect=dialect)
    finally:
        limits.CHUNK = original


@FEWER
@given(
    style=st.sampled_from(["mysql", "postgres", "sqlite"]),
    row=st.integers(1, 8),
    at=st.integers(0, 40),
    quote=st.sampled_from(["'", "\\'", "''"]),
)
def test_a_stray_quote_anywhere_costs_at_most_its_statement(
    tmp_path: Path, style: str, row: int, at: int, quote: str
) -> None:
    """A quote dropped into one statement of a dump: every other statement's row is still read."""
    dump = _numbered_dump(style, 8, "'Note number 2.'")
    start = dump.index(f"VALUES({row},")
    cut = min(start + at, dump.index("\n", start))
    damaged = dump[:cut] + quote + dump[cut:]
    items = read_text(tmp_path, damaged)
    got = texts(items)
    assert all(f"Note number {i}." in got for i in range(1, 9) if i != row), items
    assert len([p for p in problems(items) if p.locator is not None]) <= 1, items


@FEWER
@given(
    style=st.sampled_from(["mysql", "postgres", "sqlite"]),
    row=st.integers(1, 8),
    at=st.integers(0, 50),
    n=st.integers(1, 3),
    multiline=st.booleans(),
)
def test_characters_cut_from_one_statement_cost_at_most_that_statement(
    tmp_path: Path, style: str, row: int, at: int, n: int, multiline: bool
) -> None:
    """A few characters lost from one statement (its quote, its ';', its VALUES...): the others are read."""
    body = "'Note number 2.\nINSERT INTO x VALUES (1);\nmore'" if multiline and style != "mysql" else "'Note number 2.'"
    dump = _numbered_dump(style, 8, body)
    start = dump.index(f"VALUES({row},")
    end = dump.index("\n", start)
    cut = min(start + at, end)
    items = read_text(tmp_path, dump[:cut] + dump[cut + n :])
    got = texts(items)
    intact = [i for i in range(1, 9) if i != row and not (i == row + 1 and cut + n > end)]
    assert all(any(t.startswith(f"Note number {i}.") for t in got) for i in intact), items


_MUTATION = st.tuples(
    st.sampled_from(["insert", "delete", "truncate"]),
    st.floats(0, 1),
    st.sampled_from(["'", '"', "`", "\\", ";", "\n", "(", ")", ",", "--", "/*", "$$", "\\.\n", "INSERT INTO t SET "]),
)


@SETTINGS
@given(
    path=st.sampled_from(_inputs()),
    mutations=st.lists(_MUTATION, min_size=1, max_size=3),
    chunk=st.sampled_from([3, 1 << 18]),
    tables=st.sampled_from([None, ["posts"], ["notes", "qa"]]),
)
def test_mutated_real_dumps_never_crash(
    tmp_path: Path, path: Path, mutations: list[tuple[str, float, str]], chunk: int, tables: list[str] | None
) -> None:
    """The golden dumps with quotes, delimiters and comment marks added or removed, or cut short: no exception,
    only records and problems, and with --sql-table no record of another table."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for kind, where, piece in mutations:
        at = int(where * len(text))
        text = (
            text[:at] + piece + text[at:]
            if kind == "insert"
            else text[:at] + text[at + len(piece) :]
            if kind == "delete"
            else text[:at]
        )
    original = limits.CHUNK
    limits.CHUNK = chunk
    try:
        items = read_text(tmp_path, text, **({"tables": tables} if tables else {}))
    finally:
        limits.CHUNK = original
    assert all(i.message for i in problems(items))
    if tables:
        assert {r.meta["table"].rsplit(".", 1)[-1].lower() for r in records(items)} <= set(tables)


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r'\"\\;`$%_-#/*()"), max_size=40
)


def _mysql(text: str) -> str:
    escapes = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\0": "\\0", "\x1a": "\\Z"}
    return "'" + "".join(escapes.get(c, c) for c in text) + "'"


def _standard(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _sqlite(text: str) -> str:
    """As sqlite3's .dump writes text holding line ends: replace('a\\nb','\\n',char(10))."""
    if "\\" in text or ("\n" not in text and "\r" not in text):
        return _standard(text)  # (older versions, and text with backslashes here, keep raw line ends)
    body = _standard(text.replace("\r", "\\r").replace("\n", "\\n"))
    return f"replace(replace({body},'\\r',char(13)),'\\n',char(10))"


def _raw_line_ends(text: str) -> str:
    """What reading a file back does to raw line ends inside a string: all become \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@FEWER
@given(values=st.lists(_TEXT, min_size=1, max_size=6), style=st.sampled_from(["mysql", "postgres", "copy", "sqlite"]))
def test_every_row_round_trips_or_is_rejected(tmp_path: Path, values: list[str], style: str) -> None:
    """Texts written the way each dumper writes them come back exactly; blank ones become problems."""
    if style == "copy":
        body = "".join(f"{i}\t{_copy(v)}\n" for i, v in enumerate(values))
        dump = f"-- PostgreSQL database dump\nCOPY public.t (id, body) FROM stdin;\n{body}\\.\n"
    else:
        quote = {"mysql": _mysql, "postgres": _standard, "sqlite": _sqlite}[style]
        head = {
            "mysql": "-- MySQL dump\n",
            "postgres": "-- PostgreSQL database dump\n",
            "sqlite": "PRAGMA foreign_keys=OFF;\n",
        }
        rows = ",\n".join(f"({i}, {quote(v)})" for i, v in enumerate(values))
        dump = f"{head[style]}CREATE TABLE t (id int, body text);\nINSERT INTO t VALUES {rows};\n"
    items = read_text(tmp_path, dump)
    assert len(items) == len(values), items
    for item, value in zip(items, values, strict=True):
        if value.strip():
            raw = style == "postgres" or (style == "sqlite" and "\\" in value)
            assert isinstance(item, Record) and item.text == (_raw_line_ends(value) if raw else value)
        else:
            assert isinstance(item, Problem) and item.message.startswith("empty")


if __name__ == "__main__":
    if sys.argv[1:] == ["--regen"]:
        regenerate()
    else:
        print(__doc__)
