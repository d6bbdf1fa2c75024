"""CSV and TSV files: one record per row, from a text column, input/output columns or a template.

Reading
    The file is decoded as it streams (:func:`~curate.importing.detect_encoding` picks the
    encoding: BOM, else UTF-8, else cp1252 with a warning) and parsed with the standard
    library's :mod:`csv` reader, one row at a time, so memory is bounded by the longest row.
    The delimiter is ``\\t`` for ``.tsv``/``.tab`` and otherwise sniffed from the first 64 KiB
    among comma, tab, semicolon and pipe. Quoted fields may hold delimiters, doubled quotes
    and newlines; CRLF, LF and CR-only line ends are all read, and line ends inside quoted
    fields become ``\\n``. Every cell is text exactly as written: ``NA``, ``null`` and
    ``007`` stay strings.

Why not pandas
    ``pandas.read_csv`` cannot say on which line a row starts once quoted fields span lines,
    pads short rows with NaN without a word, hands ``on_bad_lines`` the parsed fields rather
    than the row's text (and only with the slow python engine), and loses the rows of a
    whole chunk when the file ends inside a quote. The :mod:`csv` reader fed line by line
    gives all of that exactly, and measured faster than ``read_csv`` with the options a
    faithful import needs (``dtype=str, keep_default_na=False``).

Locators
    ``"row N (line L)"``: ``N`` counts data rows from 1 (the header and blank or comment
    lines are not rows), ``L`` is the physical line of the file on which the row starts
    (the header is usually line 1). Both stay right across multi-line quoted fields.

Problems (never silent)
    A row with the wrong number of fields, an empty mapped cell, an unterminated quote at
    the end of the file and comment lines among the data come back as a :class:`Problem`
    whose ``raw`` is the row's text as read, so that it lands in ``rejects.jsonl``. Rows
    that merely end in extra empty fields (``a,b,,``) are kept: nothing is lost. NUL bytes
    are stripped and bytes that are not UTF-8 in a UTF-8 file are decoded as cp1252; both
    are reported once per file. A binary file, an empty file and a mapping that does not
    fit the file's columns are one file-level Problem each.

Column mapping (``text_column``, ``input_column``, ``output_column``, ``template``, ``system_column``)
    A template is a format string over column names (``"{title}\\n\\n{body}"``); it makes the
    text, or the input when ``output_column`` is set. With no mapping, a column named
    instruction/prompt/question/input/query plus one named output/response/answer/completion
    makes input/output records (an ``instruction`` and an ``input`` column are joined, as in
    Alpaca), else a column named text/content/body/document makes text, else a file with a
    single column is taken as text. Column names match exactly, else case-insensitively.
    Columns without a name (and every column when ``header`` is false) are called by their
    1-based position: ``"1"``, ``"2"``...
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import lzma
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import curate
from curate.errors import ConfigError
from curate.importing import SNIFF_BYTES, Importer, InputFile, Problem, detect_encoding, is_probably_binary
from curate.records import Record

DELIMITERS = (",", "\t", ";", "|")
TAB_SUFFIXES = (".tsv", ".tab")

TEXT_NAMES = ("text", "content", "body", "document")
INPUT_NAMES = ("instruction", "prompt", "question", "input", "query")
OUTPUT_NAMES = ("output", "response", "answer", "completion")
SYSTEM_NAMES = ("system", "system_prompt")

#: The csv module refuses fields longer than this (its default is 128 KiB, too small for documents).
MAX_FIELD_CHARS = 1 << 24

_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes that were not UTF-8, after surrogateescape
_SHOWN = 5  # line numbers listed in a per-file summary


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a (possibly compressed) file may raise once it is open: damaged or cut archives."""
    errors: list[type[BaseException]] = [OSError, EOFError, lzma.LZMAError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover - zstandard is a core dependency
        pass
    return tuple(errors)


_STREAM_ERRORS = _stream_errors()


@dataclass(frozen=True)
class CsvOptions:
    text_column: str | None = field(default=None, metadata={"help": "column holding the text of each record"})
    input_column: str | None = field(default=None, metadata={"help": "column holding the prompt (with output_column)"})
    output_column: str | None = field(default=None, metadata={"help": "column holding the answer"})
    template: str | None = field(
        default=None,
        metadata={
            "help": "format string over column names, e.g. '{title}\\n\\n{body}': the text, "
            "or the input when output_column is set"
        },
    )
    system_column: str | None = field(
        default=None, metadata={"help": "column holding a system prompt: records become messages with a system turn"}
    )
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
    header: bool = field(default=True, metadata={"help": "the first row names the columns; if false, columns are 1, 2..."})
    chunk_rows: int = field(
        default=10_000, metadata={"help": "rows parsed per batch before their records are built (bounds memory)"}
    )

    def __post_init__(self) -> None:
        owner = "importer 'csv'"
        if self.text_column is not None and (self.input_column or self.output_column or self.template):
            raise ConfigError(
                f"{owner}: text_column cannot be combined with input_column, output_column or template",
                hint="use text_column alone for text records, or input_column/template with output_column",
            )
        if self.template is not None and self.input_column is not None:
            raise ConfigError(
                f"{owner}: template and input_column both say what the input is",
                hint="drop input_column (the template makes the input when output_column is set)",
            )
        if self.system_column is not None and (self.text_column is not None or (self.template and not self.output_column)):
            raise ConfigError(
                f"{owner}: system_column needs a prompt and an answer, not a text column",
                hint="set input_column (or a template) and output_column with system_column",
            )
        if self.template is not None:
            _Template.compile(self.template)
        if self.delimiter is not None and len(_unescape_delimiter(self.delimiter)) != 1:
            raise ConfigError(
                f"{owner}: delimiter must be one character, got {self.delimiter!r}",
                hint="for example ',', ';', '|' or '\\t'; leave it unset to sniff it",
            )
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ConfigError(
                    f"{owner}: unknown encoding {self.encoding!r}", hint="for example utf-8, utf-16, cp1252, latin-1"
                ) from None
        if self.comment == "":
            raise ConfigError(f"{owner}: comment must not be empty", hint="leave it unset (None) to read every line")
        if self.chunk_rows < 1:
            raise ConfigError(f"{owner}: chunk_rows must be at least 1, got {self.chunk_rows}")


class CsvImporter(Importer[CsvOptions]):
    name = "csv"
    suffixes = (".csv", *TAB_SUFFIXES)
    Options = CsvOptions
    description = "CSV and TSV files: one record per row (text column, input/output columns or a template)."

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except _STREAM_ERRORS as exc:
            yield Problem(None, f"cannot read {file.display}: {exc}; check that the file is complete")
            return
        if not head:
            yield Problem(None, "empty file: no header and no rows")
            return
        if is_probably_binary(head):
            yield Problem(None, "binary content, not CSV: check that the file is a CSV/TSV export, not a spreadsheet")
            return
        encoding, errors, warning = self._encoding(head)
        if warning:
            yield Problem(None, f"{file.display}: {warning}, or pass encoding=... if you know it")
        delimiter = self._delimiter(file, head, encoding)
        if csv.field_size_limit() < MAX_FIELD_CHARS:
            csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            with io.TextIOWrapper(file.open(), encoding=encoding, errors=errors, newline=None) as stream:
                yield from self._read_rows(file, stream, delimiter, recode=errors == "surrogateescape")
        except _STREAM_ERRORS as exc:  # only opening can land here; reading errors are reported by row
            yield Problem(None, f"cannot read {file.display}: {exc}")

    # -- decoding ------------------------------------------------------------------

    def _encoding(self, head: bytes) -> tuple[str, str, str | None]:
        """``(encoding, errors, warning)``; UTF-8 keeps bad bytes (surrogateescape) to recode them."""
        if self.options.encoding:
            encoding, warning = codecs.lookup(self.options.encoding).name, None
            if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
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
        sample = head.decode(encoding, errors="replace")
        if len(head) >= SNIFF_BYTES:  # cut: drop the last, partial line
            sample = sample[: max(sample.rfind("\n"), sample.rfind("\r")) + 1]
        return sniff_delimiter(sample, self.options.comment)

    # -- rows --------------------------------------------------------------------------

    def _read_rows(self, file: InputFile, stream: io.TextIOWrapper, delimiter: str, recode: bool) -> Iterator[Record | Problem]:
        opts = self.options
        lines = _Lines(stream, opts.comment, recode)
        rows = _parse(lines, delimiter)
        first = next(rows, None)
        if first is None or first.error == "read":
            yield Problem(None, "empty file: only blank or comment lines" if first is None else first.message)
            return
        if first.error:
            yield Problem(None, f"the first row cannot be read: {first.message}", raw=first.raw)
            return
        columns = _column_names(first.fields) if opts.header else [str(i + 1) for i in range(len(first.fields))]
        mapping = _resolve(opts, columns)
        if isinstance(mapping, str):
            yield Problem(None, mapping)
            return
        width = len(columns)
        lines.collect_comments = True
        number = 0
        data = rows if opts.header else itertools.chain([first], rows)
        has_rows = False
        while batch := list(itertools.islice(data, opts.chunk_rows)):
            for row in batch:
                has_rows = True
                number += 1
                locator = f"row {number} (line {row.line})"
                if row.error:
                    yield Problem(locator, f"row {number} {row.message}", raw=row.raw)
                    if row.error == "fatal":
                        break
                    continue
                fields = row.fields
                if len(fields) != width:
                    if len(fields) < width or any(fields[width:]):
                        yield Problem(locator, _count_message(number, len(fields), width, opts.header), raw=row.raw)
                        continue
                    fields = fields[:width]  # extra trailing empty fields: nothing is lost
                built = mapping.build(fields)
                if isinstance(built, str):
                    yield Problem(locator, f"row {number}: {built}", raw=row.raw)
                    continue
                yield Record.create(file.source(self.name, locator), meta={"columns": list(mapping.columns)}, **built)
            else:
                continue
            break
        if not has_rows:
            yield Problem(None, "header only: the file has no data rows")
        yield from lines.summary()


# ---------------------------------------------------------------------------------------
# Lines in, rows out.


class _Lines:
    """The decoded lines the csv reader consumes, counted, with the current row's text kept.

    The csv reader pulls exactly the lines of one row and never reads ahead, so after each
    row ``buf`` holds that row's text and ``count`` the number of the line it ended on.
    Comment lines are skipped only where a row starts (never inside a quoted field).
    """

    def __init__(self, stream: Iterator[str], comment: str | None, recode: bool) -> None:
        self._lines = iter(stream)
        self._comment = comment
        self._recode = recode
        self.count = 0
        self.buf: list[str] = []
        self.exhausted = False
        self.collect_comments = False  # comment lines before the header are a preamble
        self.comments: list[tuple[int, str]] = []
        self.nul_lines: list[int] = []
        self.nul_bytes = 0
        self.recoded_lines: list[int] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        for line in self._lines:
            self.count += 1
            if "\0" in line:
                self.nul_lines.append(self.count)
                self.nul_bytes += line.count("\0")
                line = line.replace("\0", "")
            if self._recode and not line.isascii() and _ESCAPED.search(line):
                self.recoded_lines.append(self.count)
                line = _ESCAPED.sub(_cp1252, line)
            if self.count == 1 and line.startswith("\ufeff"):
                line = line[1:]  # a BOM the decoder kept (an explicit encoding="utf-8")
            if self._comment is not None and not self.buf and line.startswith(self._comment):
                if self.collect_comments:
                    self.comments.append((self.count, line))
                continue
            self.buf.append(line)
            return line
        self.exhausted = True
        raise StopIteration

    def take(self) -> tuple[int, str]:
        """The line the current row started on and its text; clears the row."""
        start = self.count - len(self.buf) + 1
        raw = "".join(self.buf)
        self.buf.clear()
        return start, raw

    def summary(self) -> Iterator[Problem]:
        """One Problem per kind of repair or skip, at the end of the file."""
        if self.nul_lines:
            yield Problem(
                f"line {self.nul_lines[0]}",
                f"stripped {self.nul_bytes} NUL byte(s) on {_lines_list(self.nul_lines)}; "
                "the rows were imported without them (a UTF-16 file without BOM? pass encoding='utf-16')",
            )
        if self.recoded_lines:
            yield Problem(
                f"line {self.recoded_lines[0]}",
                f"bytes that are not UTF-8 on {_lines_list(self.recoded_lines)} were decoded as cp1252; "
                "check the accents, or pass encoding=... if the file has one encoding throughout",
            )
        if self.comments:
            yield Problem(
                f"line {self.comments[0][0]}",
                f"skipped {len(self.comments)} comment line(s) starting with {self._comment!r} among the data "
                f"({_lines_list([n for n, _ in self.comments])}); set comment to None if they are rows",
                raw="".join(text for _, text in self.comments),
            )


def _cp1252(match: re.Match[str]) -> str:
    return match.group().encode("utf-8", "surrogateescape").decode("cp1252", "latin1_fallback")


def _lines_list(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:_SHOWN]))
    more = f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


