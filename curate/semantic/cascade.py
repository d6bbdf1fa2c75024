"""Near-duplicates by a cascade: a fast embedder proposes pairs, a better one confirms them.

The static embedder is about 100x faster than MiniLM on a CPU and much coarser: alone,
at the same precision, it finds 71-93% of MiniLM's near-duplicates (bench/RESULTS.md).
In the cascade its vectors still drive the clustering, and within each cluster (and
across boundaries, for records near one) every pair more similar than a looser
``candidate_threshold`` is a candidate, at most ``candidates_per_record`` a record, the
most similar first. Candidate pairs whose fast similarity is above an ``accept``
similarity are near-duplicates as they stand (their fast similarity is kept); only the
records of the pairs in the uncertain band between the two are embedded by the
confirming model (through its own embedding cache). The greedy rule then runs over the
candidate pairs with the confirmed (or accepted) similarities: in preference order, a
record is removed when it is more similar than the threshold to a record kept before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from curate.semantic.clusters import Assignment, Vectors, closest_examples, is_guest
from curate.semantic.semdedup import EXAMPLE_WINDOW, block_rows, greedy_over_pairs, union_pairs

__all__ = ["Candidates", "Confirmed", "candidate_pairs", "confirm_pairs"]

#: Given record indices (ascending), their unit vectors from the confirming embedder.
Confirm = Callable[[np.ndarray], np.ndarray]


@dataclass
class Candidates:
    """Candidate pairs ``(a[i], b[i])`` (record indices, a < b) with their fast similarity."""

    a: np.ndarray
    b: np.ndarray
    sims: np.ndarray
    #: Pairs whose fast similarity was computed.
    compared: int
    #: Records near a cluster boundary, also compared with their second-closest cluster.
    guests: int


def candidate_pairs(
    vectors: Vectors, assignment: Assignment, k: int, threshold: float, margin: float, per_record: int
) -> Candidates:
    """Pairs of one cluster (its members and its guests) more similar than ``threshold`` by ``vectors``.

    Each record keeps its ``per_record`` most similar partners (ties by index); a pair
    stays when either of its records keeps it.
    """
    labels = assignment.labels
    guest = is_guest(assignment.sims, assignment.second_sims, margin)
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=k))])
    guests_of = np.flatnonzero(guest)
    guests_by = guests_of[np.argsort(assignment.second[guests_of], kind="stable")]
    guest_bounds = np.searchsorted(assignment.second[guests_by], np.arange(k + 1))
    found_a, found_b, found_s = [], [], []
    compared = 0
    for c in range(k):
        members = np.concatenate([order[bounds[c] : bounds[c + 1]], guests_by[guest_bounds[c] : guest_bounds[c + 1]]])
        if len(members) < 2:
            continue
        members.sort()
        x = vectors.rows(members)
        m = len(members)
        rows = block_rows(m, 4_194_304)
        for start in range(0, m, rows):
            block = x[start : start + rows] @ x.T
            block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf  # not itself
            compared += len(block) * m
            if per_record < m - 1:
                top = np.argpartition(-block, per_record - 1, axis=1)[:, :per_record]
                keep = np.zeros_like(block, dtype=bool)
                np.put_along_axis(keep, top, True, axis=1)
                block = np.where(keep, block, -np.inf)
            ii, jj = np.nonzero(block > threshold)
            found_a.append(members[ii + start])
            found_b.append(members[jj])
            found_s.append(block[ii, jj])
    if not found_a:
        empty = np.empty(0, np.int64)
        return Candidates(empty, empty, np.empty(0, np.float32), compared, len(guests_of))
    a, b, s = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs, first = np.unique(np.stack([lo, hi], axis=1), axis=0, return_index=True)
    return Candidates(pairs[:, 0], pairs[:, 1], s[first].astype(np.float32), compared // 2, len(guests_of))


@dataclass
class Confirmed:
    """The greedy rule's outcome over the confirmed pairs."""

    #: ``kept[j, i]``: record i survives at ``thresholds[j]``.
    kept: np.ndarray
    removed_by: np.ndarray
    removed_sim: np.ndarray
    parent: np.ndarray
    #: Per threshold, the confirmed pairs closest to it (as :func:`closest_examples` gives them).
    near: list[list[tuple[float, int, int, float, bool]]]
    #: The confirmed similarity of each candidate pair.
    sims: np.ndarray
    #: How many records the confirming embedder saw.
    records: int
    #: Candidate pairs accepted on the fast similarity alone (not confirmed).
    accepted: int


def confirm_pairs(
    candidates: Candidates,
    n: int,
    thresholds: list[float],
    rank: np.ndarray,
    confirm: Confirm,
    examples: int,
    accept: float = 1.0,
) -> Confirmed:
    """Confirm the candidate pairs with ``confirm`` and apply the greedy rule at each threshold.

    ``rank`` gives each record's place in the preference order (the record to keep
    first); near-duplicate groups link the pairs confirmed above ``thresholds[0]``.
    Pairs whose fast similarity is above ``accept`` are not confirmed: they keep it
    (``accept`` 1.0: every pair is confirmed).
    """
    a, b = candidates.a, candidates.b
    sims = np.asarray(candidates.sims, dtype=np.float32).copy()
    band = np.flatnonzero(sims <= accept) if accept < 1.0 else np.arange(len(a))  # 1.0: all (rounding may pass it)
    index = np.unique(np.concatenate([a[band], b[band]]))
    if len(index):
        rows = np.asarray(confirm(index), dtype=np.float32)
        at_a, at_b = np.searchsorted(index, a[band]), np.searchsorted(index, b[band])
        sims[band] = np.einsum("ij,ij->i", rows[at_a], rows[at_b])
    kept = np.ones((len(thresholds), n), dtype=bool)
    removed_by = np.full(n, -1, dtype=np.int64)
    removed_sim = np.full(n, np.nan, dtype=np.float64)
    near = []
    for j, t in enumerate(thresholds):
        gone, survivor, similarity = greedy_over_pairs(a, b, sims, rank, kept[j], t)
        if j == 0:
            removed_by[gone] = survivor
            removed_sim[gone] = similarity
        first = np.where(rank[a] <= rank[b], a, b)
        second = np.where(rank[a] <= rank[b], b, a)
        close = np.flatnonzero(np.abs(sims - t) <= EXAMPLE_WINDOW)
        found = [
            (abs(float(sims[e]) - t), int(first[e]), int(second[e]), float(sims[e]), not bool(kept[j][second[e]]))
            for e in close
        ]
        near.append(closest_examples(found, examples))
    parent = np.arange(n, dtype=np.int64)
    linked = sims > thresholds[0]
    union_pairs(parent, a[linked], b[linked])
    return Confirmed(kept, removed_by, removed_sim, parent, near, sims, len(index), len(a) - len(band))
