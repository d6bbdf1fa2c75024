"""The Ray engine's heavy steps for phases: embedding in actors, and the vectors in a dataset.

What :class:`~curate.engines.ray.compute.RayCompute` runs on the cluster:

1. **Texts.** :func:`texts_and_keys` turns the phase's records (a dataset of the spill)
   into rows of position, text key, text, length and score, by the phase's ``RecordText``.
2. **Embedding.** :func:`embed_missing`: the texts the embedding cache lacks are
   embedded in a pool of actors (:class:`EmbedActor`, one model per actor; one actor per
   GPU when the cluster has GPUs, else one per CPU but one); the driver stores the
   vectors in the cache.
3. **Vectors.** :class:`RayVectors`: each worker reads its records' vectors from the cache
   (on a multi-node cluster, put ``CURATE_CACHE_DIR`` on storage every node mounts, like
   the sources) into a dataset kept in the object store, where the records are assigned
   to centroids (``map_batches``) and compared cluster by cluster
   (``groupby().map_groups()``, a record near a boundary also joining its second-closest
   cluster as a guest), by :func:`curate.semantic.clusters.cluster_pass`, exactly the
   local engine's work on that cluster. The driver only sees small per-record arrays and
   the few vectors it asks for.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curate.engines.ray.iterate import each_batch
from curate.engines.ray.phases import in_sorted, phase_records, signed64
from curate.errors import CurateError
from curate.semantic.clusters import (
    Assignment,
    ClusterResult,
    ClusterWork,
    Features,
    assign_rows,
    cluster_pass,
    is_guest,
    unit_rows,
)
from curate.semantic.embed import Embedder, EmbeddingCache, text_key
from curate.semantic.kmeans import blas_threads
from curate.stages.compute import Embedded, RecordText

if TYPE_CHECKING:
    import pyarrow as pa

Dataset = Any  # a ray.data.Dataset

#: Texts per call of an embedding actor (the embedder batches inside it).
TEXTS_PER_CALL = 1024


# -- embedding -----------------------------------------------------------------------


def embed_missing(
    texts: Dataset, embedder: Embedder, cache: EmbeddingCache, *, step: Callable[[str], None]
) -> Embedded:
    """Put in ``cache`` the vector of every text of ``texts`` (:func:`texts_and_keys` rows) that it lacks."""
    import ray

    started = time.perf_counter()
    with each_batch(texts.select_columns(["key"]), "numpy") as batches:
        keys = [np.asarray(batch["key"], dtype=np.int64) for batch in batches]
    unique = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *keys]).view(np.uint64))
    shard, _ = cache.lookup(unique)
    missing = np.sort(unique[shard < 0].view(np.int64))
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    actors = gpus or max(1, int(resources.get("CPU", 1)) - 1)
    stored: set[int] = set()
    if len(missing):
        step(f"embedding {len(missing):,} texts on {actors} actor{'s' if actors > 1 else ''}")
        todo = texts.map_batches(only_missing, batch_format="pyarrow", fn_kwargs={"missing": missing})
        vectors = todo.map_batches(
            EmbedActor,
            batch_format="pyarrow",
            batch_size=TEXTS_PER_CALL,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_gpus=1 if gpus else 0,
            fn_constructor_kwargs={"embedder": pickle.dumps(embedder)},
        )
        with each_batch(vectors, "numpy") as batches:
            for batch in batches:
                batch_keys = np.asarray(batch["key"], dtype=np.int64).view(np.uint64)
                batch_keys, first = np.unique(batch_keys, return_index=True)
                new = np.array([int(k) not in stored for k in batch_keys.tolist()], dtype=bool)
                if new.any():
                    cache.add(batch_keys[new], np.stack(batch["vector"][first[new]]).astype(np.float32))
                    stored.update(batch_keys[new].tolist())
    seconds = round(time.perf_counter() - started, 3)
    return Embedded(len(stored), seconds, {"actors": actors, "gpus": gpus, "seconds": seconds})


def texts_and_keys(batch: pa.Table, *, text: RecordText) -> pa.Table:
    """``map_batches`` function: position, cache key, text to embed (UTF-8), its length and score, by ``text``."""
    import pyarrow as pa

    read = [text(r) for r in phase_records(batch)]
    return pa.table(
        {
            "pos": batch.column("pos"),
            "key": pa.array([signed64(text_key(t)) for t, _ in read], pa.int64()),
            "text": pa.array([t.encode("utf-8", "surrogatepass") for t, _ in read], pa.large_binary()),
            "length": pa.array([len(t) for t, _ in read], pa.int64()),
            "quality": pa.array([q for _, q in read], pa.float64()),
        }
    )


def only_missing(batch: pa.Table, *, missing: np.ndarray) -> pa.Table:
    """``map_batches`` function: the rows whose key the cache lacks, once each."""
    keys = np.asarray(batch.column("key").to_numpy(), dtype=np.int64)
    wanted = in_sorted(keys, missing)
    _, first = np.unique(keys, return_index=True)
    once = np.zeros(len(keys), dtype=bool)
    once[first] = True
    return batch.filter(wanted & once).select(["key", "text"])


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


# -- the vectors on the cluster ------------------------------------------------------------


class RayVectors:
    """The run's vectors in a Ray dataset (see :class:`curate.semantic.clusters.Vectors`).

    Records are named by their position in the canonical order; ``positions`` (sorted,
    one per record, in the order the driver read them) turns names into indices.
    """

    def __init__(self, texts: Dataset, keys: np.ndarray, cache_root: Path, model_id: str) -> None:
        """``texts``: the phase's records as ``texts_and_keys`` rows (without the text); ``keys``: the driver's."""
        started = time.perf_counter()
        with each_batch(texts.select_columns(["pos", "key"]), "numpy") as batches:
            narrow = [(np.asarray(b["pos"], np.int64), np.asarray(b["key"], np.int64)) for b in batches]
        positions = np.concatenate([np.zeros(0, np.int64), *(p for p, _ in narrow)])
        dataset_keys = np.concatenate([np.zeros(0, np.int64), *(k for _, k in narrow)])
        order = np.argsort(positions, kind="stable")
        self.positions = positions[order]
        if len(self.positions) != len(keys) or not np.array_equal(dataset_keys[order].view(np.uint64), keys):
            raise CurateError(
                f"the semantic phase read {len(keys)} records on the driver and {len(positions)} on the cluster, "
                "or not the same ones",
                hint="this is a bug in the ray engine: phases must see the same records in the same order",
            )
        self.dataset = texts.map_batches(
            with_vectors,
            batch_format="pyarrow",
            fn_kwargs={"cache_root": str(cache_root), "model_id": model_id},
        ).materialize()
        self.seconds: dict[str, float] = {"vectors": round(time.perf_counter() - started, 3)}

    def index_of(self, names: np.ndarray) -> np.ndarray:
        """Record indices of positions."""
        return np.searchsorted(self.positions, np.asarray(names, dtype=np.int64))

    def rows(self, index: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        wanted = self.positions[np.asarray(index, dtype=np.int64)]
        found = self.dataset.map_batches(only_positions, batch_format="pyarrow", fn_kwargs={"wanted": wanted})
        with each_batch(found, "pyarrow") as batches:
            parts = [(np.asarray(b.column("pos").to_numpy(), np.int64), _matrix(b.column("vector"))) for b in batches]
        parts = [(p, v) for p, v in parts if len(p)]
        if not parts:
            return np.zeros((0, 0), np.float32)
        positions = np.concatenate([p for p, _ in parts])
        vectors = np.concatenate([v for _, v in parts])
        self._tick("rows", started)
        return unit_rows(vectors[np.argsort(positions, kind="stable")])

    def assign(self, centroids: np.ndarray) -> Assignment:
        started = time.perf_counter()
        self.dataset = self.dataset.map_batches(
            assign_batch, batch_format="pyarrow", fn_kwargs={"centroids": centroids}
        ).materialize()
        out = Assignment.empty(len(self.positions))
        columns = ["pos", "label", "sim", "second", "second_sim"]
        with each_batch(self.dataset.select_columns(columns), "numpy") as batches:
            for b in batches:
                out.put(self.index_of(b["pos"]), Assignment(b["label"], b["sim"], b["second"], b["second_sim"]))
        self._tick("assign", started)
        return out

    def clusters(
        self, assignment: Assignment, margin: float, k: int, work: ClusterWork, features: Features
    ) -> Generator[ClusterResult, None, None]:
        """As :meth:`~curate.semantic.clusters.MatrixVectors.clusters`, from the dataset's own columns.

        The assignment, lengths and quality scores in the rows were computed on the
        workers by the functions that made the driver's ``assignment`` and ``features``,
        for the same records in the same order (checked when this object was made); the
        rows carry them to their cluster instead of the driver's arrays going to every task.
        """
        started = time.perf_counter()
        groups = self.dataset.map_batches(host_and_guest_rows, batch_format="pyarrow", fn_kwargs={"margin": margin})
        results = groups.groupby("group").map_groups(cluster_group, batch_format="pyarrow", fn_kwargs={"work": work})
        with each_batch(results, "pyarrow") as batches:
            for batch in batches:
                for blob in batch.column("result").to_pylist():
                    yield pickle.loads(blob)
        self._tick("clusters", started)

    def _tick(self, step: str, started: float) -> None:
        self.seconds[step] = round(self.seconds.get(step, 0.0) + time.perf_counter() - started, 3)


#: Embedding caches opened by this worker process, by folder.
_CACHES: dict[tuple[str, str], Any] = {}


def with_vectors(batch: pa.Table, *, cache_root: str, model_id: str) -> pa.Table:
    """``map_batches`` function: each record's vector from the embedding cache (float16)."""
    import pyarrow as pa

    keys = np.asarray(batch.column("key").to_numpy(), dtype=np.int64).view(np.uint64)
    cache = _CACHES.get((cache_root, model_id))
    shard = np.full(len(keys), -1)
    if cache is not None:
        shard, row = cache.lookup(keys)
    if cache is None or (shard < 0).any():  # new shards since this process opened the cache
        cache = _CACHES[(cache_root, model_id)] = EmbeddingCache(Path(cache_root), model_id)
        shard, row = cache.lookup(keys)
    if (shard < 0).any():
        raise CurateError(
            f"a worker found no vector for {int((shard < 0).sum())} texts in the embedding cache {cache.dir}",
            hint="on a multi-node cluster, put CURATE_CACHE_DIR on storage that every node mounts",
        )
    dim = int(cache.dim or 0)
    vectors = np.empty((len(keys), dim), dtype=np.float16)
    cache.gather(shard, row, vectors)
    return pa.table(
        {
            "pos": batch.column("pos"),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim),
            "length": batch.column("length"),
            "quality": batch.column("quality"),
        }
    )


