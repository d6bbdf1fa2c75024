"""Overhead of curate's embedding stage over calling ``SentenceTransformer.encode`` directly.

    python bench/embed_overhead.py                 # 2,000 records, the default model, best of 3
    python bench/embed_overhead.py --n 5000 --repeats 2

Both sides use the same loaded model, batch size and texts. "Direct" is one
``model.encode(texts, batch_size=64, normalize_embeddings=True)``. "curate" is the
semantic phase's first pass on a cold cache: the embedded text of each record, its
hash, cache lookups, the same encode call per chunk, the float16 shard written to disk.
Runs alternate and the best of each is compared; since a shared machine makes that
noisy, the time curate spends outside ``model.encode`` during its own runs is measured
too (the overhead proper). A warm run (every vector cached) is timed as well.
Goal (issue 4): overhead <= 5%. Exit 1 if missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from curate.records import Record, Source
from curate.semantic.embed import EmbeddingCache, embedding_text
from curate.semantic.phase import SemanticPhase, _Run, record_text
from curate.semantic.testing import synthetic_corpus


def records(n: int) -> list[Record]:
    """Question/answer records of mixed length (one to eight sentences of answer)."""
    texts, _ = synthetic_corpus(n * 3, paraphrase_rate=0.0, seed=1)
    out = []
    for i in range(n):
        answer = " ".join(texts[3 * i + j % 3] for j in range(1 + i % 8))
        out.append(Record.create(Source("bench", "qa.jsonl", f"line {i + 1}"), input=texts[3 * i], output=answer))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    from curate.plugins.embedders import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(batch_size=args.batch_size)
    model = embedder.load()
    recs = records(args.n)
    texts = [embedding_text(r, "auto") for r in recs]
    print(
        f"{args.n:,} records, mean {sum(map(len, texts)) / len(texts):.0f} characters; model {embedder.model_id} "
        f"on {embedder.device}; batch {args.batch_size}; torch threads {__import__('torch').get_num_threads()}"
    )
    model.encode(texts[:128], batch_size=args.batch_size)  # warm up

    def direct() -> float:
        started = time.perf_counter()
        model.encode(
            texts, batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return time.perf_counter() - started

    inside = [0.0]  # seconds spent inside model.encode during the curate runs
    raw_encode = model.encode

    def timed_encode(*a, **kw):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return raw_encode(*a, **kw)
        finally:
            inside[0] += time.perf_counter() - started

    def ours(cache_dir: Path) -> tuple[float, float, Counter[str]]:
        phase = SemanticPhase.from_config({}, cache_dir, embedder=embedder)
        counts: Counter[str] = Counter()
        inside[0] = 0.0
        model.encode = timed_encode
        try:
            started = time.perf_counter()
            cache = EmbeddingCache(cache_dir / "embeddings", embedder.model_id)
            text = partial(record_text, field=phase.options.field, quality_key=phase.options.quality_key)
            phase._read_and_embed(lambda: iter(recs), _Run(phase.options), cache, counts, text)
            total = time.perf_counter() - started
        finally:
            model.encode = raw_encode
        return total, inside[0], counts

    best_direct = best_cold = best_warm = float("inf")
    outside = []
    for _ in range(args.repeats):
        best_direct = min(best_direct, direct())
        tmp = Path(tempfile.mkdtemp(prefix="curate-embed-bench-"))
        try:
            cold, encoding, counts = ours(tmp)
            assert counts["embedded"] == args.n, counts
            outside.append((cold - encoding) / encoding)
            warm, _, counts = ours(tmp)
            assert counts["cached"] == args.n and not counts["embedded"], counts
        finally:
            shutil.rmtree(tmp)
        best_cold, best_warm = min(best_cold, cold), min(best_warm, warm)
    side_by_side = best_cold / best_direct - 1.0
    own = sorted(outside)[len(outside) // 2]
    print(f"direct SentenceTransformer.encode   {best_direct:8.2f} s  ({args.n / best_direct:,.0f} records/s)")
    print(f"curate embedding stage, cold cache  {best_cold:8.2f} s  side by side {100 * side_by_side:+.1f}%")
    print(f"  of which outside model.encode: {100 * own:+.2f}% of the encode time (median of {len(outside)} runs)")
    print(f"curate embedding stage, warm cache  {best_warm:8.2f} s  ({args.n / best_warm:,.0f} records/s)")
    ok = own <= 0.05 and side_by_side <= 0.05
    print(f"RESULT overhead <= 5%: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
