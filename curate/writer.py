"""The last step: split each record to train or val and write it in the chosen format.

Streaming: each record's side is decided from its group key alone (see
:mod:`curate.split`). One rule needs the end of the stream: with a validation ratio
above zero and two or more records, validation gets at least one record. When the
hash sent none there, the train group closest to the cut is moved over (the train
file is rewritten once, streaming).
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from curate.formats import FormatOptions, Unconvertible, to_row
from curate.ledger import Ledger, dumps
from curate.records import Record
from curate.split import group_key, split_point
from curate.stages.base import Rejection
from curate.tokens import TokenCounter

STAGE = "format"
#: Where stages note what they changed or flagged in a kept record (a list of dicts).
CHANGES_KEY = "curate"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A kept record as the writer needs it: its output line, side and split bookkeeping.

    Made by :func:`render` from the record alone, so that it can be made anywhere (the
    Ray engine renders on its workers); :meth:`SplitWriter.accept` only appends it.
    """

    side: str  # "train" or "val"; "" when the format rejected the record
    line: str  # the output row, serialised, without its newline
    key: str  # the split group key
    point: float  # the group's split point
    length: int  # characters of text, for the report's histograms
    changes: str | None = None  # the record's changes.jsonl line, when a stage changed it
    rejection: Rejection | None = None  # why the format could not take it
    tokens: int = -1  # the record's tokens with the build's tokenizer; -1 when none counts them
    uses_tools: bool = False  # the record carries tool calls, results or tool definitions


def render(
    record: Record,
    fmt: FormatOptions,
    *,
    val_ratio: float,
    seed: int,
    include_ids: bool,
    tokens: TokenCounter | None = None,
) -> Rendered:
    """Everything :class:`SplitWriter` writes for ``record``: a pure function of the record and the settings."""
    try:
        row = to_row(record, fmt)
    except Unconvertible as exc:
        return Rendered("", "", "", 0.0, 0, rejection=Rejection(record, STAGE, exc.reason, {"detail": exc.detail}))
    if include_ids:
        row = {"id": record.id, **row}
    key = group_key(record)
    point = split_point(key, seed)
    side = "val" if point < val_ratio else "train"
    changes = None
    if record.meta.get(CHANGES_KEY):
        changes = dumps(
            {"id": record.id, "side": side, "source": record.to_dict()["source"], "changes": record.meta[CHANGES_KEY]}
        )
    n = tokens.count(record) if tokens is not None else -1
    if record.messages is None and record.output is None:
        length = len(record.text or "")  # the common case, without a list of one text
    else:
        length = sum(len(t) for t in record.texts())
    return Rendered(side, dumps(row), key, point, length, changes, tokens=n, uses_tools=record.uses_tools)


class SplitWriter:
    """Splits records and writes them through a :class:`~curate.ledger.Ledger`."""

    def __init__(
        self,
        ledger: Ledger,
        fmt: FormatOptions,
        *,
        val_ratio: float,
        seed: int,
        include_ids: bool = False,
        tokens: TokenCounter | None = None,
    ):
        self.ledger = ledger
        self.fmt = fmt
        self.val_ratio = val_ratio
        self.seed = seed
        self.include_ids = include_ids
        self.tokens = tokens
        # Character lengths for the report's histograms: 4 bytes a record.
        self.lengths: dict[str, array[int]] = {"train": array("I"), "val": array("I")}
        #: Whether any kept record carries tool calls (the consumer configs depend on it).
        self.tool_calls = False
        # Token lengths, when a tokenizer counts them (``tokens``).
        self.token_lengths: dict[str, array[int]] = {"train": array("I"), "val": array("I")}
        # The train group nearest the cut, in case validation ends up empty.
        self._closest: tuple[float, str] | None = None
        self._closest_lengths: list[int] = []
        self._closest_tokens: list[int] = []
        # A side file of group keys, one per train row, keeps memory flat.
        self._keys_path = ledger.staged(".train-groups")
        self._keys = ledger.scratch(".train-groups")

    def render(self, record: Record) -> Rendered:
        """:func:`render` with this writer's settings."""
        return render(
            record, self.fmt, val_ratio=self.val_ratio, seed=self.seed, include_ids=self.include_ids, tokens=self.tokens
        )

    def write(self, records: Iterable[Record]) -> None:
        """Render and append ``records``."""
        self.accept(self.render(record) for record in records)

    def accept(self, rendered: Iterable[Rendered]) -> None:
        """Append records rendered by :func:`render` (here or elsewhere), in order."""
        ledger = self.ledger
        for r in rendered:
            if r.rejection is not None:
                ledger.reject(r.rejection)
                continue
            if r.side == "train":
                if self._closest is None or r.point < self._closest[0]:
                    self._closest = (r.point, r.key)
                    self._closest_lengths = []
                    self._closest_tokens = []
                if self._closest[1] == r.key:
                    self._closest_lengths.append(r.length)
                    if r.tokens >= 0:
                        self._closest_tokens.append(r.tokens)
                self._keys.write(r.key + "\n")
            ledger.write_line(r.side, r.line)
            self.lengths[r.side].append(r.length)
            self.tool_calls = self.tool_calls or r.uses_tools
            if r.tokens >= 0:
                self.token_lengths[r.side].append(r.tokens)
            if r.changes is not None:
                ledger.changed_line(r.changes)

    def finish(self) -> None:
        """Apply the at-least-one-validation-record rule."""
        counts = self.ledger.counts
        self._keys.close()
        if (
            self.val_ratio > 0
            and counts.val == 0
            and counts.train >= 2
            and self._closest is not None
            and len(self._closest_lengths) < counts.train
        ):
            self._move_group_to_val(self._closest[1])
        os.unlink(self._keys_path)

    def _move_group_to_val(self, key: str) -> None:
        ledger = self.ledger
        ledger.flush("train.jsonl")
        train = ledger.staged("train.jsonl")
        rewritten = ledger.staged(".train-rewrite")
        moved: list[str] = []
        with (
            open(train, encoding="utf-8") as src,
            open(self._keys_path, encoding="utf-8") as keys,
            open(rewritten, "w", encoding="utf-8", newline="\n") as dst,
        ):
            for line, k in zip(src, keys, strict=True):
                if k.rstrip("\n") == key:
                    moved.append(line)
                else:
                    dst.write(line)
        os.replace(rewritten, train)
        ledger.reopen("train.jsonl")
        for line in moved:
            ledger.counts.train -= 1
            ledger.write("val", json.loads(line))
        for length in self._closest_lengths:
            self.lengths["train"].remove(length)
            self.lengths["val"].append(length)
        for n in self._closest_tokens:
            self.token_lengths["train"].remove(n)
            self.token_lengths["val"].append(n)
        ledger.count("split", {"moved_to_val_for_minimum": len(moved)})
