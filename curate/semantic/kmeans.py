"""Spherical (cosine) K-means behind one interface, with four backends.

* ``torch`` — chunked matrix products and a max per row, on the CPU (the default
  there) or on CUDA; the data may be a memory-mapped float16 array larger than memory,
  which is then streamed from disk chunk by chunk at every iteration.
* ``keops`` — the assignment step as a pykeops ``LazyTensor`` reduction, meant for CUDA
  (it compiles each formula once, with nvcc or g++).
* ``faiss`` — ``faiss.Kmeans(spherical=True)``; needs the data in memory.
* ``sklearn`` — scikit-learn's Lloyd ``KMeans`` on the unit vectors (Euclidean K-means
  on the sphere, centroids normalised afterwards), or ``MiniBatchKMeans`` fed chunk by
  chunk when the data does not fit in ``memory_limit_mb``.

Every backend starts from the same initial centroids (k-means++ on a sample, seeded),
so a run is deterministic for a seed, and re-seeds an emptied cluster with the point
farthest from its centroid instead of dividing by zero. Labels returned always refer to
the returned centroids (a last assignment pass follows the last update).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from curate.errors import ConfigError, CurateError, requires
from curate.semantic.blas import blas_threads

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "keops", "faiss", "sklearn")


class KMeansError(CurateError):
    """K-means could not run (a backend failed to compile, bad input...)."""


@dataclass
class KMeansResult:
    """Unit-norm ``centroids`` (k, d), each point's ``labels`` and cosine ``similarity`` to its centroid."""

    centroids: np.ndarray
    labels: np.ndarray
    similarity: np.ndarray
    iterations: int
    reseeded: int
    backend: str
    device: str
    seconds: float

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def sizes(self) -> np.ndarray:
        """Number of points in each cluster."""
        return np.bincount(self.labels, minlength=self.k)


def choose_k(n: int) -> int:
    """The number of clusters used when none is given: ``round(sqrt(n / 2))``, between 1 and 50,000.

    The average cluster then holds about ``sqrt(2 n)`` records, so the pairwise work of
    near-duplicate removal grows as ``n ** 1.5`` and a cluster stays small enough to
    compare in memory.

    >>> [choose_k(n) for n in (1, 100, 20_000, 1_000_000)]
    [1, 7, 100, 707]
    """
    if n < 1:
        return 1
    return int(min(50_000, max(1, round(math.sqrt(n / 2)))))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float32, copy=True)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    x /= np.maximum(norms, 1e-12)
    return x


def _unit_rows_view(x: np.ndarray) -> np.ndarray:
    """``x`` itself when it already holds float32 unit rows (it is only read), else a normalised copy."""
    if isinstance(x, np.ndarray) and not isinstance(x, np.memmap) and x.dtype == np.float32 and x.flags.c_contiguous:
        norms = np.einsum("ij,ij->i", x, x)
        if np.abs(norms - 1.0).max(initial=0.0) < 1e-5:
            return x
    return _unit_rows(x)


