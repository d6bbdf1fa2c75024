"""GPU check: the ``keops`` K-means backend on CUDA beside the ``torch`` backend.

    python bench/gpu_check.py                    # 500k x 384, k=1000, 10 iterations on cuda
    python bench/gpu_check.py --n 50000 --k 100  # smaller
    python bench/gpu_check.py --allow-cpu        # rehearse on a machine without a GPU (slow, tiny)

What it checks, from the same initial centroids:

1. one assignment step: keops and torch give every point the same centroid, except
   exact ties (the two best similarities within ``--tie`` of each other, where float
   summation order may pick either);
2. a full fit: the labels agree on at least ``--agree`` of the points and the
   centroids match closely (small differences can grow over iterations through ties).

It prints the versions (python, torch, CUDA, pykeops, keopscore, nvcc, g++), the times
and the keops / torch speed ratio, then one summary line. Exit codes: 0 pass,
1 mismatch, 2 no CUDA, 3 pykeops missing or failed to compile or run.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def tool_version(*command: str) -> str:
    if shutil.which(command[0]) is None:
        return "not found"
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"failed: {exc}"
    lines = [line for line in (out.stdout or out.stderr).splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit {out.returncode}"


def first_line(*command: str) -> str:
    if shutil.which(command[0]) is None:
        return "not found"
    out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "?"


def synchronize(torch, device: str) -> None:  # type: ignore[no-untyped-def]
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--tie", type=float, default=1e-4, help="top-2 similarity gap below which a point is a tie")
    parser.add_argument("--agree", type=float, default=0.999, help="share of equal labels required after a full fit")
    parser.add_argument("--allow-cpu", action="store_true", help="run on the CPU when there is no GPU (rehearsal)")
    args = parser.parse_args(argv)

    import torch

    print(f"python {platform.python_version()}, torch {torch.__version__}, torch CUDA {torch.version.cuda}")
    print(f"nvcc: {tool_version('nvcc', '--version')}")
    print(f"g++: {first_line('g++', '--version')}")
    if torch.cuda.is_available():
        device = "cuda"
        print(f"GPU: {torch.cuda.get_device_name(0)}, capability {torch.cuda.get_device_capability(0)}")
    elif args.allow_cpu:
        device = "cpu"
        args.n, args.k = min(args.n, 5000), min(args.k, 20)
        print("no CUDA: rehearsing on the CPU with a tiny problem (--allow-cpu)")
    else:
        print("GPU CHECK SKIPPED: torch sees no CUDA device (exit 2)")
        return 2
    try:
        import keopscore
        import pykeops

        print(f"pykeops {pykeops.__version__}, keopscore {getattr(keopscore, '__version__', '?')}")
    except ImportError as exc:
        print(f"GPU CHECK FAILED: pykeops is not installed ({exc}): pip install 'curate[gpu]' (exit 3)")
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False  # compare full float32 products
    torch.backends.cudnn.allow_tf32 = False

    from curate.semantic.kmeans import FORMULAS, KeOpsBackend, TorchBackend, kmeans_plus_plus, probe_keops

    rng = np.random.default_rng(0)
    topics = rng.standard_normal((args.k, args.d)).astype(np.float32)
    x = topics[rng.integers(0, args.k, args.n)] + 1.5 * rng.standard_normal((args.n, args.d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    started = time.perf_counter()
    init = kmeans_plus_plus(x, args.k, seed=0)
    print(f"data {args.n:,} x {args.d} float32, k={args.k}, init (k-means++) {time.perf_counter() - started:.1f} s")

    ours = TorchBackend(device=device)
    # each keops formulation is compiled and run in a child process first: a crash (seen: SIGSEGV
    # with CUDA 13 at d=384) is then reported instead of killing this script
    probes = {}
    for dim, formula in [(3, FORMULAS[0])] + [(args.d, f) for f in FORMULAS]:
        if (dim, formula) not in probes:
            started = time.perf_counter()
            problem = probe_keops(device, dim, formula)
            probes[(dim, formula)] = problem
            status = "ok" if problem is None else problem
            print(f"keops probe d={dim:<4} {formula:10}  {time.perf_counter() - started:5.1f} s  {status}")
    working = [f for f in FORMULAS if probes[(args.d, f)] is None]
    if not working:
        small = [f"d={d} {f}" for (d, f), p in probes.items() if p is None]
        print(
            f"GPU CHECK FAILED: pykeops cannot compile or run the assignment at d={args.d} on {device} "
            f"with any formulation (works: {', '.join(small) or 'nothing'}); exit 3"
        )
        return 3
    keops = KeOpsBackend(device=device)
    print(f"keops backend uses the {keops.formula_for(args.d)!r} formulation")

    # 1. one assignment step from the same centroids
    xt = torch.from_numpy(x).to(device)
    ct = torch.nn.functional.normalize(torch.from_numpy(init).to(device), dim=1)
    for backend in (ours, keops):  # warm-up
        backend.assign(xt[:4096], ct)
    timings = {}
    results = {}
    for name, backend in (("torch", ours), ("keops", keops)):
        synchronize(torch, device)
        started = time.perf_counter()
        sims, labels = backend.assign(xt, ct)
        synchronize(torch, device)
        timings[name] = time.perf_counter() - started
        results[name] = (sims, labels)
    top2 = torch.topk(xt @ ct.T, 2, dim=1).values
    tie = (top2[:, 0] - top2[:, 1]) < args.tie
    differ = results["torch"][1] != results["keops"][1]
    real = int((differ & ~tie).sum())
    ties = int((differ & tie).sum())
    sim_diff = float((results["torch"][0] - results["keops"][0]).abs().max())
    print(
        f"assignment step: {int(differ.sum())} of {args.n:,} labels differ ({ties} at ties, {real} real); "
        f"max |similarity difference| {sim_diff:.2e}; torch {timings['torch']:.4f} s, keops {timings['keops']:.4f} s"
    )

    # 2. full fits
    fits = {}
    for name, backend in (("torch", ours), ("keops", keops)):
        backend.fit(x[: min(len(x), 20_000)], init, iterations=1, tol=-1.0, seed=0)  # warm-up
        synchronize(torch, device)
        started = time.perf_counter()
        fits[name] = backend.fit(x, init, iterations=args.iterations, tol=-1.0, seed=0)
        synchronize(torch, device)
        timings[f"fit {name}"] = time.perf_counter() - started
    agree = float((fits["torch"][1] == fits["keops"][1]).mean())
    centroid_diff = float(np.abs(fits["torch"][0] - fits["keops"][0]).max())
    ratio = timings["fit keops"] / timings["fit torch"]
    print(
        f"fit ({args.iterations} iterations + labels): torch {timings['fit torch']:.3f} s, "
        f"keops {timings['fit keops']:.3f} s, keops/torch = {ratio:.2f}; labels agree {100 * agree:.3f}%, "
        f"max |centroid difference| {centroid_diff:.2e}"
    )
    ok = real == 0 and agree >= args.agree and centroid_diff < 1e-2
    verdict = "PASS" if ok else "FAIL"
    print(
        f"GPU CHECK {verdict}: keops vs torch on {device}, {args.n:,} x {args.d}, k={args.k}: "
        f"{real} real assignment mismatches, {100 * agree:.3f}% equal labels after {args.iterations} iterations, "
        f"keops/torch time {ratio:.2f} (fit), {timings['keops'] / timings['torch']:.2f} (one assignment)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
