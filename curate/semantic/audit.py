"""A second opinion on a fast embedder's near-duplicates, from the model it stands in for.

The static embedder is about 100x faster than all-MiniLM-L6-v2 on a CPU and coarser; how
much coarser depends on the text (bench/RESULTS.md: about as precise as MiniLM on news
sentences, clearly less on short captions such as "A man is playing a guitar." / "... a
flute."). No map fitted on someone else's sentences can say which case a build is in, so
the audit measures it on the build's own records, after the decisions and without
changing them:

- **removals**: a seeded sample of the records the fast embedder removed, each with the
  survivor it duplicates; the reference model is asked whether the pair is a
  near-duplicate at the user's threshold (on the reference model's scale);
- **kept**: a seeded sample of the records kept, each with its most similar kept record
  of the same cluster by the fast embedder; the reference model is asked the same.

The shares (with 95% Wilson intervals) go in the report: how many of the removals the
reference model would also make, and how many kept records still have a near-duplicate
by it. The reference model embeds at most ``4 x sample`` records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from curate.semantic.clusters import Vectors

__all__ = ["AuditPairs", "audit_pairs", "audit_report", "kept_neighbours", "wilson_interval"]

#: Example pairs on which the two models disagree, kept in the report (ids only).
DISAGREEMENTS = 5


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of the share ``hits / n`` (95% by default); (0, 1) for ``n = 0``.

    >>> [round(x, 3) for x in wilson_interval(45, 50)]
    [0.786, 0.957]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _sample(index: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(index, size=min(size, len(index)), replace=False)) if len(index) else index


def kept_neighbours(
    vectors: Vectors, labels: np.ndarray, kept: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each record of ``chosen`` (kept, ascending): its most similar other kept record of its cluster.

    Returns the pairs ``(a, b)`` and their similarity by ``vectors``; a record alone in its
    cluster among the kept ones has no pair.
    """
    found_a, found_b, found_s = [], [], []
    for c in np.unique(labels[chosen]):
        members = np.flatnonzero((labels == c) & kept)
        if len(members) < 2:
            continue
        asked = chosen[labels[chosen] == c]
        sims = vectors.rows(asked) @ vectors.rows(members).T
        sims[np.arange(len(asked)), np.searchsorted(members, asked)] = -np.inf  # not itself
        best = np.argmax(sims, axis=1)
        found_a.append(asked)
        found_b.append(members[best])
        found_s.append(sims[np.arange(len(asked)), best])
    if not found_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s).astype(np.float32)


@dataclass(frozen=True)
class AuditPairs:
    """The pairs the reference model is asked about: ``(a[e], b[e])``, the first ``removals`` of them
    a removed record and its survivor, the rest a kept record and its closest kept neighbour."""

    a: np.ndarray
    b: np.ndarray
    #: Their similarity by the fast embedder.
    fast: np.ndarray
    removals: int
    #: Records to sample of each kind (what was asked for).
    sample: int

    @property
    def index(self) -> np.ndarray:
        """The records of the pairs, ascending: what the reference model embeds."""
        return np.unique(np.concatenate([self.a, self.b]))


def audit_pairs(
    vectors: Vectors, labels: np.ndarray, removed_by: np.ndarray, removed_sim: np.ndarray, *, sample: int, seed: int
) -> AuditPairs:
    """Sample the decisions to audit (see the module docstring); no model is needed.

    ``removed_by[i]`` is the survivor record ``i`` duplicates (-1: kept) and
    ``removed_sim[i]`` their similarity by ``vectors``.
    """
    rng = np.random.default_rng(seed)
    is_kept = removed_by < 0
    gone = _sample(np.flatnonzero(~is_kept), sample, rng)
    keep_a, keep_b, keep_s = kept_neighbours(vectors, labels, is_kept, _sample(np.flatnonzero(is_kept), sample, rng))
    return AuditPairs(
        np.concatenate([gone, keep_a]).astype(np.int64),
        np.concatenate([removed_by[gone], keep_b]).astype(np.int64),
        np.concatenate([removed_sim[gone].astype(np.float32), keep_s]),
        len(gone),
        sample,
    )


def audit_report(pairs: AuditPairs, rows: np.ndarray, ids: list[str], *, threshold: float) -> dict[str, Any]:
    """What the reference model says of ``pairs``, given its unit vectors ``rows`` of ``pairs.index``.

    A pair is a near-duplicate by it at ``threshold`` (on its own scale) or more.
    """
    index = pairs.index
    reference = np.einsum(
        "ij,ij->i", rows[np.searchsorted(index, pairs.a)], rows[np.searchsorted(index, pairs.b)]
    ).astype(np.float32)
    near = reference >= threshold
    removed, kept = pairs.removals, len(pairs.a) - pairs.removals
    agreed, missed = int(near[:removed].sum()), int(near[removed:].sum())

    def share(hits: int, n: int) -> dict[str, Any]:
        low, high = wilson_interval(hits, n)
        return {"share": round(hits / n, 4) if n else None, "low": round(low, 4), "high": round(high, 4)}

    disagree = [e for e in range(removed) if not near[e]] + [e for e in range(removed, len(near)) if near[e]]
    return {
        "threshold": threshold,
        "sample": pairs.sample,
        "records": len(index),
        "removals": {"sampled": removed, "agreed": agreed, **share(agreed, removed)},
        "kept": {"sampled": kept, "near_duplicate": missed, **share(missed, kept)},
        "disagreements": [
            {
                "a": ids[int(pairs.a[e])],
                "b": ids[int(pairs.b[e])],
                "removed": e < removed,
                "fast": round(float(pairs.fast[e]), 4),
                "reference": round(float(reference[e]), 4),
            }
            for e in disagree[:DISAGREEMENTS]
        ],
    }
