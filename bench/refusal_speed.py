"""Speed of the ``refusal`` filter against the naive substring loop, side by side.

The naive method is the one the issue describes: ``any(p in text.lower() for p in phrases)``
with the ~250 phrases of :mod:`refusal_quality` (``text.lower()`` runs once per phrase, as
written there). A fairer variant that lower-cases once per record is timed too, so that
the speed-up is not credited to that slip alone.

Curate is timed twice: ``find`` (fold the text, run the compiled phrase matcher, skip
code and quotes: the detection that the naive loop does) and ``process`` (the whole
batch stage: detection plus cutting, usefulness checks, meta entries and rejections).

The corpus is synthetic and deterministic: 100,000 answers of one to six paragraphs
(from a sentence to a few thousand characters), the paragraphs drawn from the docstrings
of Python's standard library (ordinary technical prose) and from the clean replies of the
evaluation set (hard cases: AI, ethics, bias, airports, six languages); about 5% also hold
a refusal or caveat from the set. The table says how many records each method flags.
Methods take turns on chunks of 2,000 records (so that changes in the machine's load fall
on all of them alike), for several rounds; each method's best round is reported.

Run::

    python bench/refusal_speed.py                      # 100k records, 3 rounds
    python bench/refusal_speed.py --records 20000 --rounds 2
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refusal_quality import NAIVE_PHRASES, load

_SKIP_MODULES = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test", "lib2to3", "ensurepip"}


def ordinary_paragraphs() -> list[str]:
    """Paragraphs of ordinary technical prose: the docstrings of Python's standard library.

    They stand in for everyday assistant answers (explanations, with code and lists),
    which the evaluation set, built around hard cases, under-represents. The exact pool
    depends on the Python version.
    """
    paragraphs: dict[str, None] = {}
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in _SKIP_MODULES:
            continue
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:
            continue
        for attr in ["", *sorted(dir(module))]:
            doc = inspect.getdoc(getattr(module, attr, None) if attr else module)
            if doc and len(doc) > 200:
                for para in re.split(r"\n\s*\n", doc):
                    if len(para) > 80:
                        paragraphs[para] = None
    return list(paragraphs)


def corpus(n: int, seed: int = 0, positive_share: float = 0.05) -> list[str]:
    """``n`` synthetic assistant answers (deterministic for a given seed and Python version).

    Each answer is one to six paragraphs drawn from the standard library's docstrings and
    the clean replies of the evaluation set (AI, ethics, airports, several languages);
    about ``positive_share`` of them also hold a refusal or caveat from the set.
    """
    rows = load("dev") + load("heldout")
    pool = ordinary_paragraphs() + [r["reply"] for r in rows if r["label"] == "clean"]
    positive = [r["reply"] for r in rows if r["label"] != "clean"]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        paragraphs = rng.sample(pool, rng.randint(1, 6))
        if rng.random() < positive_share:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(positive))
        out.append("\n\n".join(paragraphs))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000, help="batch size for the process() timing")
    parser.add_argument(
        "--chunk", type=int, default=2000, help="records each method times before the next takes its turn"
    )
    args = parser.parse_args(argv)

    from curate.plugins.refusal import RefusalFilter
    from curate.records import Record, Source

    texts = corpus(args.records)
    chars = sum(map(len, texts))
    phrases = [p.lower() for p in NAIVE_PHRASES]

    start = time.perf_counter()
    flt = RefusalFilter.from_options({})
    compile_s = time.perf_counter() - start
    flt.find("warm up: I'm sorry, but as an AI language model I can't help with that.")

    def naive(chunk: list[str]) -> int:
        return sum(1 for t in chunk if any(p in t.lower() for p in phrases))

    def naive_lower_once(chunk: list[str]) -> int:
        n = 0
        for t in chunk:
            low = t.lower()
            if any(p in low for p in phrases):
                n += 1
        return n

    def curate_find(chunk: list[str]) -> int:
        return sum(1 for t in chunk if flt.find(t)[2])

    def curate_process(chunk: list[str]) -> tuple[int, float]:
        recs = [
            Record.create(Source("bench", "bench.jsonl", f"row {i}"), input="", output=t) for i, t in enumerate(chunk)
        ]
        start = time.perf_counter()
        rejected = sum(len(flt.process(recs[i : i + args.batch]).rejected) for i in range(0, len(recs), args.batch))
        return rejected, time.perf_counter() - start

    # Methods take turns on each chunk, so that a change in the machine's load falls on all of them.
    methods = {"naive": naive, "naive, lower() once": naive_lower_once, "curate find": curate_find}
    timings: dict[str, list[float]] = {name: [0.0] * args.rounds for name in (*methods, "curate process")}
    counts: dict[str, int] = dict.fromkeys(timings, 0)
    for r in range(args.rounds):
        for c in range(0, len(texts), args.chunk):
            chunk = texts[c : c + args.chunk]
            for name, fn in methods.items():
                start = time.perf_counter()
                n = fn(chunk)
                timings[name][r] += time.perf_counter() - start
                if r == 0:
                    counts[name] += n
            rejected, elapsed = curate_process(chunk)  # records are built outside the timing
            timings["curate process"][r] += elapsed
            if r == 0:
                counts["curate process"] += rejected

    print(
        f"{len(texts):,} records, {chars / len(texts):,.0f} characters on average; "
        f"naive: {len(phrases)} phrases; curate: {len(flt.matcher.phrases)} phrase patterns "
        f"(compiled in {compile_s:.2f} s, once per process)"
    )
    base = min(timings["naive"])
    print(f"{'method':<22} {'best s':>8} {'median s':>9} {'us/record':>10} {'speed-up':>9}  flagged")
    for name, ts in timings.items():
        best = min(ts)
        label = "rejected" if name == "curate process" else "detected"
        print(
            f"{name:<22} {best:8.2f} {statistics.median(ts):9.2f} {best / len(texts) * 1e6:10.1f} "
            f"{base / best:8.1f}x  {counts[name]:,} {label}"
        )
    print(
        f"curate find vs naive, lower() once: {min(timings['naive, lower() once']) / min(timings['curate find']):.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
