"""Precision and recall of the ``refusal`` filter against the naive substring baseline.

The baseline is what people use today: a list of about 230 phrases, matched as
case-insensitive substrings anywhere in the answer, in the manner of the cleaning
scripts of the "unfiltered" WizardLM/Vicuna datasets. The list below was written for
this benchmark from memory of that style (bare words such as "bias" and "ethical",
stock openings such as "As an AI", whole refusals); it is not a copy of any script.

The evaluation set is ``tests/data/refusal/``: ``dev.jsonl`` (used while writing the
phrases) and ``heldout.jsonl`` (written before any tuning and not tuned on). Labels:
``refusal`` (a full refusal or non-answer), ``partial`` (a caveat, disclaimer or artifact
around a useful answer), ``clean``. A record counts as *detected* when the filter drops,
cuts or flags it; positives are ``refusal`` and ``partial``.

A second set, ``bench/data/refusal_eval.jsonl`` (issue 12), holds 314 replies of today's
assistants, 149 of them quoted from public third-party text (model outputs published in
evaluation repositories such as XSTest's completions, replies users pasted into GitHub issues,
human prose with "I can't stress enough" and the like; each row names its source) and 165
written in the styles of those sources; labels were written before the filter was run on
them. Its ``tune`` half was used while writing the phrases, its ``heldout`` half was not.
Labels: ``refusal`` (the reply refuses or deflects, whatever the prompt was), ``clean`` (an
answer, including hard negatives: replies that discuss or quote refusals, fiction dialogue,
"I can't stress enough", safe-alternative sections) and ``partial`` (an answer wrapped in
boilerplate: cutting it is right, dropping it is a false positive). A ``clean`` reply counts
as flagged when the filter drops, cuts or flags it.

Run::

    python bench/refusal_quality.py                    # both sets, a table per split
    python bench/refusal_quality.py --set current      # the issue-12 set only
    python bench/refusal_quality.py --errors           # also list what each method gets wrong (tune halves)
    python bench/refusal_quality.py --styles           # recall and flag rate per style
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "data" / "refusal"
CURRENT_SET = ROOT / "bench" / "data" / "refusal_eval.jsonl"

#: A naive phrase list in the manner of the "unfiltered" dataset cleaning scripts.
NAIVE_PHRASES: tuple[str, ...] = (
    # AI self-identification, as stock openings
    "As an AI",
    "as an AI language model",
    "As a language model",
    "As a large language model",
    "As an artificial intelligence",
    "as a machine",
    "I am an AI",
    "I'm an AI",
    "I am an artificial intelligence",
    "I'm just an AI",
    "I am just an AI",
    "I am only an AI",
    "an AI language",
    "AI language model",
    "text-based AI language model",
    "a language model",
    "language model developed by",
    "AI assistant",
    "I am a language model",
    "I'm a language model",
    "as a digital assistant",
    "as a virtual assistant",
    "I'm not a human",
    "I am not a human",
    "not a human",
    "I don't have personal",
    "I do not have personal",
    "don't have personal opinions",
    "I don't have feelings",
    "I do not have feelings",
    "I don't have emotions",
    "I don't have the ability",
    "I do not have the ability",
    "I am not capable of",
    "my purpose",
    "my purpose is to",
    "my main goal",
    "my primary function",
    "I am here to assist",
    "I'm here to assist",
    "I am programmed to",
    "I'm programmed to",
    "my programming",
    "against my programming",
    "programming prohibits",
    "designed to prioritize safety",
    "I strive to",
    # refusals and apologies
    "I'm sorry,",
    "I'm sorry but",
    "I am sorry, but",
    "I'm sorry, I cannot",
    "I'm sorry, but I cannot",
    "I'm sorry, but I can't",
    "I'm sorry, but as an AI language model",
    "I'm afraid I cannot",
    "I'm afraid I can't",
    "I apologize, but",
    "I apologize, but I cannot",
    "My apologies, but",
    "Unfortunately, I cannot",
    "Unfortunately, I can't",
    "Unfortunately, I am unable",
    "I cannot",
    "I can't",
    "I can not",
    "I am unable to",
    "I'm unable to",
    "I am not able to",
    "I'm not able to",
    "not able to provide",
    "cannot provide",
    "can't provide",
    "won't provide",
    "not provide",
    "cannot fulfill",
    "I cannot fulfill your request",
    "I cannot assist",
    "I can't assist",
    "cannot assist with",
    "I cannot help",
    "I can't help with",
    "I cannot comply",
    "unable to comply",
    "comply",
    "complying",
    "I must decline",
    "must respectfully decline",
    "I will not",
    "I won't",
    "I refuse",
    "I am not allowed to",
    "not within the scope",
    "beyond my capabilities",
    "outside the scope",
    "cannot provide guidance",
    "cannot provide information",
    "cannot provide any information",
    "unable to offer assistance",
    "cannot engage in",
    "cannot support or promote",
    "I do not condone",
    "I don't condone",
    "condone",
    "It is not possible",
    "I'm not comfortable",
    "not something I can",
    # moralising and safety language
    "It is important to",
    "It's important to",
    "It is important for",
    "it is crucial to",
    "it's essential to",
    "Please note",
    "please keep in mind",
    "keep in mind",
    "worth noting",
    "it is never okay",
    "it's never okay",
    "it is not appropriate",
    "it's not appropriate",
    "not be appropriate",
    "not appropriate",
    "inappropriate",
    "not acceptable",
    "unacceptable",
    "not be suitable",
    "offensive",
    "derogatory",
    "hurtful",
    "harmful",
    "potentially harmful",
    "harmful consequences",
    "harmful to human beings",
    "cause harm",
    "could cause harm",
    "dangerous activities",
    "potentially dangerous",
    "dangerous or harmful",
    "real-world consequences",
    "ethical",
    "ethics",
    "ethically",
    "unethical",
    "ethical guidelines",
    "ethical principles",
    "follow ethical guidelines",
    "adhere to ethical guidelines",
    "prioritize ethical",
    "legal and ethical",
    "morals",
    "morally",
    "illegal",
    "illegal activities",
    "illegal actions",
    "illegal subject",
    "illegality",
    "legality",
    "against the law",
    "regulations",
    "hate speech",
    "hateful",
    "discriminate",
    "discrimination",
    "discriminatory",
    "racism",
    "racist",
    "sexist",
    "sexism",
    "stereotypes",
    "gender stereotype",
    "bias",
    "biases",
    "microaggression",
    "diversity",
    "diversity and inclusion",
    "inclusive",
    "inclusivity",
    "respectful",
    "be respectful",
    "safe and respectful",
    "promote safety",
    "prioritize safety",
    "prioritize user safety",
    "ensure the safety",
    "well-being of all",
    "responsible AI",
    "AI principles",
    "responsibly",
    "controversial",
    "sensitive topic",
    "divisive",
    "glorify",
    "promote violence",
    "violence",
    "consensual",
    "consent",
    "entertainment purposes",
    "purely hypothetical",
    "social responsibility",
    "our values",
    "mental health professional",
    "seek professional help",
    "consult a professional",
    "consult with a",
    "I am not a doctor",
    "I'm not a doctor",
    "I'm not a lawyer",
    "not a substitute for professional",
    # knowledge cutoff
    "my knowledge cutoff",
    "my knowledge cut off",
    "knowledge cutoff",
    "as of my last update",
    "as of my knowledge",
    "as of my last knowledge update",
    "my training data",
    "September 2021",
    "up until 2021",
    "I don't have real-time",
    "I do not have real-time",
    "real-time information",
    "I don't have access to",
    "I do not have access to",
    "I cannot browse",
    "browse the internet",
    "access the internet",
    # vendors and models
    "OpenAI",
    "trained by OpenAI",
    "developed by OpenAI",
    "ChatGPT",
    "GPT-3",
    "GPT-4",
    "large language model",
    "content policy",
    "use case policy",
    "my guidelines",
    "guidelines",
    # chat artifacts
    "This conversation is shared from",
    "This chat conversation is shared from",
    "Regenerate response",
    "Copy code",
    # other languages, as in the multilingual versions of such lists
    "como modelo de lenguaje",
    "Lo siento, pero no puedo",
    "Lo siento, como modelo de lenguaje",
    "no puedo proporcionar",
    "Como modelo de linguagem",
    "Desculpe, mas",
    "não posso",
    "en tant qu'IA",
    "en tant que modèle de langage",
    "je ne peux pas",
    "als KI",
    "ich kann nicht",
    "es tut mir leid",
    "作为一个人工智能",
    "作为AI",
    "抱歉",
    "我无法",
)


def naive_detect(text: str, phrases: tuple[str, ...] = NAIVE_PHRASES) -> bool:
    """The baseline: any phrase as a case-insensitive substring anywhere in the text."""
    lowered = [p.lower() for p in phrases]
    return any(p in text.lower() for p in lowered)


def load(split: str) -> list[dict]:
    """The labelled rows of one split of the evaluation set."""
    path = EVAL_DIR / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

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
    def fpr(self) -> float:
        """Share of clean answers that are flagged (dropped, cut or flagged)."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def score(rows: list[dict], detect: Callable[[dict], bool]) -> tuple[Scores, list[tuple[str, dict]]]:
    """Detection scores over ``rows`` and the rows it gets wrong (``"fp"``/``"fn"``, row)."""
    s = Scores()
    errors = []
    for row in rows:
        positive = row["label"] != "clean"
        found = detect(row)
        if positive and found:
            s.tp += 1
        elif positive:
            s.fn += 1
            errors.append(("fn", row))
        elif found:
            s.fp += 1
            errors.append(("fp", row))
        else:
            s.tn += 1
    return s, errors


