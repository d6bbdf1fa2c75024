"""The Ray Data engine: a third producer of the outcome stream, spread over a Ray cluster.

``curate build ... --engine ray [--ray-address auto|ray://HOST:PORT]`` (or
``engine = "ray"`` under ``[build]``, or ``Pipeline().set(engine="ray")``). Without
an address Ray starts a local cluster for the build and stops it afterwards; when
Ray is already initialised in the process, the build uses that connection.

How a build runs:

1. The driver resolves the sources as the local engine does; files larger than
   ``[build] shard_mb`` whose importer can cut them are cut into shards (:mod:`.read`).
2. Each file or shard is one task: it reads, cuts chunks of ``batch_size`` records and
   decides them with the build's :class:`~curate.stream.Decider`.
3. The driver streams the chunks in input order (``preserve_order``) into the local
   engine's :class:`~curate.stream.Sink` (exact dedup, the ledger): the
   outputs are the local engine's, byte for byte, by construction.
4. Phases run over the driver's spill and decide on the driver; the compute the engine
   lends them (:class:`~curate.engines.ray.compute.RayCompute`) does their heavy steps
   (embedding, the passes over vectors) on the cluster.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Generator
from contextlib import closing
from dataclasses import replace
from functools import partial
from typing import Any

from curate.engines.local import drain
from curate.engines.ray.cluster import connected, data_context, import_ray
from curate.engines.ray.compute import RayCompute
from curate.engines.ray.iterate import each_batch
from curate.engines.ray.read import Dataset, decided_rows
from curate.ledger import Ledger
from curate.plan import Plan, Reporter
from curate.sources import FileTask, resolve_sources
from curate.stream import Outcome, decider_factory
from curate.writer import SplitWriter

__all__ = ["run"]


def run(plan: Plan, ledger: Ledger, reporter: Reporter, *, debug: bool = False) -> tuple[SplitWriter, dict[str, Any]]:
    """Run ``plan`` on Ray into ``ledger``; returns the writer (for lengths) and the phases' reports."""
    ray = import_ray()
    config = plan.config
    if not plan.stage_factories:  # a plan built by hand: the workers get copies of its stages
        plan = replace(plan, stage_factories=[partial(copy.deepcopy, s) for s in plan.stages])
    tasks = list(resolve_sources(config.sources, plan.registry, exclude=plan.exclude))
    files = [(i, t) for i, t in enumerate(tasks) if isinstance(t, FileTask)]
    with connected(ray, config.ray_address), data_context(ray):
        rows = None
        if files:
            make = decider_factory(plan)
            rows = decided_rows(files, make, shard_bytes=config.shard_bytes, chunk=config.batch_size, debug=debug)
        with closing(in_order(tasks, rows)) as outcomes:  # a failed build stops the cluster's reads at once
            return drain(plan, ledger, reporter, outcomes, compute=RayCompute)


def in_order(tasks: list[Any], rows: Dataset | None) -> Generator[list[Outcome], None, None]:
    """The decided chunks, each file's task (or source error) before its outcomes."""
    started = 0
    if rows is not None:
        with each_batch(rows, "pyarrow") as batches:
            for batch in batches:
                files, blobs = batch.column("file").to_pylist(), batch.column("outcomes").to_pylist()
                for index, blob in zip(files, blobs, strict=True):
                    if index >= started:
                        yield tasks[started : index + 1]
                        started = index + 1
                    yield pickle.loads(blob)
    yield tasks[started:]
