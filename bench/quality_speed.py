"""The quality filter against its pure-Python baseline, side by side on the same records.

Loads the quality filter (with the modules it imports) as of a baseline commit
(``git show COMMIT:plugins/...``) into a module of its own, and times both filters'
``process`` over the same batches of records, taking turns, best of ``--repeat`` runs on one
core. Also counts the records on which the two decide differently (reason, details, or the
text and metadata left after cuts), by the reasons each gave; with ``--same`` (for a
baseline whose rules are the same, as the default one's are but for the ``truncated``
rule: add ``--disable truncated``) any difference fails.

The records are those ``bench/pipeline_vs_datatrove.py`` writes: one to four paragraphs
drawn from different real replies under ``bench/data/`` (MT-bench answers of several
models, LLaMA-Factory's alpaca-gpt4 demo replies, the refusal and evasion evaluation sets;
see each file's ``source`` fields), as plain texts, and as prompt-reply pairs.

    .venv/bin/python bench/quality_speed.py --records 5000
    .venv/bin/python bench/quality_speed.py --records 5000 --baseline e65d9a2   # before the cut-off work
"""

from __future__ import annotations

import argparse
import copy
import random
import subprocess
import sys
import time
import types
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from pipeline_vs_datatrove import real_replies  # noqa: E402

from curate.plugins.quality_filter import QualityFilter  # noqa: E402
from curate.records import Record, Source  # noqa: E402

#: The last commit whose quality filter computed its statistics text by text, in pure Python.
BASELINE = "debefc7"


#: The quality filter's modules, in the order they import each other; the first three are in every commit.
MODULES = ("text_stats", "broken_text", "cut_off", "boilerplate", "quality_filter")


def load_baseline(commit: str) -> type:
    """``QualityFilter`` as of ``commit``, the modules it imports (:data:`MODULES`) loaded along with it."""
    package = f"_quality_baseline_{commit}"
    sys.modules[package] = types.ModuleType(package)
    for name in MODULES:
        done = subprocess.run(
            ["git", "-C", str(HERE.parent), "show", f"{commit}:plugins/{name}.py"], capture_output=True, text=True
        )
        if done.returncode:
            if name in ("cut_off", "boilerplate"):
                continue  # part of quality_filter or broken_text before
            raise SystemExit(f"cannot read plugins/{name}.py at {commit}: {done.stderr.strip()}")
        source = done.stdout
        for dep in MODULES[:-1]:
            source = source.replace(f"curate.plugins.{dep}", f"{package}.{dep}")
        module = types.ModuleType(f"{package}.{name}")
        sys.modules[module.__name__] = module
        exec(compile(source, f"{commit}:plugins/{name}.py", "exec"), module.__dict__)
    return sys.modules[f"{package}.quality_filter"].QualityFilter


def make_records(count: int, seed: int = 0) -> list[Record]:
    rng = random.Random(seed)
    answers, _ = real_replies()
    paragraphs = [p.strip() for t in answers for p in t.split("\n\n") if len(p.strip()) > 40]
    src = Source("bench", "replies", "-")
    out = []
    for i in range(count):
        text = "\n\n".join(rng.sample(paragraphs, rng.randint(1, 4)))
        out.append(Record.create(src, text=text) if i % 2 else Record.create(src, input="Explain.", output=text))
    return out


def run(flt, batches: list[list[Record]]) -> tuple[float, list[tuple]]:
    """Seconds to process ``batches`` (copies of them), and the decision on each record."""
    copies = [copy.deepcopy(b) for b in batches]
    start = time.process_time()
    results = [flt.process(b) for b in copies]
    seconds = time.process_time() - start
    decisions = []
    for batch, result in zip(copies, results, strict=True):
        rejected = {id(r.record): (r.reason, r.details) for r in result.rejected}
        decisions += [(rejected.get(id(r)), r.texts(), r.meta) for r in batch]
    return seconds, decisions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=1024, help="records per process() call (the engine's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, taking turns; the best counts")
    parser.add_argument("--baseline", default=BASELINE, help="commit of the quality filter to compare with")
    parser.add_argument("--disable", nargs="*", default=[], help="rules to switch off in both filters")
    parser.add_argument("--same", action="store_true", help="fail when a decision differs")
    args = parser.parse_args(argv)
    options = {"disable": args.disable}

    records = make_records(args.records)
    batches = [records[i : i + args.batch_size] for i in range(0, len(records), args.batch_size)]
    filters = {
        "baseline " + args.baseline: load_baseline(args.baseline).from_options(options),
        "now": QualityFilter.from_options(options),
    }
    best = dict.fromkeys(filters, float("inf"))
    decisions = {}
    for _ in range(args.repeat):
        for name, flt in filters.items():
            seconds, decisions[name] = run(flt, batches)
            best[name] = min(best[name], seconds)
    old, new = decisions.values()
    differ = sum(a != b for a, b in zip(old, new, strict=True))
    rejected = sum(d[0] is not None for d in new)
    print(f"{len(records):,} records, batches of {args.batch_size}, best of {args.repeat} (CPU seconds, one core)")
    print(f"{'filter':24} {'seconds':>8} {'records/s':>10} {'us/record':>10}")
    for name, seconds in best.items():
        print(f"{name:24} {seconds:8.2f} {len(records) / seconds:10,.0f} {1e6 * seconds / len(records):10.0f}")
    old_s, new_s = best.values()
    print(f"speed-up (baseline / now): {old_s / new_s:.2f}x; rejected {rejected}; decisions that differ: {differ}")
    if differ:
        changes = Counter(
            f"{a[0][0] if a[0] else 'kept'} -> {b[0][0] if b[0] else 'kept'}"
            for a, b in zip(old, new, strict=True)
            if a != b
        )
        print("differences (baseline -> now):", ", ".join(f"{k}: {n}" for k, n in changes.most_common()))
    return 1 if differ and args.same else 0


if __name__ == "__main__":
    sys.exit(main())
