"""Near-duplicate quality and encode speed of the static embedder against MiniLM.

    python bench/static_embedder.py                  # both embedders, the labelled set, speed on 2,000 texts
    python bench/static_embedder.py --speed-n 500    # a quicker speed run

Quality: ``bench/data/paraphrase_eval.jsonl`` holds 128 sentence pairs of the Microsoft
Research Paraphrase Corpus (MRPC) test split, in file order from its first line (copy
read: galsang/ABCNN, ``msr_paraphrase_test.txt``), with the corpus's own human labels:
88 pairs are paraphrases, 40 are not (most of those are hard negatives: the same story,
a different claim). Each paraphrase pair is one meaning, each other pair two: 256 records,
168 meanings. Every record is embedded and curate's own greedy near-duplicate removal
(:func:`curate.semantic.semdedup.dedup_cluster`, all records in one cluster, file order)
runs at similarity thresholds 0.50-0.99. A meaning is preserved when at least one of its
records is kept. Printed per embedder: the fewest records kept while preserving all
meanings but L (L = 0, 1, 2, 4, 8), the threshold that does it, and the ROC AUC of the
pair similarity against the paraphrase label.

Speed: ``--speed-n`` texts of two kinds, encoded by each embedder after a warm-up:
"short" (the eval sentences, ~25 words) and "long" (eight sentences joined, ~200 words,
like a long chat reply; MiniLM reads its first 256 tokens, the static model 512). Texts
per second, best of ``--repeats``.

The static model is distilled (once, ~15-50 s) into ``bench/_work/static-cache``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from curate.semantic.embed import Embedder  # noqa: E402
from curate.semantic.semdedup import dedup_cluster  # noqa: E402

DATA = ROOT / "bench" / "data" / "paraphrase_eval.jsonl"
THRESHOLDS = [round(t, 2) for t in np.arange(0.50, 0.995, 0.01)]
LOSSES = (0, 1, 2, 4, 8)


def load_pairs(path: Path = DATA) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts (a0, b0, a1, b1...), the meaning of each text, and each pair's paraphrase label."""
    texts: list[str] = []
    meaning: list[int] = []
    labels: list[bool] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        labels.append(bool(pair["paraphrase"]))
        first = len(set(meaning))
        texts += [pair["a"], pair["b"]]
        meaning += [first, first] if pair["paraphrase"] else [first, first + 1]
    return texts, np.array(meaning), np.array(labels)


def embedders(cache: Path) -> dict[str, Embedder]:
    from curate.plugins.embedders import SentenceTransformerEmbedder, StaticEmbedder

    return {
        "MiniLM": SentenceTransformerEmbedder(device="cpu", batch_size=64),
        "static": StaticEmbedder(cache_dir=cache),
    }


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC: the chance that a paraphrase pair scores above a non-paraphrase pair (ties count half)."""
    pos, neg = scores[labels], scores[~labels]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def quality(vectors: np.ndarray, meaning: np.ndarray) -> list[tuple[float, int, int]]:
    """(threshold, records kept, meanings preserved) at each threshold."""
    out = dedup_cluster(vectors, THRESHOLDS)
    rows = []
    for outcome in out.outcomes:
        kept = outcome.kept
        rows.append((outcome.threshold, int(kept.sum()), len(np.unique(meaning[kept]))))
    return rows


def fewest_kept(rows: list[tuple[float, int, int]], meanings: int, lost: int) -> tuple[float, int, int] | None:
    """The row keeping the fewest records among those losing at most ``lost`` meanings."""
    ok = [r for r in rows if r[2] >= meanings - lost]
    return min(ok, key=lambda r: (r[1], -r[0])) if ok else None


def pair_curve(sims: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over all pairs i < j: thresholds (descending), precision and recall of "similarity > threshold"."""
    order = np.argsort(-sims, kind="stable")
    hits = np.cumsum(same[order])
    flagged = np.arange(1, len(order) + 1)
    return sims[order], hits / flagged, hits / max(1, same.sum())


def recall_at_precision(curve: tuple[np.ndarray, np.ndarray, np.ndarray], precision: float) -> float:
    """The best recall among operating points with at least ``precision``."""
    _, prec, rec = curve
    ok = prec >= precision
    return float(rec[ok].max()) if ok.any() else 0.0


def cascade(static: np.ndarray, minilm: np.ndarray, candidate: float) -> tuple[np.ndarray, int]:
    """Pair similarities of a cascade, and how many records it sends to MiniLM.

    Static similarity picks candidate pairs (above ``candidate``); MiniLM's similarity
    replaces it on those pairs; every other pair counts as unrelated (-1).
    """
    cand = static > candidate
    np.fill_diagonal(cand, False)
    sims = np.where(cand, minilm, -1.0)
    return sims, int(cand.any(axis=1).sum())


def greedy_kept(sims: np.ndarray, thresholds: list[float]) -> list[np.ndarray]:
    """curate's greedy rule on a similarity matrix: drop a record above ``t`` to an earlier kept one."""
    out = []
    for t in thresholds:
        kept = np.zeros(len(sims), bool)
        for i in range(len(sims)):
            kept[i] = not (sims[i, :i][kept[:i]] > t).any()
        out.append(kept)
    return out


