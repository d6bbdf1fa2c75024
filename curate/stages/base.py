"""The stage contract, which does not depend on the engine that runs it.

A :class:`Stage` takes a batch (a list of records) and returns a :class:`BatchResult`:
the records it keeps (possibly changed), the records it rejects with a stage name and
a reason, and counters of what it did. The local engine streams batches through the
stages; the Ray engine calls the very same ``process`` from ``map_batches``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from curate.options import NoOptions, parse_options
from curate.records import Record


@dataclass(slots=True)
class Rejection:
    """A record taken out of the build: by which ``stage``, for which ``reason``.

    ``details`` holds what a user needs to audit the decision: the matched phrase,
    the id of the surviving duplicate (``duplicate_of``), a similarity...
    """

    record: Record
    stage: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The line written to ``rejects.jsonl``: the whole record plus the decision."""
        out = self.record.to_dict()
        out["stage"] = self.stage
        out["reason"] = self.reason
        if self.details:
            out["details"] = self.details
        return out


@dataclass(slots=True)
class BatchResult:
    """What a stage did to one batch."""

    kept: list[Record] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    #: Events worth counting in the manifest, e.g. ``{"mojibake": 3}``.
    counts: Counter[str] = field(default_factory=Counter)


class Stage:
    """One step over batches of records. Subclasses set ``name`` and implement ``process``.

    A stage must not depend on the order of batches beyond what it documents, and must
    never drop a record silently: every record of the input batch is either in
    ``kept`` or in ``rejected``. Return both in the order of the batch, and decide each
    record on its own: engines cut batches differently.
    """

    name: ClassVar[str]
    #: A few microseconds a record: not worth sending to a worker process (the local
    #: engine starts its pool only when some stage before exact dedup is not cheap).
    cheap: ClassVar[bool] = False

    def process(self, batch: list[Record]) -> BatchResult:
        """Keep, change or reject each record of ``batch``."""
        raise NotImplementedError

    def reject(self, record: Record, reason: str, **details: Any) -> Rejection:
        """A :class:`Rejection` by this stage."""
        return Rejection(record, self.name, reason, details)


class Filter(Stage):
    """A cleaning stage provided by a plugin (``register_filters``).

    Class attributes: ``name`` (used by ``--filter NAME``), ``Options`` (a dataclass;
    unknown keys are errors), ``description`` (one line for ``curate filters``) and
    ``default`` (True when the filter belongs to the recommended set that runs when
    the user selects none).
    """

    Options: ClassVar[type] = NoOptions
    description: ClassVar[str] = ""
    default: ClassVar[bool] = False

    def __init__(self, options: Any) -> None:
        self.options = options

    @classmethod
    def from_options(cls, values: dict[str, Any] | None = None) -> Filter:
        """Validate ``values`` against :attr:`Options` and build the filter."""
        return cls(parse_options(cls.Options, values, owner=f"filter {cls.name!r}"))


@dataclass(slots=True)
class PhaseResult:
    """The decisions of a phase, applied by the engine in its next pass over the records.

    ``rejected`` maps record id to ``(reason, details)``; ``groups`` maps record id to a
    split group key (records of one group land on the same side of the split); ``meta``
    maps record id to entries merged into the record's ``meta``; ``report`` is free-form
    data for ``report.html`` and the manifest.
    """

    rejected: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    report: dict[str, Any] = field(default_factory=dict)


class Phase:
    """A step that must see every record before it decides (clustering, near-dup removal).

    ``run`` receives a callable that returns a fresh iterator over all records that
    survived the streaming stages, in the build's deterministic order; it may iterate
    more than once (the local engine reads them back from a spill file). It must not
    hold every record's text in memory at once when it can avoid it.
    """

    name: ClassVar[str]
    #: Set by the engine while the phase runs (see :meth:`step`).
    progress: Callable[[str], None] | None = None

    def run(self, records: Callable[[], Iterator[Record]]) -> PhaseResult:
        raise NotImplementedError

    def step(self, what: str) -> None:
        """Say what the phase is doing now, in a few words (the CLI shows it by the phase's spinner)."""
        if self.progress is not None:
            self.progress(what)

    # -- how a phase shows itself: the CLI and report.html ask each phase of the plan --------

    def summary_lines(self, report: dict[str, Any]) -> list[str]:
        """Plain-text lines the CLI prints after the build's funnel, from this phase's ``report``.

        ``report`` is what :meth:`run` put in :attr:`PhaseResult.report` (as the manifest
        keeps it under the phase's name). Default: none.
        """
        return []

    def report_section(self, report: dict[str, Any]) -> str | None:
        """This phase's section of ``report.html`` (HTML; escape every string that came from data).

        Placed after the length histograms, in the order of the phases. Default: none.
        """
        return None


def run_stages(
    stages: list[Stage], batch: list[Record]
) -> tuple[list[Record], list[Rejection], dict[str, Counter[str]]]:
    """Pass ``batch`` through ``stages`` in order: what survives, what was rejected, counters by stage."""
    rejected: list[Rejection] = []
    counts: dict[str, Counter[str]] = {}
    for stage in stages:
        result = stage.process(batch)
        if len(result.kept) + len(result.rejected) != len(batch):
            raise RuntimeError(
                f"stage {stage.name!r} returned {len(result.kept)} kept + {len(result.rejected)} rejected "
                f"records for a batch of {len(batch)}: a stage must account for every record"
            )
        rejected.extend(result.rejected)
        if result.counts:
            counts[stage.name] = result.counts
        batch = result.kept
    return batch, rejected, counts


def apply_phase(result: PhaseResult, stage: str, batch: Iterable[Record]) -> tuple[list[Record], list[Rejection]]:
    """Apply a phase's decisions to records read back after it ran."""
    kept: list[Record] = []
    rejected: list[Rejection] = []
    for record in batch:
        decision = result.rejected.get(record.id)
        if record.id in result.meta:
            record.meta.update(result.meta[record.id])
        if record.id in result.groups:
            record.meta["group"] = result.groups[record.id]
        if decision is not None:
            rejected.append(Rejection(record, stage, decision[0], decision[1]))
        else:
            kept.append(record)
    return kept, rejected
