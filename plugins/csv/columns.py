"""Columns to record fields: column names, templates, and the mapping from a row to a record.

A :class:`Mapping` is resolved once per file from the header (:func:`resolve`), then makes
each row's record; the most common case, one text column, takes a shortcut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from curate.plugin_api import ANSWER_NAMES, SYSTEM_NAMES, TEXT_NAMES, ColumnMapping, Record, Source, parse_template

# Column names guessed when no mapping is given, in order of preference (see curate.mapping for the shared ones).
_TEXT_NAMES = (*TEXT_NAMES, "document")
_PROMPT_NAMES = ("instruction", "prompt", "question", "input", "query")  # input before query, unlike PROMPT_NAMES


def column_names(header: list[str]) -> list[str]:
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


class Template:
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


def _template_part(template: Template, columns: list[str]) -> _Part | str:
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


class Mapping:
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


def resolve(opts: ColumnMapping, columns: list[str]) -> Mapping | str:
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
        part = _template_part(Template(opts.template), columns)
        if isinstance(part, str):
            return part
        template = part

    if "text_column" in named:
        return Mapping(text=_column_part(columns, named["text_column"]))
    if template is not None and "output_column" not in named:
        return Mapping(text=template)

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
        return Mapping(
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
    return Mapping(text=_column_part(columns, text))
