"""``--workers 2`` against ``--workers 1`` on the default build, side by side in one run.

The input is :func:`bench.pipeline_vs_datatrove.make_corpus`'s (paragraphs of the real replies
under ``bench/data/``). Each build runs in a fresh subprocess (``curate build --format text``,
default filters), alternating worker counts, ``--repeat`` times; the best time of each counts.
The outputs of every build are compared byte for byte (rejects included).

    .venv/bin/python bench/workers_speed.py --records 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_vs_datatrove import make_corpus, timed

WORK = Path(__file__).parent / "_work" / "workers_speed"
OUTPUTS = ("train.jsonl", "val.jsonl", "rejects.jsonl", "changes.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    src = WORK / f"replies-{args.records}.jsonl"
    if not src.exists():
        make_corpus(src, args.records)
    curate = str(Path(sys.executable).parent / "curate")
    best: dict[int, float] = {}
    first: dict[str, bytes] = {}
    for _ in range(args.repeat):
        for workers in (1, 2):
            out = WORK / f"out-w{workers}"
            seconds = timed([curate, "build", str(src), "-o", str(out), "--format", "text", "-q",
                             "--workers", str(workers)])  # fmt: skip
            best[workers] = min(best.get(workers, seconds), seconds)
            for name in OUTPUTS:
                data = (out / name).read_bytes()
                if first.setdefault(name, data) != data:
                    raise SystemExit(f"{name} differs with --workers {workers}")
    for workers, seconds in best.items():
        print(f"--workers {workers}: {seconds:6.1f} s  {args.records / seconds:8,.0f} records/s")
    print(f"throughput ratio (2 vs 1): {best[1] / best[2]:.2f}x   outputs identical: yes   ({time.ctime()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
