"""Column mapping: which columns (or keys) of a row make a record.

Importers of rows with named columns (CSV, SQL, JSON) give their options dataclass
:class:`ColumnMapping` as its base, so that ``text_column``, ``input_column``,
``output_column``, ``system_column`` and ``template`` (and the CLI's ``--text-column``,
``--input-column`` and ``--output-column``, which set them on every importer that has
them) mean the same everywhere and are checked the same way.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import ClassVar

# Column names guessed when no mapping is given, in order of preference. Importers add their
# own after these (a SQL table's "message", a JSON object's "generation"...).
TEXT_NAMES = ("text", "content", "body")
PROMPT_NAMES = ("instruction", "prompt", "question", "query", "input")
ANSWER_NAMES = ("output", "response", "answer", "completion")
SYSTEM_NAMES = ("system", "system_prompt")

#: One piece of a format string: literal text, then a field (name, format spec, conversion) or None.
Piece = tuple[str, str | None, str, str | None]


@dataclass(frozen=True)
class ColumnMapping:
    """A text column; or input and output columns (and a system column); or a template.

    Subclasses add their own options after these (all have defaults) and extend
    ``__post_init__`` through ``super()``. Invalid combinations raise ``ValueError``, which
    :func:`curate.options.parse_options` turns into a ``ConfigError`` naming the importer.

    >>> ColumnMapping(template="{title}: {body.text}").template_fields()
    ('title', 'body')
    >>> ColumnMapping(input_column="q")
    Traceback (most recent call last):
    ...
    ValueError: input_column needs output_column (the column holding the answer)
    """

    #: What the importer's rows name their parts in messages: "column", or "key" for JSON objects.
    noun: ClassVar[str] = "column"
    #: True where the importer looks the answer column up by name when output_column is unset, so that
    #: input_column or system_column may come alone.
    guesses_output: ClassVar[bool] = False

    text_column: str | None = field(default=None, metadata={"help": "column (or key) holding the text of each record"})
    input_column: str | None = field(
        default=None, metadata={"help": "column (or key) holding the prompt (with output_column)"}
    )
    output_column: str | None = field(default=None, metadata={"help": "column (or key) holding the answer"})
    system_column: str | None = field(
        default=None,
        metadata={
            "help": "column (or key) holding a system prompt (with output_column): "
            "records become messages with a system turn"
        },
    )
    template: str | None = field(
        default=None,
        metadata={
            "help": "format string over column (or key) names, e.g. '{title}\\n\\n{body}': the text, "
            "or the prompt when output_column is set"
        },
    )

    def __post_init__(self) -> None:
        if self.text_column is not None and (self.input_column or self.output_column or self.template):
            raise ValueError("text_column excludes input_column, output_column and template; choose one mapping")
        if self.input_column is not None and self.output_column is None and not self.guesses_output:
            raise ValueError(f"input_column needs output_column (the {self.noun} holding the answer)")
        if self.template is not None and self.input_column is not None:
            raise ValueError("template builds the prompt itself: drop input_column, or drop template")
        makes_text = self.text_column is not None or self.template is not None
        if self.system_column is not None and self.output_column is None and (makes_text or not self.guesses_output):
            raise ValueError("system_column needs output_column (and input_column or template for the prompt)")
        self.template_fields()

    def check_format(self, format: str | None, formats: Sequence[str]) -> None:
        """Raise ``ValueError`` unless ``format`` is one of ``formats`` and no column option is set beside it.

        For importers whose ``format`` option reads every row as a known shape instead of
        detecting it (JSON, Parquet/Arrow): a format and column options exclude each other.
        """
        if format is not None and format not in formats:
            raise ValueError(f"format must be one of {', '.join(formats)}; got {format!r}")
        mapped = [f.name for f in fields(ColumnMapping) if getattr(self, f.name) is not None]
        if format is not None and mapped:
            raise ValueError(
                f"format={format!r} and {', '.join(mapped)} exclude each other: "
                f"give a format for standard {self.noun}s, or column options for your own"
            )

    @property
    def mapped(self) -> bool:
        """Whether the options say what a record is made of (else the importer guesses from names)."""
        return bool(self.text_column or self.output_column or self.template is not None)

    def template_fields(self) -> tuple[str, ...]:
        """The columns the template reads, in order, each once; ``()`` without a template.

        ``{a.b}`` and ``{a[0]}`` read ``a`` (the format string reaches into its value).
        Raises ValueError if the template is malformed or names a field by position.
        """
        if self.template is None:
            return ()
        names = []
        for _, name, _, _ in parse_template(self.template):
            if name is not None:
                top = re.split(r"[.\[]", name, maxsplit=1)[0]
                if not top or top.isdigit():
                    raise ValueError(
                        f"template {self.template!r} is not a valid format string: "
                        f"use {self.noun} names in braces, like {{title}}, not {{{name}}}"
                    )
                names.append(top)
        return tuple(dict.fromkeys(names))


def parse_template(template: str) -> list[Piece]:
    """The pieces of a format string (``format_spec`` is ``""`` when absent); ValueError if malformed.

    >>> parse_template("{title}: {body!r}")
    [('', 'title', '', None), (': ', 'body', '', 'r')]
    """
    try:
        return [(literal, name, spec or "", conv) for literal, name, spec, conv in string.Formatter().parse(template)]
    except ValueError as exc:
        raise ValueError(f"template {template!r} is not a valid format string: {exc}") from None
