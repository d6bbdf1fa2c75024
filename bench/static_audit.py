"""The audit of ``--embedder static`` builds: its 50-record estimates against the whole population.

    python bench/static_audit.py                       # the labelled sets, thresholds 0.80 / 0.85 / 0.90
    python bench/static_audit.py --replies 2000        # also 2,000 real chat replies (no labels)

Each set's sentences (one record each, as ``bench/static_calibration.py`` makes them) go
through the semantic phase with the static embedder twice per threshold: with the default
audit (``audit = 50``: 50 removals, 50 kept records) and with every record audited
(``audit`` larger than the set), which gives the population's shares exactly. Printed per
row: the build's removals, the estimate with its 95% interval, the population share, and
whether the interval holds it; then MiniLM's own removals at the same threshold, and the
precision (right removals / removals) of static and MiniLM against the set's labels, to
set beside what the audit says. The decisions are the same with or without the audit
(the phase's tests pin that).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from curate.records import Record, Source  # noqa: E402
from curate.semantic.phase import SemanticPhase  # noqa: E402
from curate.stages.compute import Compute  # noqa: E402

DATA = ROOT / "bench" / "data"
SETS = ["paraphrase_stsb_captions_fresh.jsonl", "paraphrase_mrpc_fresh.jsonl"]


def labelled(path: Path) -> tuple[list[str], dict[str, set[str]]]:
    """Distinct sentences in file order, and each sentence's labelled paraphrases."""
    texts: dict[str, None] = {}
    same: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.setdefault(row["a"])
        texts.setdefault(row["b"])
        if row["paraphrase"]:
            same.setdefault(row["a"], set()).add(row["b"])
            same.setdefault(row["b"], set()).add(row["a"])
    return list(texts), same


def replies(count: int, work: Path) -> list[str]:
    from bench.pipeline_vs_datatrove import make_corpus

    path = work / f"replies-{count}.jsonl"
    if not path.exists():
        make_corpus(path, count, seed=0)
    return list(dict.fromkeys(json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()))


def run(texts: list[str], cache: Path, **table: Any) -> tuple[dict[str, tuple[str, str]], dict[str, Any]]:
    """The phase over ``texts``: removed text -> (reason, the survivor's text), and the report."""
    records = [Record.create(Source("bench", "texts", f"line {i + 1}"), text=t) for i, t in enumerate(texts)]
    text_of = {r.id: r.text or "" for r in records}
    phase = SemanticPhase.from_config(table, cache)
    result = phase.run(lambda: iter(records), Compute())
    removed = {
        text_of[i]: (reason, text_of.get(d.get("duplicate_of", ""), "")) for i, (reason, d) in result.rejected.items()
    }
    return removed, result.report


def precision(removed: dict[str, tuple[str, str]], same: dict[str, set[str]]) -> float | None:
    right = sum(survivor in same.get(text, ()) for text, (_, survivor) in removed.items())
    return right / len(removed) if removed else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.80, 0.85, 0.90])
    parser.add_argument("--replies", type=int, default=0, help="also this many real chat replies")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "static-audit")
    parser.add_argument("--static-from", type=Path, default=ROOT / "bench" / "_work" / "static-cache")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.work / "cache"
    if not (cache / "static").is_dir() and (args.static_from / "static").is_dir():
        shutil.copytree(args.static_from / "static", cache / "static")
    sets: list[tuple[str, list[str], dict[str, set[str]] | None]] = []
    for name in SETS:
        texts, same = labelled(DATA / name)
        sets.append((name, texts, same))
    if args.replies:
        sets.append((f"{args.replies} chat replies", replies(args.replies, args.work), None))
    print("set, t: static removals | removals MiniLM agrees with: estimate [95%] population held |")
    print("        kept records with a MiniLM near-duplicate: estimate [95%] population held |")
    print("        MiniLM removals | precision vs labels: static, MiniLM")
    for name, texts, same in sets:
        for t in args.thresholds:
            rejected, report = run(texts, cache, embedder="static", threshold=t)
            _, full = run(texts, cache, embedder="static", threshold=t, audit=len(texts) + 1)
            mini, _ = run(texts, cache, threshold=t)
            cells = []
            for part, key in (("removals", "agreed"), ("kept", "near_duplicate")):
                est, pop = report["dedup"]["audit"][part], full["dedup"]["audit"][part]
                if not est["sampled"]:
                    cells.append("none")
                    continue
                held = est["low"] <= (pop["share"] or 0.0) <= est["high"]
                cells.append(
                    f"{est['share']:.2f} [{est['low']:.2f}-{est['high']:.2f}] {pop['share']:.2f}"
                    f" ({pop[key]}/{pop['sampled']}) {'yes' if held else 'NO'}"
                )
            labels = ""
            if same is not None:
                p_static, p_mini = precision(rejected, same), precision(mini, same)
                labels = f" | {p_static or 0:.3f}, {p_mini or 0:.3f}"
            print(
                f"{name[:32]:<32} {t:.2f}: {len(rejected):>5} | {cells[0]} | {cells[1]} | {len(mini):>5}{labels}"
                f" | audit {report['dedup']['audit']['seconds']:.1f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
