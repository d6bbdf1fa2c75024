"""Reading and deciding on the workers: each file, or each shard of a large one, is one task,
which yields one Arrow row per decided chunk (the file's index, the outcomes pickled)."""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from curate.importing import Shard
from curate.ledger import sha256_file
from curate.sources import FileTask, plan_shards, read_file, read_shard, splittable
from curate.stream import Decider, FileDigest, Item, chunked

if TYPE_CHECKING:
    import pyarrow as pa

#: A ``ray.data.Dataset``, typed loosely: Ray's annotations reject keyword-only UDFs.
Dataset = Any
#: What one read task reads: a file's index, the file, and a shard of it (``None``: all of it).
ReadUnit = tuple[int, FileTask, Shard | None]
#: At most this many read blocks; beyond, a block holds several read tasks, read in order.
MAX_READ_BLOCKS = 4096


def decided_rows(
    files: list[tuple[int, FileTask]], make: Callable[[], Decider], *, shard_bytes: int, chunk: int, debug: bool
) -> Dataset:
    """The dataset of every file's decided chunks (columns ``file``, ``outcomes``), in input order."""
    import ray.cloudpickle
    import ray.data

    units = read_units(files, shard_bytes)
    items = [{"file": i, "task": ray.cloudpickle.dumps((t, shard))} for i, t, shard in units]
    ds: Dataset = ray.data.from_items(items, override_num_blocks=min(len(items), MAX_READ_BLOCKS))
    options = {"build": uuid.uuid4().hex, "make": make, "chunk": chunk, "debug": debug}
    return ds.map_batches(decide_units, batch_size=1, batch_format="pyarrow", fn_kwargs=options)


def read_units(files: list[tuple[int, FileTask]], shard_bytes: int) -> list[ReadUnit]:
    """The read tasks of a build, in input order: each file whole, or each of its shards.

    The files worth asking are cut by their importers in Ray tasks, one a file, all at
    once: finding line ends is a pass over the whole file.
    """
    import ray

    portable = [(i, _portable(t)) for i, t in files]
    asks = {i: t for i, t in portable if _worth_cutting(t, shard_bytes)}
    planned: dict[int, list[Shard] | None] = {}
    if asks:
        cut = ray.remote(num_cpus=1)(plan_shards)
        refs = {i: cut.remote(t, shard_bytes) for i, t in asks.items()}
        planned = dict(zip(refs, ray.get(list(refs.values())), strict=True))
    units: list[ReadUnit] = []
    for i, task in portable:
        shards = planned.get(i)
        units.extend([(i, task, None)] if shards is None else [(i, task, shard) for shard in shards])
    return units


def _worth_cutting(task: FileTask, shard_bytes: int) -> bool:
    if shard_bytes < 1 or not splittable(task):
        return False
    try:
        return task.file.path.stat().st_size > shard_bytes
    except OSError:
        return False  # the read reports it


def _portable(task: FileTask) -> FileTask:
    """The task with an absolute path, so that a worker with another working folder finds the file."""
    return replace(task, file=replace(task.file, path=task.file.path.absolute()))


def unit_items(task: FileTask, shard: Shard | None, *, debug: bool = False) -> Iterator[Item]:
    """One file's (or one shard's) items, in file order, with the file's digest.

    A file read whole ends with the digest of the bytes its importer read
    (:class:`~curate.importing.ReadMeter`); a file cut into shards is hashed by the task
    of its shard 0, in a pass of its own, as the shards' reads cannot be chained.
    """
    if shard is None:
        yield from read_file(task, debug=debug)
        yield FileDigest(*task.file.meter.finish(task.file.path))
        return
    if shard.index == 0:
        yield FileDigest(task.file.path.stat().st_size, sha256_file(task.file.path)[0])
    yield from read_shard(task, shard, debug=debug)


#: The decider of the current build, built once per worker process.
_BUILT: dict[str, Decider] = {}


def decide_units(
    batch: pa.Table, *, build: str, make: Callable[[], Decider], chunk: int, debug: bool
) -> Iterator[pa.Table]:
    """``map_batches`` function: read the units of ``batch`` (columns ``file``, ``task``) and decide them."""
    import pyarrow as pa
    import ray.cloudpickle

    decider = _BUILT.get(build)
    if decider is None:
        _BUILT.clear()
        decider = _BUILT[build] = make()
    schema = pa.schema([("file", pa.int64()), ("outcomes", pa.large_binary())])
    for index, blob in zip(batch.column("file").to_pylist(), batch.column("task").to_pylist(), strict=True):
        task, shard = ray.cloudpickle.loads(blob)
        for items in chunked(unit_items(task, shard, debug=debug), chunk):
            data = pickle.dumps(decider.outcomes(items), protocol=pickle.HIGHEST_PROTOCOL)
            yield pa.table({"file": [index], "outcomes": [data]}, schema=schema)
