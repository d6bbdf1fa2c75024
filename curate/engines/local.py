"""The local engine: one process, streaming.

Records flow from the importers through the stages in batches and straight into the
split writer, so memory does not grow with the input. When the plan has phases
(clustering, near-duplicates), the records that survive the stages are spilled to a
temporary JSONL file, each phase reads them back as often as it needs, and its
decisions are applied on the way to the next spill or to the writer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from functools import partial
from itertools import islice
from typing import Any, TypeVar

from curate.engines.workers import StagePool, available_cores
from curate.errors import BuildFailed, SourceError
from curate.importing import Problem, Skipped
from curate.ledger import InputEntry, Ledger, Spill
from curate.plan import Plan, Reporter
from curate.records import Record
from curate.sources import FileTask, read_file, resolve_sources
from curate.stages.base import PhaseResult, Rejection, apply_phase, run_stages
from curate.stages.dedup import ExactDedup
from curate.writer import SplitWriter

T = TypeVar("T")

IMPORT_STAGE = "import"
STRICT_HINT = "fix the input or drop --strict to carry on past bad input"


def note_problem(
    ledger: Ledger,
    reporter: Reporter,
    task: FileTask,
    info: InputEntry,
    problem: Problem,
    *,
    strict: bool,
    reject: Callable[[Rejection], None] | None = None,
) -> None:
    """Put an importer's problem in the ledger: an error (and its raw content in rejects) or a warning.

    ``reject`` receives the rejection of the raw content instead of the ledger (the local
    engine holds them back to write them in batch order).
    """
    entry = ledger.error(task.file.display, problem.locator, problem.message, warning=problem.warning)
    reporter.problem(entry)
    if problem.warning:
        return
    info.problems += 1
    if strict:
        raise BuildFailed(f"{entry}", hint=STRICT_HINT)
    if problem.raw is not None:
        ledger.read()
        record = Record.create(task.file.source(task.importer.name, problem.locator or ""), text=problem.raw)
        (reject or ledger.reject)(Rejection(record, IMPORT_STAGE, "unreadable", {"error": problem.message}))


def note_source_error(ledger: Ledger, reporter: Reporter, error: SourceError, *, strict: bool) -> None:
    """Put a file that could not be read at all in the ledger (and fail a strict build).

    A :class:`~curate.importing.Skipped` item (an output folder, a link loop, a file
    reached twice) is a warning: it loses nothing and does not fail a strict build.
    """
    warning = isinstance(error, Skipped)
    entry = ledger.error(error.path, error.locator, error.reason, warning=warning)
    reporter.problem(entry)
    if strict and not warning:
        raise BuildFailed(f"{entry}", hint=STRICT_HINT)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` items."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def import_records(
    plan: Plan,
    ledger: Ledger,
    reporter: Reporter,
    *,
    debug: bool = False,
    reject: Callable[[Rejection], None] | None = None,
) -> Iterator[Record]:
    """Every record of every source, in order; problems go to the ledger (and fail a strict build).

    ``reject`` receives the rejections of unreadable input instead of the ledger.
    """
    strict = plan.config.strict
    for task in resolve_sources(plan.config.sources, plan.registry, exclude=plan.exclude):
        if isinstance(task, SourceError):
            note_source_error(ledger, reporter, task, strict=strict)
            continue
        reporter.file_started(task)
        # Size and digest are those of the bytes the importer reads (see ReadMeter), known once it is done.
        info = InputEntry(task.file.display, 0, "", task.importer.name)
        ledger.inputs.append(info)
        pending = 0
        try:
            for item in read_file(task, debug=debug):
                if isinstance(item, Problem):
                    note_problem(ledger, reporter, task, info, item, strict=strict, reject=reject)
                    continue
                info.records += 1
                ledger.read()
                pending += 1
                if pending >= 256:
                    reporter.records_read(pending)
                    pending = 0
                yield item
        finally:
            info.size, info.sha256 = task.file.meter.finish(task.file.path)
        reporter.records_read(pending)


def run(plan: Plan, ledger: Ledger, reporter: Reporter, *, debug: bool = False) -> tuple[SplitWriter, dict[str, Any]]:
    """Run ``plan`` into ``ledger``; returns the writer (for lengths) and the phases' reports."""
    size = plan.config.batch_size
    writer = SplitWriter(
        ledger,
        plan.fmt,
        val_ratio=plan.config.val_ratio,
        seed=plan.config.seed,
        include_ids=plan.config.include_ids,
        tokens=plan.tokens,
    )
    spill = Spill(ledger, ".spill-0.jsonl") if plan.phases else None
    # The stages before exact dedup decide each record on their own: they may run in workers.
    at = next((i for i, s in enumerate(plan.stages) if isinstance(s, ExactDedup)), len(plan.stages))
    head, tail = plan.stages[:at], plan.stages[at:]
    workers = plan.config.workers or available_cores()
    costly = any(not stage.cheap for stage in head)
    pool = StagePool(plan.stage_factories[:at], workers) if workers > 1 and costly and plan.stage_factories else None
    # Rejections of unreadable input are written before the stages' rejections of the batch
    # being filled when they were met: the same order however far ahead the reading runs.
    unreadable: list[Rejection] = []
    held: deque[list[Rejection]] = deque()

    def cut_batches() -> Iterator[list[Record]]:
        records = import_records(plan, ledger, reporter, debug=debug, reject=unreadable.append)
        for batch in batched(records, size):
            held.append(unreadable[:])
            unreadable.clear()
            yield batch
        held.append(unreadable[:])  # met after the last record

    with pool or nullcontext():
        results = pool.map(cut_batches(), head) if pool else (run_stages(head, batch) for batch in cut_batches())
        for kept, rejected, counts in results:
            ledger.reject_all(held.popleft())
            if tail:
                kept, later, more = run_stages(tail, kept)
                rejected = [*rejected, *later]
                counts = {**counts, **more}
            ledger.reject_all(rejected)
            for stage, events in counts.items():
                ledger.count(stage, events)
            if spill is not None:
                spill.write(kept)
            else:
                writer.write(kept)
    ledger.reject_all(held.popleft() if held else unreadable)
    reports = run_phases(plan, ledger, reporter, writer, spill) if spill is not None else {}
    writer.finish()
    return writer, reports


