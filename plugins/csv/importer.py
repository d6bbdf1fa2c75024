"""The CSV importer: opening the file, choosing its encoding and delimiter, and reading its rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from curate.plugin_api import CompressedDataError, Importer, InputFile, Problem, Record

from . import limits
from .dialect import TAB_SUFFIXES, choose_delimiter, choose_encoding, is_binary
from .options import CsvOptions
from .rows import read_rows
from .text import STREAM_ERRORS, Text


class CsvImporter(Importer[CsvOptions]):
    """CSV and TSV files, one record per row: see :mod:`curate.plugins.csv`."""

    name = "csv"
    suffixes = (".csv", *TAB_SUFFIXES)
    Options = CsvOptions
    description = "CSV and TSV files: one record per row (text column, input/output columns or a template)."

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        opts = self.options
        try:
            head = file.head()
        except STREAM_ERRORS as exc:
            yield Problem(None, _unreadable(file, exc))
            return
        if not head:  # really empty: data that does not decompress raises (CompressedDataError)
            yield Problem(None, "empty file: no header and no rows", warning=True)
            return
        if is_binary(head):
            yield Problem(None, "binary content, not CSV: check that the file is a CSV/TSV export, not a spreadsheet")
            return
        encoding, errors, warning = choose_encoding(opts.encoding, head)
        if warning:
            yield Problem(None, f"{file.display}: {warning}, or pass encoding=... if you know it", warning=True)
        delimiter = choose_delimiter(head, encoding, option=opts.delimiter, suffix=file.suffix, comment=opts.comment)
        if csv.field_size_limit() < limits.MAX_FIELD_CHARS:  # a process-wide setting: only ever raised
            csv.field_size_limit(limits.MAX_FIELD_CHARS)
        try:
            stream = io.TextIOWrapper(file.open(), encoding=encoding, errors=errors, newline=None)
        except STREAM_ERRORS as exc:
            yield Problem(None, _unreadable(file, exc))
            return
        with stream:
            yield from read_rows(opts, self.name, file, Text(stream, recode=errors == "surrogateescape"), delimiter)


def _unreadable(file: InputFile, exc: BaseException) -> str:
    """The message for a file that cannot be read from its start: what failed, and what to do."""
    if isinstance(exc, CompressedDataError):  # its message says what to do
        return f"cannot read {file.display}: {exc}"
    if file.compression is None:
        return f"cannot read {file.display}: {exc}; check that the file is complete and readable"
    return (
        f"cannot read {file.display} as {file.compression} data ({exc or type(exc).__name__}): the file is damaged, "
        f"or is not {file.compression}-compressed despite its name; if it is plain text, "
        f"rename it without {file.path.suffix!r}"
    )