def rate(embedder: Embedder, texts: list[str], repeats: int) -> float:
    embedder.embed(texts[:64])  # load and warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.embed(texts)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed-n", type=int, default=2000, help="texts per speed run (short); long: a fifth")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "static-cache")
    args = parser.parse_args(argv)

    texts, meaning, labels = load_pairs()
    meanings = len(np.unique(meaning))
    print(f"paraphrase set: {len(labels)} MRPC pairs ({labels.sum()} paraphrases), {len(texts)} records, "
          f"{meanings} meanings")  # fmt: skip
    models = embedders(args.work)
    started = time.perf_counter()
    models["static"].load()
    print(f"static model ready in {time.perf_counter() - started:.1f} s ({models['static'].distilled_path()})")

    results = {}
    vectors_of = {}
    for name, embedder in models.items():
        vectors = vectors_of[name] = embedder.embed(texts)
        sims = np.einsum("ij,ij->i", vectors[0::2], vectors[1::2])
        results[name] = (quality(vectors, meaning), auc(sims, labels))
    print("\nnear-duplicate quality (curate's greedy removal, thresholds 0.50-0.99):")
    print("  embedder  pair AUC  " + "  ".join(f"lose<={n}: kept @thr" for n in LOSSES))
    for name, (rows, area) in results.items():
        cells = []
        for lost in LOSSES:
            best = fewest_kept(rows, meanings, lost)
            cells.append(f"{best[1]:>6} @{best[0]:.2f}    " if best else f"{'-':>6}          ")
        print(f"  {name:<8}  {area:8.3f}  " + "  ".join(cells))
    print("  (records kept out of", len(texts), "; the fewer kept at the same loss, the better)")
    iu = np.triu_indices(len(texts), 1)
    same = (meaning[:, None] == meaning[None, :])[iu]
    full = {name: v @ v.T for name, v in vectors_of.items()}
    curves = {name: pair_curve(m[iu], same) for name, m in full.items()}
    print(f"\nall {len(same):,} pairs, {same.sum()} duplicates: static's recall at MiniLM's precision")
    print("  MiniLM thr  precision  MiniLM recall  static recall  static/MiniLM")
    for t in (0.95, 0.9, 0.85, 0.8, 0.75):
        thr, prec, rec = curves["MiniLM"]
        at = int(np.searchsorted(-thr, -t, side="left")) - 1  # last pair with similarity > t
        if at < 0:
            continue
        other = recall_at_precision(curves["static"], prec[at])
        print(f"  {t:>10.2f}  {prec[at]:>9.3f}  {rec[at]:>13.3f}  {other:>13.3f}  {other / rec[at]:>12.0%}")

    print("\ncascade: static candidates above C, MiniLM similarity confirms (records kept / meanings preserved)")
    print("  C      to MiniLM  " + "  ".join(f"thr {t:.2f}" for t in (0.8, 0.85, 0.9)))
    for c in (0.6, 0.7, 0.8):
        sims, sent = cascade(full["static"], full["MiniLM"], c)
        kept = greedy_kept(sims, [0.8, 0.85, 0.9])
        cells = "  ".join(f"{k.sum():>3} / {len(np.unique(meaning[k])):>3}" for k in kept)
        print(f"  {c:.2f}  {sent:>9}  {cells}")
    kept = greedy_kept(full["MiniLM"], [0.8, 0.85, 0.9])
    cells = "  ".join(f"{k.sum():>3} / {len(np.unique(meaning[k])):>3}" for k in kept)
    print(f"  MiniLM alone  {len(texts):>5}  {cells}")

    print("\nat the same threshold (records kept / meanings preserved):")
    print("  threshold  " + "  ".join(f"{n:>14}" for n in results))
    for i, t in enumerate(THRESHOLDS):
        if round(t * 100) % 5 == 0:
            print(f"  {t:9.2f}  " + "  ".join(f"{r[0][i][1]:>7} / {r[0][i][2]:>4}" for r in results.values()))

    short = (texts * (args.speed_n // len(texts) + 1))[: args.speed_n]
    joined = [" ".join(texts[i : i + 8]) for i in range(0, len(texts) - 8)]
    long = (joined * (args.speed_n // 5 // len(joined) + 1))[: max(64, args.speed_n // 5)]
    print(f"\nencode speed on this machine (texts/s, best of {args.repeats}):")
    print(f"  {'embedder':<8}  {'short (~25 words)':>18}  {'long (~200 words)':>18}")
    speeds = {}
    for name, embedder in models.items():
        speeds[name] = (rate(embedder, short, args.repeats), rate(embedder, long, args.repeats))
        print(f"  {name:<8}  {speeds[name][0]:>18,.0f}  {speeds[name][1]:>18,.0f}")
    s, m = speeds["static"], speeds["MiniLM"]
    print(f"  static / MiniLM: {s[0] / m[0]:.0f}x (short), {s[1] / m[1]:.0f}x (long)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
