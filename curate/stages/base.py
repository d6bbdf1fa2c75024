"""The stage contract, which does not depend on the engine that runs it.

A :class:`Stage` decides each record on its own: :meth:`Stage.check` returns keep,
drop (a reason and details) or a changed record, and the base class runs the batch loop.
Filters that need vectorised work implement the batch hook :meth:`Stage.process`
instead. Engines call :func:`decide_stages`, which gives every record's fate in input
order; a stage that needs a key shared by the whole input (exact dedup) declares it with
``keyed`` (see :class:`KeyedStage`).
"""

from __future__ import annotations

import inspect
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from curate.options import NoOptions, parse_options
from curate.records import Record

if TYPE_CHECKING:
    from curate.stages.compute import Compute


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


@dataclass(frozen=True, slots=True)
class Drop:
    """A :meth:`Stage.check` verdict: reject the record for ``reason`` (``details`` go to rejects.jsonl)."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)


#: What :meth:`Stage.check` returns for a record: ``None`` keeps it (changed in place or not),
#: a :class:`~curate.records.Record` keeps that record instead (a cut or rewritten copy), and a
#: :class:`Drop` rejects it.
Verdict = Record | Drop | None

#: A record's fate after some stages: the record kept (possibly changed), or its rejection.
Fate = Record | Rejection


class Stage:
    """One step over records. Subclasses set ``name`` and implement ``check`` (or ``process``).

    The narrow API is :meth:`check`: one record in, one :data:`Verdict` out; the base class
    runs the batch loop, keeps the order and turns drops into rejections. Filters that need
    vectorised work over a whole batch override :meth:`process` instead; they must account
    for every record of the batch (in ``kept`` or ``rejected``), in the batch's order, and
    decide each record on its own: engines cut batches differently.
    """

    name: ClassVar[str]
    #: Where the stage runs among the filters (lower first); filters below 0 see the text
    #: before normalisation.
    order: ClassVar[int] = 100
    #: A few microseconds a record: not worth sending to a worker process (the local
    #: engine starts its pool only when some stage before a keyed stage is not cheap).
    cheap: ClassVar[bool] = False
    #: True for a stage that decides by a key shared by the whole input (exact dedup): see
    #: :class:`KeyedStage`. Engines compute ``key`` wherever the record is decided and call
    #: ``admit`` in one place, in input order; the stages after it run there too.
    keyed: ClassVar[bool] = False

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        """Keep, change or drop ``record``; ``counts`` receives events for the manifest."""
        raise NotImplementedError(f"stage {self.name!r} implements neither check nor process")

    def process(self, batch: list[Record]) -> BatchResult:
        """Keep, change or reject each record of ``batch`` (by default, :meth:`check` on each)."""
        result = BatchResult()
        for fate in self.decide(batch, result.counts):
            if isinstance(fate, Rejection):
                result.rejected.append(fate)
            else:
                result.kept.append(fate)
        return result

    def decide(self, batch: list[Record], counts: Counter[str]) -> list[Fate]:
        """The fate of each record of ``batch``, in order."""
        if type(self).process is Stage.process:
            return [self.fate(record, self.check(record, counts)) for record in batch]
        result = self.process(batch)
        if len(result.kept) + len(result.rejected) != len(batch):
            raise RuntimeError(
                f"stage {self.name!r} returned {len(result.kept)} kept + {len(result.rejected)} rejected "
                f"records for a batch of {len(batch)}: a stage must account for every record"
            )
        counts.update(result.counts)
        return _align(self.name, batch, result)

    def fate(self, record: Record, verdict: Verdict) -> Fate:
        """The fate a verdict gives ``record``."""
        if verdict is None:
            return record
        if isinstance(verdict, Drop):
            return Rejection(record, self.name, verdict.reason, verdict.details)
        return verdict

    def reject(self, record: Record, reason: str, **details: Any) -> Rejection:
        """A :class:`Rejection` by this stage."""
        return Rejection(record, self.name, reason, details)


class KeyedStage(Protocol):
    """A stage whose decision depends on every record before it in input order (exact dedup).

    ``key`` is a pure function of the record (engines compute it in parallel, next to the
    stages before it); ``admit`` is called once per record, in input order, in one process.
    """

    name: str
    keyed: bool

    def key(self, record: Record) -> int: ...
    def admit(self, record: Record, key: int) -> Verdict: ...
    def fate(self, record: Record, verdict: Verdict) -> Fate: ...


def _align(stage: str, batch: list[Record], result: BatchResult) -> list[Fate]:
    """``result``'s records put back in the places of ``batch``: by identity, else by id."""
    fates: list[Fate | None] = [None] * len(batch)
    place = {id(record): i for i, record in enumerate(batch)}
    lost: list[Fate] = []
    outputs: list[Fate] = [*result.kept, *result.rejected]
    for fate in outputs:
        record = fate.record if isinstance(fate, Rejection) else fate
        i = place.pop(id(record), None)
        if i is None:
            lost.append(fate)
        else:
            fates[i] = fate
    for fate in lost:  # a stage that returned copies: the first free place with the same id
        rid = (fate.record if isinstance(fate, Rejection) else fate).id
        i = next((i for i, f in enumerate(fates) if f is None and batch[i].id == rid), None)
        if i is None:
            raise RuntimeError(f"stage {stage!r} returned record {rid}, which was not in its batch, or twice")
        fates[i] = fate
    return fates  # type: ignore[return-value]  # every place is filled: the counts matched