def _matrix(column: Any) -> np.ndarray:
    """A fixed-size-list Arrow column as an (n, d) numpy array."""
    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    width = column.type.list_size
    return np.asarray(column.flatten().to_numpy(zero_copy_only=False)).reshape(-1, width)


def only_positions(batch: pa.Table, *, wanted: np.ndarray) -> pa.Table:
    """``map_batches`` function: the rows at the ``wanted`` positions (sorted)."""
    pos = np.asarray(batch.column("pos").to_numpy(), dtype=np.int64)
    return batch.filter(in_sorted(pos, wanted)).select(["pos", "vector"])


def assign_batch(batch: pa.Table, *, centroids: np.ndarray) -> pa.Table:
    """``map_batches`` function: the closest and second-closest centroid of each row."""
    import pyarrow as pa

    out = assign_rows(_matrix(batch.column("vector")), centroids)
    for name, values in (
        ("label", out.labels),
        ("sim", out.sims),
        ("second", out.second),
        ("second_sim", out.second_sims),
    ):
        batch = batch.append_column(name, pa.array(values))
    return batch


def host_and_guest_rows(batch: pa.Table, *, margin: float) -> pa.Table:
    """``map_batches`` function: every row in its cluster, and again as a guest of its second-closest one."""
    import pyarrow as pa

    sims = np.asarray(batch.column("sim").to_numpy(), np.float32)
    second_sims = np.asarray(batch.column("second_sim").to_numpy(), np.float32)
    guests = np.flatnonzero(is_guest(sims, second_sims, margin))
    columns = ["pos", "vector", "sim", "length", "quality"]
    hosts = batch.select(columns)
    hosts = hosts.append_column("group", batch.column("label")).append_column(
        "guest", pa.array(np.zeros(len(hosts), bool))
    )
    visitors = batch.take(pa.array(guests, pa.int64()))
    visitors = (
        visitors.select(columns)
        .append_column("group", visitors.column("second"))
        .append_column("guest", pa.array(np.ones(len(guests), bool)))
    )
    return pa.concat_tables([hosts, visitors])


