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
    field over the csv module's limit (:data:`MAX_FIELD_CHARS`, 16 MiB) makes its row one
    Problem ("field 2 ('body') is over 16 MiB", with the row's line range and its first
    :data:`RAW_KEEP` characters as ``raw``); the rest of that row is skipped in bounded
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
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import lzma
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from curate.plugin_api import (
    ANSWER_NAMES,
    SNIFF_BYTES,
    SYSTEM_NAMES,
    TEXT_NAMES,
    ColumnMapping,
    CompressedDataError,
    ConfigError,
    Importer,
    InputFile,
    Problem,
    Record,
    Source,
    detect_encoding,
    hookimpl,
    is_probably_binary,
    parse_template,
)

DELIMITERS = (",", "\t", ";", "|")
TAB_SUFFIXES = (".tsv", ".tab")

# Column names guessed when no mapping is given, in order of preference (see curate.mapping for the shared ones).
_TEXT_NAMES = (*TEXT_NAMES, "document")
_PROMPT_NAMES = ("instruction", "prompt", "question", "input", "query")  # input before query, unlike PROMPT_NAMES

#: The csv module refuses longer fields (its default, 128 KiB, is too small for documents).
MAX_FIELD_CHARS = 1 << 24
#: Characters decoded at a time; blocks are cut at the last line end.
BLOCK_CHARS = 1 << 16

