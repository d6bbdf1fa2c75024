"""Near-duplicate removal inside one cluster (SemDeDup), in blocks.

The records of a cluster come in order of preference (the record to keep first). A
record is removed when its cosine similarity to a record already kept exceeds the
threshold; its survivor is the most similar kept record. Similarities are computed
block by block (``block x seen`` products), so memory grows with the cluster's size
times the block, never with the square of the whole set.

One pass serves several thresholds at once (the dry run): each keeps its own set of
kept records, all from the same products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Similarities within this distance of a threshold make "near the threshold" examples.
EXAMPLE_WINDOW = 0.02


@dataclass
class ThresholdOutcome:
    """What one threshold decides in one cluster (positions are in preference order)."""

    threshold: float
    kept: np.ndarray  # bool (m,)
    best: np.ndarray  # float32 (m,): similarity to the most similar kept record before it (-inf: none)
    best_of: np.ndarray  # int64 (m,): position of that record (-1: none)

    @property
    def removed(self) -> np.ndarray:
        """Positions of the removed records."""
        return np.flatnonzero(~self.kept)


@dataclass
class ClusterDedup:
    """The outcome of every threshold, the near-duplicate groups, and how much was compared."""

    outcomes: list[ThresholdOutcome]
    groups: np.ndarray  # int64 (m,): position of the first record of each record's group
    pairs_compared: int = 0
    peak_block_bytes: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def block_rows(m: int, block_elements: int) -> int:
    """Rows per block so that a ``rows x m`` similarity block holds about ``block_elements`` floats."""
    return int(max(16, min(m, block_elements // max(m, 1))))


def dedup_cluster(
    vectors: np.ndarray,
    thresholds: list[float],
    *,
    group_threshold: float | None = None,
    block_elements: int = 4_194_304,
) -> ClusterDedup:
    """Greedy near-duplicate removal over ``vectors`` (m, d), unit rows in preference order.

    ``thresholds`` are similarities; a record is removed at threshold ``t`` when its
    similarity to an earlier record kept at ``t`` is greater than ``t``. ``group_threshold``
    (default: the first threshold) links any two records more similar than it into one
    near-duplicate group, removed or not (for the train/validation split).

    >>> v = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=np.float32)
    >>> out = dedup_cluster(v, [0.9])
    >>> out.outcomes[0].kept.tolist(), out.outcomes[0].best_of.tolist(), out.groups.tolist()
    ([True, False, True], [-1, 0, 0], [0, 0, 2])
    """
    m = len(vectors)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    gt = thresholds[0] if group_threshold is None else group_threshold
    outcomes = [
        ThresholdOutcome(float(t), np.zeros(m, bool), np.full(m, -np.inf, np.float32), np.full(m, -1, np.int64))
        for t in thresholds
    ]
    parent = np.arange(m, dtype=np.int64)
    rows = block_rows(m, block_elements)
    compared = 0
    peak = 0
    for start in range(0, m, rows):
        stop = min(m, start + rows)
        blk = x[start:stop]
        b = stop - start
        earlier = blk @ x[:start].T if start else np.empty((b, 0), np.float32)
        within = blk @ blk.T
        peak = max(peak, earlier.nbytes + within.nbytes)
        compared += b * start + b * (b - 1) // 2
        # near-duplicate groups: every pair above the group threshold, removed records included
        if start:
            ii, jj = np.nonzero(earlier > gt)
            union_pairs(parent, ii + start, jj)
        upper = np.triu(within > gt, 1)
        ii, jj = np.nonzero(upper)
        union_pairs(parent, ii + start, jj + start)
        for out in outcomes:
            best = out.best[start:stop]
            best_of = out.best_of[start:stop]
            if start:
                kept_before = np.flatnonzero(out.kept[:start])
                if len(kept_before):
                    sims = earlier[:, kept_before]
                    arg = sims.argmax(axis=1)
                    best[:] = sims[np.arange(b), arg]
                    best_of[:] = kept_before[arg]
            t = out.threshold
            above = np.triu(within > t, 1)
            for i in np.flatnonzero(above.any(axis=1)):
                if best[i] > t:
                    continue  # removed: it does not remove others
                js = np.flatnonzero(above[i])
                sims = within[i, js]
                better = sims > best[js]
                best[js[better]] = sims[better]
                best_of[js[better]] = start + i
            keep = best <= t  # nothing kept before it is more similar than t
            out.kept[start:stop] = keep
            # the best similarity to an earlier kept record of the block, below t included (for examples)
            kept_in = np.flatnonzero(keep)
            if len(kept_in):
                cand = np.where(kept_in[:, None] < np.arange(b)[None, :], within[kept_in, :], -np.inf)
                arg = cand.argmax(axis=0)
                val = cand[arg, np.arange(b)]
                upd = val > best
                best[upd] = val[upd]
                best_of[upd] = start + kept_in[arg[upd]]
    groups = roots(parent)
    return ClusterDedup(outcomes, groups, compared, peak)


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return int(root)


def roots(parent: np.ndarray) -> np.ndarray:
    """The root of every element, fully compressed (vectorised pointer jumping)."""
    roots = parent.copy()
    while True:
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            return roots
        roots = nxt


def union_pairs(parent: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> None:
    """Join the sets of ``ii[n]`` and ``jj[n]`` for every n; the smaller position becomes the root."""
    if not len(ii):
        return
    # reduce first: many pairs usually share roots (a dense group links everything to one survivor)
    ri = _roots_of(parent, ii)
    rj = _roots_of(parent, jj)
    pairs = np.unique(np.stack([np.minimum(ri, rj), np.maximum(ri, rj)], axis=1), axis=0)
    for a, b in pairs:
        if a == b:
            continue
        ra, rb = _find(parent, int(a)), _find(parent, int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)


def _roots_of(parent: np.ndarray, idx: np.ndarray) -> np.ndarray:
    r = idx.astype(np.int64, copy=True)
    while True:
        nxt = parent[r]
        if np.array_equal(nxt, r):
            return r
        r = nxt


def cross_pairs(
    guests: np.ndarray, hosts: np.ndarray, min_similarity: float, *, block_elements: int = 4_194_304
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pairs ``(guest row, host row, similarity)`` more similar than ``min_similarity``, in blocks.

    Used for the records near a cluster boundary (guests), compared with the records of
    their second-closest cluster (hosts). Also returns the number of pairs compared.
    """
    g = np.ascontiguousarray(guests, dtype=np.float32)
    h = np.ascontiguousarray(hosts, dtype=np.float32)
    rows = block_rows(len(h), block_elements)
    gi, hi, ss = [], [], []
    for start in range(0, len(g), rows):
        sims = g[start : start + rows] @ h.T
        i, j = np.nonzero(sims > min_similarity)
        gi.append(i + start)
        hi.append(j)
        ss.append(sims[i, j])
    if not gi:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0, np.float32), 0
    return np.concatenate(gi), np.concatenate(hi), np.concatenate(ss), len(g) * len(h)


