"""Rows of a table with a schema (Parquet, Arrow, ``datasets``) to records.

The schema is known before the first row, so the mapping is decided once per file, as the
CSV importer decides it from the header, and then applied to every row:

1. **Column options** (``text_column``, ``input_column``, ``output_column``,
   ``system_column``, ``template``) mean what they mean for CSV: names match exactly, else
   case-insensitively; ``a.b`` reaches into a struct column ``a`` (and ``a.0`` into a
   list); an input column alone takes the answer from a column named
   output/response/answer/completion.
2. **``format``** reads every row as one of :data:`curate.formats.FORMATS`.
3. **Detection**, as the JSON importer detects an object's format
   (:func:`curate.rows.detect_row_format`), from the column names and types: a list
   column ``messages`` (OpenAI/TRL turns), a list column ``conversations`` (ShareGPT),
   ``instruction`` and ``output`` (alpaca), ``prompt`` and ``completion``/``generation``/
   ``response``, ``input`` and ``output``, ``text``. Rows are then read by
   :func:`curate.rows.fields_from_row`, the JSON importer's reader, so both agree on
   every row. Turns may be a list of structs (what pyarrow gives for
   ``list<struct<role, content>>``) or a struct of lists (``datasets``'
   ``Sequence({"role": ..., "content": ...})``); struct fields that are null in a turn
   (a key other turns have) are dropped before reading it.
4. Else a **guess** from common names (question/answer, instruction/context/response...),
   then a text-like column (content, body, document...), then the only string column.

A mapping that does not fit the schema is one message for the whole file; a row that does
not fit (a null ``messages`` list, a number where turns should be, an empty text) is one
message for that row. Small scalar columns that are not content go to
``meta["fields"]``, as with JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

from curate.plugin_api import (
    ANSWER_NAMES,
    FORMATS,
    PROMPT_NAMES,
    SYSTEM_NAMES,
    TEXT_NAMES,
    ColumnMapping,
    Record,
    RecordError,
    Source,
    detect_row_format,
    drop_nulls,
    fields_from_row,
    is_small_scalar,
    tools_from,
    turn_text,
)

#: What a column holds, as far as mapping cares: text-like scalars, lists (a struct of lists counts as
#: one: datasets stores ``Sequence({...})`` so), other structs, or anything else (binary, dates...).
Kind = Literal["scalar", "list", "struct", "other"]

_MAX_FIELDS = 16  # extra scalar columns kept in meta["fields"]
_RAW_LIMIT = 1 << 20  # the most text a Problem carries from a row

#: The columns each format reads as content (the rest may go to meta["fields"]).
FORMAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "input-output": ("input", "output"),
    "prompt-generation": ("prompt", "generation", "completion", "response"),
    "prompt-completion": ("prompt", "completion", "tools"),
    "alpaca": ("instruction", "input", "output", "system", "history", "tools"),
    "messages": ("messages", "system", "tools"),
    "sharegpt": ("conversations", "system", "tools"),
}
_ANSWERS = ("generation", "completion", "response")
#: The columns a file must have to be read as each format (one of a tuple of tuples).
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "text": (("text",),),
    "input-output": (("output",),),
    "prompt-generation": (("prompt",), _ANSWERS),
    "prompt-completion": (("prompt",), _ANSWERS),
    "alpaca": (("output",),),
    "messages": (("messages",),),
    "sharegpt": (("conversations",),),
}

# Guesses when no format fits, as the JSON importer makes them.
_GUESS_ANSWER = (*ANSWER_NAMES, "generation", "target")
_GUESS_CONTEXT = ("context", "input")
_GUESS_TEXT = (*TEXT_NAMES, "document", "article", "passage")

SHAPES_HELP = (
    "expected a messages or conversations column, instruction/input/output (alpaca), prompt/completion, "
    "input/output or text; map other columns with text_column, or input_column and output_column, or template "
    "(CLI: --text-column, --input-column, --output-column)"
)


@dataclass(frozen=True)
class TableOptions(ColumnMapping):
    """Options of the Parquet and Arrow importers: the CSV column mapping, and JSON's ``format``."""

    guesses_output: ClassVar[bool] = True

    format: str | None = field(
        default=None,
        metadata={"help": f"read every row as this format instead of detecting it: {', '.join(FORMATS)}"},
    )

    def __post_init__(self) -> None:
        self.check_format(self.format, FORMATS)
        super().__post_init__()


#: A row's record, or why the row gives none.
MakeRecord = Callable[[dict[str, Any], Source], "Record | str"]


@dataclass(frozen=True)
class RowMapping:
    """How one file's rows become records: the ``columns`` to read and ``record`` for each row."""

    columns: tuple[str, ...]
    record: MakeRecord
    describe: str  # for messages: "alpaca", "text column 'body'"...