def _add_rows(sums: np.ndarray, counts: np.ndarray, labels: np.ndarray, rows: np.ndarray, sign: int) -> None:
    """``sums[labels[i]] += sign * rows[i]`` and ``counts[labels[i]] += sign``, grouped by label."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    groups = ordered[starts]
    totals = np.add.reduceat(rows[order], starts, axis=0)
    if sign < 0:
        sums[groups] -= totals
    else:
        sums[groups] += totals
    counts[groups] += sign * np.diff(np.r_[starts, len(ordered)])


def kmeans_plus_plus(data: np.ndarray, k: int, *, seed: int = 0, sample_size: int | None = None) -> np.ndarray:
    """Initial centroids by greedy k-means++ on a seeded sample of the rows of ``data``.

    The sample has ``min(n, max(10_000, 40 * k), 200_000)`` rows (override with
    ``sample_size``); each step draws ``2 + ln k`` candidates by squared distance and keeps
    the one that lowers the potential most. Returns float32 unit rows, shape (k, d).
    """
    n = len(data)
    if k < 1 or k > n:
        raise KMeansError(f"cannot choose {k} initial centroids from {n} points")
    rng = np.random.default_rng(seed)
    size = min(n, sample_size or min(max(10_000, 40 * k), 200_000))
    index = np.sort(rng.choice(n, size=size, replace=False)) if size < n else np.arange(n)
    x = _unit_rows(data[index])
    trials = 2 + int(math.log(k)) if k > 1 else 1
    centres = np.empty((k, x.shape[1]), dtype=np.float32)
    first = int(rng.integers(size))
    centres[0] = x[first]
    closest = np.maximum(2.0 - 2.0 * (x @ x[first]), 0.0)
    for c in range(1, k):
        potential = float(closest.sum())
        if potential <= 1e-12:  # every point sits on a centre already: any point will do
            centres[c] = x[int(rng.integers(size))]
            continue
        picks = np.searchsorted(np.cumsum(closest, dtype=np.float64), rng.random(trials) * potential)
        picks = np.minimum(picks, size - 1)
        dist = np.maximum(2.0 - 2.0 * (x[picks] @ x.T), 0.0)
        np.minimum(dist, closest, out=dist)
        best = int(np.argmin(dist.sum(axis=1)))
        centres[c] = x[picks[best]]
        closest = dist[best]
    return centres


class KMeansBackend:
    """One way of running spherical K-means. Subclasses set ``name`` and implement :meth:`fit`.

    ``fit`` returns ``(centroids, labels, similarity, iterations, reseeded)`` as numpy
    arrays (float32 unit centroids, int64 labels, float32 similarities).
    """

    name: ClassVar[str]

    def __init__(
        self, *, device: str | None = None, chunk_size: int | None = None, memory_limit_mb: int = 2048
    ) -> None:
        self.device = device or "cpu"
        self.chunk_size = chunk_size
        self.memory_limit_mb = memory_limit_mb

    def fits_in_memory(self, data: np.ndarray) -> bool:
        """Whether ``data`` as float32 fits in ``memory_limit_mb``."""
        return data.shape[0] * data.shape[1] * 4 <= self.memory_limit_mb * 2**20

    def fit(
        self, data: np.ndarray, init: np.ndarray, *, iterations: int, tol: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        raise NotImplementedError


class TorchBackend(KMeansBackend):
    """Lloyd iterations with chunked ``x @ c.T`` and a max per row, on CPU or CUDA."""

    name = "torch"
    purpose = "the torch K-means backend"

    def __init__(
        self, *, device: str | None = None, chunk_size: int | None = None, memory_limit_mb: int = 2048
    ) -> None:
        torch = requires("torch", extra="embed", purpose=self.purpose)
        if device in (None, "auto"):
            device = "cuda" if torch.cuda.is_available() else "cpu"
        super().__init__(device=device, chunk_size=chunk_size, memory_limit_mb=memory_limit_mb)
        self.torch = torch
        self._device = torch.device(self.device)
        if self.chunk_size is None:
            self.chunk_size = 8192 if self._device.type == "cpu" else 262_144

    # -- data access ---------------------------------------------------------------

    def _chunks(self, data: np.ndarray) -> Any:
        """A callable yielding ``(start, float32 unit tensor)`` chunks of ``data`` on the device."""
        torch = self.torch
        step = int(self.chunk_size or 8192)
        if self.fits_in_memory(data):
            # normalize() makes a new tensor: the caller's array is never changed
            resident = torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32)).to(self._device)
            resident = torch.nn.functional.normalize(resident, dim=1)

            def resident_chunks() -> Any:
                for start in range(0, resident.shape[0], step):
                    yield start, resident[start : start + step]

            return resident_chunks

        def streamed_chunks() -> Any:
            for start in range(0, data.shape[0], step):
                block = torch.from_numpy(np.asarray(data[start : start + step], dtype=np.float32)).to(self._device)
                yield start, torch.nn.functional.normalize(block, dim=1)

        return streamed_chunks

    # -- the steps -----------------------------------------------------------------

    def assign(self, x: Any, c: Any) -> tuple[Any, Any]:
        """Similarity to, and index of, the closest centroid of each row of ``x``."""
        sims, labels = (x @ c.T).max(dim=1)
        return sims, labels

    #: On the CPU with the data in memory, skip the points whose centroid provably cannot change.
    use_bounds = True

    def fit(
        self, data: np.ndarray, init: np.ndarray, *, iterations: int, tol: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        if self.use_bounds and self._device.type == "cpu" and self.fits_in_memory(data) and init.shape[0] > 1:
            return self._fit_bounded(data, init, iterations=iterations, tol=tol)
        torch = self.torch
        chunks = self._chunks(data)
        k, d = init.shape
        c = torch.nn.functional.normalize(torch.from_numpy(np.array(init, dtype=np.float32)).to(self._device), dim=1)
        reseeded = 0
        done = 0
        for _ in range(iterations):
            sums = torch.zeros((k, d), dtype=torch.float32, device=self._device)
            counts = torch.zeros(k, dtype=torch.int64, device=self._device)
            for _, x in chunks():
                _, labels = self.assign(x, c)
                sums.index_add_(0, labels, x)
                counts += torch.bincount(labels, minlength=k)
            done += 1
            empty = torch.nonzero(counts == 0).flatten()
            new = torch.nn.functional.normalize(sums, dim=1)
            if len(empty):
                new[empty] = self._farthest(chunks, c, len(empty))
                reseeded += len(empty)
            shift = float((1.0 - (new * c).sum(dim=1)).max())
            c = new
            if shift <= tol and not len(empty):
                break
        labels_out = np.empty(data.shape[0], dtype=np.int64)
        sims_out = np.empty(data.shape[0], dtype=np.float32)
        for start, x in chunks():
            sims, labels = self.assign(x, c)
            labels_out[start : start + len(x)] = labels.cpu().numpy()
            sims_out[start : start + len(x)] = sims.cpu().numpy()
        return c.cpu().numpy().astype(np.float32), labels_out, sims_out, done, reseeded

    def _fit_bounded(
        self, data: np.ndarray, init: np.ndarray, *, iterations: int, tol: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        """Lloyd iterations on the CPU that recompute only the points whose centroid may have changed.

        Each point keeps an upper bound ``upper`` on the (Euclidean, unit-sphere) distance
        to its centroid and a lower bound ``lower`` on the distance to every other centroid.
        When the centroids move by ``delta``, ``upper`` grows by its own centroid's move and
        ``lower`` shrinks by the largest move of another centroid; a point with
        ``upper <= lower`` provably keeps its centroid (Hamerly, 2010); the others get their
        distances to every centroid again, with one product per chunk when they are many.
        The labels are those of plain Lloyd iterations, for a fraction of the products once
        the centroids settle. numpy (BLAS) does the products and the row maxima, which
        torch does slowly on a CPU; moved points update the centroid sums incrementally.
        """
        torch = self.torch
        step = 4096
        x = _unit_rows_view(data)
        n = x.shape[0]
        k, d = init.shape
        c = _unit_rows(init)
        labels = np.empty(n, dtype=np.int64)
        upper = np.empty(n, dtype=np.float32)
        lower = np.empty(n, dtype=np.float32)
        slack = np.float32(1e-5)  # float32 rounding: keep the bounds on the safe side

        def top2(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """Closest centroid, distance to it and to the second closest, for rows of ``x @ c.T``."""
            rows = np.arange(len(block))
            first = block.argmax(axis=1)
            best = block[rows, first]
            block[rows, first] = -np.inf
            second = block.max(axis=1)
            return (
                first,
                np.sqrt(np.maximum(2.0 - 2.0 * best, 0.0)) + slack,
                np.sqrt(np.maximum(2.0 - 2.0 * second, 0.0)) - slack,
            )

        for start in range(0, n, step):
            end = min(n, start + step)
            labels[start:end], upper[start:end], lower[start:end] = top2(x[start:end] @ c.T)
        xt = torch.from_numpy(x)
        sums = torch.zeros((k, d), dtype=torch.float32).index_add_(0, torch.from_numpy(labels), xt).numpy()
        counts = np.bincount(labels, minlength=k)
        reseeded = 0
        done = 0
        for _ in range(iterations):
            new = _unit_rows(sums)
            empty = np.flatnonzero(counts == 0)
            if len(empty):  # the points farthest from their centroid become the emptied centroids
                own = np.einsum("ij,ij->i", x, c[labels])
                new[empty] = x[np.argsort(own, kind="stable")[: len(empty)]]
                reseeded += len(empty)
            done += 1
            delta = np.sqrt(np.einsum("ij,ij->i", new - c, new - c))
            shift = float((1.0 - np.einsum("ij,ij->i", new, c)).max())
            c = new
            order = np.argsort(-delta, kind="stable")
            upper += delta[labels]
            lower -= np.where(labels == order[0], delta[order[min(1, k - 1)]], delta[order[0]])
            suspect = np.flatnonzero(upper > lower)
            cuts = np.searchsorted(suspect, np.arange(0, n + step, step))
            moves: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
            for start, lo, hi in zip(range(0, n, step), cuts[:-1], cuts[1:], strict=False):
                index = suspect[lo:hi]
                if not len(index):
                    continue
                if len(index) > 0.6 * min(step, n - start):  # dense: one product for the chunk, no gather
                    block = (x[start : start + step] @ c.T)[index - start]
                else:
                    block = x[index] @ c.T
                old = labels[index]
                fresh, upper[index], lower[index] = top2(block)
                changed = fresh != old
                if changed.any():
                    labels[index] = fresh
                    moves.append((index[changed], old[changed], fresh[changed]))
            if moves:  # the centroid sums follow the points that moved (one update per iteration)
                moved, old, fresh = (np.concatenate(parts) for parts in zip(*moves, strict=True))
                if len(moved) > n // 8:
                    sums = torch.zeros((k, d), dtype=torch.float32).index_add_(0, torch.from_numpy(labels), xt).numpy()
                    counts = np.bincount(labels, minlength=k)
                else:
                    moved_rows = x[moved]
                    _add_rows(sums, counts, fresh, moved_rows, 1)
                    _add_rows(sums, counts, old, moved_rows, -1)
            if shift <= tol and not len(empty):
                break
        sims = np.empty(n, dtype=np.float32)
        for start in range(0, n, step):
            end = min(n, start + step)
            sims[start:end] = np.einsum("ij,ij->i", x[start:end], c[labels[start:end]])
        return c.astype(np.float32), labels, sims, done, reseeded

    def _farthest(self, chunks: Any, c: Any, count: int) -> Any:
        """The ``count`` points least similar to their centroid (new centres for empty clusters)."""
        torch = self.torch
        best_sims, best_vecs = None, None
        for _, x in chunks():
            sims, _ = self.assign(x, c)
            take = min(count, len(sims))
            low, idx = torch.topk(sims, take, largest=False)
            vecs = x[idx]
            if best_sims is None:
                best_sims, best_vecs = low, vecs
            else:
                best_sims = torch.cat([best_sims, low])
                best_vecs = torch.cat([best_vecs, vecs])
                keep = torch.topk(best_sims, min(count, len(best_sims)), largest=False).indices
                best_sims, best_vecs = best_sims[keep], best_vecs[keep]
        assert best_vecs is not None
        if len(best_vecs) < count:  # fewer points than empty clusters: repeat (cannot happen when k <= n)
            best_vecs = best_vecs[torch.arange(count, device=best_vecs.device) % len(best_vecs)]
        return best_vecs


_PROBE = """
import sys, torch
from pykeops.torch import LazyTensor
device, d, formula = sys.argv[1], int(sys.argv[2]), sys.argv[3]
x = torch.nn.functional.normalize(torch.randn(64, d, device=device), dim=1)
c = torch.nn.functional.normalize(torch.randn(8, d, device=device), dim=1)
x_i, c_j = LazyTensor(x[:, None, :]), LazyTensor(c[None, :, :])
if formula == "max_argmax":
    labels = (x_i | c_j).max_argmax(dim=1)[1]