def cluster_group(group: pa.Table, *, work: ClusterWork) -> pa.Table:
    """``map_groups`` function: :func:`~curate.semantic.clusters.cluster_pass` on one cluster and its guests."""
    import pyarrow as pa

    group = group.sort_by("pos")
    guest = np.asarray(group.column("guest").to_numpy(zero_copy_only=False), dtype=bool)
    hosts = np.flatnonzero(~guest)
    visitors = np.flatnonzero(guest)
    if not len(hosts):  # guests of a cluster that kept no member: nothing to compare with
        return pa.table({"cluster": pa.array([], pa.int64()), "result": pa.array([], pa.large_binary())})
    pos = np.asarray(group.column("pos").to_numpy(), np.int64)
    vectors = _matrix(group.column("vector"))
    cluster = int(group.column("group")[0].as_py())
    with blas_threads(1):  # as on the local engine: the same rounding
        result = cluster_pass(
            cluster,
            pos[hosts],
            vectors[hosts],
            np.asarray(group.column("sim").to_numpy(), np.float32)[hosts],
            np.asarray(group.column("length").to_numpy(), np.int64)[hosts],
            np.asarray(group.column("quality").to_numpy(), np.float64)[hosts],
            pos[visitors],
            vectors[visitors],
            work,
        )
    blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return pa.table({"cluster": pa.array([cluster], pa.int64()), "result": pa.array([blob], pa.large_binary())})