def resolve(
    options: TableOptions, schema: Mapping[str, Kind], *, meta: Mapping[str, Any] | None = None
) -> RowMapping | str:
    """The mapping of a file whose columns (in order) hold ``schema`` kinds, or why none fits.

    ``meta`` is added to every record's meta (the ``datasets`` split, say).
    """
    names = list(schema)
    base = dict(meta or {})
    if any(getattr(options, f.name) is not None for f in fields(ColumnMapping)):
        return _mapped(options, names, schema, base)
    fmt = options.format
    if fmt is not None:
        missing = [
            " or ".join(map(repr, need)) for need in _REQUIRED.get(fmt, ()) if not any(c in schema for c in need)
        ]
        if missing:
            return (
                f"format={fmt!r} needs the column(s) {', '.join(missing)}, which this file lacks "
                f"(columns: {_listed(names)}); check the format option, or map the columns with the column options"
            )
    else:
        fmt = detect_row_format({n: [] if k == "list" else "" for n, k in schema.items()})
    if fmt is not None:
        return _formatted(fmt, names, schema, base)
    return _guessed(names, schema, base)


# ---------------------------------------------------------------------------------------
# Rows in a known format.


def _formatted(fmt: str, names: list[str], schema: Mapping[str, Kind], base: dict[str, Any]) -> RowMapping:
    content = [c for c in names if c in FORMAT_COLUMNS.get(fmt, names)]
    if fmt in ("prompt-generation", "prompt-completion"):  # only the answer column actually read is content
        answer = next((c for c in _ANSWERS if c in schema), "generation")
        content = [c for c in names if c in ("prompt", answer, *(("tools",) if fmt == "prompt-completion" else ()))]
    extra = _scalar_columns(names, schema, content)
    nested = [c for c in content if schema[c] == "list"]
    offers_tools = "tools" in schema and "tools" not in content

    def record(row: dict[str, Any], source: Source) -> Record | str:
        if nested:
            row = {**row, **{c: tidy_turns(row.get(c)) for c in nested}}
        try:
            made = fields_from_row(row, fmt)
        except ValueError as exc:
            return f"does not fit the {fmt} format of this file's columns: {exc}"
        if offers_tools and _offers(row.get("tools")):
            return (
                f"this {fmt} row offers tools but holds no conversation to use them in; "
                "write it as messages (OpenAI chat) to keep the tools"
            )
        system = row.get("system")
        if fmt in ("messages", "sharegpt") and isinstance(system, str) and system.strip():
            turns = made["messages"]
            if turns[0]["role"] != "system":
                made["messages"] = [{"role": "system", "content": system}, *turns]
        meta = {**base, "format": fmt, **(made.pop("meta", None) or {})}
        return _create(source, made, meta, row, extra, content)

    return RowMapping(tuple(content + extra), record, fmt)


def tidy_turns(value: Any) -> Any:
    """A list column's value (turns, tools) as sources wrote it: lists of dicts without null fields.

    A struct of equal-length lists (``{"role": [...], "content": [...]}``, datasets'
    ``Sequence({...})``) becomes a list of dicts. In dicts inside the list, at any depth,
    keys whose value is null are dropped: Arrow gives every struct every field any row has
    (the ``tool_calls`` of a user turn, the arguments of another tool), as null. Other
    values are returned unchanged.

    >>> tidy_turns({"role": ["user", "assistant"], "content": ["hi", "yo"]})
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'yo'}]
    >>> tidy_turns([{"from": "human", "value": "hi", "role": None, "args": {"x": 1, "y": None}}])
    [{'from': 'human', 'value': 'hi', 'args': {'x': 1}}]
    """
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        lengths = {len(v) for v in value.values()}
        if len(lengths) == 1:
            keys = list(value)
            value = [dict(zip(keys, parts, strict=True)) for parts in zip(*value.values(), strict=True)]
    return drop_nulls(value) if isinstance(value, list) else value


def _offers(value: Any) -> bool:
    """Whether ``value`` reads as a list of tool definitions."""
    try:
        return bool(tools_from(tidy_turns(value)))
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------
# Column options.


@dataclass(frozen=True)
class _Part:
    """One side of a record (text, input, output or system): the columns it reads and how."""

    columns: tuple[str, ...]
    get: Callable[[dict[str, Any]], str | None]  # the text, None when empty; raises _Unfit
    empty: str


class _Unfit(Exception):
    """A row's value that cannot be text."""