elif formula == "argmax":
    labels = (x_i | c_j).argmax(dim=1)
else:
    labels = ((x_i - c_j) ** 2).sum(-1).argmin(dim=1)
ok = bool((labels.view(-1).long() == (x @ c.T).argmax(dim=1)).float().mean() > 0.9)
print("keops probe", formula, d, "ok" if ok else "WRONG")
sys.exit(0 if ok else 1)
"""
#: The keops formulations of the assignment, tried in this order by the probe.
FORMULAS = ("max_argmax", "argmax", "sqdist")
_probed: dict[tuple[str, int, str], str | None] = {}


def probe_keops(device: str, dim: int, formula: str = "max_argmax", *, timeout: float = 900.0) -> str | None:
    """Compile and run a keops assignment ``formula`` for ``dim`` in a child process; ``None`` when it works.

    pykeops compiles each formula on first use (nvrtc on CUDA, g++ on the CPU), and a
    broken toolchain can crash the interpreter (a segmentation fault was seen with CUDA 13
    at d=384), which no ``except`` catches. The probe takes that risk in a child process;
    the compiled formula stays cached on disk for this process. Returns what went wrong.
    """
    key = (device, dim, formula)
    if key not in _probed:
        import signal
        import subprocess
        import sys

        try:
            proc = subprocess.run(
                [sys.executable, "-c", _PROBE, device, str(dim), formula],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            _probed[key] = f"took more than {timeout:.0f} s compiling {formula} for d={dim} on {device}"
        else:
            if proc.returncode == 0:
                _probed[key] = None
            else:
                if proc.returncode < 0:
                    how = f"crashed with {signal.Signals(-proc.returncode).name}"
                else:
                    how = f"failed (exit {proc.returncode})"
                tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
                _probed[key] = f"{how} compiling or running {formula} for d={dim} on {device}: {tail}"
    return _probed[key]


class KeOpsBackend(TorchBackend):
    """The assignment as a pykeops ``LazyTensor`` argmax (no (N, k) matrix in memory); for CUDA.

    Before the first use for a dimension, the formula is compiled in a child process
    (:func:`probe_keops`), so that a toolchain that crashes becomes a :class:`KMeansError`.
    """

    name = "keops"
    purpose = "the keops K-means backend"
    use_bounds = False  # the point of keops is the full reduction without an (N, k) block

    def __init__(
        self,
        *,
        device: str | None = None,
        chunk_size: int | None = None,
        memory_limit_mb: int = 2048,
        probe: bool = True,
    ) -> None:
        super().__init__(device=device, chunk_size=chunk_size or 1_048_576, memory_limit_mb=memory_limit_mb)
        self.pykeops = requires("pykeops.torch", extra="gpu", purpose=self.purpose, package="pykeops")
        self.probe = probe
        if self._device.type == "cpu":
            log.warning("the keops backend runs on the CPU here: expect it to be much slower than 'torch'")

    def formula_for(self, dim: int) -> str:
        """The first of :data:`FORMULAS` that compiles and runs for ``dim`` here (probed once)."""
        if not self.probe:
            return FORMULAS[0]
        problems = []
        for formula in FORMULAS:
            problem = probe_keops(self.device, dim, formula)
            if problem is None:
                return formula
            problems.append(problem)
        raise KMeansError(f"pykeops {'; '.join(problems)}", hint="use --kmeans-backend torch (backend = 'torch')")

    def assign(self, x: Any, c: Any) -> tuple[Any, Any]:
        formula = self.formula_for(int(x.shape[1]))
        lazy = self.pykeops.LazyTensor
        x_i = lazy(x[:, None, :])
        c_j = lazy(c[None, :, :])
        try:
            if formula == "max_argmax":
                sims, labels = (x_i | c_j).max_argmax(dim=1)
                return sims.view(-1), labels.view(-1).long()
            if formula == "argmax":
                labels = (x_i | c_j).argmax(dim=1).view(-1).long()
            else:
                labels = ((x_i - c_j) ** 2).sum(-1).argmin(dim=1).view(-1).long()
        except Exception as exc:  # compilation or CUDA errors surface here, at the first call
            raise KMeansError(
                f"pykeops failed to compile or run its reduction on {self.device}: {exc}",
                hint="check that nvcc (for CUDA) or g++ works, or use --kmeans-backend torch",
            ) from exc
        return (x * c[labels]).sum(dim=1), labels


class FaissBackend(KMeansBackend):
    """``faiss.Kmeans`` with ``spherical=True`` over every point (no subsampling)."""

    name = "faiss"

    def __init__(
        self, *, device: str | None = None, chunk_size: int | None = None, memory_limit_mb: int = 2048
    ) -> None:
        super().__init__(device=device, chunk_size=chunk_size or 65536, memory_limit_mb=memory_limit_mb)
        self.faiss = requires("faiss", extra="faiss", purpose="the faiss K-means backend", package="faiss-cpu")

    def fit(
        self, data: np.ndarray, init: np.ndarray, *, iterations: int, tol: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        faiss = self.faiss
        x = _training_rows(data, self.memory_limit_mb, seed)
        k, d = init.shape
        km = faiss.Kmeans(
            d,
            k,
            niter=iterations,
            spherical=True,
            seed=seed,
            max_points_per_centroid=len(x) // k + 1,
            min_points_per_centroid=1,
            verbose=False,
            gpu=False,
        )
        km.train(x, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
        centroids = _unit_rows(km.centroids)
        index = faiss.IndexFlatIP(d)
        index.add(centroids)
        labels = np.empty(data.shape[0], dtype=np.int64)
        sims = np.empty(data.shape[0], dtype=np.float32)
        step = int(self.chunk_size or 65536)
        for start in range(0, data.shape[0], step):
            block = x[start : start + step] if len(x) == data.shape[0] else _unit_rows(data[start : start + step])
            dist, idx = index.search(np.ascontiguousarray(block), 1)
            labels[start : start + len(block)] = idx[:, 0]
            sims[start : start + len(block)] = dist[:, 0]
        return centroids, labels, sims, iterations, 0


class SklearnBackend(KMeansBackend):
    """scikit-learn's Lloyd ``KMeans`` (or ``MiniBatchKMeans`` when the data is too big)."""

    name = "sklearn"

    def __init__(
        self, *, device: str | None = None, chunk_size: int | None = None, memory_limit_mb: int = 2048
    ) -> None:
        super().__init__(device=device, chunk_size=chunk_size or 65536, memory_limit_mb=memory_limit_mb)
        self.cluster = requires(
            "sklearn.cluster", extra="embed", purpose="the sklearn K-means backend", package="scikit-learn"
        )

    def fit(
        self, data: np.ndarray, init: np.ndarray, *, iterations: int, tol: float, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        from sklearn.exceptions import ConvergenceWarning

        k = init.shape[0]
        step = int(self.chunk_size or 65536)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.fits_in_memory(data):
                x = _unit_rows(data)
                km = self.cluster.KMeans(
                    n_clusters=k,
                    init=init,
                    n_init=1,
                    max_iter=iterations,
                    tol=tol,
                    algorithm="lloyd",
                    random_state=seed,
                ).fit(x)
                done = int(km.n_iter_)
            else:
                km = self.cluster.MiniBatchKMeans(n_clusters=k, init=init, n_init=1, random_state=seed, batch_size=step)
                for _ in range(iterations):
                    for start in range(0, data.shape[0], step):
                        km.partial_fit(_unit_rows(data[start : start + step]))
                done = iterations
        centroids = _unit_rows(km.cluster_centers_)
        labels, sims = assign_numpy(data, centroids, chunk_size=step)
        return centroids, labels, sims, done, 0


def _training_rows(data: np.ndarray, memory_limit_mb: int, seed: int) -> np.ndarray:
    """All rows as float32 unit vectors, or a seeded sample that fits in ``memory_limit_mb``."""
    n, d = data.shape
    limit = max(1, memory_limit_mb * 2**20 // (4 * d))
    if n <= limit:
        return _unit_rows(data)
    index = np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
    return _unit_rows(data[index])


def assign_numpy(data: np.ndarray, centroids: np.ndarray, *, chunk_size: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Label and cosine similarity of the closest of ``centroids`` for each row of ``data`` (numpy only)."""
    labels = np.empty(data.shape[0], dtype=np.int64)
    sims = np.empty(data.shape[0], dtype=np.float32)
    for start in range(0, data.shape[0], chunk_size):
        block = _unit_rows(data[start : start + chunk_size]) @ centroids.T
        labels[start : start + len(block)] = block.argmax(axis=1)
        sims[start : start + len(block)] = block.max(axis=1)
    return labels, sims


_CLASSES: dict[str, type[KMeansBackend]] = {
    "torch": TorchBackend,
    "keops": KeOpsBackend,
    "faiss": FaissBackend,
    "sklearn": SklearnBackend,
}


def get_backend(
    name: str = "auto", *, device: str | None = None, chunk_size: int | None = None, memory_limit_mb: int = 2048
) -> KMeansBackend:
    """The backend called ``name``; ``auto`` is ``torch`` (on CUDA when torch sees one).

    ``keops`` runs only when asked for: it compiles at run time with the machine's CUDA
    toolchain, which is not always compatible with it (see :func:`probe_keops`).
    """
    if name not in BACKENDS:
        raise ConfigError(f"unknown K-means backend {name!r}", hint=f"choose one of: {', '.join(BACKENDS)}")
    if name == "auto":
        name = "torch"
    return _CLASSES[name](device=device, chunk_size=chunk_size, memory_limit_mb=memory_limit_mb)


def spherical_kmeans(
    data: np.ndarray,
    k: int | None = None,
    *,
    backend: str | KMeansBackend = "auto",
    iterations: int = 20,
    tol: float = 1e-6,
    seed: int = 0,
    init: np.ndarray | None = None,
    device: str | None = None,
    chunk_size: int | None = None,
    memory_limit_mb: int = 2048,
) -> KMeansResult:
    """Cluster the rows of ``data`` (n, d) — float32 or float16, in memory or memory-mapped — by cosine.

    ``k`` defaults to :func:`choose_k`. ``init`` gives the initial centroids (default:
    :func:`kmeans_plus_plus` with ``seed``). Iteration stops after ``iterations`` or when
    no centroid moves by more than ``tol`` (in 1 - cosine).
    """
    n = int(data.shape[0])
    if n == 0:
        raise KMeansError("cannot cluster an empty set of vectors")
    if k is None:
        k = choose_k(n)
    if k < 1:
        raise ConfigError(f"the number of clusters must be at least 1, got {k}")
    k = min(k, n)
    if iterations < 1:
        raise ConfigError(f"K-means needs at least 1 iteration, got {iterations}")
    engine = (
        backend
        if isinstance(backend, KMeansBackend)
        else get_backend(backend, device=device, chunk_size=chunk_size, memory_limit_mb=memory_limit_mb)
    )
    started = time.perf_counter()
    if init is None:
        with blas_threads(1):
            init = kmeans_plus_plus(data, k, seed=seed)
    elif init.shape != (k, data.shape[1]):
        raise KMeansError(f"initial centroids have shape {init.shape}; expected {(k, data.shape[1])}")
    centroids, labels, sims, done, reseeded = engine.fit(data, init, iterations=iterations, tol=tol, seed=seed)
    return KMeansResult(
        centroids=centroids,
        labels=labels,
        similarity=sims,
        iterations=done,
        reseeded=reseeded,
        backend=engine.name,
        device=str(engine.device),
        seconds=time.perf_counter() - started,
    )


def second_closest(
    data: np.ndarray, centroids: np.ndarray, labels: np.ndarray, *, chunk_size: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """For each row: the closest centroid other than its own label, and the cosine similarity to it."""
    n = data.shape[0]
    second = np.zeros(n, dtype=np.int64)
    sims = np.full(n, -np.inf, dtype=np.float32)
    if centroids.shape[0] < 2:
        return second, sims
    for start in range(0, n, chunk_size):
        block = _unit_rows(data[start : start + chunk_size]) @ centroids.T
        block[np.arange(len(block)), labels[start : start + len(block)]] = -np.inf
        second[start : start + len(block)] = block.argmax(axis=1)
        sims[start : start + len(block)] = block.max(axis=1)
    return second, sims
