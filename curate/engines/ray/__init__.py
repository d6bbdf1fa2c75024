"""The Ray Data engine: a third producer of the outcome stream, spread over a Ray cluster.

``curate build ... --engine ray [--ray-address auto|ray://HOST:PORT]`` (or
``engine = "ray"`` under ``[build]``, or ``Pipeline().set(engine="ray")``). Without
an address Ray starts a local cluster for the build and stops it afterwards; when
Ray is already initialised in the process, the build uses that connection.

How a build runs:

1. The driver resolves the sources as the local engine does and plans the units of
   :mod:`curate.units` (about 4 a CPU, at most ``[build] shard_mb``): small files grouped,
   larger ones cut into shards by Ray tasks where their importer can (:mod:`.read`).
2. Each unit is one task (so is each cut file's tail: its decoding's warning, its digest):
   it reads, cuts chunks of ``batch_size`` records and decides them with the build's
   :class:`~curate.stream.Decider`.
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
from curate.engines.ray import read
from curate.engines.ray.cluster import connected, data_context, import_ray
from curate.engines.ray.compute import RayCompute
from curate.engines.ray.iterate import Dataset, each_batch
from curate.ledger import Ledger
from curate.plan import Plan, Reporter
from curate.sources import resolve_sources
from curate.stream import Outcome, decider_factory
from curate.writer import SplitWriter

__all__ = ["run"]


def run(plan: Plan, ledger: Ledger, reporter: Reporter, *, debug: bool = False) -> tuple[SplitWriter, dict[str, Any]]:
    """Run ``plan`` on Ray into ``ledger``; returns the writer (for lengths) and the phases' reports."""
    ray = import_ray()
    config = plan.config
    if not plan.stage_factories:  # a plan built by hand: the workers get copies of its stages
        plan = replace(plan, stage_factories=[partial(copy.deepcopy, s) for s in plan.stages])
    tasks = resolve_sources(config.sources, plan.registry, exclude=plan.exclude)
    with connected(ray, config.ray_address), data_context(ray):
        jobs = read.plan(tasks, config.shard_bytes)
        rows = read.decided_rows(jobs, decider_factory(plan), chunk=config.batch_size, debug=debug)
        with closing(in_order(read.heads(jobs), rows)) as outcomes:  # a failed build stops the cluster's reads at once
            return drain(plan, ledger, reporter, outcomes, compute=RayCompute)


def in_order(heads: list[list[Outcome]], rows: Dataset | None) -> Generator[list[Outcome], None, None]:
    """The decided chunks, each part's head (:func:`.read.heads`) before its outcomes."""
    started = 0
    if rows is not None:
        with each_batch(rows, "pyarrow") as batches:
            for batch in batches:
                parts, blobs = batch.column("part").to_pylist(), batch.column("outcomes").to_pylist()
                for index, blob in zip(parts, blobs, strict=True):
                    if index >= started:
                        yield [o for head in heads[started : index + 1] for o in head]
                        started = index + 1
                    yield pickle.loads(blob)
    yield [o for head in heads[started:] for o in head]
