"""Small fake plugins for tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from curate.importing import Importer, InputFile, Problem
from curate.records import Record
from curate.semantic.embed import EmbeddingCache, embedding_text, text_keys
from curate.semantic.testing import HashingEmbedder
from curate.stages.base import BatchResult, Filter, Phase, PhaseResult
from curate.stages.compute import Compute


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


def whole_text(record: Record) -> tuple[str, float]:
    """:class:`DownPhase`'s ``RecordText``: the record's whole text, no score."""
    return embedding_text(record, "auto"), float("nan")


class DownPhase(Phase):
    """A third-party phase on the compute seam: embeds every record, rejects those whose vector points "down".

    It asks its compute to embed ahead (the Ray engine does, on the cluster), embeds what
    the cache still lacks as it reads, and reads its vectors back from the compute's store.
    ``seen`` collects the class of each compute it got.
    """

    name = "down"
    seen: ClassVar[list[str]] = []

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.embedder = HashingEmbedder("16")

    def run(self, records: Callable[[], Iterator[Record]], compute: Compute) -> PhaseResult:
        DownPhase.seen.append(type(compute).__name__)
        ahead = compute.embed(whole_text, self.embedder, self.cache, step=self.step)
        cache = EmbeddingCache(self.cache, self.embedder.model_id)
        ids, texts = [], []
        for record in records():
            ids.append(record.id)
            texts.append(whole_text(record)[0])
        keys = text_keys(texts)
        embedded = cache.fill(self.embedder, keys, texts) if texts else 0
        result = PhaseResult(report={"records": len(ids), "embedded": ahead.embedded + embedded})
        if not ids:
            return result
        with compute.vectors(keys, cache, whole_text, memory_limit_mb=64, tmp_dir=self.cache / "tmp") as store:
            rows = store.rows(np.arange(len(ids)))
        for record_id, row in zip(ids, rows, strict=True):
            if row[0] < 0:
                result.rejected[record_id] = ("down", {"x": round(float(row[0]), 4)})
                result.counts["down"] += 1
        return result
