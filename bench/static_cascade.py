"""The static->MiniLM cascade against MiniLM alone and static alone, through the semantic phase itself.

    python bench/static_cascade.py                         # the labelled MRPC pairs, thresholds 0.80-0.90
    python bench/static_cascade.py --thresholds 0.85 0.9
    python bench/static_cascade.py --split dev --accept-gap 0 0.03 0.05 0.08 1   # choose the band
    python bench/static_cascade.py --split heldout --accept-gap 0.05 1            # evaluate it

``bench/data/paraphrase_eval.jsonl`` (128 MRPC test pairs with their human labels; 256
records, 168 meanings: see bench/static_embedder.py) runs through
:class:`~curate.semantic.phase.SemanticPhase` three ways: ``embedder = "sentence-transformers"``
(MiniLM), ``embedder = "static"``, and ``embedder = "static", confirm = "sentence-transformers"``
(the cascade). A removal is right when the removed record and its survivor share a
meaning. Recall: right removals / the 88 records that have a paraphrase; precision:
right removals / removals. Printed per threshold, with the records the cascade sent to
MiniLM. Embedding caches live under ``--work`` (MiniLM's and the static model's vectors
are reused between runs; the timings printed are the phase's own).

The cascade confirms only the uncertain band: candidate pairs with a static similarity
between ``threshold - candidate gap`` and ``threshold + accept gap`` go to MiniLM, those
above are accepted as they stand (accept gap 1: confirm every candidate). ``--split``
takes the DEV half of the pairs (where the band's edges are chosen) or the HELD-OUT half
(never tuned on); the halves are fixed by a hash of each pair's id.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
    parser.add_argument("--accept-gap", type=float, nargs="+", default=[1.0])
    parser.add_argument("--split", choices=["all", "dev", "heldout"], default="all")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "static-cache")
    args = parser.parse_args(argv)
    os.environ.setdefault("CURATE_CACHE_DIR", str(args.work))
    from curate.semantic.phase import SemanticPhase
    from curate.stages.compute import Compute

    texts, meaning, _ = load_pairs()
    if args.split != "all":
        keep = [i for i, pair in enumerate(pair_ids()) if (pair_split(pair) == args.split)]
        rows = [r for i in keep for r in (2 * i, 2 * i + 1)]
        texts, meaning = [texts[r] for r in rows], meaning[rows]
        print(f"split {args.split}: {len(keep)} pairs")
    records = [Record.create(Source("mrpc", "pairs", f"{i}"), text=t) for i, t in enumerate(texts)]
    index = {r.id: i for i, r in enumerate(records)}
    duplicates = sum(int((meaning == m).sum()) - 1 for m in set(meaning.tolist()))
    print(f"{len(records)} records, {len(set(meaning.tolist()))} meanings, {duplicates} records with a paraphrase")
    ways: list[tuple[str, dict[str, object]]] = [
        ("MiniLM", {"embedder": "sentence-transformers"}),
        ("static", {"embedder": "static"}),
    ]
    for gap in args.candidate_gap:
        for up in args.accept_gap:
            name = f"cascade -{gap:.2f}" + (f"/+{up:.2f}" if up < 1 else "")
            ways.append((name, {"embedder": "static", "confirm": "sentence-transformers", "gap": gap, "up": up}))
    print("threshold  way                    removed  right  precision  recall  recall/MiniLM  to MiniLM  seconds")
    cache = Path(os.environ["CURATE_CACHE_DIR"])
    for t in args.thresholds:
        base_recall = None
        for name, table in ways:
            table = dict(table)
            gap = table.pop("gap", None)
            up = table.pop("up", None)
            if gap is not None:
                table["candidate_threshold"] = round(t - float(gap), 4)  # type: ignore[arg-type]
            if up is not None:
                table["accept_threshold"] = 1.0 if up >= 1 else round(t + float(up), 4)  # type: ignore[arg-type]
            with tempfile.TemporaryDirectory():
                phase = SemanticPhase.from_config({"threshold": t, **table}, cache)
                started = time.perf_counter()
                result = phase.run(lambda: iter(records), Compute())
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
                f"{t:9.2f}  {name:<21}  {len(removed):>7}  {right:>5}  {precision:>9.3f}  {recall:>6.3f}"
                f"  {ratio:>13.0%}  {sent!s:>9}  {seconds:>7.1f}"
            )
    return 0


def pair_ids() -> list[str]:
    """The ids of the labelled pairs, in the order :func:`load_pairs` reads them."""
    lines = (ROOT / "bench" / "data" / "paraphrase_eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines]


def pair_split(pair_id: str) -> str:
    """``dev`` or ``heldout``, fixed by a hash of the pair's id (about half each)."""
    return "dev" if hashlib.sha256(pair_id.encode()).digest()[0] % 2 == 0 else "heldout"


if __name__ == "__main__":
    sys.exit(main())