@dataclass(frozen=True, slots=True)
class _Row:
    """A parsed row, or (``error`` set) a part of the file that is not one."""

    fields: list[str]
    line: int
    raw: str
    error: str | None = None  # "bad": skip it; "fatal": stop after it; "read": the stream failed
    message: str = ""


def _parse(lines: _Lines, delimiter: str) -> Iterator[_Row]:
    """The rows of ``lines``, blank lines skipped, with the line each starts on and its text."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line, raw = lines.take()
            if "field limit" in str(exc):
                yield _Row([], line, raw, "fatal", f"has a field longer than {MAX_FIELD_CHARS:,} characters, "
                           "most likely after a stray quote; the rest of the file is not imported: fix the quoting")
                return
            yield _Row([], line, raw, "bad", f"cannot be parsed ({exc}); fix the quoting")
            continue
        except _STREAM_ERRORS as exc:
            line, raw = lines.take()
            yield _Row([], line, raw, "read", f"the file cannot be read from line {line} on: {exc}")
            return
        line, raw = lines.take()
        if lines.exhausted:  # the reader hit the end of the file before the row's closing quote
            yield _Row(fields, line, raw, "fatal", "opens a quoted field that never closes: the file ends inside it "
                       "(a truncated file, or a stray '\"'); the row and anything after it are not imported")
            return
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield _Row(fields, line, raw)


def _count_message(number: int, got: int, width: int, header: bool) -> str:
    what = "too many" if got > width else "too few"
    expected = f"the header has {width}" if header else f"the first row has {width}"
    return (
        f"row {number} has {what} fields ({got}; {expected}): quote fields that contain the delimiter "
        "or line breaks, or check for a missing value"
    )


def sniff_delimiter(sample: str, comment: str | None = "#") -> str:
    """The delimiter among comma, tab, semicolon and pipe that splits ``sample`` most consistently.

    Each candidate parses the sample with the real csv reader (so quoted fields and their
    line breaks count right); the winner gives the same number of fields (two or more) on
    the largest share of rows, earlier candidates winning ties. Comma when none splits.
    (``csv.Sniffer`` is regex-based, guesses wrong on quoted multi-line fields and can be
    quadratic on a 64 KiB sample; this is neither.)

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
        if width < 2:
            continue
        score = (hits / len(counts), hits)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unescape_delimiter(value: str) -> str:
    return {"\\t": "\t", "tab": "\t"}.get(value.lower(), value)


