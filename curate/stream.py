"""The one ordered outcome stream: what every engine produces and the one sink that consumes it.

An engine reads the sources (files in the order :func:`~curate.sources.resolve_sources`
gives them, items in file order) and turns every item into an outcome, in that order:

* a :class:`~curate.sources.FileTask` starts a file, a :class:`~curate.errors.SourceError`
  is a file that could not be read, a :class:`FileDigest` gives the size and digest of the
  bytes a file's importer read, a :class:`~curate.importing.Problem` is bad input;
* every record becomes a :class:`~curate.stages.base.Rejection` (stage, reason, details)
  or a :class:`Kept` record (changed or not, with its key for a keyed stage and, when
  nothing can change it any more, its rendered output row);
* :class:`Counted` carries the stages' event counters.

A producer decides each chunk's records with a :class:`Decider` (in-process, in worker
processes or on Ray) and hands the chunks, in input order, to the one :class:`Sink`: the
keyed stage (exact dedup) and those after it, the ledger, the writer or the spill.
Outputs, rejects included, are the same for any batch size, workers or engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, cast

from curate.errors import BuildFailed, SourceError
from curate.importing import InputFile, Problem, Skipped
from curate.ledger import InputEntry, Ledger, Spill
from curate.plan import Plan, Reporter
from curate.records import Record
from curate.sources import FileTask, read_file, resolve_sources
from curate.stages.base import Fate, KeyedStage, Rejection, Stage, decide_stages
from curate.writer import Rendered, SplitWriter, render

IMPORT_STAGE = "import"
STRICT_HINT = "fix the input or drop --strict to carry on past bad input"


@dataclass(slots=True)
class Kept:
    """A record the stages before the keyed one kept, with its ``key`` for the keyed stage and its
    ``rendered`` output row when nothing after the producer can change it (both made by the producer)."""

    record: Record
    key: int | None = None
    rendered: Rendered | None = None


@dataclass(slots=True)
class FileDigest:
    """The size and SHA-256 of the bytes a file's importer read (known once it is done)."""

    size: int
    sha256: str

    @classmethod
    def of(cls, file: InputFile) -> FileDigest:
        """What ``file``'s meter saw, once its importer is done with it."""
        return cls(*file.meter.finish(file.path))


@dataclass(slots=True)
class Counted:
    """Event counters that stages reported."""

    counts: dict[str, Counter[str]]


class RejectedLine(NamedTuple):
    """A :class:`~curate.stages.base.Rejection` already serialised (by a worker process): its line in rejects.jsonl."""

    stage: str
    reason: str
    line: str


#: What a producer reads, before its records are decided.
Item = FileTask | SourceError | FileDigest | Problem | Record
#: What the sink consumes, in input order.
Outcome = FileTask | SourceError | FileDigest | Problem | Kept | Rejection | RejectedLine | Counted


class Decider:
    """What a producer runs on records, anywhere: the stages up to the keyed one, its key, the rendering."""

    def __init__(
        self, head: list[Stage], keyed: Stage | None = None, render: Callable[[Record], Rendered] | None = None
    ) -> None:
        self.head = head
        self.keyed = keyed
        self.render = render

    def __call__(self, records: list[Record]) -> tuple[list[Kept | Rejection], dict[str, Counter[str]]]:
        """Each record's outcome, in order, and the stages' counters."""
        fates, counts = decide_stages(self.head, records)
        key = None if self.keyed is None else cast(KeyedStage, self.keyed).key
        show = self.render
        out = [f if isinstance(f, Rejection) else Kept(f, key and key(f), show and show(f)) for f in fates]
        return out, counts

    def outcomes(self, chunk: list[Item]) -> list[Outcome]:
        """``chunk`` with its records decided."""
        return merge(chunk, *self([x for x in chunk if isinstance(x, Record)]))


def merge(chunk: list[Item], decided: list[Kept | Rejection], counts: dict[str, Counter[str]]) -> list[Outcome]:
    """``chunk`` with each record replaced by its outcome in ``decided``, the counters last."""
    it = iter(decided)
    out: list[Outcome] = [next(it) if isinstance(x, Record) else x for x in chunk]
    if counts:
        out.append(Counted(counts))
    return out


def split_stages(stages: list[Stage]) -> int:
    """Where the keyed stage is in ``stages`` (its length when none is): producers run what comes before."""
    return next((i for i, s in enumerate(stages) if s.keyed), len(stages))


def decider_factory(plan: Plan) -> Callable[[], Decider]:
    """A picklable factory of the plan's :class:`Decider` (from its stage factories), for other processes."""
    return partial(_make_decider, plan.stage_factories[: split_stages(plan.stages) + 1], early_render(plan))


def _make_decider(factories: list[Callable[[], Stage]], show: Callable[[Record], Rendered] | None) -> Decider:
    return local_decider([make() for make in factories], show)


def local_decider(stages: list[Stage], show: Callable[[Record], Rendered] | None) -> Decider:
    """The :class:`Decider` of ``stages`` (the keyed one, if any, only gives its key)."""
    at = split_stages(stages)
    return Decider(stages[:at], stages[at] if at < len(stages) else None, show)


def early_render(plan: Plan) -> Callable[[Record], Rendered] | None:
    """:func:`~curate.writer.render` with the plan's settings, when nothing after the producers but keyed
    stages can change a kept record; else ``None``."""
    if plan.phases or not all(s.keyed for s in plan.stages[split_stages(plan.stages) :]):
        return None
    config = plan.config
    return partial(
        render,
        fmt=plan.fmt,
        val_ratio=config.val_ratio,
        seed=config.seed,
        include_ids=config.include_ids,
        tokens=plan.tokens,
    )


