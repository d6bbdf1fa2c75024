"""Precision and recall of ``--exclude-like`` per method, and its speed with a 10k-item reference.

Quality. ``--make`` writes two files from third-party text already in ``bench/data`` (no
text written for it): ``decontam_reference.jsonl``, an evaluation set, and
``decontam_eval.jsonl``, a training corpus whose every row carries a ``label``
(``contaminated`` or ``clean``) and a ``kind`` fixed by how the row was made, written
before any filter runs:

``copy``        an item verbatim, or with its case and spacing changed (contaminated);
``light_edit``  an item with a lead-in ("Question: "), one word replaced at a random
                place, and a closing request (contaminated);
``embedded``    an item inside a longer prompt, between two unrelated texts (contaminated);
``paraphrase``  a human paraphrase of an item (MRPC pairs labelled paraphrase; contaminated);
``same_topic``  MRPC's non-paraphrase partner of an item: same story, other sentence (clean);
``next_turn``   the second turn of an MT-bench item: same conversation, other text (clean);
``unrelated``   replies and prompts of the refusal and evasion sets that are not in the
                reference (clean; many share refusal boilerplate with reference items).

Sources: MT-bench questions (lm-sys/FastChat), MRPC test pairs (``paraphrase_eval.jsonl``),
Alpaca / XSTest / AdvBench prompts and replies (``evasion_pairs.jsonl``), refusal-set
replies (``refusal_eval.jsonl``); see bench/data/README.md.

Speed. A reference of 10,000 items and a corpus of 20,000 records are drawn from the
docstrings of Python's standard library (real prose, deterministic), three paragraphs an
item; 5% of the records hold a reference paragraph. Index time and memory are measured
for 10k and 100k items.

Run::

    python bench/decontam_eval.py --make          # writes the two files (labels first)
    python bench/decontam_eval.py                 # P/R per method, then speed
    python bench/decontam_eval.py --no-semantic   # without the embedding model
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "decontam_reference.jsonl"
EVAL = DATA / "decontam_eval.jsonl"


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def make() -> None:
    rng = random.Random(12)
    mt = _rows("quality/mtbench_questions.jsonl")
    mrpc = _rows("paraphrase_eval.jsonl")
    evasion = _rows("evasion_pairs.jsonl")
    refusal = _rows("refusal_eval.jsonl")
    reference: list[dict[str, Any]] = []
    train: list[dict[str, Any]] = []

    def ref(text: str, source: str) -> None:
        reference.append({"id": f"ref-{len(reference)}", "source": source, "text": text})

    def row(text: str, label: str, kind: str, of: str | None) -> None:
        train.append({"id": f"t-{len(train)}", "label": label, "kind": kind, "of": of, "text": text})

    fillers = [r["reply"] for r in refusal[200:] if len(r["reply"]) > 80]
    words_pool = [w for f in fillers for w in re.findall(r"[A-Za-z]{4,}", f)]

    def edit(text: str) -> str:
        tokens = text.split()
        at = rng.randrange(len(tokens))
        tokens[at] = rng.choice(words_pool)
        return "Question: " + " ".join(tokens) + " Please answer in detail."

    kinds = ["copy", "light_edit", "embedded"]
    for q in mt:
        ref(q["turns"][0], f"MT-bench question {q['question_id']}")
        kind = kinds[len(reference) % 3]
        _variant(row, q["turns"][0], kind, reference[-1]["id"], edit, rng, fillers)
        row(q["turns"][1], "clean", "next_turn", None)
    for pair in mrpc:
        ref(pair["a"], f"MRPC {pair['id']} (a)")
        if pair["paraphrase"]:
            row(pair["b"], "contaminated", "paraphrase", reference[-1]["id"])
        else:
            row(pair["b"], "clean", "same_topic", None)
    prompts = list(dict.fromkeys(r["input"] for r in evasion if r.get("input")))
    for i, prompt in enumerate(prompts):
        if i % 2 == 0:
            ref(prompt, "evasion_pairs.jsonl prompt")
            _variant(row, prompt, kinds[i % 3], reference[-1]["id"], edit, rng, fillers)
        else:
            row(prompt, "clean", "unrelated", None)
    replies = [r["reply"] for r in refusal[:200]]
    for i, reply in enumerate(replies):
        if i % 4 == 0:
            ref(reply, "refusal_eval.jsonl reply")
            _variant(row, reply, kinds[i % 3], reference[-1]["id"], edit, rng, fillers)
        else:
            row(reply, "clean", "unrelated", None)
    REFERENCE.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reference), encoding="utf-8")
    EVAL.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in train), encoding="utf-8")
    print(f"wrote {len(reference)} reference items to {REFERENCE}")
    print(f"wrote {len(train)} labelled rows to {EVAL}: {dict(Counter(r['kind'] for r in train))}")


def _variant(row: Any, text: str, kind: str, of: str, edit: Any, rng: random.Random, fillers: list[str]) -> None:
    if kind == "copy":
        noisy = text.upper() if rng.random() < 0.5 else "  " + re.sub(r" ", "   ", text) + "\n"
        row(noisy, "contaminated", "copy", of)
    elif kind == "light_edit":
        row(edit(text), "contaminated", "light_edit", of)
    else:
        row(f"{rng.choice(fillers)}\n\n{text}\n\n{rng.choice(fillers)}", "contaminated", "embedded", of)


# -- quality ------------------------------------------------------------------------------


def evaluate(semantic: bool) -> None:
    from curate.records import Record, Source
    from curate.stages.base import run_stages
    from curate.stages.normalise import Normalise

    rows = _rows(EVAL.name)
    records = [Record.create(Source("bench", EVAL.name, f"line {i + 1}"), text=r["text"]) for i, r in enumerate(rows)]
    methods: list[tuple[str, dict[str, Any]]] = [
        ("exact", {"ngram": 0}),
        ("exact + 13-gram (default)", {}),
        ("exact + 8-gram", {"ngram": 8}),
        ("exact + 13-gram, min_coverage 0.2", {"min_coverage": 0.2}),
    ]
    if semantic:
        for t in (0.8, 0.85, 0.9):
            methods.append((f"default + semantic {t}", {"semantic": t, "cache": False}))
    positives = sum(r["label"] == "contaminated" for r in rows)
    print(f"{len(rows)} rows ({positives} contaminated), reference {REFERENCE.name}")
    print("| method | precision | recall | F1 | " + " | ".join(_KINDS) + " |")
    print("|---|---|---|---|" + "---|" * len(_KINDS))
    for title, options in methods:
        flt = _filter({"reference_files": [str(REFERENCE)], **options})
        _, rejected, _ = run_stages([Normalise(), flt], [_copy(r) for r in records])
        flagged = {int(r.record.source.locator.split()[1]) - 1 for r in rejected if r.stage == flt.name}
        tp = sum(1 for i in flagged if rows[i]["label"] == "contaminated")
        pos = sum(r["label"] == "contaminated" for r in rows)
        p = tp / len(flagged) if flagged else 1.0
        rec = tp / pos
        f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for i, r in enumerate(rows):
            per[r["kind"]][0] += i in flagged
            per[r["kind"]][1] += 1
        cells = [f"{per[k][0]}/{per[k][1]}" for k in _KINDS]
        print(f"| {title} | {p:.3f} | {rec:.3f} | {f1:.3f} | " + " | ".join(cells) + " |")
    print("(cells: rows flagged / rows of that kind; the last three kinds are clean)")


_KINDS = ["copy", "light_edit", "embedded", "paraphrase", "same_topic", "next_turn", "unrelated"]


def _copy(record: Any) -> Any:
    from curate.records import Record

    return Record.create(record.source, text=record.text)


def _filter(options: dict[str, Any]) -> Any:
    from curate.plugins.decontam_filter import DecontaminateFilter

    return DecontaminateFilter.from_options(options)


# -- speed --------------------------------------------------------------------------------


def stdlib_paragraphs() -> list[str]:
    """Paragraphs of 12 words or more from the docstrings of Python's standard library (read with ``ast``)."""
    import ast
    import sysconfig

    out: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "test" in path.parts or "site-packages" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                for para in (ast.get_docstring(node) or "").split("\n\n"):
                    para = " ".join(para.split())
                    if len(para.split()) >= 12:
                        out.append(para)
    return list(dict.fromkeys(out))


