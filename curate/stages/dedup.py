"""Exact deduplication on normalised content.

The first record with a given content, in the build's deterministic order (sources in
the order given, directories walked sorted, records in file order), survives; every
later copy is rejected with ``duplicate_of`` naming the survivor's id.
"""

from __future__ import annotations

import hashlib
import re

from curate.records import Record
from curate.stages.base import BatchResult, Stage

_WS = re.compile(r"\s+")


def dedup_key(record: Record) -> int:
    """A 64-bit hash of the record's content with whitespace runs collapsed."""
    key = _WS.sub(" ", record.content_key()).strip()
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class ExactDedup(Stage):
    """The ``exact_dedup`` stage.

    Holds one 64-bit key per surviving record, so memory grows by tens of bytes per
    record, not with their text. Stateful across batches: one instance sees the whole
    stream (the Ray engine groups by :func:`dedup_key` instead).
    """

    name = "exact_dedup"

    def __init__(self) -> None:
        self.seen: dict[int, str] = {}

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            key = dedup_key(record)
            survivor = self.seen.get(key)
            if survivor is None:
                self.seen[key] = record.id
                result.kept.append(record)
            else:
                result.rejected.append(self.reject(record, "duplicate", duplicate_of=survivor))
        return result
