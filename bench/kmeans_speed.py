"""K-means speed, side by side: curate's torch backend against faiss and scikit-learn.

    python bench/kmeans_speed.py                       # 50k x 384 float32, k=100, 10 iterations
    python bench/kmeans_speed.py --repeats 5 --keops   # add pykeops (slow on a CPU: it is meant for CUDA)

Every contender starts from the same initial centroids (curate's k-means++ on the
data) and runs exactly 10 Lloyd iterations over all points (faiss with
``max_points_per_centroid`` raised so it does not subsample; scikit-learn's Lloyd
``KMeans(init=C, n_init=1, tol=0)``). Contenders run interleaved, ``--repeats`` rounds,
and the best time of each is compared, which damps the noise of a shared machine.
Labels count as part of the job: curate returns labels for its final centroids, so
faiss is timed with and without its final assignment (``index.search``). The verdict
uses, for each contender, the median over rounds of the ratio of two runs made back to
back, which is far steadier on a shared machine than comparing best times.

Goals (issue 4): torch <= 1.0x faiss and <= 0.8x scikit-learn. Exit 1 if missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curate.semantic.kmeans import TorchBackend, kmeans_plus_plus


def data(n: int, d: int, k: int, seed: int) -> np.ndarray:
    """Unit vectors around ``k`` random topics (like sentence embeddings), float32."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)).astype(np.float32)
    x = centres[rng.integers(0, k, n)] + 1.5 * rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keops", action="store_true", help="also time the keops backend (on this machine's device)")
    args = parser.parse_args(argv)

    import torch

    x = data(args.n, args.d, args.k, 0)
    init = kmeans_plus_plus(x, args.k, seed=0)
    print(f"data {args.n:,} x {args.d} float32, k={args.k}, {args.iterations} iterations, same k-means++ init")
    print(f"threads: torch {torch.get_num_threads()}, cpu count {os.cpu_count()}")

    contenders = {}
    ours = TorchBackend(device="cpu")

    def run_torch() -> np.ndarray:
        return ours.fit(x, init, iterations=args.iterations, tol=-1.0, seed=0)[1]

    contenders["curate torch (fit + labels)"] = run_torch

    try:
        import faiss

        def faiss_train(search: bool) -> np.ndarray | None:
            km = faiss.Kmeans(
                args.d,
                args.k,
                niter=args.iterations,
                spherical=True,
                seed=0,
                verbose=False,
                max_points_per_centroid=args.n // args.k + 1,
                min_points_per_centroid=1,
            )
            km.train(x, init_centroids=init)
            if search:
                return km.index.search(x, 1)[1][:, 0]
            return None

        contenders["faiss (train)"] = lambda: faiss_train(False)
        contenders["faiss (train + labels)"] = lambda: faiss_train(True)
    except ImportError:
        print("faiss not installed: pip install 'curate[faiss]'")
    try:
        import warnings

        from sklearn.cluster import KMeans

        def sklearn_fit() -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = KMeans(args.k, init=init, n_init=1, max_iter=args.iterations, tol=0.0, algorithm="lloyd")
                return km.fit(x).labels_

        contenders["scikit-learn lloyd (fit + labels)"] = sklearn_fit
    except ImportError:
        print("scikit-learn not installed")
    if args.keops:
        from curate.semantic.kmeans import KeOpsBackend

        device = "cuda" if torch.cuda.is_available() else "cpu"
        keops = KeOpsBackend(device=device)
        keops.fit(x[:1000], init, iterations=1, tol=-1.0, seed=0)  # compile outside the timing
        contenders[f"curate keops on {device}"] = lambda: keops.fit(
            x, init, iterations=args.iterations, tol=-1.0, seed=0
        )[1]

    for fn in contenders.values():  # warm up (imports, thread pools, first-touch memory)
        fn()
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    labels = {}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            out = fn()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
            if out is not None:
                labels[name] = out
    ours = "curate torch (fit + labels)"
    print()
    print(f"{'contender':36} {'best wall s':>11} {'best CPU s':>10} {'torch/it, paired median':>24}")
    ratios = {}
    for name in contenders:
        paired = sorted(a / b for a, b in zip(wall[ours], wall[name], strict=True))
        ratios[name] = paired[len(paired) // 2]
        print(f"{name:36} {min(wall[name]):11.3f} {min(cpu[name]):10.3f} {ratios[name]:23.2f}x")
    print("(paired: the ratio of the two runs of one round, which ran back to back; median over rounds)")
    for name, other in labels.items():
        if name != ours:
            print(f"label agreement with {name}: {100 * float((other == labels[ours]).mean()):.2f}%")
    ok = True
    if "faiss (train + labels)" in ratios:
        ok &= ratios["faiss (train + labels)"] <= 1.0
        print(
            f"torch / faiss (train + labels) = {ratios['faiss (train + labels)']:.2f} (goal <= 1.0); "
            f"/ faiss train only = {ratios['faiss (train)']:.2f}"
        )
    if "scikit-learn lloyd (fit + labels)" in ratios:
        ok &= ratios["scikit-learn lloyd (fit + labels)"] <= 0.8
        print(f"torch / scikit-learn = {ratios['scikit-learn lloyd (fit + labels)']:.2f} (goal <= 0.8)")
    print(f"RESULT {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