def _phase_step(reporter: Reporter, name: str, what: str) -> None:
    reporter.phase_started(f"{name}: {what}")


def run_phases(
    plan: Plan,
    ledger: Ledger,
    reporter: Reporter,
    writer: SplitWriter,
    spill: Spill,
    decide: Callable[[int, Any, Spill], PhaseResult] | None = None,
) -> dict[str, Any]:
    """Run the plan's phases over ``spill`` as the local engine does; returns their reports.

    ``decide(i, phase, spill)`` lets an engine compute a phase's decisions its own way
    (the Ray engine offers phases a dataset); by default the phase reads the spill.
    """
    size = plan.config.batch_size
    reports: dict[str, Any] = {}
    current: Spill | None = spill
    for i, phase in enumerate(plan.phases):
        assert current is not None
        reporter.phase_started(phase.name)
        source = current
        phase.progress = partial(_phase_step, reporter, phase.name)
        try:
            result = decide(i, phase, source) if decide is not None else phase.run(partial(iter, source))
        finally:
            phase.progress = None
        ledger.count(phase.name, result.counts)
        reports[phase.name] = result.report
        last = i == len(plan.phases) - 1
        following = None if last else Spill(ledger, f".spill-{i + 1}.jsonl")
        for batch in batched(current, size):
            kept, rejected = apply_phase(result, phase.name, batch)
            ledger.reject_all(rejected)
            (writer.write if following is None else following.write)(kept)
        current.remove()
        current = following
    return reports
