"""Peak memory of a build from 100k to 1M records: flat, apart from the exact-dedup index.

Runs ``curate build`` (``--format text``) in a fresh process on the chat-reply corpus of
``bench/pipeline_vs_datatrove.py`` at each size, samples the resident memory of the build's
whole process tree (the engine and its worker processes) every 50 ms, and prints the peak,
then how much the peak grew per added record, beside the exact-dedup index's own size
(its key table's arrays, read from a ``KeyTable`` filled with as many keys as the build kept
unique records).

    .venv/bin/python bench/memory_scaling.py --records 100000 1000000
    .venv/bin/python bench/memory_scaling.py --records 100000 1000000 --build=--no-filters
    .venv/bin/python bench/memory_scaling.py --records 100000 1000000 --build="--workers 1"

(``--build=...`` with the ``=``: argparse reads a separate ``--no-filters`` as an option of its own.)

The issue's goal: peak RSS flat from 100k to 1M records apart from the exact-dedup index,
which may take at most 40 bytes a record.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from pipeline_vs_datatrove import make_corpus  # noqa: E402

WORK = HERE / "_work" / "memory_scaling"


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of ``proc`` and every descendant still alive."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def peak_build(source: Path, out: Path, extra: list[str]) -> tuple[float, int, dict]:
    """Seconds, peak tree RSS in bytes, and the manifest's counts of one build."""
    command = [sys.executable, "-m", "curate.cli", "build", str(source), "-o", str(out), "--format", "text", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    start = time.perf_counter()
    proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        raise SystemExit(f"build failed ({proc.returncode}): {err}")
    manifest = json.loads((out / "manifest.json").read_text())
    return seconds, peak, manifest.get("counts", {})


def index_bytes(unique: int) -> int:
    """Bytes held by the exact-dedup key table after ``unique`` distinct keys."""
    from curate.keytable import KeyTable

    table = KeyTable()
    for key in range(1, unique + 1):
        table.setdefault(key * 0x9E3779B97F4A7C15 % (1 << 64), key)
    return table.nbytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--build", default="", help="extra curate build options, e.g. '--no-filters --workers 1'")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.records:
        source = WORK / f"replies-{n}.jsonl"
        if not source.exists():
            make_corpus(source, n)
        seconds, peak, counts = peak_build(source, WORK / f"out-{n}", shlex.split(args.build))
        unique = counts.get("train", 0) + counts.get("val", 0)
        rows.append((n, seconds, peak, unique, counts))
        print(f"{n:>9,} records  {seconds:7.1f} s  peak RSS {peak / 2**20:7.1f} MiB  kept {unique:,}", flush=True)
    if len(rows) >= 2:
        (n0, _, p0, u0, _), (n1, _, p1, u1, _) = rows[0], rows[-1]
        grown = (p1 - p0) / (n1 - n0)
        index = (index_bytes(u1) - index_bytes(u0)) / (n1 - n0) if u1 > u0 else 0.0
        print(f"peak grew {(p1 - p0) / 2**20:.1f} MiB: {grown:.1f} bytes per added record")
        print(f"the exact-dedup index grew {index:.1f} bytes per added record (its table alone)")
        print(f"growth beside the index: {grown - index:.1f} bytes per added record")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