def read_items(plan: Plan, *, debug: bool = False) -> Iterator[Item]:
    """Every item of every source, in input order, each file between its task and its digest."""
    for task in resolve_sources(plan.config.sources, plan.registry, exclude=plan.exclude):
        yield task
        if isinstance(task, FileTask):
            yield from read_whole(task, debug=debug)


def read_whole(task: FileTask, *, debug: bool = False) -> Iterator[Item]:
    """A file's items, in file order, then its digest."""
    yield from read_file(task, debug=debug)
    yield FileDigest.of(task.file)


def chunked(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Lists of items holding up to ``size`` records each (other items ride along)."""
    chunk: list[Item] = []
    records = 0
    for item in items:
        chunk.append(item)
        if isinstance(item, Record):
            records += 1
            if records >= size:
                yield chunk
                chunk, records = [], 0
    if chunk:
        yield chunk


class Sink:
    """Consumes the outcome stream in input order: keyed stage and later ones, ledger, ``spill`` or ``writer``."""

    def __init__(
        self, plan: Plan, ledger: Ledger, reporter: Reporter, writer: SplitWriter, spill: Spill | None
    ) -> None:
        self.ledger, self.reporter, self.writer, self.spill = ledger, reporter, writer, spill
        self.strict = plan.config.strict
        at = split_stages(plan.stages)
        self.keyed = cast(KeyedStage, plan.stages[at]) if at < len(plan.stages) else None
        self.after = plan.stages[at + 1 :]
        self.task: FileTask | None = None
        self.info: InputEntry | None = None
        self.pending = 0
        for stage in plan.stages:  # counters in the plan's order, whatever comes first
            ledger.counts.stages[stage.name]

    def take(self, outcomes: Iterable[Outcome]) -> None:
        """Consume a chunk of outcomes, in order."""
        outcomes = list(outcomes)
        tail = iter(self._tail([o for o in outcomes if isinstance(o, Kept)]))
        ledger = self.ledger
        for o in outcomes:
            if isinstance(o, Kept):
                fate = next(tail)
                self._record()
                if isinstance(fate, Rejection):
                    ledger.reject(fate)
                elif o.rendered is not None and fate is o.record:
                    self.writer.accept((o.rendered,))
                elif self.spill is not None:
                    self.spill.write((fate,))
                else:
                    self.writer.write((fate,))
            elif isinstance(o, Rejection):
                self._record()
                ledger.reject(o)
            elif isinstance(o, RejectedLine):
                self._record()
                ledger.reject_line(*o)
            elif isinstance(o, Counted):
                for stage, events in o.counts.items():
                    ledger.count(stage, events)
            elif isinstance(o, Problem):
                self._problem(o)
            elif isinstance(o, FileDigest):
                assert self.info is not None
                self.info.size, self.info.sha256 = o.size, o.sha256
            elif isinstance(o, FileTask):
                self._file(o)
            else:
                self._source_error(o)

    def close(self) -> None:
        """End the stream."""
        self.reporter.records_read(self.pending)
        self.pending = 0

    def _tail(self, kept: list[Kept]) -> list[Fate]:
        keyed = self.keyed
        fates: list[Fate] = [
            k.record if keyed is None else keyed.fate(k.record, keyed.admit(k.record, k.key or keyed.key(k.record)))
            for k in kept
        ]
        if self.after:
            live = [i for i, f in enumerate(fates) if not isinstance(f, Rejection)]
            later, counts = decide_stages(self.after, [fates[i] for i in live])  # type: ignore[misc]
            for i, fate in zip(live, later, strict=True):
                fates[i] = fate
            for stage, events in counts.items():
                self.ledger.count(stage, events)
        return fates

    def _record(self) -> None:
        assert self.info is not None
        self.info.records += 1
        self.ledger.read()
        self.pending += 1
        if self.pending >= 256:
            self.reporter.records_read(self.pending)
            self.pending = 0

    def _file(self, task: FileTask) -> None:
        self.reporter.records_read(self.pending)
        self.pending = 0
        self.reporter.file_started(task)
        self.task = task
        self.info = InputEntry(task.file.display, 0, "", task.importer.name)
        self.ledger.inputs.append(self.info)

    def _problem(self, problem: Problem) -> None:  # an error (raw content to rejects) or a warning
        assert self.task is not None and self.info is not None
        task, ledger = self.task, self.ledger
        entry = ledger.error(task.file.display, problem.locator, problem.message, warning=problem.warning)
        self.reporter.problem(entry)
        if problem.warning:
            return
        self.info.problems += 1
        if self.strict:
            raise BuildFailed(f"{entry}", hint=STRICT_HINT)
        if problem.raw is not None:
            ledger.read()
            record = Record.create(task.file.source(task.importer.name, problem.locator or ""), text=problem.raw)
            ledger.reject(Rejection(record, IMPORT_STAGE, "unreadable", {"error": problem.message}))

    def _source_error(self, error: SourceError) -> None:  # a Skipped item is only a warning
        warning = isinstance(error, Skipped)
        entry = self.ledger.error(error.path, error.locator, error.reason, warning=warning)
        self.reporter.problem(entry)
        if self.strict and not warning:
            raise BuildFailed(f"{entry}", hint=STRICT_HINT)
