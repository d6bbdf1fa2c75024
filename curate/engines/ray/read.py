"""Reading and deciding on the workers: one Ray task per job of the unit plan (:mod:`curate.units`),
which yields one Arrow row per decided chunk (the index of the part it read, the outcomes pickled)."""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from curate.engines.ray.iterate import Dataset
from curate.errors import SourceError
from curate.sources import FileTask, plan_shards
from curate.stream import Decider, Item, Outcome, chunked
from curate.units import Job, Local, Part, Tail, Unit, part_items, plan_jobs, tail_items

if TYPE_CHECKING:
    import pyarrow as pa

#: At most this many read blocks; beyond, a block holds several read tasks, read in order.
MAX_READ_BLOCKS = 4096


def plan(tasks: Iterable[FileTask | SourceError], target_bytes: int) -> list[Job]:
    """The build's jobs (:func:`~curate.units.plan_jobs`), the files to cut cut in Ray tasks, all at once.

    Finding line ends is a pass over a file, never made by the driver: a first plan (each
    file to cut read whole) starts one task per file to cut, the second takes their shards.
    A file that cannot be cut (:class:`~curate.units.Local`) is read whole, by a task. Paths
    are made absolute, so that a worker with another working folder finds the file.
    """
    import ray

    tasks = [
        t if isinstance(t, SourceError) else replace(t, file=replace(t.file, path=t.file.path.absolute()))
        for t in tasks
    ]
    cut = ray.remote(num_cpus=1)(plan_shards)
    started: list[Any] = []
    list(plan_jobs(tasks, target_bytes, lambda task, size: started.append(cut.remote(task, size))))  # None: whole
    shards = iter(ray.get(started))
    jobs = plan_jobs(tasks, target_bytes, lambda task, size: next(shards))
    return [Unit((Part(job.task),)) if isinstance(job, Local) else job for job in jobs]


def heads(jobs: list[Job]) -> list[list[Outcome]]:
    """What the driver puts before each part's outcomes (a tail is one part), then after the last one:
    the source errors before it, and its file's task where the part starts a file."""
    out: list[list[Outcome]] = [[]]
    for job in jobs:
        if isinstance(job, SourceError):
            out[-1].append(job)
            continue
        for part in job.parts if isinstance(job, Unit) else (None,):
            if part is not None and (part.shard is None or part.shard.index == 0):
                out[-1].append(part.task)
            out.append([])
    return out


def decided_rows(jobs: list[Job], make: Callable[[], Decider], *, chunk: int, debug: bool) -> Dataset | None:
    """The dataset of every job's decided chunks (columns ``part``, ``outcomes``), in input order; ``None``: no job
    to read. Parts are numbered across jobs as in :func:`heads`."""
    import ray.cloudpickle
    import ray.data

    items, first = [], 0
    for job in jobs:
        if not isinstance(job, SourceError):
            items.append({"part": first, "job": ray.cloudpickle.dumps(job)})
            first += len(job.parts) if isinstance(job, Unit) else 1
    if not items:
        return None
    ds: Dataset = ray.data.from_items(items, override_num_blocks=min(len(items), MAX_READ_BLOCKS))
    options = {"build": uuid.uuid4().hex, "make": make, "chunk": chunk, "debug": debug}
    return ds.map_batches(decide_jobs, batch_size=1, batch_format="pyarrow", fn_kwargs=options)


#: The decider of the current build, built once per worker process.
_BUILT: dict[str, Decider] = {}


def decide_jobs(
    batch: pa.Table, *, build: str, make: Callable[[], Decider], chunk: int, debug: bool
) -> Iterator[pa.Table]:
    """``map_batches`` function: read the jobs of ``batch`` (columns ``part``, ``job``) and decide them."""
    import pyarrow as pa
    import ray.cloudpickle

    decider = _BUILT.get(build)
    if decider is None:
        _BUILT.clear()
        decider = _BUILT[build] = make()
    schema = pa.schema([("part", pa.int64()), ("outcomes", pa.large_binary())])
    for first, blob in zip(batch.column("part").to_pylist(), batch.column("job").to_pylist(), strict=True):
        job: Unit | Tail = ray.cloudpickle.loads(blob)
        parts: list[Iterator[Item]] = (
            [iter(tail_items(job))] if isinstance(job, Tail) else [part_items(p, debug=debug) for p in job.parts]
        )
        for index, items in enumerate(parts, first):
            for decided in chunked(items, chunk):
                data = pickle.dumps(decider.outcomes(decided), protocol=pickle.HIGHEST_PROTOCOL)
                yield pa.table({"part": [index], "outcomes": [data]}, schema=schema)
