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
        "--probe-margins", type=float, nargs="+", default=[0.05], help="the phase's probe_margin values to compare"
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
    margins = args.probe_margins
    head = "".join(f"  margin {m:<5}" for m in margins)
    guests = [(km.similarity - second_sim) <= m for m in margins]
    print(f"{'':34}pairs found (recall): own cluster{head}")
    print(f"threshold  exact pairs  planted>t  {'':22}" + "".join(f"  {100 * g.mean():5.1f}% guests" for g in guests))
    ok = True
    for t in args.thresholds:
        started = time.perf_counter()
        i, j = exact_pairs(x, t)
        exact_s = time.perf_counter() - started
        found = labels[i] == labels[j]
        cells = [f"{_pct(found)}"]
        for g in guests:
            probed = found | (g[i] & (second[i] == labels[j])) | (g[j] & (second[j] == labels[i]))
            cells.append(_pct(probed))
        ok &= float(probed.mean() if len(i) else 1.0) >= args.goal
        above = int((planted_sims > t).sum())
        print(
            f"{t:9.2f}  {len(i):11,}  {above:9,}  {'':22}"
            + "".join(f"  {c:>13}" for c in cells)
            + f"   (all-pairs {exact_s:.1f} s)"
        )
    print()
    t = args.thresholds[len(args.thresholds) // 2]
    started = time.perf_counter()
    removed, largest, peak = dedup_all_clusters(x, labels, k, t)
    dedup_s = time.perf_counter() - started
    n = len(x)
    d = x.shape[1]
    print(
        f"clustered dedup at {t}: removed {removed:,} in {dedup_s:.2f} s; pairs compared "
        f"{int((km.sizes * (km.sizes - 1) // 2).sum()):,} of {n * (n - 1) // 2:,}"
    )
    print(
        f"peak traced memory of the dedup loop: {peak:.1f} MiB; N^2 float32 would be {n * n * 4 / 2**20:,.0f} MiB; "
        f"largest cluster {largest:,} -> its vectors {largest * d * 4 / 2**20:.1f} MiB + one {largest}x{largest} "
        f"block {largest * largest * 4 / 2**20:.1f} MiB"
    )
    print(f"RESULT recall goal {args.goal:.0%}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
