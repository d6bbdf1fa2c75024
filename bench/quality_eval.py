"""How often the ``quality`` filter rejects real replies, and how often it catches broken ones.

The evaluation sets are real third-party text kept in ``bench/data/quality/`` (see its
README for the sources and how the labels were written):

* multi-turn conversations: MT-bench questions with the answers of gpt-4o,
  llama-2-chat-13b and claude-v1 (dev) and of vicuna-13b-v1.3 (held out);
* single-turn replies: Alpaca-GPT4 answers (dev); Chinese Alpaca-GPT4 answers and
  Llama-2-70b-chat Arena-Hard answers (held out); every MT-bench turn also counts as
  a single reply of its split; and the complete answers of the refusal and evasion
  evaluation sets (``bench/data/refusal_eval.jsonl`` "clean" and
  ``bench/data/evasion_pairs.jsonl`` "answer" rows: GPT-4, GPT-4o, Claude, Llama-2/3,
  Mistral, Gemini, Qwen, DeepSeek, text-davinci-003 and people, in six languages), by
  their own tune/held-out split, MT-bench copies and repeats left out.

Broken generations are made from the real replies labelled ``ok`` by this script, in
four kinds: ``runaway`` (a sentence that loops until the token limit), ``blocks`` (a
paragraph or the whole reply repeated), ``blob`` (a base64 or hex blob at the end),
with a fixed seed; and ``cut``: the reply stopped at a random token boundary, as a
generation that hit its token limit. The cut points are drawn once, with a real
byte-level BPE tokenizer (Claude's, as the ``anthropic`` package 0.34.2 ships it), and
kept in ``bench/data/quality/cuts.jsonl`` with where each one landed: ``mid`` (inside a
sentence, a word, a line of code: the goal's denominator), ``sentence_end`` (right
after a full stop, "?" or "!" inside a paragraph) or ``line_end`` (at the end of a
line or paragraph). The last two cannot be told from a finished reply and are counted
on their own. In conversations the broken turn is the first or the last answer; it
counts as caught when the conversation is rejected or cut before it.

Run::

    python bench/quality_eval.py                    # both splits
    python bench/quality_eval.py --errors           # and list what it gets wrong
    python bench/quality_eval.py --timing 4000      # and time the filter on 4,000 records
    python bench/quality_eval.py --commit e65d9a2   # evaluate the filter as of another commit
    python bench/quality_eval.py --make-cuts anthropic/tokenizer.json   # draw the cut points again
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "quality"
KINDS = ("runaway", "blocks", "blob", "cut")
#: Where a cut lands; only ``mid`` is a reply cut off mid-sentence.
WHERE = ("mid", "sentence_end", "line_end")
#: The report's columns of broken replies: the generated kinds, then the cuts by where they land.
COLUMNS = (*KINDS[:3], *(f"cut_{w}" for w in WHERE))
CUTS = DATA / "cuts.jsonl"
#: The evaluation sets of the refusal and evasion filters whose complete answers count as replies here.
OTHER_SETS = (("refusal_eval.jsonl", "reply", "clean"), ("evasion_pairs.jsonl", "output", "answer"))

sys.path.insert(0, str(ROOT))

from curate.records import Record, Source  # noqa: E402


def load_filter(commit: str | None) -> Any:
    """The ``QualityFilter`` class, from the installed plugin or as of ``commit``."""
    if commit is None:
        from curate.plugins.quality_filter import QualityFilter

        return QualityFilter
    sys.path.insert(0, str(ROOT / "bench"))
    from quality_speed import load_baseline

    return load_baseline(commit)


# -- the evaluation sets --------------------------------------------------------------------------


def _jsonl(name: str) -> list[dict[str, Any]]:
    return _jsonl_at(DATA / name)


def conversations(split: str) -> list[dict[str, Any]]:
    """MT-bench conversations of ``split``: ``{"id", "label", "messages"}``."""
    questions = {q["question_id"]: q["turns"] for q in _jsonl("mtbench_questions.jsonl")}
    answers = _jsonl("mtbench_answers.jsonl" if split == "dev" else "mtbench_heldout_answers.jsonl")
    out = []
    for a in answers:
        messages = []
        for q, r in zip(questions[a["question_id"]], a["turns"], strict=True):
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": r}]
        out.append({"id": f"{a['model']}/{a['question_id']}", "label": a.get("label", "ok"), "messages": messages})
    return out


def replies(split: str) -> list[dict[str, Any]]:
    """Single replies of ``split``: ``{"id", "label", "prompt", "reply"}``."""
    rows = _jsonl("single_dev.jsonl" if split == "dev" else "single_heldout.jsonl")
    out = [
        {"id": f"{r['model']}/{i}", "label": r.get("label", "ok"), "prompt": r["prompt"], "reply": r["reply"]}
        for i, r in enumerate(rows)
    ]
    for c in conversations(split):
        m = c["messages"]
        for i in range(0, len(m), 2):
            out.append({"id": f"{c['id']}#{i // 2 + 1}", "label": c["label"], "prompt": m[i]["content"],
                        "reply": m[i + 1]["content"]})  # fmt: skip
    seen = {r["reply"] for r in out}
    for name, key, label in OTHER_SETS:
        for row in _jsonl_at(ROOT / "bench" / "data" / name):
            text = row.get(key)
            wanted = "tune" if split == "dev" else "heldout"
            if row["label"] != label or not isinstance(text, str) or "FastChat" in row["source"]:
                continue  # MT-bench answers are here already
            if text in seen or not row["split"].startswith(wanted):
                continue
            seen.add(text)
            out.append({"id": f"{name.split('_')[0]}/{row['id']}", "label": "ok", "prompt": row.get("input") or "",
                        "reply": text})  # fmt: skip
    return out


def _jsonl_at(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# -- broken generations ---------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?。！？\n]{20,}[.!?。！？]")


def corrupt(text: str, kind: str, rng: random.Random) -> str | None:
    """``text`` broken in the way ``kind`` names, or None when it cannot be (too short)."""
    if kind == "runaway":
        sentences = _SENTENCE.findall(text)
        if not sentences:
            return None
        loop = rng.choice(sentences).strip()
        keep = text[: rng.randint(len(text) // 3, len(text))]
        body = keep.rstrip() + " " + " ".join([loop] * rng.randint(8, 40))
        return body[: len(body) - rng.randint(0, len(loop) - 1)]  # the token limit cuts the last loop
    if kind == "blocks":
        paras = [p for p in text.split("\n\n") if len(p.split()) >= 8]
        if not paras:
            return None
        block = rng.choice(paras) if rng.random() < 0.6 else text
        return text + ("\n\n" + block) * rng.randint(2, 4)
    if kind == "blob":
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(60, 900)))
        blob = base64.b64encode(raw).decode() if rng.random() < 0.6 else raw.hex()
        if rng.random() < 0.3:
            blob = "\n".join(blob[i : i + 76] for i in range(0, len(blob), 76))
        return text.rstrip() + rng.choice([" ", "\n", "\n\n"]) + blob
    raise ValueError(kind)


#: Sentence-final punctuation, then closing quotes, brackets or emphasis.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]*_]*$|[。！？][”’」』）]*$")


def where_cut(text: str, at: int) -> str:
    """Where a cut of ``text`` before ``at`` lands: ``mid``, ``sentence_end`` or ``line_end``."""
    piece, rest = text[:at], text[at:]
    if piece.rstrip(" \t").endswith("\n") or rest.lstrip(" \t")[:1] in ("\n", ""):
        return "line_end"
    if _SENTENCE_END.search(piece) and (rest[:1].isspace() or piece[-1] in "。！？”’」』）"):
        return "sentence_end"
    return "mid"


def draw_cuts(tokenizer_path: str) -> list[dict[str, Any]]:
    """A token-limit cut for every real reply of both splits: a random token boundary past 30% of
    the reply (never its end), with at least 8 words before it; where it landed, by :func:`where_cut`."""
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(tokenizer_path)
    out = []
    for split in ("dev", "heldout"):
        for r in replies(split):
            if r["label"] != "ok":
                continue
            text = r["reply"]
            ends = sorted({end for _, end in tok.encode(text, add_special_tokens=False).offsets})
            ends = [e for e in ends if len(text) * 0.3 <= e < len(text) and text[e:].strip()]
            ends = [e for e in ends if len(text[:e].split()) >= 8]
            if not ends:
                continue
            at = random.Random(f"cut-{r['id']}").choice(ends)
            out.append({"split": split, "id": r["id"], "at": at, "where": where_cut(text, at)})
    return out


def load_cuts() -> dict[str, tuple[int, str]]:
    """Reply id -> (cut offset, where it lands), from :data:`CUTS`."""
    return {row["id"]: (row["at"], row["where"]) for row in _jsonl_at(CUTS)}


# -- running the filter ---------------------------------------------------------------------------


def io_record(prompt: str, reply: str, n: int) -> Record:
    return Record.create(Source("bench", "quality", f"row {n}"), input=prompt, output=reply)


def chat_record(messages: list[dict[str, str]], n: int) -> Record:
    return Record.create(Source("bench", "quality", f"row {n}"), messages=[dict(m) for m in messages])


def judge(flt: Any, record: Record) -> tuple[str, Record, str]:
    """``("rejected" | "cut" | "kept", record after the filter, reason)``."""
    before = len(record.messages) if record.messages is not None else 0
    result = flt.process([record])
    if result.rejected:
        return "rejected", record, result.rejected[0].reason
    kept = result.kept[0]
    if kept.messages is not None and len(kept.messages) < before:
        cut = [e for e in kept.meta.get("curate", []) if e.get("action") == "cut"]
        return "cut", kept, cut[0]["category"] if cut else "?"
    return "kept", kept, ""


def evaluate(flt: Any, split: str, errors: bool, seed: int = 12) -> dict[str, Any]:
    rng = random.Random(f"{seed}-{split}")
    out: dict[str, Any] = {"split": split}
    wrong: list[str] = []

    convs = conversations(split)
    ok = [c for c in convs if c["label"] == "ok"]
    verdicts = Counter()
    for n, c in enumerate(ok):
        verdict, rec, reason = judge(flt, chat_record(c["messages"], n))
        verdicts[verdict] += 1
        if verdict != "kept":
            wrong.append(f"  good conversation {verdict} ({reason}): {c['id']}")
    out["conversations"] = len(ok)
    out["conversations_rejected"] = verdicts["rejected"]
    out["conversations_cut"] = verdicts["cut"]

    singles = replies(split)
    good = [r for r in singles if r["label"] == "ok"]
    rejected = 0
    for n, r in enumerate(good):
        verdict, rec, reason = judge(flt, io_record(r["prompt"], r["reply"], n))
        if verdict == "rejected":
            rejected += 1
            wrong.append(f"  good reply rejected ({reason}): {r['id']}: ...{r['reply'][-70:]!r}")
    out["replies"] = len(good)
    out["replies_rejected"] = rejected
    broken = [r for r in singles if r["label"] == "broken"]
    out["labelled_broken"] = len(broken)
    out["labelled_broken_caught"] = sum(
        judge(flt, io_record(r["prompt"], r["reply"], n))[0] == "rejected" for n, r in enumerate(broken)
    )

    cuts = load_cuts()
    caught: dict[str, list[int]] = {k: [0, 0] for k in COLUMNS}
    for n, r in enumerate(good):
        for kind in KINDS:
            kind, bad = break_reply(r["id"], r["reply"], kind, rng, cuts)
            if bad is None:
                continue
            verdict, rec, reason = judge(flt, io_record(r["prompt"], bad, n))
            caught[kind][1] += 1
            if verdict == "rejected":
                caught[kind][0] += 1
            else:
                wrong.append(f"  {kind} missed: {r['id']}: ...{bad[-70:]!r}")
    for n, c in enumerate(ok):
        answers = [i for i, m in enumerate(c["messages"]) if m["role"] == "assistant"]
        for kind in KINDS:
            turn = rng.choice([answers[0], answers[-1]])
            reply_id = f"{c['id']}#{turn // 2 + 1}"
            kind, bad = break_reply(reply_id, c["messages"][turn]["content"], kind, rng, cuts)
            if bad is None:
                continue
            messages = [dict(m) for m in c["messages"]]
            messages[turn]["content"] = bad
            verdict, rec, reason = judge(flt, chat_record(messages, n))
            caught[kind][1] += 1
            left = rec.messages if verdict == "cut" else messages
            if verdict == "rejected" or (verdict == "cut" and len(left) <= turn):
                caught[kind][0] += 1
            else:
                wrong.append(f"  {kind} missed in turn {turn} of {c['id']}: ...{bad[-70:]!r}")
    out["caught"] = caught
    if errors:
        out["errors"] = wrong
    return out


def break_reply(
    reply_id: str, text: str, kind: str, rng: random.Random, cuts: dict[str, tuple[int, str]]
) -> tuple[str, str | None]:
    """``(column, text broken in the way kind names)``; the text is None when it cannot be."""
    if kind != "cut":
        return kind, corrupt(text, kind, rng)
    if reply_id not in cuts:
        return "cut_mid", None
    at, where = cuts[reply_id]
    return f"cut_{where}", text[:at]


def timing_pool(n: int) -> list[Record]:
    """``n`` records made from both splits: replies (a fifth of them broken) and conversations."""
    pool: list[Record] = []
    rng = random.Random(7)
    cuts = load_cuts()
    singles = replies("dev") + replies("heldout")
    convs = conversations("dev") + conversations("heldout")
    i = 0
    while len(pool) < n:
        if i % 4 == 3:
            c = convs[i % len(convs)]
            pool.append(chat_record(c["messages"], i))
        else:
            r = singles[i % len(singles)]
            text = r["reply"]
            if rng.random() < 0.2:
                text = break_reply(r["id"], text, rng.choice(KINDS), rng, cuts)[1] or text
            pool.append(io_record(r["prompt"], text, i))
        i += 1
    return pool


def timing(filters: list[Any], n: int, rounds: int = 5) -> list[float]:
    """CPU microseconds per record of each filter over ``n`` records, the filters taking turns on
    chunks of 500 records (so that a busy machine slows them alike); the best of ``rounds``."""
    pool = timing_pool(n)
    best = [float("inf")] * len(filters)
    for _ in range(rounds):
        spent = [0.0] * len(filters)
        for k in range(0, n, 500):
            for j, flt in enumerate(filters):
                records = [Record.from_dict(r.to_dict()) for r in pool[k : k + 500]]
                start = time.process_time()
                flt.process(records)
                spent[j] += time.process_time() - start
        best = [min(b, s) for b, s in zip(best, spent, strict=True)]
    return [b / n * 1e6 for b in best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list what the filter gets wrong")
    parser.add_argument("--timing", type=int, default=0, metavar="N", help="also time the filter on N records")
    parser.add_argument("--commit", help="evaluate the quality filter as of this git commit")
    parser.add_argument("--baseline", help="with --timing: a git commit whose quality filter to time against")
    parser.add_argument("--split", choices=["dev", "heldout", "both"], default="both")
    parser.add_argument("--make-cuts", metavar="TOKENIZER_JSON", help=f"draw the cut points again into {CUTS}")
    args = parser.parse_args(argv)
    if args.make_cuts:
        rows = draw_cuts(args.make_cuts)
        CUTS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} cuts: {dict(Counter((r['split'], r['where']) for r in rows))}")
        return 0
    flt = load_filter(args.commit).from_options({})
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    print("| split | conversations rejected | conversations cut | replies rejected | "
          + " | ".join(f"{k} caught" for k in COLUMNS) + " | labelled-broken caught |")  # fmt: skip
    print("| --- | --: | --: | --: | " + " | ".join("--:" for _ in COLUMNS) + " | --: |")
    results = [evaluate(flt, s, args.errors) for s in splits]
    for r in results:
        convs, n_replies = r["conversations"], r["replies"]
        cells = [
            r["split"],
            f"{r['conversations_rejected']}/{convs} ({100 * r['conversations_rejected'] / convs:.1f}%)",
            f"{r['conversations_cut']}/{convs}",
            f"{r['replies_rejected']}/{n_replies} ({100 * r['replies_rejected'] / n_replies:.1f}%)",
        ]
        for k in COLUMNS:
            got, total = r["caught"][k]
            cells.append(f"{got}/{total} ({100 * got / total:.0f}%)" if total else "-")
        cells.append(f"{r['labelled_broken_caught']}/{r['labelled_broken']}")
        print("| " + " | ".join(cells) + " |")
    for r in results:
        if r.get("errors"):
            print(f"\n{r['split']}: what it gets wrong")
            print("\n".join(r["errors"]))
    if args.timing:
        filters = [flt] + ([load_filter(args.baseline).from_options({})] if args.baseline else [])
        times = timing(filters, args.timing)
        print(f"\ntiming over {args.timing} records (CPU, best of 5): {times[0]:.1f} us/record", end="")
        if args.baseline:
            print(f"; baseline {times[1]:.1f} us/record; ratio {times[0] / times[1]:.3f}", end="")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
