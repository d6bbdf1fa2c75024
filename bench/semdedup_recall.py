"""Near-duplicate recall of clustered SemDeDup against exact all-pairs comparison, and its peak memory.

    python bench/semdedup_recall.py                      # 20k records, the default model, k from N
    python bench/semdedup_recall.py --embedder hashing   # no model: feature hashing (fast, for a smoke run)

A synthetic corpus (``curate.semantic.testing.synthetic_corpus``) of short sentences on
eight topics, 15% of them planted paraphrases of earlier ones, is embedded (vectors are
cached under bench/_work/ so a second run skips the model). Then, at each threshold:

* exact: every pair (i < j) with cosine > threshold, over all N x N in blocks;
* clustered: the pairs whose two records fall in the same K-means cluster (those are
  the pairs SemDeDup compares); recall = clustered / exact, goal >= 98%.

Peak memory of the per-cluster dedup loop (numpy allocations, traced by tracemalloc)
is printed beside N^2 float32 and beside the largest cluster's own footprint.
Exits 1 if the recall at any threshold is under --goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from curate.semantic.embed import EmbeddingCache, text_keys  # noqa: E402
from curate.semantic.kmeans import choose_k, second_closest, spherical_kmeans  # noqa: E402
from curate.semantic.semdedup import dedup_cluster  # noqa: E402
from curate.semantic.testing import HashingEmbedder, synthetic_corpus  # noqa: E402


def embed(texts: list[str], which: str, cache_dir: Path) -> tuple[np.ndarray, str, float]:
    if which == "hashing":
        embedder = HashingEmbedder()
    else:
        from curate.plugins.embedders import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(batch_size=64)
    cache = EmbeddingCache(cache_dir, embedder.model_id)
    keys = text_keys(texts)
    shard, _ = cache.lookup(keys)
    missing = np.flatnonzero(shard < 0)
    started = time.perf_counter()
    if len(missing):
        uniq, first = np.unique(keys[missing], return_index=True)
        cache.add(uniq, embedder.embed([texts[i] for i in missing[first]]))
    seconds = time.perf_counter() - started
    out = np.empty((len(texts), cache.dim or 0), np.float32)
    cache.gather(*cache.lookup(keys), out)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out, embedder.model_id, seconds


def exact_pairs(x: np.ndarray, threshold: float, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Every pair i < j with cosine > threshold (blocked all-pairs)."""
    rows, cols = [], []
    for start in range(0, len(x), block):
        sims = x[start : start + block] @ x.T
        i, j = np.nonzero(sims > threshold)
        i = i + start
        keep = i < j
        rows.append(i[keep])
        cols.append(j[keep])
    return np.concatenate(rows), np.concatenate(cols)


