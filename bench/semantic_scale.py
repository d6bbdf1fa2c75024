"""Semantic dedup at scale with ``--embedder static``: 1M short texts, or real chat replies, end to end.

    python bench/semantic_scale.py --records 1000000              # short texts (the 5-minute goal)
    python bench/semantic_scale.py --replies --records 20000      # real chat replies (the 60-second goal)
    python bench/semantic_scale.py --replies --records 20000 --confirm sentence-transformers

Short texts come from :func:`curate.semantic.testing.synthetic_corpus` (offline: short
templated sentences on eight topics, each tagged with a unique number, 15% of them
planted paraphrases of earlier ones; about 87 characters a text). Real replies are
:func:`bench.pipeline_vs_datatrove.make_corpus`'s records (one to four paragraphs of the
real assistant replies kept in ``bench/data``). Each run builds with
``curate build --format text --no-filters --semantic-dedup THRESHOLD`` into a fresh
embedding cache (the distilled static model is copied in when ``--static-from`` holds one,
so that distilling it is not timed), and prints the wall time, the peak RSS, and the
semantic phase's own seconds (embedding, K-means, near-duplicates) from the manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_short_texts(path: Path, records: int, seed: int = 0) -> None:
    """``records`` short texts as JSON Lines (``id``, ``text``)."""
    from curate.semantic.testing import synthetic_corpus

    texts, _ = synthetic_corpus(records, seed=seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": str(i), "text": text}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--replies", action="store_true", help="real chat replies instead of short texts")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--confirm", default=None, help="the cascade's confirming embedder")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "semantic-scale")
    parser.add_argument(
        "--static-from",
        type=Path,
        default=ROOT / "bench" / "_work" / "static-cache",
        help="a cache folder holding the distilled static model (static/), copied into the fresh cache",
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    kind = "replies" if args.replies else "short"
    corpus = args.work / f"{kind}-{args.records}.jsonl"
    if not corpus.exists():
        if args.replies:
            from bench.pipeline_vs_datatrove import make_corpus

            make_corpus(corpus, args.records, seed=0)
        else:
            write_short_texts(corpus, args.records)
    cache = args.work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    if (args.static_from / "static").is_dir():
        shutil.copytree(args.static_from / "static", cache / "static")
    out = args.work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {
        **os.environ,
        "CURATE_CACHE_DIR": str(cache),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    command = [
        str(Path(sys.executable).parent / "curate"), "build", str(corpus), "-o", str(out), "--format", "text",
        "--no-filters", "--semantic-dedup", str(args.threshold), "--embedder", "static",
    ]  # fmt: skip
    if args.confirm:
        command += ["--confirm", args.confirm]
    load = Path("/proc/loadavg").read_text().split()[:3]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10
    semantic = json.loads((out / "manifest.json").read_text())["semantic"]
    dedup = semantic.get("dedup", {})
    print(f"{args.records:,} {kind}, threshold {args.threshold}, load average before {' '.join(load)}")
    print(f"wall {wall:.1f} s, peak RSS {peak:,.0f} MiB, semantic phase {semantic['seconds']:.1f} s")
    print(
        f"  embedding {semantic['embedder']['seconds']:.1f} s ({semantic['embedder'].get('rate', 0):,.0f} texts/s),"
        f" K-means {semantic['kmeans']['seconds']:.1f} s (k={semantic['kmeans']['k']},"
        f" fit sample {semantic['kmeans']['fit_sample']:,}), near-duplicates {dedup['seconds']:.1f} s:"
        f" removed {dedup['removed']:,} of {semantic['records']:,}"
    )
    if "cascade" in dedup:
        print(f"  cascade: {dedup['cascade']}; confirmer: {semantic.get('confirmer')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