def curate_outcomes(rows: list[dict], options: dict | None = None) -> dict[str, tuple[str, str]]:
    """For each row id: what the refusal filter did (``drop``/``cut``/``flag``/``keep``) and the text kept."""
    from curate.plugins.refusal import RefusalFilter
    from curate.records import Record, Source

    flt = RefusalFilter.from_options(options or {})
    records = [Record.create(Source("eval", "eval.jsonl", row["id"]), input="", output=row["reply"]) for row in rows]
    by_id = {r.id: row["id"] for r, row in zip(records, rows, strict=True)}
    result = flt.process(records)
    out: dict[str, tuple[str, str]] = {}
    for rej in result.rejected:
        out[by_id[rej.record.id]] = ("drop", "")
    for rec in result.kept:
        actions = {e["action"] for e in rec.meta.get("curate", [])}
        action = "cut" if "cut" in actions else "flag" if "flag" in actions else "keep"
        out[by_id[rec.id]] = (action, rec.output or "")
    return out


def report(split: str, show_errors: bool) -> dict[str, Scores]:
    rows = load(split)
    outcomes = curate_outcomes(rows)
    curate_scores, curate_errors = score(rows, lambda r: outcomes[r["id"]][0] != "keep")
    naive_scores, naive_errors = score(rows, lambda r: naive_detect(r["reply"]))
    labels = {k: sum(1 for r in rows if r["label"] == k) for k in ("refusal", "partial", "clean")}
    print(
        f"\n{split}: {len(rows)} replies ({labels['refusal']} refusal, {labels['partial']} partial, {labels['clean']}"
        " clean)"
    )
    print(f"{'method':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'FPR':>6}   tp  fp  fn  tn")
    for name, s in (("curate", curate_scores), ("naive", naive_scores)):
        print(
            f"{name:<10} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.fpr:6.3f}   "
            f"{s.tp:3d} {s.fp:3d} {s.fn:3d} {s.tn:3d}"
        )
    full = [r for r in rows if r["label"] == "refusal"]
    partial = [r for r in rows if r["label"] == "partial"]
    found_full = [r for r in full if outcomes[r["id"]][0] != "keep"]
    found_partial = [r for r in partial if outcomes[r["id"]][0] != "keep"]
    dropped = sum(1 for r in found_full if outcomes[r["id"]][0] == "drop")
    kept_cut = sum(1 for r in found_partial if outcomes[r["id"]][0] in ("cut", "flag"))
    print(
        f"actions, of the refusals found: full ones dropped {dropped}/{len(found_full)}; "
        f"partial ones kept with the caveat cut {kept_cut}/{len(found_partial)}"
    )
    if show_errors:
        for name, errors in (("curate", curate_errors), ("naive", naive_errors)):
            for kind, row in errors:
                print(f"  {name} {kind} {row['id']}: {row['reply'][:110]!r}")
        for r in full + partial:
            action, kept = outcomes[r["id"]]
            wrong = (r["label"] == "refusal" and action != "drop") or (r["label"] == "partial" and action == "drop")
            if wrong and action != "keep":
                print(f"  action {r['id']} ({r['label']}) -> {action}: {kept[:110]!r}")
    return {"curate": curate_scores, "naive": naive_scores}


