"""JSON and JSON Lines: one record per line, per array item, or per object.

The layout is decided from the content, the suffix only breaking ties:

* **JSON Lines** (``.jsonl``, ``.ndjson``, ``.jsonlines``, and any file holding one object per line):
  one record per line, locator ``line N``. Blank lines are skipped; a line that is not JSON, not an
  object or not a known shape is a :class:`Problem` carrying the line, and reading carries on.
* **A top-level array** (``[{...}, {...}]``): streamed item by item with bounded memory, locator ``item N``.
* **One top-level object**: a record itself, or a holder of one list of records (``{"data": [...]}``,
  loaded whole, so keep such files small or convert them with ``jq -c '.data[]'``). Several
  pretty-printed objects one after another (``jq`` output) are read in turn as items.

Large JSON Lines files can be cut into shards read in parallel (:meth:`JsonImporter.shards`, used by
the Ray engine): uncompressed files with LF or CRLF line ends, in UTF-8 or cp1252, are cut just after
line ends; arrays, objects, CR-only line ends, UTF-16/32 and compressed files are read whole.

A damaged array or object stream yields every record before the damage and a problem that names the
item, line and column where reading stopped. Each object's shape is detected on its own
(:func:`curate.formats.detect_row_format`) unless the ``format`` option forces one, or column options
map other key names (``a.b`` reaches into nested objects); keys that are not content go to
``meta["fields"]`` (small scalars only).

Tool calling is content and is kept (:mod:`curate.toolcalls`): OpenAI's ``tool_calls`` (and the
legacy ``function_call``), tool results with ``tool_call_id`` and ``name``, the ``tools`` list (a
list, or JSON text as LLaMA-Factory writes it), ShareGPT's ``function_call`` and ``observation``
turns. Other keys on turns (OpenAI's ``weight``, say) are named in ``meta["turn_keys_dropped"]``;
a row that offers tools without a conversation to use them in is a problem, not a silent loss.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from curate.plugin_api import (
    ANSWER_NAMES,
    DECOMPRESSION_ERRORS,
    FORMATS,
    PROMPT_NAMES,
    ColumnMapping,
    Importer,
    InputFile,
    Problem,
    Record,
    RecordError,
    Shard,
    detect_encoding,
    detect_row_format,
    fields_from_row,
    hookimpl,
    is_probably_binary,
    is_small_scalar,
    line_shards,
    loads,
    open_shard_text,
    open_text,
    shardable_head,
    tools_from,
    turn_text,
)

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_CHUNK = 1 << 16  # characters read at a time in streaming modes
_SNIFF_CHARS = 1 << 20  # characters looked at to decide the layout
_MAX_VALUE_CHARS = 64 << 20  # the largest line / item / document read into memory
_RAW_LIMIT = 1 << 20  # the most text a Problem carries from a damaged region
_MAX_FIELDS = 16  # extra scalar keys kept in meta["fields"]
_MAX_KEY_CHARS = 64

_WS = re.compile("[ \t\n\r\ufeff]*")  # JSON whitespace, and byte-order marks (UTF-16 keeps its BOM)
#: Lenient on raw control characters (tabs) inside strings, as many writers produce them.
_DECODER = json.JSONDecoder(strict=False)

#: The keys each format reads as content (the rest may go to meta["fields"]).
_FORMAT_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"text"}),
    "input-output": frozenset({"input", "output"}),
    "prompt-generation": frozenset({"prompt", "generation", "completion", "response"}),
    "prompt-completion": frozenset({"prompt", "completion", "tools"}),
    "alpaca": frozenset({"instruction", "input", "output", "system", "history", "tools"}),
    "messages": frozenset({"messages", "system", "tools"}),
    "sharegpt": frozenset({"conversations", "system", "tools"}),
}

# Guesses for objects no format fits, in order of preference ("text" is the text format's own key).
_GUESS_TEXT = ("content", "body", "document", "article", "passage")
_GUESS_CONTEXT = ("context", "input")
_GUESS_ANSWER = (*ANSWER_NAMES, "generation", "target")

_SHAPES_HELP = (
    "expected text; input/output; prompt/generation; instruction/input/output (alpaca); messages; "
    "or conversations (ShareGPT). Map other keys with text_column, or input_column and output_column, "
    "or template (CLI: --text-column, --input-column, --output-column)"
)


@dataclass(frozen=True)
class JsonOptions(ColumnMapping):
    noun: ClassVar[str] = "key"

    format: str | None = field(
        default=None,
        metadata={"help": f"read every object as this format instead of detecting it: {', '.join(FORMATS)}"},
    )
    list_key: str | None = field(
        default=None,
        metadata={"help": "for a file holding one object: the key of its list of records (default: its only list)"},
    )

    def __post_init__(self) -> None:
        self.check_format(self.format, FORMATS)
        super().__post_init__()


class _Unfit(Exception):
    """A JSON value that cannot become a record; the message says why and what to do."""


class _TooLarge(Exception):
    """A line, item or document beyond ``_MAX_VALUE_CHARS``."""


class JsonImporter(Importer[JsonOptions]):
    name = "json"
    suffixes = (".json", *JSONL_SUFFIXES)
    Options = JsonOptions
    description = "JSON Lines, JSON arrays and objects; text, input/output, alpaca, messages and ShareGPT rows."

    def __init__(self, options: JsonOptions) -> None:
        super().__init__(options)
        self._template_keys = options.template_fields()

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """Text whose first non-space character is ``{`` followed by ``"`` or ``}``, or ``[`` and a JSON value."""
        if is_probably_binary(head):
            return False
        encoding, _ = detect_encoding(head)
        text = head[:4096].decode(encoding.replace("cp1252", "latin-1"), errors="replace").lstrip(" \t\r\n\ufeff")
        if text.startswith("{"):
            return text[1:].lstrip()[:1] in ('"', "}")
        if text.startswith("["):
            return text[1:].lstrip()[:1] in ("{", "[", '"', "]", "-", "t", "f", "n", *"0123456789")
        return False

    # -- reading --------------------------------------------------------------------

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except DECOMPRESSION_ERRORS as exc:
            yield Problem(None, f"cannot read the file: {_describe(exc)}; check that it is not damaged")
            return
        if is_probably_binary(head):
            yield Problem(
                None,
                "binary content, not JSON text; if it is compressed, name it .gz, .bz2, .xz or .zst",
            )
            return
        try:
            layout, newline = _layout(file)
            stream, _, warning = open_text(file, newline=newline)
        except DECOMPRESSION_ERRORS as exc:
            yield _read_failure(None, exc, 0)
            return
        if layout == "empty":
            stream.close()
            return
        if warning:
            yield Problem(None, warning, warning=True)
        with stream:
            if layout == "lines":
                yield from self._read_lines(file, stream)
            else:
                yield from self._read_values(file, stream, array=layout == "array")

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """JSON Lines only: cut after line ends (:func:`~curate.importing.line_shards`).

        ``None`` (read whole) for compressed files, files not larger than ``target_bytes``,
        binary content, the other layouts, CR-only line ends (read with universal
        newlines) and encodings other than UTF-8 and cp1252 (with or without BOM).
        """
        head = shardable_head(file, target_bytes)
        if head is None:
            return None
        try:
            layout, newline = _layout(file)
            if layout != "lines" or newline != "\n":
                return None
            return line_shards(file, target_bytes, detect_encoding(head)[0])
        except DECOMPRESSION_ERRORS:
            return None  # read() says what is wrong with the file

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """The lines of one shard that :meth:`shards` made, numbered from its ``first_line``."""
        if shard.index == 0:
            try:
                warning = detect_encoding(file.head())[1]
            except DECOMPRESSION_ERRORS as exc:
                yield _read_failure(None, exc, 0)
                return
            if warning:
                yield Problem(None, warning, warning=True)
        try:
            stream = open_shard_text(file, shard, newline="\n")
        except DECOMPRESSION_ERRORS as exc:
            yield _read_failure(f"line {shard.first_line}", exc, shard.first_line - 1)
            return
        with stream:
            yield from self._read_lines(file, stream, first_line=shard.first_line)

    def _read_lines(self, file: InputFile, stream: IO[str], first_line: int = 1) -> Iterator[Record | Problem]:
        readline = stream.readline
        n = first_line - 1
        while True:
            try:
                line = readline(_MAX_VALUE_CHARS)
            except DECOMPRESSION_ERRORS as exc:
                yield _read_failure(f"line {n + 1}", exc, n)
                return
            if not line:
                return
            n += 1
            locator = f"line {n}"
            if len(line) == _MAX_VALUE_CHARS and not line.endswith("\n"):
                try:
                    while True:  # skip the rest of the line
                        rest = readline(_MAX_VALUE_CHARS)
                        if not rest or rest.endswith("\n"):
                            break
                except DECOMPRESSION_ERRORS as exc:
                    yield _read_failure(locator, exc, n - 1)
                    return
                yield Problem(
                    locator,
                    f"line longer than {_MAX_VALUE_CHARS} characters, skipped (only its start is kept here); "
                    "is this really JSON Lines? split the record or pass a smaller file",
                    raw=line[:_RAW_LIMIT],
                )
                continue
            try:
                obj = loads(line, strict=False)  # json.loads' values and errors, faster with msgspec
            except (ValueError, RecursionError) as exc:
                if not line.strip():
                    continue  # blank line
                if line.startswith("\ufeff"):  # a BOM left by concatenating files
                    try:
                        obj = loads(line.lstrip("\ufeff"), strict=False)
                    except (ValueError, RecursionError):
                        pass
                    else:
                        yield self._emit(file, locator, obj, line, "line")
                        continue
                truncated = not line.endswith("\n")
                yield Problem(locator, _json_error(exc, truncated=truncated), raw=line.rstrip("\r\n"))
                continue
            yield self._emit(file, locator, obj, line, "line")

    def _emit(self, file: InputFile, locator: str, obj: Any, raw: str, unit: str) -> Record | Problem:
        try:
            return self._record(file, locator, obj, unit)
        except _Unfit as exc:
            return Problem(locator, str(exc), raw=raw.rstrip("\r\n"))

    def _read_values(self, file: InputFile, stream: IO[str], *, array: bool) -> Iterator[Record | Problem]:
        """A top-level array, or one or more top-level values one after another, parsed incrementally."""
        sc = _Scanner(stream)
        n = 0
        try:
            if array:
                sc.peek()
                sc.pos += 1  # the '[' the layout saw
            while True:
                c = sc.peek()
                if array and c == "]" and n == 0:
                    sc.pos += 1
                    break
                if not c:
                    if array:
                        yield Problem(
                            f"item {n + 1}",
                            f"the file ends inside the array after item {n} ({sc.where(sc.pos)}), "
                            f"before its closing ']': it is truncated; the {n} item(s) before were read",
                        )
                    break
                n += 1
                locator = f"item {n}"
                sc.compact()
                start = sc.pos
                try:
                    obj = sc.value()
                except _TooLarge:
                    yield Problem(
                        locator,
                        f"larger than {_MAX_VALUE_CHARS} characters ({sc.where(start)}); stopped reading here. "
                        "Convert the file to JSON Lines (jq -c '.[]' in.json > out.jsonl) and import that",
                        raw=sc.buf[start : start + _RAW_LIMIT],
                    )
                    return
                except (ValueError, RecursionError) as exc:
                    yield self._damage(sc, locator, start, exc, n - 1)
                    return
                if not array and n == 1 and isinstance(obj, dict) and not sc.peek():
                    yield from self._document(file, obj, sc.buf[start : sc.pos])
                    return
                yield self._emit(file, locator, obj, sc.buf[start : sc.pos], "item")
                c = sc.peek()
                if c == ",":
                    sc.pos += 1
                    if array and sc.peek() == "]":  # a trailing comma: harmless
                        sc.pos += 1
                        break
                elif array and c == "]":
                    sc.pos += 1
                    break
                elif array and c:
                    yield Problem(
                        f"item {n + 1}",
                        f"expected ',' or ']' after item {n} at {sc.where(sc.pos)}, found {c!r}; "
                        f"the rest of the file was not read (the {n} item(s) before were)",
                        raw=sc.buf[sc.pos : sc.pos + _RAW_LIMIT],
                    )
                    return
            if array and sc.peek():
                yield Problem(
                    f"line {sc.line(sc.pos)}",
                    "unexpected content after the array's closing ']'; only whitespace may follow it. "
                    "Is this several arrays in one file? Split them, or convert to JSON Lines",
                    raw=sc.buf[sc.pos : sc.pos + _RAW_LIMIT],
                )
        except DECOMPRESSION_ERRORS as exc:
            yield _read_failure(f"item {n + 1}" if n else None, exc, n)

    def _damage(self, sc: _Scanner, locator: str, start: int, exc: Exception, done: int) -> Problem:
        if isinstance(exc, json.JSONDecodeError):
            where = sc.where(exc.pos)
            cut = sc.eof and (exc.msg.startswith("Unterminated string") or not sc.buf[exc.pos :].strip())
            what = "the file ends inside this item: it is truncated" if cut else f"not valid JSON: {_reason(exc)}"
        else:
            where = sc.where(start)
            what = _json_error(exc)
        return Problem(
            locator,
            f"{what} ({where}); stopped reading here, the {done} item(s) before were read. "
            "Repair the file from this point (or convert it to JSON Lines so one bad record costs one line)",
            raw=sc.buf[start : start + _RAW_LIMIT] or None,
        )

    def _document(self, file: InputFile, obj: dict, raw: str) -> Iterator[Record | Problem]:
        """One top-level object: a record, or the holder of a list of records."""
        key = self.options.list_key
        if key is None and self._looks_like_record(obj):
            yield self._emit(file, "item 1", obj, raw, "object")
            return
        if key is None:
            lists = [k for k, v in obj.items() if isinstance(v, list)]
            if len(lists) != 1:
                keys = _key_list(obj)
                detail = (
                    f"it holds {len(lists)} lists ({', '.join(map(repr, lists[:8]))}): pass list_key to choose one"
                    if lists
                    else _SHAPES_HELP
                )
                yield Problem(
                    "item 1", f"an object that is not a record (keys {keys}) nor holds one list; {detail}", raw
                )
                return
            key = lists[0]
        items = obj.get(key)
        if not isinstance(items, list):
            yield Problem("item 1", f"no list under key {key!r} (list_key); keys here: {_key_list(obj)}", raw=raw)
            return
        for i, item in enumerate(items, 1):
            locator = f"item {i}"
            try:
                yield self._record(file, locator, item, "item")
            except _Unfit as exc:
                yield Problem(locator, str(exc), raw=_dump(item))

    # -- objects to records ------------------------------------------------------------

    def _looks_like_record(self, obj: dict) -> bool:
        o = self.options
        if o.format is not None:
            return True
        if o.mapped:
            needed = [k for k in (o.text_column, o.output_column) if k] + [k for k in self._template_keys if k]
            return all(_lookup(obj, k)[1] for k in needed)
        return detect_row_format(obj) is not None or _guess(obj) is not None

    def _record(self, file: InputFile, locator: str, obj: Any, unit: str) -> Record:
        if not isinstance(obj, dict):
            raise _Unfit(
                f"a JSON {_kind(obj)}, not an object; each {unit} must be an object such as "
                '{"text": "..."} or {"input": "...", "output": "..."}'
            )
        content, used, meta = self._content(obj)
        meta.update(content.pop("meta", None) or {})
        if "text" in content:
            text = content["text"]
            empty = not text or text.isspace()
        else:
            if "messages" in content:
                texts = tuple(turn_text(t) for t in content["messages"])
            else:
                texts = (content["input"], content["output"])
            empty = all(not t or t.isspace() for t in texts)
        if empty:
            raise _Unfit(f"empty: no text in {', '.join(sorted(used)) or 'any key'}")
        fields = _scalar_fields(obj, used)
        if fields:
            meta["fields"] = fields
        try:
            return Record.create(file.source(self.name, locator), meta=meta, **content)
        except RecordError as exc:
            raise _Unfit(str(exc)) from None

    def _content(self, obj: dict) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
        """The Record.create content arguments, the keys they used, and meta."""
        o = self.options
        if o.mapped:
            return self._mapped(obj)
        fmt = o.format or detect_row_format(obj)
        if fmt is None:
            guessed = _guess(obj)
            if guessed is None:
                raise _Unfit(f"no known record shape in keys {_key_list(obj)}; {_SHAPES_HELP}")
            return guessed
        try:
            content = fields_from_row(obj, fmt)
        except ValueError as exc:
            if o.format:
                raise _Unfit(
                    f"does not fit format {fmt!r}: {exc} (keys {_key_list(obj)}); "
                    "check the format option, or map the keys with the column options"
                ) from None
            raise _Unfit(f"looks like {fmt} (keys {_key_list(obj)}) but {exc}") from None
        system = obj.get("system")
        if fmt in ("messages", "sharegpt") and isinstance(system, str) and system.strip():
            turns = content["messages"]
            if turns[0]["role"] != "system":
                content["messages"] = [{"role": "system", "content": system}, *turns]
        used = set(_FORMAT_KEYS[fmt])
        if fmt == "prompt-generation":  # only the answer key actually read is content
            used = {"prompt", next((k for k in ("generation", "completion", "response") if k in obj), "generation")}
        if "tools" in obj and "tools" not in content and _offers_tools(obj["tools"]):
            raise _Unfit(
                f"this {fmt} row offers tools but holds no conversation to use them in; "
                "write it as messages (OpenAI chat) to keep the tools"
            )
        return content, used, {"format": fmt}

    def _mapped(self, obj: dict) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
        o = self.options
        used: set[str] = set()
        content: dict[str, Any] = {}
        if o.template is not None:
            prompt = _render(o.template, obj)
            used.update(self._template_keys)
        elif o.input_column is not None:
            prompt = _column(obj, o.input_column, "input_column", optional=True)
            used.add(_top(obj, o.input_column))
        else:
            prompt = ""
        if o.text_column is not None:
            content["text"] = _column(obj, o.text_column, "text_column")
            used.add(_top(obj, o.text_column))
        elif o.output_column is None:
            content["text"] = prompt
        else:
            answer = _column(obj, o.output_column, "output_column")
            used.add(_top(obj, o.output_column))
            system = _column(obj, o.system_column, "system_column", optional=True) if o.system_column else ""
            if o.system_column:
                used.add(_top(obj, o.system_column))
            if system.strip():
                turns = [{"role": "system", "content": system}]
                if prompt:
                    turns.append({"role": "user", "content": prompt})
                content["messages"] = [*turns, {"role": "assistant", "content": answer}]
            else:
                content["input"], content["output"] = prompt, answer
        return content, used, {}


# ---------------------------------------------------------------------------------------
# Layout and incremental parsing.


def _layout(file: InputFile) -> tuple[str, str | None]:
    """``("lines" | "array" | "values" | "empty", newline)`` from the first characters of ``file``.

    ``newline`` is what :func:`open_text` should use: ``"\\n"`` so that JSON Lines split only
    on LF (a raw CR inside a record stays inside it), ``None`` for CR-only files and the
    other layouts.
    """
    stream, _, _ = open_text(file, newline="")
    parts: list[str] = []
    size = 0
    with stream:
        while size < _SNIFF_CHARS:
            try:
                part = stream.read(min(_CHUNK, _SNIFF_CHARS - size))
            except DECOMPRESSION_ERRORS:  # damaged compression: decide from what was read, report it later
                break
            if not part:
                break
            parts.append(part)
            size += len(part)
    prefix = "".join(parts)
    at_eof = len(prefix) < _SNIFF_CHARS
    start = _WS.match(prefix).end()  # type: ignore[union-attr] # (a * pattern always matches)
    if start == len(prefix):
        return ("empty" if at_eof else "lines"), "\n"
    cr_only = "\r" in prefix and "\n" not in prefix
    newline = None if cr_only else "\n"
    sep = "\r" if cr_only else "\n"
    end = prefix.find(sep, start)
    first = prefix[start:end] if end >= 0 else (prefix[start:] if at_eof else None)
    more = end >= 0 and bool(prefix[end:].strip())
    c = prefix[start]
    if first is not None:
        try:
            value = _DECODER.decode(first)
        except (ValueError, RecursionError):
            pass
        else:
            if more or not at_eof or (isinstance(value, dict) and file.suffix in JSONL_SUFFIXES):
                return "lines", newline
            return ("array" if isinstance(value, list) else "values"), None
    if c not in "[{":
        return "lines", newline
    # An array or object not closed on its first line: pretty-printed JSON, or JSON Lines whose
    # first line is broken. Most lines of JSON Lines are objects of their own; few of JSON's are.
    lines = [ln for ln in prefix[end + 1 :].split(sep)[:-1] if ln.strip()][:20] if end >= 0 else []
    good = 0
    for ln in lines:
        if ln.startswith("{"):
            try:
                good += isinstance(_DECODER.decode(ln), dict)
            except (ValueError, RecursionError):
                pass
    if lines and good * 2 > len(lines):
        return "lines", newline
    if file.suffix in JSONL_SUFFIXES and (c == "{" or good):
        return "lines", newline
    return ("array", None) if c == "[" else ("values", None)


class _Scanner:
    """A window over a text stream from which JSON values are parsed one at a time.

    ``buf[pos:]`` is the unread text. The window grows only while one value is being read
    (doubling, so a value costs linear time), and :meth:`compact` drops what was read.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 0  # line ends in the text dropped from the window

    def fill(self, at_least: int = _CHUNK) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(max(at_least, _CHUNK))
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def compact(self) -> None:
        if self.pos >= _CHUNK:
            self.lines_before += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0

    def peek(self) -> str:
        """The next non-whitespace character (moving past whitespace), or ``""`` at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr] # (always matches)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def value(self) -> Any:
        """Parse the value at ``pos``, reading more while it may be incomplete."""
        start = self.pos
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                # An error at the window's end, or an open string, may just mean "read more".
                if not self.eof and (exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 32):
                    self._grow(start)
                    continue
                raise
            if end >= len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)):
                self._grow(start)  # a number or literal may go on in the next chunk
                continue
            if end - start > _MAX_VALUE_CHARS:
                raise _TooLarge
            self.pos = end
            return obj

    def _grow(self, start: int) -> None:
        if len(self.buf) - start > _MAX_VALUE_CHARS:
            raise _TooLarge
        self.fill(len(self.buf) - start)

    def line(self, pos: int) -> int:
        """The line number of a position in the window."""
        return self.lines_before + self.buf.count("\n", 0, pos) + 1

    def where(self, pos: int) -> str:
        """``line L, column C`` of a position in the window."""
        pos = min(pos, len(self.buf))
        return f"line {self.line(pos)}, column {pos - self.buf.rfind(chr(10), 0, pos)}"


