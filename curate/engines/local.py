"""The local engine: the in-process producer of the outcome stream (see :mod:`curate.stream`).

Records flow from the importers through the stages in chunks straight into the sink:
memory does not grow with the input. With ``workers`` above 1 worker processes read the
input in units (small files, shards of large ones) and decide them (:mod:`curate.engines.workers`).
Phases read the kept records back from a spill file, and their decisions are applied in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from curate import stream
from curate.engines.workers import WorkerPool, available_cores
from curate.ledger import Ledger, Spill
from curate.plan import Plan, Reporter
from curate.sources import resolve_sources
from curate.stages.base import apply_phase, run_phase
from curate.stages.compute import Compute
from curate.stream import Outcome, Sink
from curate.units import UNIT_BYTES, plan_jobs
from curate.writer import SplitWriter


def run(plan: Plan, ledger: Ledger, reporter: Reporter, *, debug: bool = False) -> tuple[SplitWriter, dict[str, Any]]:
    """Run ``plan`` into ``ledger``; returns the writer (for lengths) and the phases' reports."""
    config = plan.config
    workers = config.workers or available_cores()
    decider = stream.local_decider(plan.stages, stream.early_render(plan))
    head = plan.stages[: stream.split_stages(plan.stages)]
    if workers < 2 or all(stage.cheap for stage in head):
        chunks = stream.chunked(stream.read_items(plan, debug=debug), config.batch_size)
        return drain(plan, ledger, reporter, map(decider.outcomes, chunks))
    target = min(config.shard_bytes, UNIT_BYTES)  # 0: never cut
    make = stream.decider_factory(plan) if plan.stage_factories else None
    jobs = plan_jobs(resolve_sources(config.sources, plan.registry, exclude=plan.exclude), target)
    with WorkerPool(decider, make, workers) as pool:
        return drain(plan, ledger, reporter, pool.outcomes(jobs, batch_size=config.batch_size, debug=debug))


def in_process(spill: Spill) -> Compute:
    """What the local engine lends a phase for its heavy steps: this process."""
    return Compute()


def drain(
    plan: Plan,
    ledger: Ledger,
    reporter: Reporter,
    outcomes: Iterator[list[Outcome]],
    compute: Callable[[Spill], Compute] = in_process,
) -> tuple[SplitWriter, dict[str, Any]]:
    """Consume ``outcomes`` (chunks in input order) into the sink, then run the phases; the engines' common end.

    ``compute(spill)`` is what the engine lends a phase that reads ``spill`` (default: this process).
    """
    config = plan.config
    writer = SplitWriter(
        ledger,
        plan.fmt,
        val_ratio=config.val_ratio,
        seed=config.seed,
        include_ids=config.include_ids,
        tokens=plan.tokens,
    )
    spill = Spill(ledger, ".spill-0.jsonl") if plan.phases else None
    sink = Sink(plan, ledger, reporter, writer, spill)
    for chunk in outcomes:
        sink.take(chunk)
    sink.close()
    reports = run_phases(plan, ledger, reporter, writer, spill, compute) if spill is not None else {}
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
    compute: Callable[[Spill], Compute] = in_process,
) -> dict[str, Any]:
    """Run the plan's phases over ``spill``, applying each one's decisions in input order; returns their reports.

    Each phase reads its spill and gets ``compute(spill)`` for its heavy steps.
    """
    reports: dict[str, Any] = {}
    current = spill
    for i, phase in enumerate(plan.phases):
        reporter.phase_started(phase.name)
        phase.progress = partial(_phase_step, reporter, phase.name)
        try:
            result = run_phase(phase, partial(iter, current), compute(current))
        finally:
            phase.progress = None
        ledger.count(phase.name, result.counts)
        reports[phase.name] = result.report
        following = Spill(ledger, f".spill-{i + 1}.jsonl") if i < len(plan.phases) - 1 else None
        for record in current:  # one at a time: rejects and the writer's in input order
            kept, rejected = apply_phase(result, phase.name, [record])
            ledger.reject_all(rejected)
            (writer.write if following is None else following.write)(kept)
        current.remove()
        if following is None:
            break
        current = following
    return reports
