"""SQL dumps (mysqldump, pg_dump, sqlite3 ``.dump``): one record per row of ``INSERT`` or ``COPY`` data.

The dump is read as text and never executed: no database, driver or server is involved.
A hand-written scanner (:mod:`curate.plugins.sql.statements`) finds statement boundaries and
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
:data:`~curate.plugins.sql.scanner.STATEMENT_START`), and the problem names the lines skipped
("line 26 was skipped and reading resumed at line 27"). Such lines inside a string that
parses (SQL quoted in a post about SQL) stay text. A missing ``;`` between an INSERT and the
next statement's line loses nothing: both are read, with a warning.

The modules, by what they read: :mod:`.literals` (dialects, strings, numbers),
:mod:`.scanner` (the window over the text, literal values), :mod:`.statements` (statement
boundaries, ``INSERT`` headers, ``SET`` lists, ``COPY`` lines), :mod:`.headers` (sqlparse:
``INSERT``, ``COPY`` and ``CREATE TABLE`` headers), :mod:`.tables` (column plans and
names), :mod:`.inserts`, :mod:`.copy`, :mod:`.reader` (one pass over a dump) and
:mod:`.importer` (:class:`SqlImporter`); :mod:`.limits` holds the sizes.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .importer import SqlImporter, SqlOptions, detect_dialect

__all__ = ["SqlImporter", "SqlOptions", "detect_dialect", "register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`SqlImporter` (this package is the plugin of entry point ``sql``)."""
    register(SqlImporter)
