"""Where the cascade's removals part from MiniLM's, on a labelled pair file (through the semantic phase).

    python bench/cascade_gap.py                                     # DEV captions
    python bench/cascade_gap.py --data bench/data/paraphrase_mrpc.jsonl --split dev

The cascade here confirms every candidate (``accept_threshold = 1.0``), so each of its
removals rests on a MiniLM similarity at or above the threshold. Printed per threshold:
how many records MiniLM alone and the cascade remove, how many of them are the same
records, the lowest MiniLM similarity behind a cascade removal, and how many record pairs
MiniLM puts at or above the threshold while the static embedder puts them under the
cascade's candidate threshold (those the cascade cannot find).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.static_calibration import embed, load_records  # noqa: E402

CAPTIONS = ROOT / "bench" / "data" / "paraphrase_stsb_captions.jsonl"


def main(argv: list[str] | None = None) -> int:
    from curate.records import Record, Source
    from curate.semantic.options import CANDIDATE_GAP
    from curate.semantic.phase import SemanticPhase
    from curate.stages.compute import Compute

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=CAPTIONS)
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.78, 0.80, 0.83, 0.86, 0.88, 0.90])
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("CURATE_CACHE_DIR", "/tmp/hd-cache")))
    args = parser.parse_args(argv)
    os.environ["CURATE_CACHE_DIR"] = str(args.work)
    texts, _ = load_records(args.data, args.split)
    vm, vs = embed("MiniLM", texts, args.work), embed("static", texts, args.work)
    sim_m, sim_s = vm @ vm.T, vs @ vs.T
    iu = np.triu_indices(len(texts), 1)
    records = [Record.create(Source("pairs", "pairs", f"{i}"), text=t) for i, t in enumerate(texts)]
    index = {r.id: i for i, r in enumerate(records)}

    def removals(t: float, way: dict[str, Any]) -> dict[int, int]:
        with tempfile.TemporaryDirectory():
            phase = SemanticPhase.from_config({"threshold": t, **way}, args.work / "phase")
            rejected = phase.run(lambda: iter(records), Compute()).rejected
        return {index[rid]: index[d["duplicate_of"]] for rid, (_, d) in rejected.items()}

    print(f"{args.data.name}, {args.split}: {len(texts)} records")
    print("   t  MiniLM removes  cascade removes  same records  lowest MiniLM sim behind a cascade removal"
          "  MiniLM pairs >= t  of them under the candidate threshold on static")  # fmt: skip
    for t in args.thresholds:
        alone = removals(t, {"embedder": "sentence-transformers"})
        cascade = removals(t, {"embedder": "static", "confirm": "sentence-transformers", "accept_threshold": 1.0})
        lowest = min((float(sim_m[i, j]) for i, j in cascade.items()), default=float("nan"))
        above = sim_m[iu] >= t
        lost = above & (sim_s[iu] < t - CANDIDATE_GAP)
        print(f"  {t:.2f}  {len(alone):>14}  {len(cascade):>15}  {len(set(alone) & set(cascade)):>12}"
              f"  {lowest:>42.3f}  {int(above.sum()):>17}  {int(lost.sum()):>10}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
