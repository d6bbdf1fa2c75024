"""Reading and deciding on the workers: one Ray task per job of the unit plan (:mod:`curate.units`),
which yields one Arrow row per decided chunk (the index of the part it read, the outcomes pickled)."""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from curate.engines.ray.iterate import Dataset
from curate.errors import SourceError
from curate.sources import FileTask, plan_shards
from curate.stream import Decider, Outcome, chunked
from curate.units import UNIT_BYTES, Job, Local, Part, Tail, Unit, file_size, part_items, plan_jobs, tail_items

if TYPE_CHECKING:
    import pyarrow as pa

#: At most this many read blocks; beyond, a block holds several jobs, read in order.
MAX_READ_BLOCKS = 4096


def plan(tasks: Iterable[FileTask | SourceError], shard_bytes: int) -> list[Job]:
    """The build's jobs (:func:`~curate.units.plan_jobs`), paths made absolute (a worker may run elsewhere).

    Units hold about a quarter of a CPU's share of the input, from 1 MiB up to ``shard_bytes``
    (``[build] shard_mb``; 0: files read whole). The driver reads no file: a first plan starts
    a Ray task per file to cut (a pass over its bytes), the second takes their shards. A file
    that cannot be cut (:class:`~curate.units.Local`) is read whole by a task.
    """
    import ray

    tasks = [
        t if isinstance(t, SourceError) else replace(t, file=replace(t.file, path=t.file.path.absolute()))
        for t in tasks
    ]
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    share = sum(file_size(t) for t in tasks if isinstance(t, FileTask)) // (4 * cpus)
    target_bytes = min(shard_bytes, max(UNIT_BYTES, share))
    cut, refs = ray.remote(num_cpus=1)(plan_shards), {}

    def ask(task: FileTask, size: int) -> None:  # the first plan's cut: start it, read the file whole for now
        refs[task.file.path, size] = cut.remote(task, size)

    list(plan_jobs(tasks, target_bytes, ask))
    shards = dict(zip(refs, ray.get(list(refs.values())), strict=True))
    jobs = plan_jobs(tasks, target_bytes, lambda task, size: shards.get((task.file.path, size)))
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
            if part is not None and part.starts_file:
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
        parts = [tail_items(job)] if isinstance(job, Tail) else [part_items(p, debug=debug) for p in job.parts]
        for index, items in enumerate(parts, first):
            for decided in chunked(items, chunk):
                data = pickle.dumps(decider.outcomes(decided), protocol=pickle.HIGHEST_PROTOCOL)
                yield pa.table({"part": [index], "outcomes": [data]}, schema=schema)
