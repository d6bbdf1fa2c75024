"""A producer of the outcome stream over worker processes: the same outcomes, the same order, more cores.

With ``workers`` above 1 the local engine hands the jobs of :func:`~curate.units.plan_jobs`
to a pool of processes: a worker **reads** a unit (small files whole, or a shard of a large
one), decides its records (a :class:`~curate.stream.Decider`: the stages before exact
dedup, the dedup key, the rendering) and sends the outcomes back; a file that cannot be cut is
read by the engine's process and only its chunks are decided in the pool. Results are taken
back **in input order**, so outputs are byte-identical for any number of workers, and only
the sink (exact dedup, the ledger, the writer) runs in the engine's process. At most
``2 x workers`` jobs are in flight (a unit is about :data:`~curate.units.UNIT_BYTES`
of input): memory does not grow with the input.

On Linux the workers are forked from the engine's process, which has built the stages
already (no start-up cost); elsewhere, or when a threaded native runtime (torch...) is
loaded, they are spawned and build the stages from the plan's factories. A build of one job
starts no process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from curate.engines.transport import pack, unpack
from curate.errors import BuildFailed
from curate.records import Record
from curate.sources import read_file
from curate.stream import Decider, FileDigest, Item, Outcome, chunked, merge
from curate.units import Job, Local, Part, Tail, Unit, file_size, part_items, tail_items

#: Modules whose thread pools do not survive ``fork``: with one loaded, workers are spawned.
FORK_UNSAFE = ("torch", "tensorflow", "jax")

_DECIDER: Decider | None = None


def available_cores() -> int:
    """The cores this process may use (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def start_method(spawn_possible: bool = True) -> str:
    """``fork`` on Linux unless a module in :data:`FORK_UNSAFE` is loaded (or ``spawn_possible`` is False), else
    ``spawn``."""
    forkable = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
    if forkable and (not spawn_possible or not any(name in sys.modules for name in FORK_UNSAFE)):
        return "fork"
    return "spawn"


def _init(decider: Decider | Callable[[], Decider], parent: int) -> None:
    global _DECIDER
    # What the worker inherited lives as long as it does: the collector need not walk it again
    # (each walk would also copy every page it touches from the engine's process).
    gc.freeze()
    # Ctrl-C reaches the whole process group: the engine's process handles it and stops the pool,
    # ending its workers with SIGTERM (a forked worker would otherwise keep the CLI's handler, which
    # only interrupts the job at hand).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="curate-parent-watch").start()
    _DECIDER = decider if isinstance(decider, Decider) else decider()


def _exit_with(parent: int) -> None:
    """End this worker when the engine's process is gone (``kill -9`` of the build leaves no orphan)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    assert _DECIDER is not None, "worker started without its decider"
    return fn(_DECIDER, *args)


# -- what a worker runs (``fn(decider, *args)``; in the engine's process for a build of one job) --


def _read_unit(decider: Decider, parts: tuple[Part, ...], size: int, debug: bool) -> list[list[Any]]:
    """Each part read and its records decided ``size`` at a time, packed (:func:`~.transport.pack`)."""
    out = []
    for part in parts:
        outcomes: list[Any] = []
        for chunk in chunked(part_items(part, debug=debug), size):
            outcomes.extend(pack(decider.outcomes(chunk)))
        out.append(outcomes)
    return out


def _read_tail(decider: Decider, tail: Tail) -> list[Item]:
    return tail_items(tail)


def _decide(decider: Decider, records: list[Record]) -> Any:
    decided, counts = decider(records)
    return pack(decided), counts  # type: ignore[arg-type]


@dataclass
class _Slot:
    """One place in the output order: a job sent to a worker (``send``) or items ready as they are."""

    finish: Callable[[Any], list[Outcome]]
    send: tuple[Any, ...] | None = None  # (fn, *args)
    future: Future[Any] | None = field(default=None, repr=False)


class WorkerPool:
    """Reads and decides jobs in ``workers`` processes; :meth:`outcomes` keeps the input order."""

    def __init__(self, decider: Decider, make: Callable[[], Decider] | None, workers: int) -> None:
        if workers < 2:
            raise ValueError("a WorkerPool needs at least 2 workers; run the stages in-process instead")
        self.decider = decider
        self.make = make
        self.workers = workers
        self.window = 2 * workers
        self._executor: ProcessPoolExecutor | None = None

    def outcomes(self, jobs: Iterable[Job], *, batch_size: int, debug: bool = False) -> Iterator[list[Outcome]]:
        """The decided chunks of ``jobs``, in input order."""
        pending: deque[_Slot] = deque()
        held: _Slot | None = None  # the first job sent, until a second one starts the pool
        sent = 0
        # Jobs left in flight when this stops early are the pool's to cancel (close): a future
        # cancelled here could meet the pool's own failing of it (Python 3.11 then breaks).
        for slot in self._slots(jobs, batch_size, debug):
            if slot.send is not None:
                if self._executor is None and held is None:
                    held = slot
                else:
                    if held is not None:
                        self._submit(held)
                        held, sent = None, sent + 1
                    self._submit(slot)
                    sent += 1
            pending.append(slot)
            while pending and pending[0] is not held and (pending[0].future is None or sent >= self.window):
                first = pending.popleft()
                if first.future is not None:
                    sent -= 1
                yield self._finish(first)
        while pending:
            yield self._finish(pending.popleft())

    def _finish(self, slot: _Slot) -> list[Outcome]:
        if slot.send is None:
            return slot.finish(None)
        if slot.future is None:  # the one job of the build: decided here
            fn, *args = slot.send
            return slot.finish(fn(self.decider, *args))
        try:
            return slot.finish(slot.future.result())
        except BrokenProcessPool as exc:
            raise BuildFailed(
                f"a worker process ended abruptly ({exc})",
                hint="it may have run out of memory: run with fewer --workers, or --workers 1",
            ) from exc

    def _submit(self, slot: _Slot) -> None:
        assert slot.send is not None
        executor = self._start()
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork() in a process with threads (a progress bar's); the
            # workers use none of the locks those threads hold.
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            slot.future = executor.submit(_call, *slot.send)

    def _slots(self, jobs: Iterable[Job], size: int, debug: bool) -> Iterator[_Slot]:
        """Each job as slots, in order: what to send to a worker and how to turn its answer into outcomes."""
        for job in jobs:
            if isinstance(job, Unit):
                yield _Slot(_UnitOutcomes(job.parts), (_read_unit, job.parts, size, debug))
            elif isinstance(job, Tail):
                yield _Slot(_as_outcomes, (_read_tail, job))
            elif isinstance(job, Local):
                yield from self._local(job, size, debug)
            else:
                yield _Slot(_Ready([job]))

    def _local(self, job: Local, size: int, debug: bool) -> Iterator[_Slot]:
        """A file read here, chunk by chunk as the window allows; the workers decide the chunks."""
        task = job.task
        yield _Slot(_Ready([task]))
        for chunk in chunked(read_file(task, debug=debug), size):
            records = [x for x in chunk if isinstance(x, Record)]
            yield _Slot(_Merge(chunk), (_decide, records))
        yield _Slot(_Ready([FileDigest.of(task.file)]))

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            method = start_method(spawn_possible=self.make is not None)
            init: Decider | Callable[[], Decider] = self.decider if method == "fork" else self.make  # type: ignore[assignment]
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_init,
                initargs=(init, os.getpid()),
            )
        return self._executor

    def close(self, *, abort: bool = False) -> None:
        """Stop the workers (waiting for none of the cancelled work); ``abort`` (a failed or interrupted build)
        ends the ones still at work at once rather than letting them finish their jobs."""
        if self._executor is not None:
            if abort:
                # ProcessPoolExecutor lets a started job run to its end (Python 3.14 adds terminate_workers).
                for process in list((getattr(self._executor, "_processes", None) or {}).values()):
                    process.terminate()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: Any) -> None:
        self.close(abort=kind is not None)


@dataclass(frozen=True, slots=True)
class _Ready:
    items: list[Outcome]

    def __call__(self, _: Any) -> list[Outcome]:
        return self.items


def _as_outcomes(items: list[Outcome]) -> list[Outcome]:
    return items


@dataclass(frozen=True, slots=True)
class _Merge:
    chunk: list[Item]

    def __call__(self, decided: Any) -> list[Outcome]:
        packed, counts = decided
        return merge(self.chunk, unpack(packed), counts)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _UnitOutcomes:
    """A unit's outcomes, each file's task before its first part; the files' read progress moved on."""

    parts: tuple[Part, ...]

    def __call__(self, decided: list[list[Any]]) -> list[Outcome]:
        out: list[Outcome] = []
        for part, outcomes in zip(self.parts, decided, strict=True):
            if part.starts_file:
                out.append(part.task)
            out.extend(unpack(outcomes))
            meter = part.task.file.meter
            meter.bytes_read = part.shard.end if part.shard is not None else max(meter.bytes_read, file_size(part.task))
        return out
