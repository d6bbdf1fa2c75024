"""Stages in worker processes, for the local engine: the same batches, the same order, more cores.

The local engine reads and batches records in its own process, as always. With
``workers`` above 1, the stages that decide each record on its own (everything before
exact dedup: repair, normalise, refusal, quality, plugin filters) run in a pool of worker
processes, one batch per task; results come back **in the order the batches were cut**,
and the engine goes on exactly as it would with the results computed in-process (exact
dedup, the stages after it, phases and the writer stay in the engine's process). Outputs
are therefore byte-identical for any number of workers, by construction: the batches are
the same, and each batch's result does not depend on where it was computed.

Memory stays bounded: at most ``2 x workers`` batches are in flight. The pool starts only
once a build has more than one batch, so small builds never pay for starting processes.
Workers are started with ``spawn`` (safe beside the progress bar's thread) and build their
stages once, from the plan's picklable stage factories.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain
from typing import Any

from curate.records import Record
from curate.stages.base import Rejection, Stage, run_stages

StageResult = tuple[list[Record], list[Rejection], dict[str, Counter[str]]]

_STAGES: list[Stage] = []


def available_cores() -> int:
    """The cores this process may use (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _init(factories: list[Callable[[], Stage]], parent: int) -> None:
    global _STAGES
    # Ctrl-C reaches the whole process group: the engine's process handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="curate-parent-watch").start()
    _STAGES = [make() for make in factories]


def _exit_with(parent: int) -> None:
    """End this worker when the engine's process is gone (``kill -9`` of the build leaves no orphan)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _process(batch: list[Record]) -> StageResult:
    return run_stages(_STAGES, batch)


class StagePool:
    """Runs ``factories``' stages over batches in ``workers`` processes; :meth:`map` keeps the input order."""

    def __init__(self, factories: list[Callable[[], Stage]], workers: int) -> None:
        if workers < 2:
            raise ValueError("a StagePool needs at least 2 workers; run the stages in-process instead")
        self.factories = factories
        self.workers = workers
        self.window = 2 * workers
        self._executor: ProcessPoolExecutor | None = None

    def map(self, batches: Iterable[list[Record]], local: list[Stage]) -> Iterator[StageResult]:
        """The stages' result for each batch, in order.

        The first batch is processed in-process with ``local`` (the same stages); the pool
        starts with the second, so a build of one batch starts no process.
        """
        it = iter(batches)
        first = next(it, None)
        if first is None:
            return
        second = next(it, None)
        if second is None:
            yield run_stages(local, first)
            return
        executor = self._start()
        pending: deque[Future[StageResult]] = deque()
        try:
            for batch in chain([first, second], it):
                pending.append(executor.submit(_process, batch))
                if len(pending) >= self.window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(self.factories, os.getpid()),
            )
        return self._executor

    def close(self) -> None:
        """Stop the workers (waiting for none of the cancelled work)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> StagePool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
