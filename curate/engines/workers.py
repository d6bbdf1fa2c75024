"""A producer of the outcome stream over worker processes: the same chunks, the same order, more cores.

The local engine reads and cuts chunks in its own process; with ``workers`` above 1 each
chunk's records are decided (a :class:`~curate.engines.stream.Decider`) in a pool of
``spawn``-started processes, results taken back **in the order the chunks were cut**:
outputs are byte-identical for any number of workers. At most ``2 x workers`` chunks are
in flight; the pool starts with a build's second chunk.
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

from curate.engines.stream import Decider, Item, Kept, Outcome, merge
from curate.records import Record
from curate.stages.base import Rejection

Decided = tuple[list[Kept | Rejection], dict[str, Counter[str]]]

_DECIDER: Decider | None = None


def available_cores() -> int:
    """The cores this process may use (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _init(make: Callable[[], Decider], parent: int) -> None:
    global _DECIDER
    # Ctrl-C reaches the whole process group: the engine's process handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="curate-parent-watch").start()
    _DECIDER = make()


def _exit_with(parent: int) -> None:
    """End this worker when the engine's process is gone (``kill -9`` of the build leaves no orphan)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _decide(records: list[Record]) -> Decided:
    assert _DECIDER is not None, "worker started without its decider"
    return _DECIDER(records)


class StagePool:
    """Decides chunks' records in ``workers`` processes; :meth:`map` keeps the input order."""

    def __init__(self, make: Callable[[], Decider], workers: int) -> None:
        if workers < 2:
            raise ValueError("a StagePool needs at least 2 workers; run the stages in-process instead")
        self.make = make
        self.workers = workers
        self.window = 2 * workers
        self._executor: ProcessPoolExecutor | None = None

    def map(self, chunks: Iterable[list[Item]], local: Decider) -> Iterator[list[Outcome]]:
        """Each chunk with its records decided, in order.

        The first chunk is decided in-process with ``local`` (the same decider); the pool
        starts with the second, so a build of one chunk starts no process.
        """
        it = iter(chunks)
        first = next(it, None)
        if first is None:
            return
        second = next(it, None)
        if second is None:
            yield local.outcomes(first)
            return
        executor = self._start()
        pending: deque[tuple[list[Item], Future[Decided]]] = deque()
        try:
            for chunk in chain([first, second], it):
                records = [x for x in chunk if isinstance(x, Record)]
                pending.append((chunk, executor.submit(_decide, records)))
                if len(pending) >= self.window:
                    done, future = pending.popleft()
                    yield merge(done, *future.result())
            while pending:
                done, future = pending.popleft()
                yield merge(done, *future.result())
        finally:
            for _, future in pending:
                future.cancel()

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(self.make, os.getpid()),
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
