"""The static->MiniLM cascade against MiniLM alone and static alone, through the semantic phase itself.

    python bench/static_cascade.py                         # the labelled MRPC pairs, thresholds 0.80-0.90
    python bench/static_cascade.py --thresholds 0.85 0.9

``bench/data/paraphrase_eval.jsonl`` (128 MRPC test pairs with their human labels; 256
records, 168 meanings: see bench/static_embedder.py) runs through
:class:`~curate.semantic.phase.SemanticPhase` three ways: ``embedder = "sentence-transformers"``
(MiniLM), ``embedder = "static"``, and ``embedder = "static", confirm = "sentence-transformers"``
(the cascade). A removal is right when the removed record and its survivor share a
meaning. Recall: right removals / the 88 records that have a paraphrase; precision:
right removals / removals. Printed per threshold, with the records the cascade sent to
MiniLM. Embedding caches live under ``--work`` (MiniLM's and the static model's vectors
are reused between runs; the timings printed are the phase's own).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.static_embedder import load_pairs  # noqa: E402
from curate.records import Record, Source  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.80, 0.85, 0.90])
    parser.add_argument("--candidate-gap", type=float, nargs="+", default=[0.15])
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "static-cache")
    args = parser.parse_args(argv)
    os.environ.setdefault("CURATE_CACHE_DIR", str(args.work))
    from curate.semantic.phase import SemanticPhase

    texts, meaning, _ = load_pairs()
    records = [Record.create(Source("mrpc", "pairs", f"{i}"), text=t) for i, t in enumerate(texts)]
    index = {r.id: i for i, r in enumerate(records)}
    duplicates = sum(int((meaning == m).sum()) - 1 for m in set(meaning.tolist()))
    print(f"{len(records)} records, {len(set(meaning.tolist()))} meanings, {duplicates} records with a paraphrase")
    ways: list[tuple[str, dict[str, object]]] = [
        ("MiniLM", {"embedder": "sentence-transformers"}),
        ("static", {"embedder": "static"}),
    ]
    for gap in args.candidate_gap:
        ways.append((f"cascade -{gap:.2f}", {"embedder": "static", "confirm": "sentence-transformers", "gap": gap}))
    print("threshold  way              removed  right  precision  recall  recall/MiniLM  to MiniLM  seconds")
    cache = Path(os.environ["CURATE_CACHE_DIR"])
    for t in args.thresholds:
        base_recall = None
        for name, table in ways:
            table = dict(table)
            gap = table.pop("gap", None)
            if gap is not None:
                table["candidate_threshold"] = round(t - float(gap), 4)  # type: ignore[arg-type]
            with tempfile.TemporaryDirectory():
                phase = SemanticPhase.from_config({"threshold": t, **table}, cache)
                started = time.perf_counter()
                result = phase.run(lambda: iter(records))
                seconds = time.perf_counter() - started
            removed = result.rejected
            right = sum(meaning[index[rid]] == meaning[index[d["duplicate_of"]]] for rid, (_, d) in removed.items())
            precision = right / len(removed) if removed else 1.0
            recall = right / duplicates
            if base_recall is None:
                base_recall = recall
            ratio = recall / base_recall if base_recall else float("nan")
            sent = result.report.get("confirmer", {}).get("records", "")
            print(
                f"{t:9.2f}  {name:<15}  {len(removed):>7}  {right:>5}  {precision:>9.3f}  {recall:>6.3f}"
                f"  {ratio:>13.0%}  {sent!s:>9}  {seconds:>7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
