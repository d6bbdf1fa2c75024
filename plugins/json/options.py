"""The JSON importer's options: the column mapping, a forced format, the list key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from curate.plugin_api import FORMATS, ColumnMapping


@dataclass(frozen=True)
class JsonOptions(ColumnMapping):
    """Options of the ``json`` importer (see :mod:`curate.plugins.json`)."""

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
