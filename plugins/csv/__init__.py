"""CSV and TSV files: one record per row, from a text column, input/output columns or a template.

Reading
    The file is decoded as it streams (:func:`~curate.importing.detect_encoding` picks the
    encoding: BOM, else UTF-8, else cp1252 with a warning) in blocks of 64 Ki characters
    cut at line ends, and parsed by the standard library's :mod:`csv` reader, so
    memory holds a block or two (more only for a row longer than that, up to the field
    limit below; a single physical line is always held whole). The delimiter is a
    tab for ``.tsv``/``.tab`` and otherwise sniffed from the first 64 KiB among comma, tab,
    semicolon and pipe. Quoted fields may hold delimiters, doubled quotes and line breaks;
    CRLF, LF and CR-only line ends all work, and line ends inside quoted fields become
    ``\\n``. Every cell is text exactly as written: ``NA``, ``null`` and ``007`` stay strings.

Why the csv module and not pandas
    ``pandas.read_csv`` cannot say on which line a row starts once quoted fields span
    lines, pads short rows with NaN without a word, gives ``on_bad_lines`` the parsed
    fields rather than the row's text (and only with its python engine), and loses a whole
    chunk of rows when the file ends inside a quote. The :mod:`csv` reader does all of that
    exactly. Speed, on a 100k-row export: it tokenizes 2-3x slower than a naive
    ``read_csv`` (C engine, inferred types) and about as fast as ``read_csv`` run faithfully
    (``dtype=str, keep_default_na=False``, chunked); a whole import, where building the
    records takes most of the time, is about 1.2x a naive ``read_csv`` import.

Locators
    ``"row N (line L)"``: ``N`` counts data rows from 1 (the header, blank lines and
    comment lines are not rows) and ``L`` is the physical line on which the row starts (the
    header is usually line 1). Both stay right across quoted fields that span lines.
    Per-file repairs are located by their first line (``"line L"``).

Problems (never silent)
    A row with the wrong number of fields, an empty mapped cell, a quote left open at the
    end of the file and comment lines among the rows each give a :class:`Problem` whose
    ``raw`` is the text as read, so it lands in ``rejects.jsonl``; other rows are kept.
    Rows that only end in extra empty fields (``a,b,,``) are kept: nothing is lost. A
    field over the csv module's limit (:data:`.limits.MAX_FIELD_CHARS`, 16 MiB) makes its
    row one Problem ("field 2 ('body') is over 16 MiB", with the row's line range and its
    first :data:`.limits.RAW_KEEP` characters as ``raw``); the rest of that row is skipped in bounded
    memory, following the quotes as the reader would, and the rows after it are read as
    usual. A binary file, a damaged archive (rows before the damage are kept), a
    compressed file that does not decompress (the message says why: not gzip data, a
    zstd window over the limit...) and a mapping that does not fit the file's columns
    are one Problem each. Warnings (``warning=True``: they
    lose nothing) are given once per file for a guessed cp1252 encoding, stripped NUL
    bytes, non-UTF-8 bytes decoded as cp1252 (with the lines touched), an empty file and
    a header without rows.

Column mapping (``text_column``, ``input_column``, ``output_column``, ``template``, ``system_column``)
    A template is a format string over column names (``"{title}\\n\\n{body}"``); it makes
    the text, or the input when ``output_column`` is set. ``system_column`` makes records
    messages with a system turn (left out where the cell is empty). With no mapping, a
    column named instruction/prompt/question/input/query and one named
    output/response/answer/completion make input/output records (``instruction`` and
    ``input`` columns are joined, as in Alpaca; a ``system`` column is used), else a column
    named text/content/body/document makes text records, else a file's only column does.
    Column names match exactly, else case-insensitively. Columns without a name (every
    column when ``header`` is false) are called by their 1-based position: ``"1"``, ``"2"``.

The modules, one concept each: :mod:`.dialect` (encoding, binary content, delimiter),
:mod:`.text` (decoded blocks of lines, repairs, the per-file summary), :mod:`.rows` (the
csv reader's loop: rows to records or problems), :mod:`.long_rows` (a row with a field over
the limit), :mod:`.columns` (column names, templates, the mapping from a row to a record),
:mod:`.options` (:class:`CsvOptions`) and :mod:`.importer` (:class:`CsvImporter`);
:mod:`.limits` holds the sizes.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .dialect import DELIMITERS, TAB_SUFFIXES, sniff_delimiter
from .importer import CsvImporter
from .options import CsvOptions

__all__ = ["DELIMITERS", "TAB_SUFFIXES", "CsvImporter", "CsvOptions", "register_importers", "sniff_delimiter"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`CsvImporter` (this package is the plugin of entry point ``csv``)."""
    register(CsvImporter)