_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes that were not UTF-8, after surrogateescape
_SHOWN = 5  # line numbers listed in a per-file message


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a (possibly compressed) file may raise once open: damaged or cut archives."""
    errors: list[type[BaseException]] = [OSError, EOFError, lzma.LZMAError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover - zstandard is a core dependency
        pass
    return tuple(errors)


_STREAM_ERRORS = _stream_errors()
_READ_ERRORS: tuple[type[BaseException], ...] = (*_STREAM_ERRORS, UnicodeError)  # and codecs that cannot cope


@dataclass(frozen=True)
class CsvOptions(ColumnMapping):
    guesses_output: ClassVar[bool] = True

    delimiter: str | None = field(
        default=None,
        metadata={"help": "one character ('\\t' for tab); sniffed among , tab ; | when unset (.tsv/.tab: tab)"},
    )
    encoding: str | None = field(
        default=None, metadata={"help": "text encoding; detected when unset (BOM, UTF-8, else cp1252 with a warning)"}
    )
    comment: str | None = field(
        default="#", metadata={"help": "lines starting with this are comments (skipped); unset to read every line"}
    )
    header: bool = field(
        default=True, metadata={"help": "the first row names the columns; if false, columns are called 1, 2..."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = "importer 'csv'"
        if self.delimiter is not None and len(_unescape_delimiter(self.delimiter)) != 1:
            raise ConfigError(
                f"{owner}: delimiter must be one character, got {self.delimiter!r}",
                hint="for example ',', ';', '|' or '\\t'; leave it unset to sniff it",
            )
        if self.delimiter is not None and _unescape_delimiter(self.delimiter) in '"\r\n':
            raise ConfigError(f"{owner}: delimiter cannot be a quote or a line end, got {self.delimiter!r}")
        if self.encoding is not None:
            try:
                b"a".decode(self.encoding)  # a text encoding, not a bytes-to-bytes codec such as "hex"
            except UnicodeDecodeError:
                pass
            except LookupError:
                raise ConfigError(
                    f"{owner}: unknown encoding {self.encoding!r}", hint="for example utf-8, utf-16, cp1252, latin-1"
                ) from None
        if self.comment == "":
            raise ConfigError(f"{owner}: comment must not be empty", hint="leave it unset (None) to read every line")

    def template_fields(self) -> tuple[str, ...]:
        """Whole field names: ``{a.b}`` reads a column called ``a.b``; ``{2}``, the second column (no header)."""
        return () if self.template is None else _Template(self.template).fields


class CsvImporter(Importer[CsvOptions]):
    name = "csv"
    suffixes = (".csv", *TAB_SUFFIXES)
    Options = CsvOptions
    description = "CSV and TSV files: one record per row (text column, input/output columns or a template)."

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except _STREAM_ERRORS as exc:
            yield Problem(None, _unreadable(file, exc))
            return
        if not head:  # really empty: data that does not decompress raises (CompressedDataError)
            yield Problem(None, "empty file: no header and no rows", warning=True)
            return
        if _is_binary(head):
            yield Problem(None, "binary content, not CSV: check that the file is a CSV/TSV export, not a spreadsheet")
            return
        encoding, errors, warning = self._encoding(head)
        if warning:
            yield Problem(None, f"{file.display}: {warning}, or pass encoding=... if you know it", warning=True)
        delimiter = self._delimiter(file, head, encoding)
        if csv.field_size_limit() < MAX_FIELD_CHARS:  # a process-wide setting: only ever raised
            csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            stream = io.TextIOWrapper(file.open(), encoding=encoding, errors=errors, newline=None)
        except _STREAM_ERRORS as exc:
            yield Problem(None, _unreadable(file, exc))
            return
        with stream:
            yield from self._read_rows(file, _Text(stream, recode=errors == "surrogateescape"), delimiter)

    # -- decoding ------------------------------------------------------------------

    def _encoding(self, head: bytes) -> tuple[str, str, str | None]:
        """``(encoding, errors, warning)``; UTF-8 keeps bad bytes (surrogateescape) to recode them."""
        if self.options.encoding:
            encoding, warning = codecs.lookup(self.options.encoding).name, None
            if encoding in ("utf-8", "utf-16", "utf-32"):  # the BOM says which, and Python's utf-16 needs one
                guess, _ = detect_encoding(head)
                if guess.startswith(encoding) and guess != "utf-8":
                    encoding = guess
                elif encoding != "utf-8":
                    encoding += "-le"
        else:
            encoding, warning = detect_encoding(head)
        if encoding in ("utf-8", "utf-8-sig"):
            return encoding, "surrogateescape", warning
        if encoding == "cp1252":
            return encoding, "latin1_fallback", warning  # cp1252 leaves five bytes undefined
        return encoding, "replace", warning

    def _delimiter(self, file: InputFile, head: bytes, encoding: str) -> str:
        if self.options.delimiter is not None:
            return _unescape_delimiter(self.options.delimiter)
        if file.suffix in TAB_SUFFIXES:
            return "\t"
        try:
            sample = head.decode(encoding, errors="replace")
        except UnicodeError:  # a codec that fails whatever the error handler (idna and the like)
            return ","
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        if len(head) >= SNIFF_BYTES and cut > 0:  # drop the last line: the sample may end inside it
            sample = sample[: cut + 1]
        return sniff_delimiter(sample, self.options.comment)

    # -- rows --------------------------------------------------------------------------

    def _read_rows(self, file: InputFile, text: _Text, delimiter: str) -> Iterator[Record | Problem]:
        """Rows to records. The hot loop: keep per-row work small (see the speed note above)."""
        opts = self.options
        comment = opts.comment
        lines = text.lines()
        reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        skipped = 0  # lines taken past the reader: the rest of a row with an over-long field
        columns: list[str] | None = None
        mapping: _Mapping | None = None
        width = number = end = 0  # end: the line the last row ended on
        comments: list[tuple[int, str]] = []
        plugin, path = self.name, file.display
        make: Callable[[list[str], Source], Record | str] = _no_mapping
        stopped = False  # by a Problem that ends the file
        while True:
            try:
                for fields in reader:
                    start = end + 1
                    end = text.done = reader.line_num + skipped
                    if text.exhausted:  # the reader ran out of file inside a quoted field
                        where = f"row {number + 1} (line {start})" if mapping is not None else None
                        what = f"row {number + 1}" if mapping is not None else "the first row"
                        yield Problem(where, f"{what} {_UNCLOSED}", raw=text.raw(start, end))
                        stopped = True
                        break
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        continue  # a blank line
                    if comment is not None and fields[0].startswith(comment):
                        raw = text.raw(start, end)
                        if raw.startswith(comment):
                            if start != end:
                                yield Problem(f"line {start}", _SWALLOWED.format(comment=comment), raw=raw)
                            elif mapping is not None:
                                comments.append((start, raw))
                            continue
                    if mapping is None:
                        columns = _column_names(fields) if opts.header else [str(i + 1) for i in range(len(fields))]
                        resolved = _resolve(opts, columns)
                        if isinstance(resolved, str):
                            yield Problem(None, resolved)
                            return
                        mapping, width, make = resolved, len(columns), resolved.record
                        if opts.header:
                            continue
                    number += 1
                    locator = f"row {number} (line {start})"
                    if len(fields) != width:
                        if len(fields) < width or any(fields[width:]):
                            message = _count_message(number, len(fields), width, opts.header)
                            yield Problem(locator, message, raw=text.raw(start, end))
                            continue
                        fields = fields[:width]  # only extra empty fields (a trailing delimiter): nothing is lost
                    made = make(fields, Source(plugin, path, locator))
                    if isinstance(made, str):
                        yield Problem(locator, f"row {number}: {made}", raw=text.raw(start, end))
                    else:
                        yield made
                break
            except csv.Error as exc:
                start = end + 1
                end = reader.line_num + skipped
                if "field limit" in str(exc):
                    long = _skip_long_row(text, lines, start, end, delimiter)
                    skipped += long.end - end
                    end = text.done = long.end
                    if mapping is None and opts.header:  # no column names: nothing after can be read
                        yield Problem(f"line {start}", long.message("the header row", None), raw=long.raw)
                        stopped = True
                        break
                    number += 1
                    what = f"row {number}"
                    yield Problem(f"{what} (line {start})", long.message(what, columns), raw=long.raw)
                    if not long.closed:
                        stopped = True
                        break
                    continue
                text.done = end
                raw = text.raw(start, end)
                yield Problem(
                    f"line {start}", f"cannot parse the row on line {start} ({exc}): fix its quoting", raw=raw
                )
        if mapping is None and number == 0 and not stopped and text.error is None:
            yield Problem(None, "empty file: only blank or comment lines", warning=True)
        elif number == 0 and opts.header and not stopped and text.error is None:
            yield Problem(None, "header only: the file has no data rows", warning=True)
        yield from text.summary()
        if comments:
            yield Problem(
                f"line {comments[0][0]}",
                f"skipped {len(comments)} comment line(s) starting with {comment!r} among the rows "
                f"({_lines_list([n for n, _ in comments])}); set comment to None if they are data",
                raw="".join(raw for _, raw in comments),
            )


def _no_mapping(fields: list[str], source: Source) -> str:  # pragma: no cover - replaced by the header's mapping
    raise AssertionError("a row before the mapping")


_UNCLOSED = (
    "opens a quoted field that never closes: the file ends inside it (a truncated file, or a stray '\"'); "
    "the row is not imported"
)
_SWALLOWED = (
    "a comment line starting with {comment!r} opens a quote that runs over the next lines; "
    "they are not imported: fix the quote or set comment to None"
)


# ---------------------------------------------------------------------------------------
# A field over the csv module's limit: one rejected row, then reading goes on.

#: The most of a rejected over-long row kept as its raw text (the start of it goes to the rejects).
RAW_KEEP = 1 << 20

_START, _IN_FIELD, _QUOTED, _AFTER_QUOTE = range(4)


class _RowEnd:
    """Follows the csv reader's parse of one row, to find the line it ends on.

    The same rules as ``csv.reader(delimiter=..., quotechar='"', doublequote=True,
    strict=False)`` on lines ending in ``\n``: a quote opens a quoted field only at the
    start of a field, a doubled quote inside one is a quote, anything after a closing
    quote joins the field. Fields are skipped with ``str.find`` and a regex, so a field of
    many megabytes costs a few calls. It keeps nothing but counts: which field is the
    longest, and how long.
    """

    def __init__(self, delimiter: str) -> None:
        self._plain = re.compile(f"[{re.escape(delimiter)}\n]")
        self.state = _START
        self.field = 0  # the field being read (0-based)
        self.length = 0  # its length so far
        self.longest = (0, 0)  # (length, field) of the longest field seen

    def feed(self, text: str) -> bool:
        """Read ``text`` (whole lines); True once the row has ended (at the end of ``text``)."""
        i, n = 0, len(text)
        while i < n:
            state = self.state
            if state == _QUOTED:
                j = text.find('"', i)
                if j < 0:
                    self.length += n - i
                    return False
                self.length += j - i
                i, self.state = j + 1, _AFTER_QUOTE
                continue
            if state == _AFTER_QUOTE and text[i] == '"':  # a doubled quote
                self.length += 1
                i, self.state = i + 1, _QUOTED
                continue
            if state == _START and text[i] == '"':
                i, self.state = i + 1, _QUOTED
                continue
            m = self._plain.search(text, i)
            j = m.start() if m else n
            self.length += j - i
            self.state = _IN_FIELD
            if m is None:
                break
            self._end_field()
            i = j + 1
            if text[j] == "\n":
                return True
            self.state = _START
        return False

    def _end_field(self) -> None:
        self.longest = max(self.longest, (self.length, self.field))
        self.field += 1
        self.length = 0


@dataclass
class _LongRow:
    """A row the csv reader gave up on, a field being over its limit: where the row ends, what to say."""

    start: int  # its first line
    end: int  # its last line; where the file ended if ``closed`` is false
    field: int  # the longest field, 0-based
    length: int  # that field's length in characters
    closed: bool  # false when the file ends inside a quoted field
    raw: str  # the row's first ``RAW_KEEP`` characters
    cut: int  # characters of the row left out of ``raw``
    read_error: bool  # reading the file failed inside the row (the summary says why)

    def message(self, what: str, columns: list[str] | None) -> str:
        """What happened to the row called ``what`` ("row 12", "the header row"), and what to do."""
        limit = csv.field_size_limit()
        size = f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit:,} characters"
        kept = f"; the rejects keep its first {RAW_KEEP:,} characters" if self.cut else ""
        header = what == "the header row"
        if self.read_error:
            return (
                f"{what} has a field over {size} and reading the file stopped inside it (see the problem "
                f"after the last row); the row is not imported{kept}"
            )
        if not self.closed:
            return (
                f"{what} opens a quoted field that never closes: the file ends inside it, over {size} and "
                f"{self.end - self.start + 1:,} lines later (a truncated file, or a stray '\"'); "
                f"the row is not imported{kept}"
            )
        lines = f"line {self.start}" if self.end == self.start else f"lines {self.start}-{self.end}"
        name = f" ({columns[self.field]!r})" if columns and self.field < len(columns) else ""
        then = (
            "no row can be read without the column names"
            if header
            else "the row is not imported, reading goes on with the next row"
        )
        return (
            f"{what} ({lines}): field {self.field + 1}{name} is over {size} ({self.length:,} characters; a field "
            f"may hold {limit:,}); {then}. If the field should not be that long, look for a stray '\"' where it "
            f"starts{kept}"
        )


def _skip_long_row(text: _Text, lines: Iterator[str], start: int, end: int, delimiter: str) -> _LongRow:
    """Read past the row starting on line ``start`` whose field the csv reader refused on line ``end``.

    The reader has taken lines ``start``..``end`` (what it had of the field is dropped with
    the error); the rest of the row is taken from ``lines``, the reader's own iterator, so
    the reader goes on with the next row. Memory holds one block and the kept start of
    the row, however long the field runs.
    """
    scan = _RowEnd(delimiter)
    head = text.raw(start, end)
    closed = scan.feed(head)
    raw, cut = head[:RAW_KEEP], max(0, len(head) - RAW_KEEP)
    del head
    text.done = end
    while not closed:
        line = next(lines, None)
        if line is None:
            break
        end += 1
        text.done = end  # the blocks behind can go
        closed = scan.feed(line)
        room = RAW_KEEP - len(raw)
        raw, cut = raw + line[: max(0, room)], cut + max(0, len(line) - max(0, room))
    closed = closed or scan.state != _QUOTED  # the file may end a row, not a quoted field
    length, field = max(scan.longest, (scan.length, scan.field))
    return _LongRow(start, end, field, length, closed, raw, cut, text.error is not None)


def _count_message(number: int, got: int, width: int, header: bool) -> str:
    what = "too many" if got > width else "too few"
    expected = f"the header has {width}" if header else f"the first row has {width}"
    return (
        f"row {number} has {what} fields ({got}; {expected}): quote fields that contain the delimiter "
        "or line breaks, or check for a missing value"
    )


# ---------------------------------------------------------------------------------------
# Text in blocks, lines out.


class _Block:
    """Decoded text of whole lines ``first``..``last`` (1-based)."""

    __slots__ = ("_offsets", "first", "last", "text")

    def __init__(self, first: int, last: int, text: str) -> None:
        self.first, self.last, self.text = first, last, text
        self._offsets: list[int] | None = None

    def lines(self, start: int, end: int) -> str:
        """The text of lines ``start``..``end``, clipped to this block."""
        if self._offsets is None:
            self._offsets = [0, *(m.end() for m in re.finditer("\n", self.text))]
        offsets = self._offsets
        lo = offsets[max(start, self.first) - self.first]
        hi = min(end, self.last) - self.first + 1
        return self.text[lo : offsets[hi] if hi < len(offsets) else len(self.text)]


class _Text:
    """A decoded stream as lines for the csv reader, through C iterators only.

    Blocks are repaired as they are read (BOM, NUL bytes, stray non-UTF-8 bytes) and kept
    while they hold lines of the row being parsed, so that :meth:`raw` can give a bad row's
    text. The reader counts the lines it takes (``line_num``); ``done`` is set by the
    caller to the last line of the last row it took, and ``exhausted`` turns true when the
    reader asks for a line after the last: past a row, that is the end of the file; inside
    one, a quote left open.
    """

    def __init__(self, stream: io.TextIOBase, *, recode: bool) -> None:
        self._stream = stream
        self._recode = recode
        self._next_line = 1
        self.blocks: list[_Block] = []
        self.done = 0
        self.exhausted = False
        self.error: BaseException | None = None  # what stopped the reading, if the file is damaged
        self.lost = ""  # the partial line read before the error
        self.nul_lines: list[int] = []
        self.nul_bytes = 0
        self.recoded_lines: list[int] = []

    def lines(self) -> Iterator[str]:
        return itertools.chain.from_iterable(map(io.StringIO, self._blocks()))

    def _blocks(self) -> Iterator[str]:
        parts: list[str] = []
        try:
            while chunk := self._stream.read(BLOCK_CHARS):
                parts.append(chunk)
                if "\n" not in chunk:
                    continue
                joined = "".join(parts)
                cut = joined.rfind("\n") + 1
                parts = [joined[cut:]] if cut < len(joined) else []
                yield self._add(joined[:cut])
        except _READ_ERRORS as exc:  # a damaged archive, a failing codec: keep what came before
            self.error = exc
            self.lost = "".join(parts)
            parts = []
        rest = "".join(parts)
        if rest:
            yield self._add(rest)
        self.exhausted = True

    def _add(self, text: str) -> str:
        first = self._next_line
        if first == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a BOM the decoder kept (encoding="utf-8" given for a UTF-8-BOM file)
        if "\0" in text:
            self.nul_lines += _lines_with(text, first, lambda line: "\0" in line)
            self.nul_bytes += text.count("\0")
            text = text.replace("\0", "")
        if self._recode and not text.isascii() and _ESCAPED.search(text):
            self.recoded_lines += _lines_with(text, first, _ESCAPED.search)
            text = _ESCAPED.sub(_cp1252, text)
        newlines = text.count("\n")
        self._next_line = first + newlines
        last = first + newlines - (1 if text.endswith("\n") else 0)
        self.blocks = [b for b in self.blocks if b.last > self.done]
        self.blocks.append(_Block(first, last, text))
        return text

    def raw(self, start: int, end: int) -> str:
        """The text of lines ``start``..``end`` (those of the last row taken, or the one after it)."""
        return "".join(b.lines(start, end) for b in self.blocks if b.first <= end and b.last >= start)

    def summary(self) -> Iterator[Problem]:
        """A Problem for a read error, and one per kind of repair, after the last row."""
        if self.error is not None:
            last = self._next_line - 1
            yield Problem(
                f"line {last + 1}",
                f"cannot read the file after line {last} ({self.error}): the rest is lost; "
                "check that the file is complete",
                raw=self.lost or None,
            )
        if self.nul_lines:
            yield Problem(
                f"line {self.nul_lines[0]}",
                f"stripped {self.nul_bytes} NUL byte(s) on {_lines_list(self.nul_lines)}; the rows were imported "
                "without them (if the file is UTF-16 without a BOM, pass encoding='utf-16-le')",
                warning=True,
            )
        if self.recoded_lines:
            yield Problem(
                f"line {self.recoded_lines[0]}",
                f"bytes that are not UTF-8 on {_lines_list(self.recoded_lines)} were decoded as cp1252; "
                "check the accents, or pass encoding=... if the whole file uses another encoding",
                warning=True,
            )


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


def _lines_with(text: str, first: int, test: Callable[[str], object]) -> list[int]:
    return [first + i for i, line in enumerate(text.split("\n")) if test(line)]


def _is_binary(head: bytes) -> bool:
    """Binary even once NUL bytes are stripped (a few NULs in a small text file get repaired)."""
    if not is_probably_binary(head):
        return False
    return head.count(0) > len(head) // 10 or is_probably_binary(head.replace(b"\0", b""))


def _cp1252(match: re.Match[str]) -> str:
    return match.group().encode("utf-8", "surrogateescape").decode("cp1252", "latin1_fallback")


def _lines_list(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:_SHOWN]))
    more = f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def sniff_delimiter(sample: str, comment: str | None = "#") -> str:
    """The delimiter among comma, tab, semicolon and pipe that splits ``sample`` most consistently.

    Each candidate parses the sample with the real csv reader (so quoted fields and their
    line breaks count right); the winner gives its most common number of fields (two or
    more) on the largest share of rows, earlier candidates winning ties; comma if none
    splits. (``csv.Sniffer`` guesses from regular expressions, is fooled by quoted line
    breaks and can take quadratic time on a 64 KiB sample, so it is not used.)

    >>> sniff_delimiter('id;note\\n1;"a, b"\\n2;c\\n')
    ';'
    """
    text = sample.replace("\0", "")
    if comment is not None:
        text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(comment))
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(text, newline=None), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        score = (hits / len(counts), hits)
        if width >= 2 and score > best_score:
            best, best_score = delimiter, score
    return best


def _unescape_delimiter(value: str) -> str:
    return {"\\t": "\t", "tab": "\t"}.get(value.lower(), value)


# ---------------------------------------------------------------------------------------
# Columns to record fields.


def _column_names(header: list[str]) -> list[str]:
    """Header cells as column names: blanks by position (``"3"``), repeats as ``name.1``, ``name.2``."""
    names: list[str] = []
    taken: set[str] = set()
    repeats: dict[str, int] = {}  # base name -> the last suffix tried
    for i, cell in enumerate(header):
        base = name = cell.strip() or str(i + 1)
        while name in taken:
            repeats[base] = k = repeats.get(base, 0) + 1
            name = f"{base}.{k}"
        names.append(name)
        taken.add(name)
    return names


class _Template:
    """A format string over column names, parsed once; ``{a.b}`` names a column called ``a.b``."""

    def __init__(self, source: str) -> None:
        pieces = parse_template(source)
        for _, name, spec, conversion in pieces:
            if name is None:
                continue
            if not name:
                raise ValueError(f"template {source!r} has an empty {{}}: name a column, like {{title}}")
            try:
                format("", spec)  # cells are strings: "{n:d}" cannot work
                supported = "{" not in spec and conversion in (None, "s", "r", "a")
            except ValueError:
                supported = False
            if not supported:
                raise ValueError(
                    f"template field {{{name}}} has a format this importer does not support: use plain {{column}} "
                    "fields, optionally with a simple format spec such as {title:.200}"
                )
        self.source = source
        self.pieces = pieces
        self.fields = tuple(dict.fromkeys(name for _, name, _, _ in pieces if name is not None))

    def render(self, values: dict[str, str]) -> str:
        out = []
        for literal, name, spec, conversion in self.pieces:
            out.append(literal)
            if name is not None:
                value = values[name]
                if conversion == "r":
                    value = repr(value)
                elif conversion == "a":
                    value = ascii(value)
                out.append(format(value, spec) if spec else value)
        return "".join(out)


@dataclass(frozen=True)
class _Part:
    """One side of a record (text, input, output or system): its columns and how to read it."""

    columns: tuple[str, ...]
    get: Callable[[list[str]], str | None]  # the value, or None when every column it reads is empty
    empty: str  # what to say when it is empty
    index: int | None = None  # the field it reads, when it is one column


def _column_part(columns: list[str], name: str) -> _Part:
    index = columns.index(name)

    def get(fields: list[str]) -> str | None:
        value = fields[index]
        return None if not value or value.isspace() else value

    return _Part((name,), get, f"the {name!r} column is empty", index)


def _joined_part(columns: list[str], names: list[str]) -> _Part:
    """Several columns joined by a blank line, empty ones left out (Alpaca's instruction + input)."""
    indexes = [columns.index(n) for n in names]

    def get(fields: list[str]) -> str | None:
        values = [fields[i] for i in indexes if fields[i].strip()]
        return "\n\n".join(values) if values else None

    return _Part(tuple(names), get, f"the columns {', '.join(map(repr, names))} are all empty")


def _template_part(template: _Template, columns: list[str]) -> _Part | str:
    resolved: dict[str, int] = {}
    for name in template.fields:
        found = _find(columns, name)
        if found is None:
            return f"the template field {{{name}}} is not a column of this file (columns: {_listed(columns)})"
        resolved[name] = columns.index(found)
    names = tuple(dict.fromkeys(columns[i] for i in resolved.values()))

    def get(fields: list[str]) -> str | None:
        values = {name: fields[i] for name, i in resolved.items()}
        if not any(v.strip() for v in values.values()):
            return None
        return template.render(values)

    return _Part(names, get, f"every column of the template ({', '.join(map(repr, names))}) is empty")


class _Mapping:
    """Which parts make a record: ``text``; or ``input`` and ``output``, and maybe ``system``."""

    def __init__(
        self,
        *,
        text: _Part | None = None,
        input: _Part | None = None,
        output: _Part | None = None,
        system: _Part | None = None,
    ) -> None:
        self.text, self.input, self.output, self.system = text, input, output, system
        parts = [p for p in (system, text, input, output) if p is not None]
        self.columns = list(dict.fromkeys(c for part in parts for c in part.columns))
        #: The record of a row, or why the row gives none.
        self.record: Callable[[list[str], Source], Record | str] = self._any_record
        if text is not None and text.index is not None:
            self.record = self._text_column(text.index, self.columns, _empty(text))

    @staticmethod
    def _text_column(index: int, columns: list[str], empty: str) -> Callable[[list[str], Source], Record | str]:
        """``record`` for the most common mapping, one text column, with nothing in between."""

        def record(fields: list[str], source: Source) -> Record | str:
            value = fields[index]
            if not value or value.isspace():
                return empty
            return Record.create(source, text=value, meta={"columns": list(columns)})

        return record

    def _any_record(self, fields: list[str], source: Source) -> Record | str:
        meta = {"columns": list(self.columns)}
        if self.text is not None:
            text = self.text.get(fields)
            if text is None:
                return _empty(self.text)
            return Record.create(source, text=text, meta=meta)
        assert self.input is not None and self.output is not None
        prompt, answer = self.input.get(fields), self.output.get(fields)
        if prompt is None or answer is None:
            return _empty(self.input if prompt is None else self.output)
        if self.system is None:
            return Record.create(source, input=prompt, output=answer, meta=meta)
        turns = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        system = self.system.get(fields)
        if system is not None:
            turns.insert(0, {"role": "system", "content": system})
        return Record.create(source, messages=turns, meta=meta)


def _empty(part: _Part) -> str:
    return f"{part.empty}: nothing to import; fill it in or map another column"


def _listed(columns: list[str], shown: int = 20) -> str:
    more = f" and {len(columns) - shown} more" if len(columns) > shown else ""
    return ", ".join(map(repr, columns[:shown])) + more


def _find(columns: list[str], name: str) -> str | None:
    """The column called ``name``: exact match first, else the only case-insensitive match."""
    if name in columns:
        return name
    folded = [c for c in columns if c.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _find_any(columns: list[str], names: Sequence[str]) -> str | None:
    return next((found for name in names if (found := _find(columns, name)) is not None), None)


def _resolve(opts: CsvOptions, columns: list[str]) -> _Mapping | str:
    """The options' column mapping applied to this file's ``columns``, or why it does not fit."""
    named: dict[str, str] = {}
    for option in ("text_column", "input_column", "output_column", "system_column"):
        name = getattr(opts, option)
        if name is not None:
            found = _find(columns, name)
            if found is None:
                return (
                    f"{option} {name!r} is not a column of this file (columns: {_listed(columns)}); pass one of those"
                )
            named[option] = found
    template: _Part | None = None
    if opts.template is not None:
        part = _template_part(_Template(opts.template), columns)
        if isinstance(part, str):
            return part
        template = part

    if "text_column" in named:
        return _Mapping(text=_column_part(columns, named["text_column"]))
    if template is not None and "output_column" not in named:
        return _Mapping(text=template)

    explicit = bool(named) or template is not None
    if template is not None:
        prompt: _Part | None = template
    elif "input_column" in named:
        prompt = _column_part(columns, named["input_column"])
    else:
        instruction, extra = _find(columns, "instruction"), _find(columns, "input")
        if instruction is not None and extra is not None:  # Alpaca: the input follows the instruction
            prompt = _joined_part(columns, [instruction, extra])
        else:
            found = _find_any(columns, _PROMPT_NAMES)
            prompt = None if found is None else _column_part(columns, found)
    answer = named.get("output_column") or _find_any(columns, ANSWER_NAMES)
    if prompt is not None and answer is not None:
        system = named.get("system_column") or (None if explicit else _find_any(columns, SYSTEM_NAMES))
        return _Mapping(
            input=prompt,
            output=_column_part(columns, answer),
            system=None if system is None else _column_part(columns, system),
        )
    if explicit:
        if answer is None:
            return f"cannot tell which column holds the answers (columns: {_listed(columns)}); pass --output-column"
        return (
            f"cannot tell which column holds the prompts (columns: {_listed(columns)}); "
            "pass --input-column, or a template"
        )

    text = _find_any(columns, _TEXT_NAMES) or (columns[0] if len(columns) == 1 else None)
    if text is None:
        example = "\\n\\n".join(f"{{{c}}}" for c in columns[:2])
        return (
            f"cannot tell which column to import (columns: {_listed(columns)}): pass --text-column NAME, "
            f"or --input-column and --output-column, or a template such as template='{example}'"
        )
    return _Mapping(text=_column_part(columns, text))


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(CsvImporter)
