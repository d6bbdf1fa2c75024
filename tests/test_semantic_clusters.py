"""The cluster-by-cluster pieces of the semantic phase: the fit sample, the assignment, the merge."""

from __future__ import annotations

import numpy as np
import pytest

from curate.semantic.clusters import (
    ClusterWork,
    Features,
    MatrixVectors,
    assign_rows,
    closest_examples,
    cluster_pass,
    fit_sample,
    fit_sample_size,
    identity,
    merge,
)


def unit(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_fit_sample_depends_on_the_keys_not_their_order() -> None:
    keys = np.random.default_rng(1).integers(0, 2**63, size=20_000, dtype=np.int64).view(np.uint64)
    keys[10_000:12_000] = keys[:2_000]  # copies of the same texts
    chosen = fit_sample(keys, 2_000, seed=7)
    assert len(chosen) == 2_000 and np.all(np.diff(chosen) > 0)
    assert len(np.unique(keys[chosen])) == 2_000  # one record a text
    reordered = keys[::-1]
    assert set(reordered[fit_sample(reordered, 2_000, seed=7)]) == set(keys[chosen])
    assert set(keys[fit_sample(keys, 2_000, seed=8)]) != set(keys[chosen])
    assert np.array_equal(fit_sample(keys, 20_000, seed=7), np.arange(20_000))


def test_fit_sample_of_few_distinct_texts() -> None:
    keys = np.array([5, 9, 5, 5, 9, 7] * 1000, dtype=np.uint64)
    assert fit_sample(keys, 100, seed=0).tolist() == [0, 1, 5]  # each text once, at its first record
    two = fit_sample(keys, 2, seed=0)
    assert len(two) == 2 and set(keys[two]) == set(keys[::-1][fit_sample(keys[::-1], 2, seed=0)])


def test_fit_sample_size_rules() -> None:
    assert fit_sample_size(1_000, 22, None, 10**9) == 1_000
    assert fit_sample_size(10**6, 707, None, 10**9) == 256 * 707
    assert fit_sample_size(10**6, 707, 0, 10**9) == 10**6
    assert fit_sample_size(10**6, 707, 10, 10**9) == 4 * 707  # never fewer than 4 per cluster
    assert fit_sample_size(10**7, 2236, None, 60_000) == 60_000  # the memory limit wins above 50,000
    assert fit_sample_size(10**7, 100, None, 10) == 50_000  # but a sample of 50,000 is always allowed


def test_assignment_is_the_closest_and_second_closest_centroid() -> None:
    x, c = unit(500), unit(7, seed=1)
    out = assign_rows(x.astype(np.float16), c)
    sims = unit(500).astype(np.float16).astype(np.float32)
    sims = (sims / np.linalg.norm(sims, axis=1, keepdims=True)) @ c.T
    order = np.argsort(-sims, axis=1)
    assert np.array_equal(out.labels, order[:, 0]) and np.array_equal(out.second, order[:, 1])
    assert np.allclose(out.sims, sims[np.arange(500), order[:, 0]], atol=1e-6)
    single = assign_rows(x, c[:1])
    assert np.all(single.labels == 0) and np.all(np.isneginf(single.second_sims))


def test_merge_does_not_depend_on_where_or_in_which_order_clusters_ran() -> None:
    x = unit(400, d=8, seed=3)
    x[200:260] = x[:60] + 0.05 * unit(60, d=8, seed=4)  # near-duplicates
    centroids = unit(6, d=8, seed=5)
    vectors = MatrixVectors(x, chunk=64)
    assignment = vectors.assign(centroids)
    work = ClusterWork((0.95, 0.9), "centroid", examples=3)
    features = Features(np.arange(400), np.full(400, np.nan))
    results = list(vectors.clusters(assignment, 0.2, 6, work, features))
    assert sum(len(r.members) for r in results) == 400
    forward = merge(results, 400, 2, identity)
    backward = merge(results[::-1], 400, 2, identity)
    for name in ("kept", "removed_by", "removed_sim", "parent"):
        assert np.array_equal(getattr(forward, name), getattr(backward, name)), name
    assert all(np.array_equal(a, b) for a, b in zip(forward.edges, backward.edges, strict=True))
    assert [closest_examples(n, 3) for n in forward.near] == [closest_examples(n, 3) for n in backward.near]
    assert (forward.removed_by >= 0).sum() > 0 and len(forward.edges[0]) > 0
    # named by positions instead of indices, the merge gives the same arrays back
    positions = np.arange(400) * 10 + 5
    renamed = [
        cluster_pass(
            r.cluster,
            positions[np.sort(r.members)],
            x[np.sort(r.members)],
            assignment.sims[np.sort(r.members)],
            features.lengths[np.sort(r.members)],
            features.quality[np.sort(r.members)],
            positions[np.sort(r.edges[0])][:0],
            x[:0],
            work,
        )
        for r in results
    ]
    plain = [
        cluster_pass(
            r.cluster,
            np.sort(r.members),
            x[np.sort(r.members)],
            assignment.sims[np.sort(r.members)],
            features.lengths[np.sort(r.members)],
            features.quality[np.sort(r.members)],
            np.zeros(0, np.int64),
            x[:0],
            work,
        )
        for r in results
    ]
    by_position = merge(renamed, 400, 2, lambda names: np.searchsorted(positions, names))
    by_index = merge(plain, 400, 2, identity)
    for name in ("kept", "removed_by", "removed_sim", "parent"):
        assert np.array_equal(getattr(by_position, name), getattr(by_index, name)), name
    assert by_position.near == by_index.near


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_closest_examples_of_parts_are_the_closest_of_the_whole(limit: int) -> None:
    rng = np.random.default_rng(limit)
    found = [(float(rng.random()), int(i), int(i) + 1, 0.9, bool(rng.random() < 0.5)) for i in range(60)]
    parts = [closest_examples(found[i : i + 7], limit) for i in range(0, 60, 7)]
    assert closest_examples([e for p in parts for e in p], limit) == closest_examples(found, limit)


@pytest.mark.slow
def test_assignment_does_not_depend_on_the_batching() -> None:
    """Engines cut records into different batches: a row's answer must be the same in any of them."""
    x = unit(999, d=48, seed=9)
    x[500:] = x[:499]  # every record twice, at another place in another batch
    x[998] = 0.5 * (x[1] + x[2])  # near a tie between two centroids, if centroids sat there
    c = unit(30, d=48, seed=10)
    c[1], c[2] = x[1], x[2]
    whole = assign_rows(x, c)
    for chunk in (1, 7, 64, 333):
        parts = MatrixVectors(x, chunk=chunk).assign(c)
        for name in ("labels", "sims", "second", "second_sims"):
            assert np.array_equal(getattr(parts, name), getattr(whole, name)), (chunk, name)
    assert np.array_equal(whole.sims[500:998], whole.sims[:498])


@pytest.mark.slow
def test_a_near_tie_for_second_place_does_not_depend_on_the_batching() -> None:
    x = unit(2000, d=32, seed=11)
    c = unit(6, d=32, seed=12)
    c[4] = c[3] + 1e-6 * unit(1, d=32, seed=13)[0]  # two centroids a rounding apart
    c[4] /= np.linalg.norm(c[4])
    x[:1000] = c[0] + 0.3 * x[:1000]  # closest to c[0], second place a near tie of c[3] and c[4]
    x[:1000] -= 0.2 * (c[1] + c[2] + c[5])
    whole = assign_rows(x, c)
    assert set(whole.second[:1000].tolist()) <= {3, 4}
    for chunk in (1, 37, 500):
        parts = MatrixVectors(x, chunk=chunk).assign(c)
        assert np.array_equal(parts.second, whole.second) and np.array_equal(parts.second_sims, whole.second_sims)
