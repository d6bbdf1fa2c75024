"""Small fake plugins for tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from curate.importing import Importer, InputFile, Problem
from curate.records import Record
from curate.stages.base import BatchResult, Filter


@dataclass(frozen=True)
class LinesOptions:
    fail_at: int | None = None


class LinesImporter(Importer[LinesOptions]):
    """``.lines`` files: one JSON object per line ({"q", "a"} or {"t"}); bad lines are problems."""

    name = "lines"
    suffixes = (".lines",)
    Options = LinesOptions

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        with file.open() as fh:
            for n, raw in enumerate(fh, 1):
                if self.options.fail_at == n:
                    raise RuntimeError("importer bug")
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Problem(f"line {n}", f"invalid JSON: {exc.msg}", raw=line)
                    continue
                src = file.source(self.name, f"line {n}")
                if "t" in row:
                    yield Record.create(src, text=row["t"])
                else:
                    yield Record.create(src, input=row["q"], output=row["a"])


class DropShort(Filter):
    name = "drop_short"
    description = "drops outputs shorter than 3 characters"

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            if len(record.model_texts()[0]) < 3:
                result.rejected.append(self.reject(record, "too_short", length=len(record.model_texts()[0])))
            else:
                result.kept.append(record)
        return result


def write_lines(path, rows) -> None:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def published(out) -> dict[str, bytes]:
    """The outputs a user sees in a build's folder (hidden state left out), name -> bytes."""
    from pathlib import Path

    return {p.name: p.read_bytes() for p in sorted(Path(out).iterdir()) if not p.name.startswith(".") and p.exists()}
