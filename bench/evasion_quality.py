"""Precision and recall of the ``evasion`` filter, alone and behind the ``refusal`` filter.

The evaluation set is ``bench/data/evasion_pairs.jsonl``: prompt-reply pairs from public
third-party data, labelled before the filter was written (see ``bench/data/README.md``):

- XSTest v2 model completions (Röttger et al. 2024; repository paul-rottger/exaggerated-safety):
  GPT-4, Llama-2-70b-chat and Mistral-7B-Instruct answering safe prompts and their unsafe
  contrasts, with the human labels (full compliance, full refusal, partial refusal);
- Alpaca (tatsu-lab/stanford_alpaca, data/alpaca_5000.json): ordinary instructions with
  text-davinci-003 answers, many of them one word or one line;
- constructed dodges: an unsafe XSTest prompt paired with a real answer, from the same
  sources, to an unrelated or loosely related question (a recipe, a history lesson, a
  coconut instead of a body): the "asked for something harmful, answered with something
  else" case of issue 12.

Labels: ``answer`` (negative), ``refusal`` and ``evasion`` (positives), ``partial`` (a
moralising opening, then real advice: reported apart, in neither count). The ``tune``
part was used to pick the threshold and the cues (``--calibrate``). ``heldout`` was
written with ``tune`` and never tuned on, but its first result was seen before the last
change to the filter (reading the refusal filter's cuts); ``heldout2`` (Mistral with a
guardrail prompt, GPT-4o on MT-bench, AdvBench prompts) was gathered and labelled after
the filter was frozen, and run once. A pair
counts as detected when a filter rejects it (a refusal filter that only cuts a disclaimer
out of an answer does not count as detecting it).

Run::

    python bench/evasion_quality.py               # both parts, the three set-ups
    python bench/evasion_quality.py --calibrate   # the threshold that maximises F1 on the tuning part
    python bench/evasion_quality.py --errors      # also list what the combined set-up gets wrong
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "evasion_pairs.jsonl"
POSITIVE = {"refusal", "evasion"}


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_flags(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split in (None, r["split"])]


def to_record(row: dict):  # type: ignore[no-untyped-def]
    from curate.records import Record, Source

    src = Source("eval", DATA.name, row["id"])
    if "messages" in row:
        return Record.create(src, messages=row["messages"])
    return Record.create(src, input=row["input"], output=row["output"])


def decisions(rows: list[dict], stages: list) -> dict[str, str]:  # type: ignore[type-arg]
    """Row id -> the stage that rejected it, or "" when kept."""
    from curate.stages.base import run_stages

    records = [to_record(r) for r in rows]
    by_id = {rec.id: row["id"] for rec, row in zip(records, rows, strict=True)}
    kept, rejected, _ = run_stages(stages, records)
    out = {by_id[r.id]: "" for r in kept}
    out.update({by_id[r.record.id]: f"{r.stage}:{r.details.get('rule', r.reason)}" for r in rejected})
    return out


def score(rows: list[dict], outcome: dict[str, str]) -> Scores:
    """P/R/F1 over ``answer``, ``refusal`` and ``evasion`` rows (``partial`` ones are reported apart)."""
    s = Scores()
    for r in rows:
        if r["label"] not in POSITIVE and r["label"] != "answer":
            continue
        positive, detected = r["label"] in POSITIVE, bool(outcome[r["id"]])
        if positive and detected:
            s.tp += 1
        elif positive:
            s.fn += 1
            s.errors.append(f"  missed   {r['id']} ({r['style']}): {_show(r)}")
        elif detected:
            s.fp += 1
            s.errors.append(f"  flagged  {r['id']} by {outcome[r['id']]}: {_show(r)}")
        else:
            s.tn += 1
    return s


def _show(row: dict) -> str:
    prompt = row["messages"][0]["content"] if "messages" in row else row["input"]
    answer = row["messages"][1]["content"] if "messages" in row else row["output"]
    return f"{prompt[:50]!r} -> {answer[:70]!r}"


def setups(options: dict) -> dict[str, list]:  # type: ignore[type-arg]
    from curate.plugins.evasion_filter import EvasionFilter
    from curate.plugins.refusal import RefusalFilter

    refusal = RefusalFilter.from_options({})
    evasion = EvasionFilter.from_options(options)
    return {"refusal": [refusal], "evasion": [evasion], "refusal+evasion": [refusal, evasion]}


def calibrate(options: dict) -> float:
    """The threshold with the best F1 (refusal + evasion) on the tuning part: the middle of the best plateau."""
    from curate.plugins.evasion_filter import EvasionFilter
    from curate.plugins.refusal import RefusalFilter

    rows = load("tune")
    refusal = RefusalFilter.from_options({})
    best: list[tuple[float, float]] = []
    for step in range(0, 71):
        threshold = step / 100
        evasion = EvasionFilter.from_options({**options, "threshold": threshold})
        f1 = score(rows, decisions(rows, [refusal, evasion])).f1
        best.append((round(f1, 4), threshold))
    top = max(f for f, _ in best)
    plateau = [t for f, t in best if f == top]
    chosen = round((plateau[0] + plateau[-1]) / 2, 2)
    print(f"best F1 on the tuning part: {top:.3f} for thresholds {plateau[0]:.2f}..{plateau[-1]:.2f}; chose {chosen}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibrate", action="store_true", help="search the threshold on the tuning part")
    parser.add_argument("--errors", action="store_true", help="list the mistakes of refusal+evasion")
    parser.add_argument("--embedder", default=None, help="as in [semantic] (default all-MiniLM-L6-v2)")
    parser.add_argument("--threshold", type=float, default=None, help="override the filter's threshold")
    args = parser.parse_args(argv)
    os.environ.setdefault("CURATE_CACHE_DIR", tempfile.mkdtemp(prefix="curate-evasion-bench-"))
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    options: dict = {"device": "cpu"}
    if args.embedder:
        options["embedder"] = args.embedder
    if args.threshold is not None:
        options["threshold"] = args.threshold
    started = time.perf_counter()
    if args.calibrate:
        options["threshold"] = calibrate(options)
    ready = setups(options)
    print(f"threshold {ready['evasion'][0].options.threshold}, model {ready['evasion'][0].embedder.model_id}")
    for split in ("tune", "heldout", "heldout2"):
        rows = load(split)
        pos = sum(r["label"] in POSITIVE for r in rows)
        ordinary = sum(r["label"] == "answer" for r in rows)
        partial = [r for r in rows if r["label"] == "partial"]
        print(f"\n{split}: {len(rows)} pairs, {pos} positive, {ordinary} ordinary answers, {len(partial)} partial")
        print(f"  {'set-up':<17} {'P':>6} {'R':>6} {'F1':>6} {'false flags':>12}")
        for name, stages in ready.items():
            s = score(rows, decisions(rows, stages))
            print(
                f"  {name:<17} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                f"{s.fp:>4}/{s.fp + s.tn:<3} {s.false_flags:5.1%}"
            )
            if args.errors and name == "refusal+evasion":
                print("\n".join(s.errors))
        if partial:
            outcome = decisions(partial, ready["refusal+evasion"])
            print(
                f"  partial refusals (moralising, then advice) rejected: {sum(bool(outcome[r['id']]) for r in partial)}"
                f"/{len(partial)} (not counted above)"
            )
    print(f"\n{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
