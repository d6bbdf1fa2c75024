"""``--workers 2`` against ``--workers 1`` on the default build, side by side in one run.

The input is :func:`bench.pipeline_vs_datatrove.make_corpus`'s (paragraphs of the real replies
under ``bench/data/``). Each build runs in a fresh subprocess (``curate build --format text``,
default filters), the worker counts interleaved, ``--repeat`` rounds. For each build: the wall
time, the load average at its end, and the CPU seconds of the engine's process and of its
worker processes (``getrusage`` of the build's process: self and children), which do not
depend much on what else runs on the machine. Prints the median of each, and the ratio of the
median wall times. The outputs of every build are compared byte for byte (rejects included).

    .venv/bin/python bench/workers_speed.py --records 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORK = Path(__file__).parent / "_work" / "workers_speed"
OUTPUTS = ("train.jsonl", "val.jsonl", "rejects.jsonl", "changes.jsonl")


def build_with_usage(args: list[str]) -> None:
    """Run ``curate ARGS`` in this process; print its wall time and CPU use as JSON on stderr."""
    import resource

    from curate.cli import cli

    start = time.perf_counter()
    try:
        cli(args=args, prog_name="curate", standalone_mode=False)
    finally:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        usage = {
            "wall": time.perf_counter() - start,
            "engine_cpu": own.ru_utime + own.ru_stime,
            "workers_cpu": children.ru_utime + children.ru_stime,
            "load": float(Path("/proc/loadavg").read_text().split()[0]),
        }
        print("USAGE " + json.dumps(usage), file=sys.stderr)


def timed_build(src: Path, out: Path, workers: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--build", "build", str(src), "-o", str(out), "--format", "text", "-q",
               "--workers", str(workers)]  # fmt: skip
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("USAGE ")]
    if done.returncode or not lines:
        raise SystemExit(f"the build with --workers {workers} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("USAGE ") :])


def describe(usage: dict[str, float]) -> str:
    """Wall time, CPU seconds of the engine's process and of the workers, load average."""
    cpu = f"engine {usage['engine_cpu']:5.2f} cpu-s  workers {usage['workers_cpu']:5.2f} cpu-s"
    return f"{usage['wall']:6.2f} s  {cpu}  load {usage['load']:.2f}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--build"]:
        build_with_usage(argv[1:])
        return 0
    from bench.pipeline_vs_datatrove import make_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    src = WORK / f"replies-{args.records}.jsonl"
    if not src.exists():
        make_corpus(src, args.records)
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    first: dict[str, bytes] = {}
    for n in range(args.repeat):
        for workers in (1, 2) if n % 2 == 0 else (2, 1):
            out = WORK / f"out-w{workers}"
            usage = timed_build(src, out, workers)
            runs[workers].append(usage)
            print(f"round {n + 1} --workers {workers}: {describe(usage)}", flush=True)
            for name in OUTPUTS:
                data = (out / name).read_bytes()
                if first.setdefault(name, data) != data:
                    raise SystemExit(f"{name} differs with --workers {workers}")
    median = {w: {k: statistics.median(u[k] for u in us) for k in us[0]} for w, us in runs.items()}
    for workers, m in median.items():
        print(f"--workers {workers}: median {describe(m)}  {args.records / m['wall']:,.0f} records/s")
    print(f"throughput ratio (2 vs 1, medians): {median[1]['wall'] / median[2]['wall']:.2f}x   "
          f"outputs identical: yes   ({time.ctime()})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
