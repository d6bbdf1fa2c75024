"""Near-duplicates cluster by cluster: the work on one cluster, and the merge of all of them.

The semantic phase compares records only within their K-means cluster, and the records
near a cluster boundary (*guests*) with the records of their second-closest cluster.
Each cluster's work needs nothing but that cluster's rows, so it runs anywhere: in a
loop on one machine (:class:`MatrixVectors`), or in one Ray ``map_groups`` call per
cluster (the vector store the Ray engine's compute lends). Records are named by any
ascending integer (their index on one machine, their position in the canonical order on
Ray); :func:`merge` gathers every cluster's result into arrays indexed by record, in a
way that does not depend on where, or in which order, the clusters ran.

The K-means side follows the same split: the centroids are fitted on a seeded sample
chosen by text key (:func:`fit_sample`), the same records on every engine; every record
is then assigned to its closest and second-closest centroid (:func:`assign_rows`),
which is embarrassingly parallel.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from curate.semantic.blas import blas_threads
from curate.semantic.semdedup import EXAMPLE_WINDOW, cross_pairs, dedup_cluster

#: Default fit sample: this many records per cluster, and at least :data:`MIN_FIT_SAMPLE`.
FIT_PER_CLUSTER = 256
MIN_FIT_SAMPLE = 50_000

Keep = Literal["centroid", "longest", "first", "quality"]
#: A near-the-threshold example: (distance to the threshold, kept name, other name, similarity, removed).
Near = tuple[float, int, int, float, bool]


# -- K-means: fit on a sample, assign everything -----------------------------------------------


def fit_sample_size(n: int, k: int, requested: int | None, max_rows: int) -> int:
    """How many records the centroids are fitted on.

    ``requested`` (0: all ``n``), by default 256 per cluster and at least 50,000; then
    at most ``max(max_rows, 50,000)`` (``max_rows``: what fits in the memory limit, which
    never cuts a sample below 50,000), at least ``4 k``, at most ``n``.

    >>> fit_sample_size(1_000, 22, None, 10**9), fit_sample_size(10**7, 2236, None, 10**9)
    (1000, 572416)
    """
    wanted = n if requested == 0 else (requested or max(MIN_FIT_SAMPLE, FIT_PER_CLUSTER * k))
    return int(min(n, max(4 * k, min(wanted, max(max_rows, MIN_FIT_SAMPLE)))))


def fit_sample(keys: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices (ascending) of ``size`` records with distinct texts, chosen by a seeded hash of their text key.

    The texts whose seeded hashes are the ``size`` smallest, each at its first record:
    the choice depends on the set of keys, not on how the records are spread over
    files or machines, so every engine fits K-means on the same rows. All records when
    ``size >= len(keys)``; fewer than ``size`` when fewer texts are distinct.
    """
    n = len(keys)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    unique, first = np.unique(np.asarray(keys, dtype=np.uint64), return_index=True)
    if size >= len(unique):
        return np.sort(first)
    mixed = _splitmix(unique ^ _splitmix(np.array([seed], dtype=np.uint64)))
    ranked = np.lexsort((unique, mixed))  # by hash, ties by key
    return np.sort(first[ranked[:size]])


