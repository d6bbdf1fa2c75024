"""The semantic phase on a Ray cluster: embeddings in an actor pool, decisions on the driver.

Embedding is the expensive part of the semantic phase. :func:`embed_on_cluster` finds
the texts the phase's embedding cache lacks and embeds them in a pool of actors, one
model per actor (one actor per GPU when the cluster has GPUs, else one per CPU but
one), then stores the vectors in the phase's cache on the driver. The phase then runs
as usual on the driver and finds every vector cached: K-means, near-duplicates and
rebalancing decide exactly as with the local engine, from the same float16 vectors.

A semantic phase offers this path to the Ray engine with::

    def run_ray(self, dataset, records):
        from curate.engines.ray_semantic import run_semantic_on_ray

        return run_semantic_on_ray(self, dataset, records)

What is left on the driver (reading every vector for K-means, comparing within
clusters) is described in ``docs/scaling.md``, with the next step: K-means fitted on
a sample and assigned in parallel, near-duplicates found per cluster (``groupby``).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from curate.engines.ray_engine import phase_records
from curate.records import Record
from curate.stages.base import PhaseResult

if TYPE_CHECKING:
    import pyarrow as pa

Dataset = Any  # a ray.data.Dataset

#: Texts per call of an embedding actor (the embedder batches inside it).
TEXTS_PER_CALL = 1024


def run_semantic_on_ray(phase: Any, dataset: Dataset, records: Callable[[], Iterator[Record]]) -> PhaseResult:
    """Embed on the cluster what the cache lacks, then run ``phase`` on the driver."""
    done = embed_on_cluster(phase, dataset)
    result: PhaseResult = phase.run(records)
    # Vectors embedded on the cluster count as embedded, as the local engine counts them.
    moved = min(done["embedded"], result.counts.get("cached", 0))
    if moved:
        result.counts["embedded"] += moved
        result.counts["cached"] -= moved
    embedder = result.report.get("embedder")
    if isinstance(embedder, dict):
        embedder["embedded"] = embedder.get("embedded", 0) + moved
        embedder["cached"] = embedder.get("cached", 0) - moved
        embedder["cluster"] = {"actors": done["actors"], "gpus": done["gpus"], "seconds": done["seconds"]}
    return result


def embed_on_cluster(phase: Any, dataset: Dataset) -> dict[str, Any]:
    """Fill ``phase``'s embedding cache with every text of ``dataset`` it lacks; returns what was done."""
    import ray

    from curate.semantic.embed import EmbeddingCache

    started = time.perf_counter()
    field = phase.options.field
    cache = EmbeddingCache(phase.cache_dir / "embeddings", phase.embedder.model_id)
    texts = dataset.map_batches(texts_and_keys, batch_format="pyarrow", fn_kwargs={"field": field}).materialize()
    keys = [
        np.asarray(batch["key"], dtype=np.int64)
        for batch in texts.select_columns(["key"]).iter_batches(batch_format="numpy", batch_size=None)
    ]
    unique = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *keys]).view(np.uint64))
    shard, _ = cache.lookup(unique)
    missing = np.sort(unique[shard < 0].view(np.int64))
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    actors = gpus or max(1, int(resources.get("CPU", 1)) - 1)
    done = {"embedded": 0, "actors": actors, "gpus": gpus, "seconds": 0.0}
    if len(missing):
        todo = texts.map_batches(only_missing, batch_format="pyarrow", fn_kwargs={"missing": missing})
        vectors = todo.map_batches(
            EmbedActor,
            batch_format="pyarrow",
            batch_size=TEXTS_PER_CALL,
            concurrency=actors,
            num_gpus=1 if gpus else 0,
            fn_constructor_kwargs={"embedder": pickle.dumps(phase.embedder)},
        )
        stored = np.zeros(0, dtype=np.uint64)
        for batch in vectors.iter_batches(batch_format="numpy", batch_size=None):
            batch_keys = np.asarray(batch["key"], dtype=np.int64).view(np.uint64)
            batch_keys, first = np.unique(batch_keys, return_index=True)
            new = ~np.isin(batch_keys, stored)
            if new.any():
                cache.add(batch_keys[new], np.stack(batch["vector"][first[new]]).astype(np.float32))
                stored = np.union1d(stored, batch_keys[new])
        done["embedded"] = len(stored)
    done["seconds"] = round(time.perf_counter() - started, 3)
    return done


def texts_and_keys(batch: pa.Table, *, field: str) -> pa.Table:
    """``map_batches`` function: the cache key and the embedded text (UTF-8) of each record."""
    import pyarrow as pa

    from curate.semantic.embed import embedding_text, text_key

    texts = [embedding_text(r, field) for r in phase_records(batch)]
    keys = [_signed(text_key(t)) for t in texts]
    return pa.table(
        {
            "key": pa.array(keys, pa.int64()),
            "text": pa.array([t.encode("utf-8", "surrogatepass") for t in texts], pa.large_binary()),
        }
    )


def only_missing(batch: pa.Table, *, missing: np.ndarray) -> pa.Table:
    """``map_batches`` function: the rows whose key the cache lacks, once each."""
    keys = np.asarray(batch.column("key").to_numpy(), dtype=np.int64)
    at = np.clip(np.searchsorted(missing, keys), 0, max(len(missing) - 1, 0))
    wanted = missing[at] == keys if len(missing) else np.zeros(len(keys), dtype=bool)
    _, first = np.unique(keys, return_index=True)
    once = np.zeros(len(keys), dtype=bool)
    once[first] = True
    return batch.filter(wanted & once)


class EmbedActor:
    """One embedding model per actor, loaded on the first batch (on the actor's GPU when it has one)."""

    def __init__(self, embedder: bytes) -> None:
        self.embedder = pickle.loads(embedder)

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        texts = [t.decode("utf-8", "surrogatepass") for t in batch.column("text").to_pylist()]
        if texts:
            vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
            offsets = np.arange(len(texts) + 1, dtype=np.int32) * vectors.shape[1]
            column = pa.ListArray.from_arrays(pa.array(offsets), pa.array(vectors.reshape(-1)))
        else:
            column = pa.array([], pa.list_(pa.float32()))
        return pa.table({"key": batch.column("key"), "vector": column})


def _signed(key: int) -> int:
    return key - (1 << 64) if key >= 1 << 63 else key
