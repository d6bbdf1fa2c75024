"""Turning per-record outcomes computed elsewhere into the local engine's exact output.

A distributed engine decides each record's fate on many workers, in any order. The
outputs must still be the local engine's, byte for byte, so the driver replays those
outcomes in the canonical order, through the very loop the local engine runs:

* files in the order :func:`~curate.sources.resolve_sources` gives them (sources in
  the order configured, folders walked sorted), items in file order;
* records grouped into batches of ``batch_size`` records, counted as the local
  engine counts them (import problems are not records);
* within the streaming pass, an import problem's reject is written when it is met,
  and each batch's stage rejects are written stage by stage, each stage's in record
  order, followed by what the writer rejects (or the batch goes to the phases' spill);
* phases then run and apply exactly as in :mod:`curate.engines.local`.

This module knows nothing of Ray: it consumes :class:`Outcome` items, one file after
the other, and calls the ledger, the reporter and the writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from curate.engines.local import note_problem, note_source_error
from curate.errors import SourceError
from curate.importing import Problem
from curate.ledger import InputEntry, Ledger
from curate.plan import Plan, Reporter
from curate.records import Record
from curate.sources import FileTask
from curate.stages.base import Rejection, Stage, run_stages
from curate.writer import Rendered


@dataclass(slots=True)
class FileSummary:
    """What the manifest records of a file before its records: its size and digest."""

    size: int
    sha256: str


@dataclass(slots=True)
class Kept:
    """A record that every stage before exact dedup kept (``duplicate_of`` set when it is a later copy).

    ``rendered`` is the record's output, made where the record was decided; the record
    itself is then left out (``None``) unless something still needs it.
    """

    record: Record | None
    duplicate_of: str | None = None
    rendered: Rendered | None = None


@dataclass(slots=True)
class Rejected:
    """A record that stage number ``stage`` (an index into the plan's stages) rejected."""

    stage: int
    rejection: Rejection


@dataclass(slots=True)
class StageCounts:
    """Counters that stages reported for some batch (added to the manifest as they come)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)


Outcome = FileSummary | Problem | Kept | Rejected | StageCounts


class Replay:
    """The local engine's streaming pass, fed with outcomes decided elsewhere.

    ``sink`` gets each batch's kept records, or their renderings where the outcomes
    carry them (see :class:`Kept`): the writer's ``write`` or ``accept``, or a spill.

    ``dedup_index`` is the position of the exact-dedup stage in the plan (its rejects
    are written in that stage's slot); ``post_stages`` are the stages that come after
    it, run here on the very batches the local engine would give them.
    """

    def __init__(
        self,
        plan: Plan,
        ledger: Ledger,
        reporter: Reporter,
        sink: Callable[[list[Any]], None],
        *,
        dedup: Stage | None,
        dedup_index: int,
        post_stages: list[Stage],
    ) -> None:
        self.plan = plan
        self.ledger = ledger
        self.reporter = reporter
        self.sink = sink
        self.dedup = dedup
        self.post_stages = post_stages
        self.size = plan.config.batch_size
        self.strict = plan.config.strict
        self._slots: list[list[Rejection]] = [[] for _ in range(dedup_index + 1)]
        self._kept: list[Record | Rendered] = []
        self._records = 0

    def run(self, tasks: Iterable[FileTask | SourceError], outcomes: Iterator[tuple[int, Iterator[Outcome]]]) -> None:
        """Replay every task in order; ``outcomes`` yields ``(task index, that file's outcomes)``."""
        for index, task in enumerate(tasks):
            if isinstance(task, SourceError):
                note_source_error(self.ledger, self.reporter, task, strict=self.strict)
                continue
            got = next(outcomes, None)
            if got is None or got[0] != index:
                raise RuntimeError(
                    f"the outcomes of file {index} ({task.file.display}) are missing or out of order "
                    f"(got file {None if got is None else got[0]}): this is a bug in the engine"
                )
            self._file(task, got[1])
        if next(outcomes, None) is not None:
            raise RuntimeError("outcomes for more files than were read: this is a bug in the engine")
        self.flush()

    def _file(self, task: FileTask, items: Iterator[Outcome]) -> None:
        ledger = self.ledger
        self.reporter.file_started(task)
        summary = next(items, None)
        if not isinstance(summary, FileSummary):
            raise RuntimeError(f"no summary for {task.file.display}: this is a bug in the engine")
        info = InputEntry(task.file.display, summary.size, summary.sha256, task.importer.name)
        ledger.inputs.append(info)
        pending = 0
        for item in items:
            if isinstance(item, FileSummary):  # the bytes the importer read, known once it is done
                info.size, info.sha256 = item.size, item.sha256
                continue
            if isinstance(item, StageCounts):
                for stage, events in item.counts.items():
                    ledger.count(stage, events)
                continue
            if isinstance(item, Problem):
                note_problem(ledger, self.reporter, task, info, item, strict=self.strict)
                continue
            info.records += 1
            ledger.read()
            pending += 1
            if pending >= 256:
                self.reporter.records_read(pending)
                pending = 0
            if isinstance(item, Rejected):
                self._slots[item.stage].append(item.rejection)
            elif isinstance(item, Kept):
                if item.duplicate_of is not None and self.dedup is not None:
                    if item.record is None:
                        raise RuntimeError("a later copy came without its record: this is a bug in the engine")
                    self._slots[-1].append(self.dedup.reject(item.record, "duplicate", duplicate_of=item.duplicate_of))
                elif item.rendered is not None:
                    self._kept.append(item.rendered)
                elif item.record is not None:
                    self._kept.append(item.record)
                else:
                    raise RuntimeError("a kept record came with neither the record nor its rendering: a bug")
            else:
                raise RuntimeError(f"unexpected outcome {item!r}: this is a bug in the engine")
            self._records += 1
            if self._records >= self.size:
                self.flush()
        self.reporter.records_read(pending)

    def flush(self) -> None:
        """End the current batch: its stage rejects in stage order, then its kept records."""
        if not self._records:
            return
        for slot in self._slots:
            self.ledger.reject_all(slot)
            slot.clear()
        kept = self._kept
        if self.post_stages:  # only records come here: workers render nothing when stages follow
            records = [r for r in kept if isinstance(r, Record)]
            if len(records) != len(kept):
                raise RuntimeError("rows rendered on the workers met stages after exact dedup: a bug in the engine")
            kept_records, rejected, counts = run_stages(self.post_stages, records)
            kept = list(kept_records)
            self.ledger.reject_all(rejected)
            for stage, events in counts.items():
                self.ledger.count(stage, events)
        self.sink(kept)
        self._kept = []
        self._records = 0