def _mapped(
    options: TableOptions, names: list[str], schema: Mapping[str, Kind], base: dict[str, Any]
) -> RowMapping | str:
    named: dict[str, _Part] = {}
    for option in ("text_column", "input_column", "output_column", "system_column"):
        name = getattr(options, option)
        if name is not None:
            part = _column_part(names, name, option)
            if part is None:
                return f"{option} {name!r} is not a column of this file (columns: {_listed(names)}); pass one of those"
            named[option] = part
    template: _Part | None = None
    if options.template is not None:
        template_part = _template_part(options.template, options.template_fields(), names)
        if isinstance(template_part, str):
            return template_part
        template = template_part

    if "text_column" in named:
        return _text_mapping(named["text_column"], names, schema, base)
    if template is not None and "output_column" not in named:
        return _text_mapping(template, names, schema, base)
    if template is not None:
        prompt: _Part | None = template
    elif "input_column" in named:
        prompt = named["input_column"]
    else:
        prompt = _guessed_prompt(names)
    answer = named.get("output_column") or _first_part(names, ANSWER_NAMES)
    if answer is None:
        return f"cannot tell which column holds the answers (columns: {_listed(names)}); pass --output-column"
    if prompt is None:
        return (
            f"cannot tell which column holds the prompts (columns: {_listed(names)}); "
            "pass --input-column, or a template"
        )
    return _pair_mapping(prompt, answer, named.get("system_column"), names, schema, base)


def _guessed(names: list[str], schema: Mapping[str, Kind], base: dict[str, Any]) -> RowMapping | str:
    answer = _first_part(names, _GUESS_ANSWER, schema)
    if answer is not None:
        prompt = _first_part([n for n in names if n not in answer.columns], PROMPT_NAMES, schema)
        taken = {*answer.columns, *(prompt.columns if prompt else ())}
        context = _first_part([n for n in names if n not in taken], _GUESS_CONTEXT, schema)
        parts = [p for p in (prompt, context) if p is not None]
        if parts:
            joined = parts[0] if len(parts) == 1 else _joined(parts)
            system = _first_part([n for n in names if n not in {*taken, *joined.columns}], SYSTEM_NAMES, schema)
            return _pair_mapping(joined, answer, system, names, schema, base, guessed=True)
    text = _first_part(names, _GUESS_TEXT, schema)
    if text is None:
        strings = [n for n in names if schema[n] == "scalar"]
        text = _column_part(names, strings[0], "text") if len(strings) == 1 else None
    if text is None:
        return f"cannot tell which column to import (columns: {_listed(names)}): {SHAPES_HELP}"
    return _text_mapping(text, names, schema, base, guessed=True)


def _text_mapping(
    part: _Part, names: list[str], schema: Mapping[str, Kind], base: dict[str, Any], *, guessed: bool = False
) -> RowMapping:
    content = list(part.columns)
    extra = _scalar_columns(names, schema, content)
    meta = {**base, **({"format": "text", "guessed": "/".join(content)} if guessed else {})}

    def record(row: dict[str, Any], source: Source) -> Record | str:
        try:
            text = part.get(row)
        except _Unfit as exc:
            return str(exc)
        if text is None:
            return _empty(part)
        return _create(source, {"text": text}, dict(meta), row, extra, content)

    return RowMapping(tuple(content + extra), record, f"text from {_named(content)}")


def _pair_mapping(
    prompt: _Part,
    answer: _Part,
    system: _Part | None,
    names: list[str],
    schema: Mapping[str, Kind],
    base: dict[str, Any],
    *,
    guessed: bool = False,
) -> RowMapping:
    content = list(dict.fromkeys([*(system.columns if system else ()), *prompt.columns, *answer.columns]))
    extra = _scalar_columns(names, schema, content)
    guess = "/".join([*(system.columns if system else ()), *prompt.columns, *answer.columns])
    meta = {**base, **({"guessed": guess} if guessed else {})}

    def record(row: dict[str, Any], source: Source) -> Record | str:
        try:
            question, reply = prompt.get(row), answer.get(row)
            instructions = system.get(row) if system is not None else None
        except _Unfit as exc:
            return str(exc)
        if question is None or reply is None:
            return _empty(prompt if question is None else answer)
        if instructions is None:
            made: dict[str, Any] = {"input": question, "output": reply}
        else:
            made = {
                "messages": [
                    {"role": "system", "content": instructions},
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": reply},
                ]
            }
        shape = {"format": "input-output" if instructions is None else "messages"} if guessed else {}
        return _create(source, made, {**meta, **shape}, row, extra, content)

    return RowMapping(
        tuple(content + extra), record, f"input from {_named(prompt.columns)}, output from {_named(answer.columns)}"
    )