# ---------------------------------------------------------------------------------------
# Small helpers.


def _guess(obj: Mapping[str, Any]) -> tuple[dict[str, Any], set[str], dict[str, Any]] | None:
    """Content from common key names no format covers (question/answer, instruction/context/response...)."""
    answer = next((k for k in _GUESS_ANSWER if _is_text(obj.get(k))), None)
    if answer is not None:
        prompt = next((k for k in PROMPT_NAMES if k != answer and _is_text(obj.get(k))), None)
        context = next((k for k in _GUESS_CONTEXT if k not in (answer, prompt) and _is_text(obj.get(k))), None)
        parts = [str(obj[k]) for k in (prompt, context) if k is not None and str(obj[k])]
        used = {k for k in (prompt, context, answer) if k is not None}
        guessed = "/".join(k for k in (prompt, context, answer) if k is not None)
        return (
            {"input": "\n\n".join(parts), "output": str(obj[answer])},
            used,
            {"format": "input-output", "guessed": guessed},
        )
    text = next((k for k in _GUESS_TEXT if _is_text(obj.get(k))), None)
    if text is not None:
        return {"text": str(obj[text])}, {text}, {"format": "text", "guessed": text}
    return None


def _offers_tools(value: Any) -> bool:
    """Whether ``value`` reads as a list of tool definitions (not, say, a list of tool names)."""
    try:
        return bool(tools_from(value))
    except ValueError:
        return False


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _lookup(obj: Mapping[str, Any], key: str) -> tuple[Any, bool]:
    """``obj[key]``, or a path ``a.b.0`` into nested objects and lists; ``(value, found)``."""
    if key in obj:
        return obj[key], True
    if "." not in key:
        return None, False
    value: Any = obj
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None, False
    return value, True


