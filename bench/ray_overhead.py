"""The Ray engine's overhead against the local engine, on one machine.

A corpus of N chat records (JSONL, spread over several files so that reads can run in
parallel, with 5% exact duplicates) is built with both engines, each in a fresh
subprocess, the outputs compared byte for byte. For Ray the script reports the
cluster start (``ray.init``), a first build (workers start and import curate) and a
second build on the warm cluster (the steady state of a long-running cluster).

``--rates`` also measures the per-core rate of each step on the local engine (read,
normalise, dedup keys, split and write) in one process: the numbers that
``docs/scaling.md`` turns into an estimate for a large run.

    python bench/ray_overhead.py                      # 100k records, 2 CPUs for Ray
    python bench/ray_overhead.py --records 20000 --files 8 --cpus 2 --rates
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / "_work" / "ray"
WORDS = (
    "tide river stone garden bread yeast signal kernel market harbour winter lantern copper orchard "
    "engine valley ledger pocket thunder meadow violin canvas quarry needle saddle timber velvet "
    "the a of and to in is was for on with as by at from that this it be are which"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_corpus(folder: Path, records: int, files: int, seed: int = 0) -> None:
    """``records`` chat records over ``files`` JSONL files; 5% repeat an earlier record."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    made: list[str] = []
    handles = [open(folder / f"part-{i:03d}.jsonl", "w", encoding="utf-8") for i in range(files)]
    try:
        for i in range(records):
            if made and rng.random() < 0.05:
                line = rng.choice(made)
            else:
                question = sentence(rng, rng.randint(6, 14)).rstrip(".") + "?"
                answer = " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(1, 4)))
                turns = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
                line = json.dumps({"messages": turns})
                if len(made) < 5000:
                    made.append(line)
            handles[i % files].write(line + "\n")
    finally:
        for fh in handles:
            fh.close()


# -- the child processes --------------------------------------------------------------

CHILD = r"""
import json, os, sys, time
corpus, out, engine, cpus = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from curate import Pipeline
timings = {}
if engine == "ray":
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    t = time.perf_counter()
    import ray
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    timings["ray_init"] = time.perf_counter() - t
runs = ("first", "warm") if engine == "ray" else ("first",)
for name in runs:
    target = out if name == "first" else out + "-warm"
    t = time.perf_counter()
    result = Pipeline().source(corpus).filters().set(engine=engine, report=False).run(target)
    timings[name] = time.perf_counter() - t
timings["counts"] = {k: result.counts[k] for k in ("read", "train", "val", "rejected")}
print(json.dumps(timings))
"""


def run_child(corpus: Path, out: Path, engine: str, cpus: int) -> dict:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), str(out), engine, str(cpus)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{engine} build failed:\n{proc.stderr[-4000:]}")
    timings = json.loads(proc.stdout.strip().splitlines()[-1])
    timings["process"] = wall
    return timings


def same_outputs(a: Path, b: Path) -> bool:
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in ("train.jsonl", "val.jsonl", "rejects.jsonl"))


# -- per-core rates -------------------------------------------------------------------


def rates(corpus: Path) -> dict[str, float]:
    """Records per second of each step, in this process, on one core."""
    from curate.config import SourceSpec
    from curate.formats import FormatOptions
    from curate.ledger import Ledger
    from curate.registry import get_registry
    from curate.sources import read_file, resolve_sources
    from curate.stages.dedup import dedup_key
    from curate.stages.normalise import Normalise
    from curate.writer import SplitWriter

    out: dict[str, float] = {}
    t = time.perf_counter()
    records = [
        r
        for task in resolve_sources([SourceSpec(str(corpus))], get_registry())
        for r in read_file(task)  # type: ignore[arg-type]
    ]
    out["read"] = len(records) / (time.perf_counter() - t)
    t = time.perf_counter()
    stage = Normalise()
    for i in range(0, len(records), 1024):
        stage.process(records[i : i + 1024])
    out["normalise"] = len(records) / (time.perf_counter() - t)
    t = time.perf_counter()
    for r in records:
        dedup_key(r)
    out["dedup_key"] = len(records) / (time.perf_counter() - t)
    scratch = WORK / "rates-out"
    shutil.rmtree(scratch, ignore_errors=True)
    with Ledger(scratch) as ledger:
        writer = SplitWriter(ledger, FormatOptions(format="messages"), val_ratio=0.01, seed=0)
        t = time.perf_counter()
        writer.write(records)
        writer.finish()
        out["split_write"] = len(records) / (time.perf_counter() - t)
        ledger.abort()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2, help="CPUs of the local Ray cluster")
    parser.add_argument("--rates", action="store_true", help="also measure per-core rates of each step")
    args = parser.parse_args()

    corpus = WORK / f"corpus-{args.records}-{args.files}"
    if not corpus.exists():
        make_corpus(corpus, args.records, args.files)
    size = sum(p.stat().st_size for p in corpus.iterdir()) / 2**20
    print(f"corpus: {args.records} records, {args.files} files, {size:.1f} MB; Ray with {args.cpus} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    outs = {engine: WORK / f"out-{engine}" for engine in ("local", "ray")}
    for path in outs.values():
        shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(f"{path}-warm", ignore_errors=True)
    local = run_child(corpus, outs["local"], "local", args.cpus)
    ray = run_child(corpus, outs["ray"], "ray", args.cpus)
    n = local["counts"]["read"]
    assert local["counts"] == ray["counts"], (local["counts"], ray["counts"])
    identical = same_outputs(outs["local"], outs["ray"]) and same_outputs(outs["local"], Path(f"{outs['ray']}-warm"))

    def line(label: str, seconds: float) -> str:
        return f"{label:<34} {seconds:8.2f} s {n / seconds:10,.0f} rec/s {seconds / local['first']:6.2f}x local"

    print(line("local engine (build)", local["first"]))
    print(line("local engine (process, imports)", local["process"]))
    print(f"{'ray.init (local cluster)':<34} {ray['ray_init']:8.2f} s")
    print(line("ray engine, first build", ray["first"]))
    print(line("ray engine, warm cluster", ray["warm"]))
    print(line("ray engine (process, all)", ray["process"]))
    print(f"outputs byte-identical: {identical}; counts: {local['counts']}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.rates:
        for step, rate in rates(corpus).items():
            print(f"rate {step:<12} {rate:10,.0f} records/s on one core")


if __name__ == "__main__":
    main()
