"""The CSV importer's options: the column mapping, and how the file is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from curate.plugin_api import ColumnMapping, ConfigError

from .columns import Template
from .dialect import unescape_delimiter


@dataclass(frozen=True)
class CsvOptions(ColumnMapping):
    """Options of the ``csv`` importer (see :mod:`curate.plugins.csv` for what each does)."""

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
        if self.delimiter is not None and len(unescape_delimiter(self.delimiter)) != 1:
            raise ConfigError(
                f"{owner}: delimiter must be one character, got {self.delimiter!r}",
                hint="for example ',', ';', '|' or '\\t'; leave it unset to sniff it",
            )
        if self.delimiter is not None and unescape_delimiter(self.delimiter) in '"\r\n':
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
        return () if self.template is None else Template(self.template).fields