# ---------------------------------------------------------------------------------------
# Columns to record fields.


def _column_names(header: list[str]) -> list[str]:
    """Header cells as column names: blanks by position (``"3"``), repeats as ``name.1``, ``name.2``."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for i, cell in enumerate(header):
        name = cell.strip() or str(i + 1)
        if seen[name]:
            base, k = name, seen[name]
            while f"{base}.{k}" in seen:
                k += 1
            name = f"{base}.{k}"
        seen[cell.strip() or str(i + 1)] += 1
        seen[name] += 1
        names.append(name)
    return names


@dataclass(frozen=True)
class _Template:
    """A format string over column names, parsed once; ``{a.b}`` names a column called ``a.b``."""

    source: str
    pieces: tuple[tuple[str, str | None, str, str | None], ...]

    @classmethod
    def compile(cls, source: str) -> _Template:
        try:
            pieces = tuple(string.Formatter().parse(source))
        except ValueError as exc:
            raise ConfigError(
                f"importer 'csv': template {source!r} is not a valid format string ({exc})",
                hint="name columns in braces, e.g. '{title}\\n\\n{body}'; write a literal brace as {{ or }}",
            ) from None
        for _, name, spec, conversion in pieces:
            if name is None:
                continue
            if not name:
                raise ConfigError(
                    f"importer 'csv': template {source!r} has an empty {{}}", hint="name a column: '{title}'"
                )
            if "{" in (spec or "") or conversion not in (None, "s", "r", "a"):
                raise ConfigError(f"importer 'csv': template field {{{name}}} has an unsupported format")
        return cls(source, tuple((lit, name, spec or "", conv) for lit, name, spec, conv in pieces))

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(name for _, name, _, _ in self.pieces if name is not None))

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


#: Reads one value from a row's fields: the value, or None when it is empty.
_Getter = Callable[[list[str]], "str | None"]


@dataclass(frozen=True)
class _Part:
    """One side of a record (text, input, output, system): how to read it and what to call it."""

    describe: str  # for messages: "'review' column", "template '{a} {b}' (columns a, b)"
    columns: tuple[str, ...]
    get: _Getter


def _column_part(columns: list[str], name: str) -> _Part:
    index = columns.index(name)

    def get(fields: list[str]) -> str | None:
        value = fields[index]
        return value if value.strip() else None

    return _Part(f"{name!r} column", (name,), get)


def _joined_part(columns: list[str], names: list[str]) -> _Part:
    indexes = [columns.index(n) for n in names]

    def get(fields: list[str]) -> str | None:
        values = [fields[i] for i in indexes if fields[i].strip()]
        return "\n\n".join(values) if values else None

    return _Part(" and ".join(f"{n!r}" for n in names) + " columns", tuple(names), get)


def _template_part(template: _Template, resolved: dict[str, str], columns: list[str]) -> _Part:
    indexes = {field_name: columns.index(col) for field_name, col in resolved.items()}

    def get(fields: list[str]) -> str | None:
        values = {name: fields[i] for name, i in indexes.items()}
        if not any(v.strip() for v in values.values()):
            return None
        return template.render(values)

    names = ", ".join(repr(c) for c in resolved.values())
    return _Part(f"template {template.source!r} (columns {names} all)", tuple(resolved.values()), get)


@dataclass(frozen=True)
class _Mapping:
    """Which parts make a record: ``text``; or ``input`` and ``output`` (and maybe ``system``)."""

    parts: dict[str, _Part]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(c for part in self.parts.values() for c in part.columns))

    def build(self, fields: list[str]) -> dict | str:
        """The :meth:`Record.create` keywords for a row, or why the row gives no record."""
        values = {}
        for role, part in self.parts.items():
            value = part.get(fields)
            if value is None and role != "system":
                return f"the {part.describe} is empty: nothing to import; fill it in or map another column"
            values[role] = value
        if "text" in values:
            return {"text": values["text"]}
        if "system" not in values:
            return {"input": values["input"], "output": values["output"]}
        turns = [{"role": "user", "content": values["input"]}, {"role": "assistant", "content": values["output"]}]
        if values["system"] is not None:
            turns.insert(0, {"role": "system", "content": values["system"]})
        return {"messages": turns}


def _find(columns: list[str], name: str) -> str | None:
    """The column called ``name``: exact match first, else the one case-insensitive match."""
    if name in columns:
        return name
    folded = [c for c in columns if c.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _find_any(columns: list[str], names: Sequence[str]) -> str | None:
    for name in names:
        found = _find(columns, name)
        if found is not None:
            return found
    return None


def _resolve(opts: CsvOptions, columns: list[str]) -> _Mapping | str:
    """The mapping of ``opts`` applied to this file's ``columns``, or why it does not fit."""
    listed = ", ".join(repr(c) for c in columns)

    def missing(option: str, name: str) -> str:
        return f"{option} {name!r} is not a column of this file (columns: {listed}); pass one of those"

    def need(option: str, name: str | None) -> str | None:
        return None if name is None else _find(columns, name)

    parts: dict[str, _Part] = {}
    template = _Template.compile(opts.template) if opts.template is not None else None
    if template is not None:
        resolved = {}
        for name in template.fields:
            found = _find(columns, name)
            if found is None:
                return f"template field {{{name}}} is not a column of this file (columns: {listed})"
            resolved[name] = found
        template_part = _template_part(template, resolved, columns)

    for option in ("text_column", "input_column", "output_column", "system_column"):
        name = getattr(opts, option)
        if name is not None and need(option, name) is None:
            return missing(option, name)

    if opts.text_column is not None:
        parts["text"] = _column_part(columns, _find(columns, opts.text_column))  # type: ignore[arg-type]
        return _Mapping(parts)
    if template is not None and opts.output_column is None:
        parts["text"] = template_part
        return _Mapping(parts)

    explicit = opts.input_column is not None or opts.output_column is not None or template is not None
    input_part: _Part | None = None
    if template is not None:
        input_part = template_part
    elif opts.input_column is not None:
        input_part = _column_part(columns, _find(columns, opts.input_column))  # type: ignore[arg-type]
    else:
        instruction = _find(columns, "instruction")
        extra = _find(columns, "input")
        if instruction is not None and extra is not None:  # Alpaca: the input follows the instruction
            input_part = _joined_part(columns, [instruction, extra])
        else:
            found = _find_any(columns, INPUT_NAMES)
            input_part = _column_part(columns, found) if found is not None else None
    output_name = need("output_column", opts.output_column) if opts.output_column else _find_any(columns, OUTPUT_NAMES)

    if input_part is not None and output_name is not None and output_name not in input_part.columns:
        parts["input"] = input_part
        parts["output"] = _column_part(columns, output_name)
        system = opts.system_column if opts.system_column is not None else None
        if system is None and not explicit:
            system = _find_any(columns, SYSTEM_NAMES)
        if system is not None:
            parts["system"] = _column_part(columns, _find(columns, system))  # type: ignore[arg-type]
        return _Mapping(parts)
    if explicit or opts.system_column is not None:
        side = "an output" if output_name is None else "an input"
        flag = "--output-column" if output_name is None else "--input-column (or a template)"
        return f"cannot tell which column holds {side} (columns: {listed}); pass {flag}"

    text = _find_any(columns, TEXT_NAMES)
    if text is None and len(columns) == 1:
        text = columns[0]
    if text is None:
        example = "".join(f"{{{c}}}\\n\\n" for c in columns[:2])[:-4]
        return (
            f"cannot tell which column to import (columns: {listed}): pass --text-column NAME, or "
            f"--input-column and --output-column, or a template such as template='{example}'"
        )
    parts["text"] = _column_part(columns, text)
    return _Mapping(parts)


@curate.hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(CsvImporter)