def _top(obj: Mapping[str, Any], key: str) -> str:
    """The top-level key that ``key`` (maybe a path ``a.b``) reads."""
    return key if key in obj else key.split(".")[0]


def _column(obj: Mapping[str, Any], key: str, option: str, *, optional: bool = False) -> str:
    value, found = _lookup(obj, key)
    if value is None:
        if optional:
            return ""
        what = "is null" if found else "is missing"
        raise _Unfit(f"key {key!r} ({option}) {what}; keys here: {_key_list(obj)}")
    if isinstance(value, str):
        return value
    if _is_text(value):
        return str(value)
    raise _Unfit(f"key {key!r} ({option}) holds a {_kind(value)}, not text; use template to pick from it")


def _render(template: str, obj: Mapping[str, Any]) -> str:
    values = {k: "" if v is None else v for k, v in obj.items()}
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise _Unfit(
            f"template needs key {exc.args[0]!r}, which this object lacks; keys here: {_key_list(obj)}"
        ) from None
    except (IndexError, AttributeError, ValueError, TypeError) as exc:
        raise _Unfit(f"template cannot be filled from this object: {exc}") from None


def _scalar_fields(obj: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in used or len(key) > _MAX_KEY_CHARS or not is_small_scalar(value):
            continue
        out[key] = value
        if len(out) >= _MAX_FIELDS:
            break
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _key_list(obj: Mapping[str, Any]) -> str:
    keys = list(obj)
    shown = ", ".join(repr(k)[:40] for k in keys[:10])
    return (shown + f", ... ({len(keys)} in all)" if len(keys) > 10 else shown) or "none"


def _dump(value: Any) -> str | None:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):  # pragma: no cover - values parsed from JSON dump
        return None
    return text[:_RAW_LIMIT]


def _json_error(exc: BaseException, *, truncated: bool = False) -> str:
    if isinstance(exc, RecursionError):
        return "not usable JSON: nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        if exc.msg == "Extra data":
            return f"more than one JSON value on the line (extra data at column {exc.colno}); put one object per line"
        message = f"not valid JSON at column {exc.colno}: {_reason(exc)}"
        if truncated:
            message += "; this last line has no line end, so the file may be truncated"
        return message
    return f"not usable JSON: {exc}"


def _reason(exc: json.JSONDecodeError) -> str:
    return exc.msg.removesuffix(" starting at").removesuffix(":")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _read_failure(locator: str | None, exc: BaseException, done: int) -> Problem:
    return Problem(
        locator,
        f"cannot read on from here ({_describe(exc)}): the file is truncated or its compression is damaged; "
        f"the {done} record(s) before were read",
    )


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(JsonImporter)
