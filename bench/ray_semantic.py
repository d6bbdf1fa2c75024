"""The semantic phase on the Ray engine against the local engine, on one machine.

N records with planted paraphrases (``curate.semantic.testing.synthetic_corpus``) in
several JSONL files are built with the semantic phase on both engines, from an
embedding cache filled beforehand (a feature-hashing embedder of 384 dimensions, the
size of MiniLM's vectors: what is measured is the clustering, not a model). The
outputs are compared byte for byte. For Ray, a first build (workers start, import
curate) and a second one on the warm cluster.

Printed per engine: the whole build, the semantic phase, and its steps (K-means fit
and assignment, near-duplicates). The per-record times feed the estimate in
``docs/scaling.md``.

    python bench/ray_semantic.py --records 100000 --cpus 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / "_work" / "ray-semantic"
OUTPUTS = ("train.jsonl", "val.jsonl", "rejects.jsonl")


def make_corpus(folder: Path, records: int, files: int) -> None:
    from curate.semantic.testing import synthetic_corpus

    texts, _ = synthetic_corpus(records, seed=0)
    folder.mkdir(parents=True)
    for part in range(files):
        lines = (json.dumps({"text": t}) for t in texts[part::files])
        (folder / f"part-{part:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(engine: str, corpus: Path, out: Path, cache: Path, table: dict) -> tuple[float, dict]:
    from curate.config import BuildConfig, SourceSpec
    from curate.engines import local
    from curate.engines import ray as ray_engine
    from curate.ledger import Ledger
    from curate.plan import NullReporter, build_plan
    from curate.registry import get_registry
    from curate.semantic.phase import SemanticPhase
    from curate.semantic.testing import HashingEmbedder

    config = BuildConfig(sources=[SourceSpec(str(corpus))], format="text", report=False)
    plan = build_plan(config, get_registry())
    plan.phases.append(SemanticPhase.from_config(dict(table), cache, embedder=HashingEmbedder("384")))
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    with Ledger(out) as ledger:
        run = ray_engine.run if engine == "ray" else local.run
        _, reports = run(plan, ledger, NullReporter())
        ledger.commit({"reports": reports})
    return time.perf_counter() - started, reports["semantic"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2, help="CPUs of the local Ray cluster")
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    corpus = WORK / f"corpus-{args.records}-{args.files}"
    if not corpus.exists():
        make_corpus(corpus, args.records, args.files)
    cache = WORK / "cache"
    table = {"threshold": args.threshold}
    build("local", corpus, WORK / "warm-cache", cache, table)  # fills the embedding cache

    import ray

    rows = []
    seconds, report = build("local", corpus, WORK / "local", cache, table)
    rows.append(("local engine", seconds, report))
    ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    for label in ("Ray, first build", "Ray, warm cluster"):
        seconds, report = build("ray", corpus, WORK / "ray", cache, table)
        rows.append((label, seconds, report))
    ray.shutdown()
    same = all((WORK / "ray" / n).read_bytes() == (WORK / "local" / n).read_bytes() for n in OUTPUTS)

    n = rows[0][2]["records"]
    k = rows[0][2]["kmeans"]["k"]
    print(f"{n:,} records into the semantic phase, k = {k}, fit sample {rows[0][2]['kmeans']['fit_sample']:,}")
    print(f"removed as near-duplicates: {rows[0][2]['dedup']['removed']:,}; outputs identical: {same}")
    print("| | build s | semantic s | K-means s | near-dup s | vs local (semantic) |")
    print("| --- | --: | --: | --: | --: | --: |")
    base = rows[0][2]["seconds"]
    for label, seconds, report in rows:
        print(
            f"| {label} | {seconds:.1f} | {report['seconds']:.1f} | {report['kmeans']['seconds']:.1f} | "
            f"{report['dedup']['seconds']:.1f} | {report['seconds'] / base:.2f}x |"
        )
    steps = rows[-1][2]["embedder"].get("cluster", {}).get("steps", {})
    print("Ray steps (warm):", json.dumps(steps))
    local_report = rows[0][2]
    print(
        "local per-record costs: "
        f"K-means (fit + assign) {local_report['kmeans']['seconds'] / n * 1e6:.1f} us, "
        f"near-duplicates {local_report['dedup']['seconds'] / n * 1e6:.1f} us"
    )
    if not same:
        sys.exit("the engines' outputs differ")


if __name__ == "__main__":
    main()
