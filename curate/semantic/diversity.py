"""Rebalancing clusters and finding noise.

* :func:`cluster_quotas` — how many records each cluster may keep: a hard cap per
  cluster, and/or temperature sampling towards a target size (cluster ``c`` gets a
  share proportional to ``n_c ** (1 / T)``: ``T = 1`` keeps proportions, a large ``T``
  tends to equal clusters), water-filled so no cluster is asked for more than it has.
* :func:`outliers` — points far from every centroid, and clusters too small to be a topic.
"""

from __future__ import annotations

import hashlib

import numpy as np


def cluster_quotas(
    sizes: np.ndarray, *, cap: int | None = None, temperature: float | None = None, target: int | None = None
) -> np.ndarray:
    """The number of records each cluster keeps, given its ``sizes`` after near-duplicate removal.

    >>> cluster_quotas(np.array([100, 10, 1]), cap=20).tolist()
    [20, 10, 1]
    >>> cluster_quotas(np.array([100, 10, 1]), temperature=1e9, target=30).tolist()
    [19, 10, 1]
    >>> cluster_quotas(np.array([100, 30, 10]), temperature=1.0, target=70).tolist()
    [50, 15, 5]
    """
    limit = np.asarray(sizes, dtype=np.int64).copy()
    if cap is not None:
        limit = np.minimum(limit, cap)
    if target is None or target >= int(limit.sum()):
        return limit
    weights = np.where(limit > 0, np.asarray(sizes, dtype=np.float64) ** (1.0 / (temperature or 1.0)), 0.0)
    quota = np.zeros_like(limit)
    free = limit > 0
    budget = int(target)
    while budget > 0 and free.any():
        share = budget * weights * free / weights[free].sum()
        full = free & (share >= limit - quota)
        if full.any():  # these clusters are exhausted: give them everything, share the rest again
            budget -= int((limit - quota)[full].sum())
            quota[full] = limit[full]
            free &= ~full
            continue
        base = np.floor(share).astype(np.int64)
        rest = budget - int(base.sum())
        ranked = np.lexsort((np.arange(len(share)), -(share - base)))  # largest remainders first, ties by index
        base[[i for i in ranked if free[i]][:rest]] += 1
        quota += base
        budget = 0
    return quota


def hash_order(ids: list[str], seed: int) -> np.ndarray:
    """A seeded pseudo-random ranking of ``ids`` that does not depend on their order."""
    keys = np.array(
        [int.from_bytes(hashlib.blake2b(f"{seed}\0{i}".encode(), digest_size=8).digest(), "little") for i in ids],
        dtype=np.uint64,
    )
    return np.argsort(keys, kind="stable")


def outliers(
    similarity: np.ndarray,
    labels: np.ndarray,
    alive: np.ndarray,
    k: int,
    *,
    min_similarity: float | None,
    min_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Which live records are far from their centroid, and which sit in clusters too small.

    ``similarity`` is each record's cosine to its own (closest) centroid, so a record
    below ``min_similarity`` is below it for every centroid. A cluster is tiny when fewer
    than ``min_size`` live records remain in it. Returns two boolean masks over records.
    """
    far = np.zeros(len(labels), dtype=bool)
    if min_similarity is not None:
        far = alive & (similarity < min_similarity)
    tiny = np.zeros(len(labels), dtype=bool)
    if min_size > 1:
        counts = np.bincount(labels[alive & ~far], minlength=k)
        tiny = alive & ~far & (counts[labels] < min_size)
    return far, tiny
