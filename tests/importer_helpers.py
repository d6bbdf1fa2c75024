"""Helpers shared by the importer tests: reading a file with an importer, golden-file plumbing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.importing import Importer, InputFile, Problem
from curate.records import Record


def read_items(
    importer: type[Importer], path: Path, display: str | None = None, **options: Any
) -> list[Record | Problem]:
    """Everything ``importer`` (built with ``options``) yields for ``path``; nothing else may come out."""
    items = list(importer.from_options(options).read(InputFile(path, display or path.name)))
    assert all(isinstance(i, (Record, Problem)) for i in items)
    return items


def options_for(data: Path, path: Path) -> dict[str, Any]:
    """The importer options of a golden input: ``NAME.options.json`` beside it, if any."""
    opts = data / f"{path.name.split('.')[0]}.options.json"
    return json.loads(opts.read_text()) if opts.exists() else {}


def expected_path(path: Path) -> Path:
    """The golden file of an input: ``NAME.expected.jsonl`` beside it."""
    return path.with_name(path.name.split(".")[0] + ".expected.jsonl")


def read_expected(path: Path) -> list[dict[str, Any]]:
    """The golden records and problems of an input (see :func:`expected_path`)."""
    return [json.loads(line) for line in expected_path(path).read_text(encoding="utf-8").splitlines()]


def write_expected(path: Path, dicts: list[dict[str, Any]]) -> None:
    """Write the golden file of an input (when regenerating them) and say so."""
    target = expected_path(path)
    target.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts), encoding="utf-8")
    print(f"wrote {target}")


def as_dicts(items: list[Record | Problem]) -> list[dict[str, Any]]:
    """Records and problems as the JSON objects of a golden ``*.expected.jsonl`` file."""
    return [
        i.to_dict()
        if isinstance(i, Record)
        else {"problem": {"locator": i.locator, "message": i.message, "raw": i.raw}}
        for i in items
    ]