def greedy_over_pairs(
    a: np.ndarray, b: np.ndarray, sims: np.ndarray, rank: np.ndarray, kept: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The greedy rule over extra pairs between kept records: in preference order, a kept record removes
    every kept record it is more similar to than ``threshold`` that comes after it.

    ``a``, ``b`` index records, ``rank`` gives each record's place in the preference order
    and ``kept`` (updated in place) which records are still kept. Returns the removed
    records, their survivors and similarities.

    >>> kept = np.ones(4, bool)
    >>> greedy_over_pairs(np.array([0, 1]), np.array([1, 2]), np.array([0.95, 0.97]), np.arange(4), kept, 0.9)
    (array([1]), array([0]), array([0.95]))
    """
    live = (sims > threshold) & kept[a] & kept[b]
    a, b, sims = a[live], b[live], sims[live]
    first = np.where(rank[a] <= rank[b], a, b)
    second = np.where(rank[a] <= rank[b], b, a)
    order = np.lexsort((-sims, rank[first]))
    removed, survivors, similarity = [], [], []
    for e in order:
        x, y = int(first[e]), int(second[e])
        if kept[x] and kept[y]:
            kept[y] = False
            removed.append(y)
            survivors.append(x)
            similarity.append(float(sims[e]))
    return np.array(removed, np.int64), np.array(survivors, np.int64), np.array(similarity, np.float64)