def decide_stages(stages: list[Stage], batch: list[Record]) -> tuple[list[Fate], dict[str, Counter[str]]]:
    """Pass ``batch`` through ``stages``: each record's fate, in order, and counters by stage."""
    fates: list[Fate] = list(batch)
    counts: dict[str, Counter[str]] = {}
    for stage in stages:
        live = [i for i, fate in enumerate(fates) if not isinstance(fate, Rejection)]
        if not live:
            break
        events: Counter[str] = Counter()
        for i, fate in zip(live, stage.decide([fates[i] for i in live], events), strict=True):  # type: ignore[misc]
            fates[i] = fate
        if events:
            counts[stage.name] = events
    return fates, counts


def run_stages(
    stages: list[Stage], batch: list[Record]
) -> tuple[list[Record], list[Rejection], dict[str, Counter[str]]]:
    """Pass ``batch`` through ``stages``: what survives, what was rejected (in batch order), counters by stage."""
    fates, counts = decide_stages(stages, batch)
    return [f for f in fates if not isinstance(f, Rejection)], [f for f in fates if isinstance(f, Rejection)], counts


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
    hold every record's text in memory at once when it can avoid it. It also receives
    the engine's :class:`~curate.stages.compute.Compute`: the heavy steps (embedding, the
    passes over vectors) go through it, so that they run where the engine runs.

    A ``run(self, records)`` without ``compute`` (phases written before the engines lent
    one) still runs, with a :class:`DeprecationWarning`; that form will be removed.
    """

    name: ClassVar[str]
    #: Set by the engine while the phase runs (see :meth:`step`).
    progress: Callable[[str], None] | None = None

    def run(self, records: Callable[[], Iterator[Record]], compute: Compute) -> PhaseResult:
        """Decide on ``records`` (see the class docstring), with ``compute`` for the heavy steps."""
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


def run_phase(phase: Phase, records: Callable[[], Iterator[Record]], compute: Compute) -> PhaseResult:
    """``phase.run(records, compute)``; a phase written before the compute seam, ``run(records)``, gets none.

    The older form is deprecated: it warns once per phase class (:func:`_warn_old_run`).
    """
    if _takes_compute(phase.run):
        return phase.run(records, compute)
    _warn_old_run(type(phase))
    return phase.run(records)  # type: ignore[call-arg]  # the older signature, still accepted


#: The phase classes already warned about their ``run(records)``.
_warned_old_run: set[type[Phase]] = set()


def _warn_old_run(cls: type[Phase]) -> None:
    """A :class:`DeprecationWarning` that ``cls.run`` takes no compute, once per class.

    The warning is located at the phase's ``run`` (its file and line) and attributed to the
    phase's module, so warning filters match the phase's code rather than curate's: a phase
    defined in a script (``__main__``) shows it with Python's default filters, a phase in a
    package shows it under pytest or ``python -W default::DeprecationWarning``.
    """
    if cls in _warned_old_run:
        return
    _warned_old_run.add(cls)
    name = getattr(cls, "name", cls.__name__)
    message = (
        f"phase {name!r} ({cls.__module__}.{cls.__qualname__}) defines run(self, records): "
        "write run(self, records, compute) instead (compute is the engine's curate.Compute; a phase "
        "that does not need it can ignore it); the form without compute is deprecated and will be removed"
    )
    code = getattr(getattr(cls.run, "__func__", cls.run), "__code__", None)
    if code is None:
        warnings.warn(message, DeprecationWarning, stacklevel=3)
        return
    warnings.warn_explicit(message, DeprecationWarning, code.co_filename, code.co_firstlineno, module=cls.__module__)


def _takes_compute(run: Callable[..., Any]) -> bool:
    """Whether a bound ``run`` accepts a second positional argument."""
    try:
        parameters = list(inspect.signature(run).parameters.values())
    except (TypeError, ValueError):  # no signature to read: assume the current one
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


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
