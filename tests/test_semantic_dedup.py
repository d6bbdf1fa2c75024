"""Near-duplicate removal inside a cluster (SemDeDup in blocks), cluster quotas, noise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.semantic import diversity
from curate.semantic.semdedup import block_rows, dedup_cluster


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(rng: np.random.Generator, m: int, d: int = 12, noise: float = 0.2) -> np.ndarray:
    base = rng.standard_normal((max(1, m // 4), d))
    return unit(base[rng.integers(0, len(base), m)] + noise * rng.standard_normal((m, d)))


def greedy_reference(x: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The definition, one record at a time on the full matrix: removed if too similar to a kept one."""
    sims = x.astype(np.float64) @ x.T.astype(np.float64)
    kept: list[int] = []
    best = np.full(len(x), -np.inf)
    best_of = np.full(len(x), -1)
    for j in range(len(x)):
        if kept:
            row = sims[j, kept]
            a = int(np.argmax(row))
            best[j], best_of[j] = row[a], kept[a]
        if best[j] <= t:
            kept.append(j)
    mask = np.zeros(len(x), bool)
    mask[kept] = True
    return mask, best, best_of


def components(x: np.ndarray, t: float) -> np.ndarray:
    sims = x @ x.T
    parent = list(range(len(x)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            if sims[i, j] > t:
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)
    return np.array([find(i) for i in range(len(x))])


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 160),
    seed=st.integers(0, 10_000),
    block=st.integers(16, 3000),
    noise=st.floats(0.02, 0.6),
)
def test_blocked_greedy_matches_the_definition(m, seed, block, noise):
    x = clustered(np.random.default_rng(seed), m, noise=noise)
    thresholds = [0.9, 0.8, 0.97]
    out = dedup_cluster(x, thresholds, block_elements=block)
    sims = x @ x.T
    for outcome, t in zip(out.outcomes, thresholds, strict=True):
        if np.isclose(sims, t, atol=1e-5).any():
            continue  # float32 blocks vs float64 may break a tie at the threshold differently
        kept, best, _ = greedy_reference(x, t)
        assert (outcome.kept == kept).all()
        gone = ~outcome.kept
        assert (outcome.best_of[gone] < np.arange(m)[gone]).all()  # the survivor comes first
        assert outcome.kept[outcome.best_of[gone]].all()  # and was kept
        np.testing.assert_allclose(outcome.best[gone], best[gone], atol=1e-4)
    if not np.isclose(sims, 0.9, atol=1e-5).any():
        assert (out.groups == components(x, 0.9)).all()


def test_survivor_is_the_most_similar_kept_record():
    x = unit(np.array([[1, 0, 0], [1, 0.2, 0], [1, 0.05, 0.0], [0, 1, 0]], dtype=np.float32))
    out = dedup_cluster(x, [0.95]).outcomes[0]
    assert out.kept.tolist() == [True, False, False, True]
    assert out.best_of.tolist()[1:3] == [0, 0]
    assert out.best[2] == pytest.approx(float(x[0] @ x[2]), abs=1e-6)


def test_groups_include_removed_bridges():
    # a ~ b and b ~ c above the threshold, a and c below it: one group, b removed
    a = np.array([1.0, 0.0])
    b = np.array([np.cos(0.4), np.sin(0.4)])
    c = np.array([np.cos(0.8), np.sin(0.8)])
    x = unit(np.stack([a, b, c]))
    t = float(np.cos(0.45))
    out = dedup_cluster(x, [t])
    assert out.outcomes[0].kept.tolist() == [True, False, True]
    assert out.groups.tolist() == [0, 0, 0]


def test_memory_is_bounded_by_the_block_not_the_square():
    rng = np.random.default_rng(0)
    x = clustered(rng, 3000, d=16)
    out = dedup_cluster(x, [0.9], block_elements=100_000)
    rows = block_rows(3000, 100_000)
    assert rows == 33
    assert out.peak_block_bytes <= 4 * (rows * 3000 + rows * rows)
    assert out.peak_block_bytes < 4 * 3000 * 3000 / 50
    assert out.pairs_compared == 3000 * 2999 // 2


def test_several_thresholds_in_one_pass_are_monotone():
    x = clustered(np.random.default_rng(3), 400, noise=0.3)
    thresholds = [0.8, 0.85, 0.9, 0.95, 0.99]
    out = dedup_cluster(x, thresholds)
    removed = [len(o.removed) for o in out.outcomes]
    assert removed == sorted(removed, reverse=True)
    assert removed[0] > removed[-1]


def test_cluster_quotas():
    sizes = np.array([500, 100, 20, 0])
    assert diversity.cluster_quotas(sizes).tolist() == [500, 100, 20, 0]
    assert diversity.cluster_quotas(sizes, cap=50).tolist() == [50, 50, 20, 0]
    flat = diversity.cluster_quotas(sizes, temperature=1000.0, target=150)
    assert flat.sum() == 150 and flat[2] == 20 and flat[3] == 0 and abs(int(flat[0]) - int(flat[1])) <= 1
    prop = diversity.cluster_quotas(sizes, temperature=1.0, target=310)
    assert prop.tolist() == [250, 50, 10, 0]
    capped = diversity.cluster_quotas(sizes, cap=80, temperature=2.0, target=120)
    assert capped.sum() == 120 and (capped <= [80, 80, 20, 0]).all()


def test_hash_order_ignores_input_order():
    ids = [f"id{i}" for i in range(50)]
    first = [ids[i] for i in diversity.hash_order(ids, 7)]
    again = [ids[::-1][i] for i in diversity.hash_order(ids[::-1], 7)]
    assert first == again
    assert first != [ids[i] for i in diversity.hash_order(ids, 8)]


def test_outliers_and_tiny_clusters():
    labels = np.array([0, 0, 0, 0, 1, 2, 2])
    sims = np.array([0.9, 0.8, 0.2, 0.9, 0.9, 0.7, 0.95], dtype=np.float32)
    alive = np.ones(7, bool)
    far, tiny = diversity.outliers(sims, labels, alive, 3, min_similarity=0.5, min_size=2)
    assert far.tolist() == [False, False, True, False, False, False, False]
    assert tiny.tolist() == [False, False, False, False, True, False, False]