def _splitmix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise (uint64 arithmetic wraps)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` (float16 or float32, possibly memory-mapped) as a float32 copy with unit rows."""
    rows = np.array(vectors, dtype=np.float32)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


@dataclass
class Assignment:
    """Each record's closest centroid (``labels``, ``sims``) and second-closest (``second``, ``second_sims``)."""

    labels: np.ndarray  # int64
    sims: np.ndarray  # float32
    second: np.ndarray  # int64 (0 when k = 1)
    second_sims: np.ndarray  # float32 (-inf when k = 1)

    @classmethod
    def empty(cls, n: int) -> Assignment:
        return cls(
            np.zeros(n, np.int64), np.zeros(n, np.float32), np.zeros(n, np.int64), np.full(n, -np.inf, np.float32)
        )

    def put(self, at: np.ndarray | slice, part: Assignment) -> None:
        """Copy ``part`` into the records ``at``."""
        self.labels[at], self.sims[at] = part.labels, part.sims
        self.second[at], self.second_sims[at] = part.second, part.second_sims


#: Rows whose best three similarities from the matrix product are not this far apart are
#: ranked again without it (see :func:`assign_rows`).
NEAR_TIE = 1e-4
#: Rows ranked again at a time (their similarities to every centroid are held at once).
RERANK_ROWS = 1024


def assign_rows(vectors: np.ndarray, centroids: np.ndarray) -> Assignment:
    """The closest and second-closest of ``centroids`` (unit rows) for each row of ``vectors``.

    The answer for a row does not depend on the other rows of the call. A matrix product
    does not promise that: BLAS kernels round a row's dot products differently depending
    on where the row falls in the block, so two engines cutting the records into
    different batches could rank the same record differently. The product only
    shortlists. Where its best, second and third similarities are all more than
    :data:`NEAR_TIE` apart (far more than the rounding), its ranking stands; the other
    rows are ranked again with ``einsum`` (a loop of its own, the same for any batch),
    ties going to the lower centroid. The similarities returned are ``einsum``'s too.
    """
    x = unit_rows(vectors)
    c = np.ascontiguousarray(centroids, dtype=np.float32)
    n, k = len(x), len(c)
    if k < 2:
        labels = np.zeros(n, np.int64)
        return Assignment(labels, _row_dots(x, c, labels), labels.copy(), np.full(n, -np.inf, np.float32))
    with blas_threads(1):
        block = x @ c.T
    rows = np.arange(n)
    top = np.argsort(-block, axis=1, kind="stable")[:, :3] if k <= 3 else _top3(block)
    values = block[rows[:, None], top]
    labels, second = top[:, 0].copy(), top[:, 1].copy()
    unsure = values[:, 0] - values[:, 1] <= NEAR_TIE
    if k > 2:
        unsure |= values[:, 1] - values[:, 2] <= NEAR_TIE
    for start in range(0, int(unsure.sum()), RERANK_ROWS):
        index = np.flatnonzero(unsure)[start : start + RERANK_ROWS]
        exact = np.einsum("ij,kj->ik", x[index], c)
        labels[index] = exact.argmax(axis=1)
        exact[np.arange(len(index)), labels[index]] = -np.inf
        second[index] = exact.argmax(axis=1)
    return Assignment(labels, _row_dots(x, c, labels), second, _row_dots(x, c, second))


def _top3(block: np.ndarray) -> np.ndarray:
    """The columns of each row's three largest values, largest first."""
    top = np.argpartition(-block, 2, axis=1)[:, :3]
    order = np.argsort(-block[np.arange(len(block))[:, None], top], axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _row_dots(x: np.ndarray, c: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``x[i] . c[labels[i]]`` for every row, one row at a time (no BLAS)."""
    return np.einsum("ij,ij->i", x, c[labels]).astype(np.float32)


def is_guest(sims: np.ndarray, second_sims: np.ndarray, margin: float) -> np.ndarray:
    """Records whose second-closest centroid is within ``margin`` of their own (compared with it too).

    With a single cluster there is no second-closest centroid (``second_sims`` is -inf): no guests.
    """
    if margin <= 0:
        return np.zeros(len(sims), dtype=bool)
    return (sims - second_sims) <= margin


# -- one cluster ---------------------------------------------------------------------------------


def preference(keep: Keep, sims: np.ndarray, lengths: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Positions into the given (ascending-name) arrays, the record to keep first; ties keep the order."""
    m = len(sims)
    if keep == "first":
        return np.arange(m)
    if keep == "centroid":
        key = -np.asarray(sims, dtype=np.float64)
    elif keep == "longest":
        key = -np.asarray(lengths, dtype=np.float64)
    else:
        q = np.asarray(quality, dtype=np.float64)
        key = np.where(np.isnan(q), np.inf, -q)
    return np.lexsort((np.arange(m), key))


@dataclass(frozen=True)
class ClusterWork:
    """What each cluster's work needs to know: thresholds (the first one applies), keep rule, examples."""

    thresholds: tuple[float, ...]
    keep: Keep
    examples: int


@dataclass
class ClusterResult:
    """One cluster's decisions, naming records by the names it was given."""

    cluster: int
    members: np.ndarray  # int64 (m,): names in preference order
    kept: np.ndarray  # bool (thresholds, m)
    removed_by: np.ndarray  # int64 (m,): the survivor's name at the first threshold, -1 when kept
    removed_sim: np.ndarray  # float32 (m,)
    groups: np.ndarray  # int64 (m,): the name of the first record of each member's near-duplicate group
    near: list[list[Near]]  # per threshold
    edges: tuple[np.ndarray, np.ndarray, np.ndarray]  # guest names, host names, similarities
    compared: int = 0
    peak: int = 0


def cluster_pass(
    cluster: int,
    names: np.ndarray,
    vectors: np.ndarray,
    sims: np.ndarray,
    lengths: np.ndarray,
    quality: np.ndarray,
    guest_names: np.ndarray,
    guest_vectors: np.ndarray,
    work: ClusterWork,
) -> ClusterResult:
    """Near-duplicates among the members of ``cluster`` (``names`` ascending), and with its guests.

    Members are compared in preference order (:func:`preference`); the guests (records of
    other clusters close to this one, ``guest_names`` ascending) are compared with every
    member, and each pair above the lowest threshold comes back as an edge for the
    boundary pass, which :func:`merge`'s caller settles once every cluster is done.

    Call it with BLAS on one thread (:func:`~curate.semantic.blas.blas_threads`):
    products rounded by a different number of threads differ in their last bits, and
    the similarities written to ``rejects.jsonl`` must not depend on the machine or the
    engine. Run clusters side by side for speed (:class:`MatrixVectors` uses threads).
    """
    m = len(names)
    order = preference(work.keep, sims, lengths, quality)
    members = np.asarray(names, dtype=np.int64)[order]
    thresholds = list(work.thresholds)
    kept = np.ones((len(thresholds), m), dtype=bool)
    removed_by = np.full(m, -1, dtype=np.int64)
    removed_sim = np.zeros(m, dtype=np.float32)
    groups = members.copy()
    near: list[list[Near]] = [[] for _ in thresholds]
    compared = peak = 0
    empty = np.zeros(0, np.int64)
    edges: tuple[np.ndarray, np.ndarray, np.ndarray] = (empty, empty, np.zeros(0, np.float32))
    hosts = unit_rows(vectors) if m and (m > 1 or len(guest_names)) else np.zeros((0, 0), np.float32)
    if m > 1:
        ranked = hosts[order]
        out = dedup_cluster(ranked, thresholds, group_threshold=thresholds[0])
        compared += out.pairs_compared
        peak = out.peak_block_bytes + ranked.nbytes
        groups = members[out.groups]
        for j, outcome in enumerate(out.outcomes):
            kept[j] = outcome.kept
            near[j] = _near(outcome, members, work.examples)
            if j == 0:
                gone = outcome.removed
                removed_by[gone] = members[outcome.best_of[gone]]
                removed_sim[gone] = outcome.best[gone]
    if m and len(guest_names):
        gi, hi, ss, pairs = cross_pairs(unit_rows(guest_vectors), hosts, min(thresholds))
        compared += pairs
        edges = (np.asarray(guest_names, np.int64)[gi], np.asarray(names, np.int64)[hi], ss)
    return ClusterResult(cluster, members, kept, removed_by, removed_sim, groups, near, edges, compared, peak)


def _near(outcome: object, members: np.ndarray, limit: int) -> list[Near]:
    """The pairs closest to the threshold: removed just above it, kept just below it."""
    t = outcome.threshold  # type: ignore[attr-defined]
    best, best_of, kept = outcome.best, outcome.best_of, outcome.kept  # type: ignore[attr-defined]
    close = (best_of >= 0) & (np.abs(best - t) <= EXAMPLE_WINDOW)
    found = [
        (abs(float(best[p]) - t), int(members[best_of[p]]), int(members[p]), float(best[p]), not bool(kept[p]))
        for p in np.flatnonzero(close)
    ]
    return closest_examples(found, limit)


def closest_examples(found: Iterable[Near], limit: int) -> list[Near]:
    """The ``limit`` removed and ``limit`` kept examples closest to the threshold (ties by name).

    Taking the closest of the closest gives the closest: the result does not depend on
    how the examples were split into clusters.
    """
    found = list(found)
    above = sorted((e for e in found if e[4]), key=lambda e: e[:3])[:limit]
    under = sorted((e for e in found if not e[4]), key=lambda e: e[:3])[:limit]
    return sorted(above + under, key=lambda e: e[:3])


# -- all clusters --------------------------------------------------------------------------------


@dataclass
class Merged:
    """Every cluster's decisions as arrays over record indices."""

    kept: np.ndarray  # bool (thresholds, n)
    removed_by: np.ndarray  # int64 (n,)
    removed_sim: np.ndarray  # float32 (n,)
    parent: np.ndarray  # int64 (n,): near-duplicate groups as a union-find forest
    near: list[list[Near]]  # every cluster's examples, per threshold (see closest_examples)
    edges: tuple[np.ndarray, np.ndarray, np.ndarray]  # sorted by (guest, host)
    compared: int = 0
    peak: int = 0
    clusters: int = 0


def merge(results: Iterable[ClusterResult], n: int, thresholds: int, index_of: IndexOf) -> Merged:
    """Gather cluster results into arrays over record indices (``index_of`` turns names into indices)."""
    kept = np.ones((thresholds, n), dtype=bool)
    removed_by = np.full(n, -1, dtype=np.int64)
    removed_sim = np.zeros(n, dtype=np.float32)
    parent = np.arange(n, dtype=np.int64)
    near: list[list[Near]] = [[] for _ in range(thresholds)]
    edges_a, edges_b, edges_s = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    merged = Merged(kept, removed_by, removed_sim, parent, near, (edges_a[0], edges_b[0], edges_s[0]))
    for r in results:
        merged.clusters += 1
        idx = index_of(r.members)
        kept[:, idx] = r.kept
        gone = np.flatnonzero(r.removed_by >= 0)
        removed_by[idx[gone]] = index_of(r.removed_by[gone])
        removed_sim[idx[gone]] = r.removed_sim[gone]
        parent[idx] = index_of(r.groups)
        for j, found in enumerate(r.near):
            if found:
                a = index_of(np.array([e[1] for e in found], np.int64)).tolist()
                b = index_of(np.array([e[2] for e in found], np.int64)).tolist()
                near[j].extend((e[0], x, y, e[3], e[4]) for e, x, y in zip(found, a, b, strict=True))
        a, b, s = r.edges
        if len(a):
            edges_a.append(index_of(a))
            edges_b.append(index_of(b))
            edges_s.append(np.asarray(s, np.float32))
        merged.compared += r.compared
        merged.peak = max(merged.peak, r.peak)
    a, b, s = np.concatenate(edges_a), np.concatenate(edges_b), np.concatenate(edges_s)
    order = np.lexsort((b, a))
    merged.edges = (a[order], b[order], s[order])
    return merged


class IndexOf(Protocol):
    def __call__(self, names: np.ndarray) -> np.ndarray: ...


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def identity(names: np.ndarray) -> np.ndarray:
    """Names that already are record indices."""
    return np.asarray(names, dtype=np.int64)


# -- where the vectors are -----------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """Per-record values the keep rule reads: text length and quality score (NaN: none)."""

    lengths: np.ndarray
    quality: np.ndarray


class Vectors(Protocol):
    """The run's vectors, wherever they are: in this process (:class:`MatrixVectors`) or on a cluster."""

    def rows(self, index: np.ndarray) -> np.ndarray:
        """Float32 unit rows of the records ``index`` (ascending), in that order."""
        ...

    def assign(self, centroids: np.ndarray) -> Assignment:
        """Every record's closest and second-closest centroid."""
        ...

    def clusters(
        self, assignment: Assignment, margin: float, k: int, work: ClusterWork, features: Features
    ) -> Generator[ClusterResult, None, None]:
        """Run :func:`cluster_pass` on every cluster with members, guests chosen by :func:`is_guest`.

        A generator: the caller closes it when it stops early, which frees what it holds at once.
        """
        ...

    @property
    def index_of(self) -> IndexOf:
        """Turns the names of records in cluster results into record indices."""
        ...


class MatrixVectors:
    """Vectors in a matrix in this process (float32 in memory, or a float16 memory map).

    Clusters are compared ``threads`` at a time (default: the CPUs this process may
    use), each on one BLAS thread; the results come back in cluster order.
    """

    index_of: IndexOf = staticmethod(identity)

    def __init__(self, matrix: np.ndarray, *, chunk: int = 16384, threads: int | None = None) -> None:
        self.matrix = matrix
        self.chunk = chunk
        self.threads = threads or _cpus()

    def rows(self, index: np.ndarray) -> np.ndarray:
        return unit_rows(self.matrix[index])

    def assign(self, centroids: np.ndarray) -> Assignment:
        n = len(self.matrix)
        out = Assignment.empty(n)
        for start in range(0, n, self.chunk):
            stop = min(n, start + self.chunk)
            out.put(slice(start, stop), assign_rows(self.matrix[start:stop], centroids))
        return out

    def clusters(
        self, assignment: Assignment, margin: float, k: int, work: ClusterWork, features: Features
    ) -> Generator[ClusterResult, None, None]:
        labels = assignment.labels
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=k))])
        guest = np.flatnonzero(is_guest(assignment.sims, assignment.second_sims, margin))
        guest = guest[np.argsort(assignment.second[guest], kind="stable")]
        guest_bounds = np.concatenate([[0], np.cumsum(np.bincount(assignment.second[guest], minlength=k))])

        def run(c: int) -> ClusterResult:
            members = order[bounds[c] : bounds[c + 1]]
            visitors = guest[guest_bounds[c] : guest_bounds[c + 1]]
            return cluster_pass(
                c,
                members,
                self.matrix[members],
                assignment.sims[members],
                features.lengths[members],
                features.quality[members],
                visitors,
                self.matrix[visitors],
                work,
            )

        present = [c for c in range(k) if bounds[c + 1] > bounds[c]]
        with blas_threads(1), ThreadPoolExecutor(max_workers=self.threads) as pool:
            # a window of clusters in flight: only those clusters' vectors are gathered at once
            window = 2 * self.threads
            running = deque(pool.submit(run, c) for c in present[:window])
            for c in present[window:]:
                yield running.popleft().result()
                running.append(pool.submit(run, c))
            while running:
                yield running.popleft().result()