def dedup_all_clusters(x: np.ndarray, labels: np.ndarray, k: int, threshold: float) -> tuple[int, int, float]:
    """The phase's per-cluster loop; returns (removed, largest cluster, peak traced MiB)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=k))])
    removed = 0
    tracemalloc.start()
    tracemalloc.reset_peak()
    for c in range(k):
        idx = order[bounds[c] : bounds[c + 1]]
        if len(idx) < 2:
            continue
        vectors = np.ascontiguousarray(x[idx])
        removed += len(dedup_cluster(vectors, [threshold]).outcomes[0].removed)
        del vectors
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return removed, int(np.diff(bounds).max()), peak / 2**20


def _pct(mask: np.ndarray) -> str:
    return f"{100 * float(mask.mean()):.2f}%" if len(mask) else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.85, 0.90, 0.95])
    parser.add_argument("--clusters", type=int, default=None, help="k (default: the rule from N)")
    parser.add_argument("--embedder", choices=["default", "hashing"], default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--goal", type=float, default=0.98)
    parser.add_argument(
        "--probe-margins", type=float, nargs="*", default=[], help="fixed probe_margin values to compare too"
    )
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / "_work" / "embeddings")
    args = parser.parse_args(argv)

    texts, planted = synthetic_corpus(args.n, paraphrase_rate=0.15, seed=args.seed)
    x, model_id, seconds = embed(texts, args.embedder, args.cache_dir)
    k = args.clusters or choose_k(len(x))
    km = spherical_kmeans(x, k, backend="torch", seed=args.seed)
    labels = km.labels
    print(f"records {len(x):,} ({len(planted):,} planted paraphrases), model {model_id}, embedding {seconds:.1f} s")
    print(
        f"k-means: k={k} ({'given' if args.clusters else 'rule round(sqrt(N/2))'}), {km.seconds:.2f} s, "
        f"cluster sizes min {km.sizes.min()} median {int(np.median(km.sizes))} max {km.sizes.max()}"
    )
    pa = np.array([a for a, _ in planted])
    pb = np.array([b for _, b in planted])
    planted_sims = np.einsum("ij,ij->i", x[pa], x[pb])
    print(f"planted pair similarity: p5 {np.percentile(planted_sims, 5):.3f} median {np.median(planted_sims):.3f}")
    print()
    second, second_sim = second_closest(x, km.centroids, labels)
    gap = km.similarity - second_sim

    def probed(i: np.ndarray, j: np.ndarray, margin: float) -> np.ndarray:
        guest = gap <= margin
        return (labels[i] == labels[j]) | (guest[i] & (second[i] == labels[j])) | (guest[j] & (second[j] == labels[i]))

    extra = "".join(f"  margin {m:<6}" for m in args.probe_margins)
    print("near-duplicate pairs found by the clustered algorithm, as a share of those exact all-pairs finds:")
    print(f"threshold  exact pairs  planted>t  own cluster  probe_margin=auto (guests){extra}")
    ok = True
    for t in args.thresholds:
        started = time.perf_counter()
        i, j = exact_pairs(x, t)
        exact_s = time.perf_counter() - started
        auto = probed(i, j, 1.0 - t)
        ok &= float(auto.mean() if len(i) else 1.0) >= args.goal
        cells = "".join(f"  {_pct(probed(i, j, m)):>13}" for m in args.probe_margins)
        print(
            f"{t:9.2f}  {len(i):11,}  {int((planted_sims > t).sum()):9,}  {_pct(labels[i] == labels[j]):>11}"
            f"  {_pct(auto):>8} ({100 * float((gap <= 1.0 - t).mean()):4.1f}% of records){cells}"
            f"   (all-pairs {exact_s:.1f} s)"
        )
    print()
    t = args.thresholds[len(args.thresholds) // 2]
    n, d = x.shape
    started = time.perf_counter()
    removed, largest, peak = dedup_all_clusters(x, labels, k, t)
    print(
        f"per-cluster dedup loop at {t}: removed {removed:,} in {time.perf_counter() - started:.2f} s; "
        f"peak traced memory {peak:.1f} MiB (N^2 float32 would be {n * n * 4 / 2**20:,.0f} MiB; the largest cluster, "
        f"{largest:,} records, holds {largest * d * 4 / 2**20:.1f} MiB of vectors)"
    )
    if args.embedder == "default":
        report = run_phase(texts, args.cache_dir.parent, t, args.clusters, args.seed)
        if report:
            dd = report["dedup"]
            print(
                f"the semantic phase at {t} (vectors from the cache): removed {dd['removed']:,} "
                f"({dd['across_clusters']:,} across cluster boundaries, {dd['boundary_records']:,} boundary records), "
                f"{dd['pairs_compared']:,} pairs compared of {dd['all_pairs']:,}; dedup {dd['seconds']:.2f} s; "
                f"peak block + cluster {dd['peak_block_mb']:.2f} MiB; whole phase peak traced "
                f"{report['peak_traced_mib']:.1f} MiB in {report['seconds']:.1f} s"
            )
    print(f"RESULT recall >= {args.goal:.0%} with probe_margin=auto at every threshold: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def run_phase(texts: list[str], cache_root: Path, threshold: float, clusters: int | None, seed: int) -> dict | None:
    """The real phase over the corpus, every vector read from the benchmark's cache (no model load)."""
    from curate.plugins.embedders import SentenceTransformerEmbedder
    from curate.records import Record, Source
    from curate.semantic.phase import SemanticPhase
    from curate.stages.compute import Compute

    records = [Record.create(Source("bench", "corpus.txt", f"line {i + 1}"), text=t) for i, t in enumerate(texts)]
    table = {"threshold": threshold, "seed": seed, **({"clusters": clusters} if clusters else {})}
    phase = SemanticPhase.from_config(table, cache_root, embedder=SentenceTransformerEmbedder())
    tracemalloc.start()
    started = time.perf_counter()
    result = phase.run(lambda: iter(records), Compute())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report = result.report
    report["peak_traced_mib"] = peak / 2**20
    report["seconds"] = time.perf_counter() - started
    if result.counts["embedded"]:
        print(f"(the phase embedded {result.counts['embedded']} texts: the cache was not complete)")
    return report


if __name__ == "__main__":
    raise SystemExit(main())