def _find(names: Sequence[str], name: str) -> str | None:
    """The column called ``name``: exact match first, else the only case-insensitive match."""
    if name in names:
        return name
    folded = [c for c in names if c.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _column_part(names: Sequence[str], name: str, option: str) -> _Part | None:
    """A part reading column ``name``, or a path ``a.b.0`` into struct and list column ``a``."""
    found = _find(names, name)
    path: list[str] = []
    if found is None and "." in name:
        top, *path = name.split(".")
        found = _find(names, top)
    if found is None:
        return None
    column = found

    def get(row: dict[str, Any]) -> str | None:
        value = row.get(column)
        for step in path:
            if isinstance(value, dict):
                value = value.get(step)
            elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
                value = value[int(step)]
            else:
                value = None
        text = as_text(value, f"column {name!r} ({option})")
        return None if text is None or not text.strip() else text

    return _Part((column,), get, f"the {name!r} column is empty")


def _first_part(
    names: Sequence[str], candidates: Sequence[str], schema: Mapping[str, Kind] | None = None
) -> _Part | None:
    for candidate in candidates:
        found = _find(names, candidate)
        if found is not None and (schema is None or schema[found] == "scalar"):
            return _column_part(names, found, "guessed")
    return None


def _guessed_prompt(names: Sequence[str]) -> _Part | None:
    instruction, extra = _find(names, "instruction"), _find(names, "input")
    if instruction is not None and extra is not None:  # Alpaca: the input follows the instruction
        return _joined([_column_part(names, instruction, "guessed"), _column_part(names, extra, "guessed")])  # type: ignore[list-item]
    return _first_part(names, ("instruction", "prompt", "question", "input", "query"))


def _joined(parts: Sequence[_Part]) -> _Part:
    """Several columns joined by a blank line, empty ones left out (Alpaca's instruction + input)."""

    def get(row: dict[str, Any]) -> str | None:
        values = [v for p in parts if (v := p.get(row)) is not None]
        return "\n\n".join(values) if values else None

    columns = tuple(c for p in parts for c in p.columns)
    return _Part(columns, get, f"the columns {', '.join(map(repr, columns))} are all empty")


def _template_part(template: str, wanted: Sequence[str], names: Sequence[str]) -> _Part | str:
    resolved: dict[str, str] = {}
    for name in wanted:
        found = _find(names, name)
        if found is None:
            return f"the template field {{{name}}} is not a column of this file (columns: {_listed(names)})"
        resolved[name] = found
    columns = tuple(dict.fromkeys(resolved.values()))

    def get(row: dict[str, Any]) -> str | None:
        values = {name: row.get(column) for name, column in resolved.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            return None
        try:
            return template.format_map({k: "" if v is None else v for k, v in values.items()})
        except (KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:
            raise _Unfit(f"template cannot be filled from this row: {exc}") from None

    return _Part(columns, get, f"every column of the template ({', '.join(map(repr, columns))}) is empty")


# ---------------------------------------------------------------------------------------
# Small helpers.


def as_text(value: Any, what: str) -> str | None:
    """A cell as text: strings as they are, numbers written out, null as None; else :class:`_Unfit`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _Unfit(f"{what} holds {_kind_of(value)}, not text; use template to pick from it, or map another column")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names: dict[type, str] = {dict: "a struct", list: "a list", bytes: "binary data"}
    return names.get(type(value), f"a {type(value).__name__}")


def _create(
    source: Source,
    content: dict[str, Any],
    meta: dict[str, Any],
    row: dict[str, Any],
    extra: list[str],
    used: list[str],
) -> Record | str:
    if "text" in content:
        texts: list[str] = [content["text"]]
    elif "messages" in content:
        texts = [turn_text(t) for t in content["messages"]]
    else:
        texts = [content["input"], content["output"]]
    if all(not t or t.isspace() for t in texts):
        return f"empty: no text in {_named(used) or 'any column'}"
    small = scalar_fields(row, extra)
    if small:
        meta["fields"] = small
    try:
        return Record.create(source, meta=meta, **content)
    except RecordError as exc:
        return str(exc)


def _scalar_columns(names: Sequence[str], schema: Mapping[str, Kind], used: Sequence[str]) -> list[str]:
    """Up to ``_MAX_FIELDS`` scalar columns that are not content: read for ``meta["fields"]``."""
    return [n for n in names if n not in used and schema[n] == "scalar" and len(n) <= 64][:_MAX_FIELDS]


def scalar_fields(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The small JSON-ready values of ``columns`` in ``row`` (long strings and NaN left out)."""
    return {key: row[key] for key in columns if key in row and is_small_scalar(row[key])}


def raw_row(row: Mapping[str, Any]) -> str:
    """A row as JSON, for ``rejects.jsonl`` (binary and other values written as text)."""
    try:
        text = json.dumps(row, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # pragma: no cover - pyarrow values are finite trees
        text = repr(row)
    return text[:_RAW_LIMIT]


def _empty(part: _Part) -> str:
    return f"{part.empty}: nothing to import; fill it in or map another column"


def _named(columns: Sequence[str]) -> str:
    return ", ".join(map(repr, columns))


def _listed(names: Sequence[str], shown: int = 20) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(map(repr, names[:shown])) + more
