"""Spherical K-means: the backends, determinism, streaming, empty clusters, the rule for k."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest

from curate.errors import ConfigError, MissingDependency
from curate.semantic import kmeans
from curate.semantic.kmeans import KMeansError, choose_k, get_backend, kmeans_plus_plus, spherical_kmeans

pytest.importorskip("torch")


def blobs(n: int = 1200, k: int = 6, d: int = 24, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d))
    truth = rng.integers(0, k, n)
    x = centres[truth] + noise * np.linalg.norm(centres, axis=1).mean() * rng.standard_normal((n, d)) / np.sqrt(d)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings split the points the same way (up to renaming)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_choose_k_rule():
    assert [choose_k(n) for n in (0, 1, 2, 50, 100, 20_000)] == [1, 1, 1, 5, 7, 100]
    assert choose_k(10**12) == 50_000


def test_kmeans_plus_plus_is_deterministic_and_spread():
    x, truth = blobs()
    a = kmeans_plus_plus(x, 6, seed=3)
    b = kmeans_plus_plus(x, 6, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, kmeans_plus_plus(x, 6, seed=4))
    # greedy k-means++ puts one centre in each well-separated blob
    nearest = np.argmax(a @ (x[np.argsort(truth)][:: len(x) // 6]).T, axis=1)
    assert len(set(nearest.tolist())) >= 5
    with pytest.raises(KMeansError):
        kmeans_plus_plus(x[:3], 5)


def test_torch_recovers_blobs_and_is_deterministic():
    x, truth = blobs()
    a = spherical_kmeans(x, 6, backend="torch", seed=1)
    b = spherical_kmeans(x, 6, backend="torch", seed=1)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centroids, b.centroids)
    assert same_partition(a.labels, truth)
    assert a.backend == "torch" and a.device == "cpu"
    np.testing.assert_allclose(np.linalg.norm(a.centroids, axis=1), 1.0, atol=1e-5)
    # the similarities are those of each point to its own (closest) centroid
    sims = x @ a.centroids.T
    assert np.array_equal(a.labels, sims.argmax(axis=1))
    np.testing.assert_allclose(a.similarity, sims.max(axis=1), atol=1e-5)


def test_streaming_from_a_float16_memmap_matches_memory(tmp_path):
    x, _ = blobs(n=3000)
    disk = np.lib.format.open_memmap(tmp_path / "v.npy", mode="w+", dtype=np.float16, shape=x.shape)
    disk[:] = x
    init = kmeans_plus_plus(disk, 6, seed=0)
    resident = spherical_kmeans(disk, 6, backend="torch", init=init, chunk_size=500)
    streamed = spherical_kmeans(disk, 6, backend="torch", init=init, chunk_size=500, memory_limit_mb=0)
    assert np.array_equal(resident.labels, streamed.labels)
    np.testing.assert_allclose(resident.centroids, streamed.centroids, atol=1e-5)


def test_bounded_iterations_match_plain_lloyd():
    # overlapping topics: many points near boundaries, so the bounds must be right, not just lucky
    rng = np.random.default_rng(7)
    topics = rng.standard_normal((20, 48)).astype(np.float32)
    x = topics[rng.integers(0, 20, 4000)] + 1.5 * rng.standard_normal((4000, 48)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    init = kmeans_plus_plus(x, 20, seed=0)
    bounded = kmeans.TorchBackend(device="cpu")
    plain = kmeans.TorchBackend(device="cpu")
    plain.use_bounds = False
    a = bounded.fit(x, init, iterations=15, tol=-1.0, seed=0)
    b = plain.fit(x, init, iterations=15, tol=-1.0, seed=0)
    assert (a[1] == b[1]).mean() > 0.999
    np.testing.assert_allclose(a[0], b[0], atol=1e-4)
    np.testing.assert_allclose(a[2], (x * a[0][a[1]]).sum(axis=1), atol=1e-5)
    assert a[3] == b[3] == 15


def test_empty_clusters_are_reseeded_not_nan():
    x, _ = blobs(n=600, k=3)
    init = np.repeat(x[:1], 5, axis=0)  # five identical centres: four clusters empty after the first step
    result = spherical_kmeans(x, 5, backend="torch", init=init, iterations=10)
    assert np.isfinite(result.centroids).all()
    assert result.reseeded >= 4
    assert (result.sizes > 0).all()


def test_k_is_capped_by_n_and_defaults_from_n():
    x, _ = blobs(n=8, k=2)
    assert spherical_kmeans(x, 50, backend="torch").k == 8
    assert spherical_kmeans(blobs(n=200)[0], backend="torch").k == choose_k(200)


@pytest.mark.parametrize("name", ["sklearn", "faiss"])
def test_optional_backends_agree_with_torch(name):
    module = {"sklearn": "sklearn", "faiss": "faiss"}[name]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    x, truth = blobs(n=900, k=5)
    init = kmeans_plus_plus(x, 5, seed=0)
    ours = spherical_kmeans(x, 5, backend="torch", init=init)
    theirs = spherical_kmeans(x, 5, backend=name, init=init)
    assert theirs.backend == name
    assert same_partition(theirs.labels, truth) and same_partition(ours.labels, truth)
    np.testing.assert_allclose(np.linalg.norm(theirs.centroids, axis=1), 1.0, atol=1e-5)


def test_sklearn_minibatch_when_too_big():
    pytest.importorskip("sklearn")
    x, truth = blobs(n=900, k=5)
    init = kmeans_plus_plus(x, 5, seed=0)
    result = spherical_kmeans(x, 5, backend="sklearn", init=init, memory_limit_mb=0, chunk_size=300, iterations=3)
    assert same_partition(result.labels, truth)


@pytest.mark.slow
def test_keops_backend_on_cpu_matches_torch():
    pytest.importorskip("pykeops")
    if shutil.which("g++") is None:
        pytest.skip("pykeops needs g++ to compile")
    x, _ = blobs(n=500, k=4, d=8)
    init = kmeans_plus_plus(x, 4, seed=0)
    ours = spherical_kmeans(x, 4, backend="torch", init=init, iterations=5)
    keops = spherical_kmeans(x, 4, backend="keops", init=init, iterations=5)
    assert keops.backend == "keops"
    assert np.array_equal(ours.labels, keops.labels)


def test_bad_backend_and_settings():
    with pytest.raises(ConfigError, match="unknown K-means backend"):
        get_backend("gpu-magic")
    x, _ = blobs(n=50)
    with pytest.raises(ConfigError):
        spherical_kmeans(x, 0, backend="torch")
    with pytest.raises(KMeansError, match="empty"):
        spherical_kmeans(x[:0], 2, backend="torch")
    with pytest.raises(KMeansError, match="shape"):
        spherical_kmeans(x, 3, backend="torch", init=np.zeros((2, x.shape[1]), np.float32))


def test_missing_optional_backend_names_the_pip_line(monkeypatch):
    def fake_requires(module, *, extra, purpose, package=None):
        raise MissingDependency(package or module, extra=extra, purpose=purpose)

    monkeypatch.setattr(kmeans, "requires", fake_requires)
    with pytest.raises(MissingDependency) as info:
        get_backend("faiss")
    assert info.value.hint == "pip install 'curate[faiss]'"
    assert "faiss-cpu" in str(info.value)


def test_auto_is_torch_on_cpu():
    assert get_backend("auto", device="cpu").name == "torch"