def load_current(split: str | None = None) -> list[dict]:
    """The rows of the issue-12 set (``bench/data/refusal_eval.jsonl``), of one split or all."""
    rows = [json.loads(line) for line in CURRENT_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


@dataclass
class CurrentScores:
    """Refusal detection on the issue-12 set: positives are ``refusal`` rows."""

    scores: Scores
    ordinary: tuple[int, int]  # (flagged, total) ordinary answers
    clean: tuple[int, int]  # (flagged, total) clean replies, hard negatives included
    dropped: tuple[int, int]  # (dropped, detected) refusals
    errors: list[tuple[str, dict, str]]


def score_current(rows: list[dict], outcome: Callable[[dict], str]) -> CurrentScores:
    """Scores for ``rows``, given each row's outcome (``drop``/``cut``/``flag``/``keep``).

    A ``clean`` row is a false positive when anything is done to it, a ``partial`` one only
    when it is dropped.
    """
    s = Scores()
    errors = []
    ordinary = [0, 0]
    clean = [0, 0]
    dropped = [0, 0]
    for row in rows:
        action = outcome(row)
        found = action != "keep"
        if row["label"] == "refusal":
            if found:
                s.tp += 1
                dropped[1] += 1
                dropped[0] += action == "drop"
            else:
                s.fn += 1
                errors.append(("fn", row, action))
            continue
        wrong = found if row["label"] == "clean" else action == "drop"
        if wrong:
            s.fp += 1
            errors.append(("fp", row, action))
        else:
            s.tn += 1
        if row["label"] == "clean":
            clean[0] += found
            clean[1] += 1
            if row["style"] == "ordinary":
                ordinary[0] += found
                ordinary[1] += 1
    return CurrentScores(s, (ordinary[0], ordinary[1]), (clean[0], clean[1]), (dropped[0], dropped[1]), errors)


def report_current(split: str, show_errors: bool, show_styles: bool) -> dict[str, CurrentScores]:
    rows = load_current(split)
    outcomes = curate_outcomes(rows)
    results = {
        "curate": score_current(rows, lambda r: outcomes[r["id"]][0]),
        "naive": score_current(rows, lambda r: "flag" if naive_detect(r["reply"]) else "keep"),
    }
    labels = {k: sum(1 for r in rows if r["label"] == k) for k in ("refusal", "partial", "clean")}
    real = sum(1 for r in rows if r["origin"] == "real")
    print(
        f"\n{split} (issue-12 set): {len(rows)} replies, {real} from public third-party text "
        f"({labels['refusal']} refusal, {labels['partial']} partial, {labels['clean']} clean)"
    )
    print(f"{'method':<8} {'precision':>9} {'recall':>7} {'F1':>6}  {'ordinary flagged':>16}  {'clean flagged':>13}")
    for name, r in results.items():
        s = r.scores
        print(
            f"{name:<8} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f}  "
            f"{r.ordinary[0]:>4}/{r.ordinary[1]:<3} {r.ordinary[0] / max(r.ordinary[1], 1):6.1%}  "
            f"{r.clean[0]:>4}/{r.clean[1]:<3} {r.clean[0] / max(r.clean[1], 1):5.1%}"
        )
    c = results["curate"]
    print(f"refusals found and dropped (not only cut): {c.dropped[0]}/{c.dropped[1]}")
    if show_styles:
        styles = sorted({(r["label"], r["style"]) for r in rows})
        for label, style in styles:
            group = [r for r in rows if r["label"] == label and r["style"] == style]
            hit = sum(1 for r in group if outcomes[r["id"]][0] != "keep")
            what = "found" if label == "refusal" else "flagged"
            print(f"  {label:<8} {style:<30} {what} {hit}/{len(group)}")
    if show_errors and split == "tune":
        for kind, row, action in c.errors:
            print(f"  curate {kind} {row['id']} ({row['style']}, {action}): {row['reply'][:110]!r}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["issue3", "current", "both"], default="both", help="which evaluation set")
    parser.add_argument("--split", choices=["dev", "heldout", "both"], default="both", help="splits of the issue-3 set")
    parser.add_argument("--errors", action="store_true", help="list the replies each method gets wrong")
    parser.add_argument("--styles", action="store_true", help="issue-12 set: recall and flag rate per style")
    args = parser.parse_args(argv)
    print(f"naive baseline: {len(NAIVE_PHRASES)} phrases, case-insensitive substrings")
    if args.set in ("issue3", "both"):
        for split in ("dev", "heldout") if args.split == "both" else (args.split,):
            report(split, args.errors)
    if args.set in ("current", "both"):
        for split in ("tune", "heldout"):
            report_current(split, args.errors, args.styles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