def speed(items: int, records: int, big: int) -> None:
    import numpy as np

    from curate.plugins import decontam_filter
    from curate.records import Record, Source

    rng = random.Random(5)
    paragraphs = stdlib_paragraphs()
    rng.shuffle(paragraphs)
    # Reference and corpus from disjoint halves: only the planted 5% of records may match.
    half = len(paragraphs) // 2
    ref_pool, corpus_pool = paragraphs[:half], paragraphs[half:]
    print(f"\n{len(paragraphs):,} distinct stdlib docstring paragraphs (half for references, half for the corpus)")
    tmp = Path(__file__).resolve().parent / ".decontam_speed"
    tmp.mkdir(exist_ok=True)

    def reference(n: int) -> Path:
        path = tmp / f"ref_{n}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({"text": f"Item {i}. " + " ".join(rng.sample(ref_pool, 3))}) + "\n")
        return path

    small = reference(items)
    ref_texts = [json.loads(line)["text"] for line in small.read_text().splitlines()]
    corpus = []
    for i in range(records):
        text = " ".join(rng.sample(corpus_pool, 2))
        if i % 20 == 0:
            text += " " + rng.choice(ref_texts)[:400]
        corpus.append(Record.create(Source("bench", "corpus", f"line {i}"), text=text))
    for n, path in ((items, small), (big, reference(big))):
        decontam_filter._LOADED.clear()
        start = time.perf_counter()
        flt = _filter({"reference_files": [str(path)]})
        took = time.perf_counter() - start
        index = flt.reference.index
        decontam_filter._LOADED.clear()
        del flt
        tracemalloc.start()
        _filter({"reference_files": [str(path)]})
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"reference {n:,} items ({path.stat().st_size / 2**20:.0f} MiB of JSONL): read + index {took:.1f} s; "
            f"{index.ngram_count:,} 13-grams in {index.nbytes / 2**20:.1f} MiB (12 bytes each); "
            f"held after building (texts for locators and semantic, exact keys, index) {held / 2**20:.0f} MiB, "
            f"peak while building {peak / 2**20:.0f} MiB"
        )
    decontam_filter._LOADED.clear()
    flt = _filter({"reference_files": [str(small)]})
    best = 0.0
    flagged = 0
    for _ in range(3):
        start = time.perf_counter()
        flagged = 0
        for i in range(0, len(corpus), 1024):
            flagged += len(flt.process(corpus[i : i + 1024]).rejected)
        best = max(best, len(corpus) / (time.perf_counter() - start))
    words = np.mean([len(r.text.split()) for r in corpus])
    print(
        f"exact + 13-gram against {items:,} items: {best:,.0f} records/s "
        f"({len(corpus):,} records of {words:.0f} words on average, {flagged:,} flagged, "
        f"{len(range(0, records, 20)):,} planted; best of 3, one process)"
    )
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", action="store_true", help="write the reference and the labelled corpus, then stop")
    parser.add_argument("--no-semantic", action="store_true", help="leave out the embedding methods")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--big", type=int, default=100_000, help="reference size for the memory figure")
    args = parser.parse_args()
    if args.make:
        make()
        return
    evaluate(semantic=not args.no_semantic)
    if not args.no_speed:
        speed(args.items, args.records, args.big)


if __name__ == "__main__":
    main()
