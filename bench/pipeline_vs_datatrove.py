"""The default build against datatrove, side by side, on the same chat-reply file.

Runs, each in a fresh subprocess, on one JSON Lines file of ``{"text": reply}`` records:

- datatrove bare: ``JsonlReader -> JsonlWriter`` (uncompressed), one task;
- datatrove filters: the same with Gopher repetition + Gopher quality + FineWeb quality
  filters (the peers of curate's quality filter);
- curate ``--no-filters``, ``--filter refusal`` and the default build (repair, normalise,
  refusal, quality, exact dedup), ``--format text``, with ``--workers`` as given.

Prints seconds, records/s and each run's time as a ratio of datatrove's bare read+write.

The input is generated from the real assistant replies kept in ``bench/data/`` (MT-bench
answers of several models, LLaMA-Factory's alpaca-gpt4 demo replies, the answers of the
refusal and evasion evaluation sets: see each file's ``source`` fields): each record joins
one to four paragraphs drawn from different real answers, so text statistics are those of
real replies while the 100k records are distinct; 2% of records lead with a real refusal
from those sets, as uncleaned chat data does.

datatrove is installed in its own virtualenv, since its ``processing`` extra pins
trafilatura 1.x where curate's ``html`` extra takes 2.x::

    python3 -m venv .venv-datatrove && .venv-datatrove/bin/pip install "datatrove[processing]" spacy orjson
    .venv/bin/python bench/pipeline_vs_datatrove.py --records 100000
    .venv/bin/python bench/pipeline_vs_datatrove.py --records 100000 --workers 1   # one core
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
WORK = HERE / "_work" / "vs_datatrove"
DATA = HERE / "data"

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
src, out, logs, filters = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
steps = [JsonlReader(src, text_key="text")]
if filters:
    from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
    steps += [GopherRepetitionFilter(), GopherQualityFilter(), FineWebQualityFilter()]
steps.append(JsonlWriter(out, compression=None))
LocalPipelineExecutor(pipeline=steps, tasks=1, workers=1, logging_dir=logs).run()
"""


#: Labels of replies that are not ordinary answers (refusals, dodges, broken generations).
NOT_ANSWERS = {"refusal", "partial", "evasion", "broken"}
#: The share of records that carry a real refusal, as in chat data that has not been cleaned.
REFUSAL_SHARE = 0.02


def real_replies() -> tuple[list[str], list[str]]:
    """The real replies under bench/data/ (replies only, never prompts): ordinary answers, and refusals."""
    answers: list[str] = []
    refusals: list[str] = []
    for path in sorted(DATA.rglob("*.jsonl")):
        if path.name.startswith("paraphrase"):  # news sentences, not replies
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "question_id" in row and "model" not in row:  # MT-bench questions: prompts
                continue
            texts = [row[k] for k in ("reply", "output", "text") if isinstance(row.get(k), str)]
            if isinstance(row.get("turns"), list) and "model" in row:
                texts += [t for t in row["turns"] if isinstance(t, str)]
            (refusals if row.get("label") in NOT_ANSWERS else answers).extend(texts)
    if not answers:
        raise SystemExit(f"no replies found under {DATA}")
    return answers, refusals


def make_corpus(path: Path, records: int, seed: int = 0) -> None:
    """Records of one to four paragraphs from different real answers; 2% carry a real refusal."""
    rng = random.Random(seed)
    answers, refusals = real_replies()
    paragraphs = [p.strip() for t in answers for p in t.split("\n\n") if len(p.strip()) > 40]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(records):
            parts = rng.sample(paragraphs, rng.randint(1, 4))
            if refusals and rng.random() < REFUSAL_SHARE:
                parts = [rng.choice(refusals), *parts[:1]]
            fh.write(json.dumps({"id": str(i), "text": "\n\n".join(parts)}, ensure_ascii=False) + "\n")


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="curate --workers (default: all cores)")
    parser.add_argument("--datatrove-python", default=str(HERE.parent / ".venv-datatrove" / "bin" / "python"))
    parser.add_argument("--skip-datatrove-filters", action="store_true", help="the slowest run (minutes)")
    args = parser.parse_args(argv)

    shutil.rmtree(WORK, ignore_errors=True)
    src = WORK / "in"
    src.mkdir(parents=True)
    corpus = src / "replies.jsonl"
    make_corpus(corpus, args.records)
    mb = corpus.stat().st_size / 1e6
    print(f"{args.records:,} records, {mb:.0f} MB, cores {len(os.sched_getaffinity(0))}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    results: dict[str, float] = {}
    dt = args.datatrove_python
    if Path(dt).exists():
        runs = [("datatrove bare read+write", "0")]
        if not args.skip_datatrove_filters:
            runs.append(("datatrove Gopher+FineWeb filters", "1"))
        for name, filters in runs:
            out, logs = WORK / f"dt-out-{filters}", WORK / f"dt-logs-{filters}"
            results[name] = timed([dt, "-c", DATATROVE, str(src), str(out), str(logs), filters], env)
    else:
        print(f"datatrove not found at {dt}: see the module docstring; ratios are left out")
    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    curate = [sys.executable, "-m", "curate.cli", "build", str(corpus), "--format", "text", "-q", *workers]
    for name, extra in (
        ("curate --no-filters", ["--no-filters"]),
        ("curate --filter refusal", ["--filter", "refusal"]),
        ("curate default build", []),
    ):
        results[name] = timed([*curate, "-o", str(WORK / name.replace(" ", "_")), *extra], env)

    base = results.get("datatrove bare read+write")
    print(f"{'run':36} {'seconds':>8} {'records/s':>10} {'vs datatrove bare':>18}")
    for name, seconds in results.items():
        ratio = f"{seconds / base:.2f}x" if base else "-"
        print(f"{name:36} {seconds:8.1f} {args.records / seconds:10,.0f} {ratio:>18}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
