"""Import + normalise + exact dedup + write: curate against the tutorial way, side by side.

For each format (HTML, CSV, JSONL, SQL) and each size, a corpus is generated, then:

- curate: ``Pipeline().source(corpus).filters()`` (no filters: normalise, exact dedup,
  split, write), in a fresh subprocess, timed, with its peak RSS;
- naive: the usual tutorial code in a fresh subprocess: BeautifulSoup ``get_text()`` per
  page, ``pd.read_csv(...)[col].astype(str)``, ``json.loads``/``json.dumps`` per line,
  ``sqlparse.split`` + ``sqlparse.parse`` per statement, each written with one
  ``json.dumps`` per record.

Prints records/s, MB/s, the speed ratio (curate / naive) and peak RSS, plus the RSS
ratio between the largest and smallest size (streaming: it should not grow).

    python bench/import_throughput.py                       # 10k and 100k records per format
    python bench/import_throughput.py --sizes 2000 --formats csv,jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / "_work"
WORDS = (
    "tide river stone garden bread yeast signal kernel market harbour winter lantern copper orchard "
    "engine valley ledger pocket thunder meadow violin canvas quarry needle saddle timber velvet "
    "the a of and to in is was for on with as by at from that this it be are which"
).split()


def sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def make_html(folder: Path, n: int, rng: random.Random) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        paras = "".join(f"<p>{paragraph(rng)}</p>\n" for _ in range(rng.randint(3, 6)))
        links = "".join(f'<li><a href="/r/{j}">{sentence(rng, 5)}</a></li>' for j in range(8))
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Story {i}</title>
<script>var t = {i}; window.analytics && analytics.track("view", {{id: t}});</script>
<style>.a{{color:red}}</style></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="cookie-banner">We use cookies. <button>Accept</button></div>
<main><article><h1>{sentence(rng, 6)}</h1>
{paras}</article>
<aside class="related"><h3>Related</h3><ul>{links}</ul></aside></main>
<footer><p>Copyright 2026 Example News. All rights reserved.</p></footer></body></html>
"""
        (folder / f"page{i:07d}.html").write_text(page, encoding="utf-8")


def make_csv(path: Path, n: int, rng: random.Random) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "body"])
        for i in range(n):
            writer.writerow([i, sentence(rng, 6), paragraph(rng, rng.randint(1, 4))])


def make_jsonl(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(n):
            row = {
                "messages": [
                    {"role": "user", "content": sentence(rng, 12).rstrip(".") + "?"},
                    {"role": "assistant", "content": paragraph(rng, rng.randint(1, 4))},
                ]
            }
            fh.write(json.dumps(row) + "\n")


def make_sql(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("CREATE TABLE `posts` (`id` int, `title` varchar(255), `body` text);\n")
        per = 20
        for start in range(0, n, per):
            values = []
            for i in range(start, min(n, start + per)):
                body = paragraph(rng, rng.randint(1, 3)).replace("'", "\\'")
                values.append(f"({i},'{sentence(rng, 6)}','{body}')")
            fh.write("INSERT INTO `posts` VALUES " + ",".join(values) + ";\n")


MAKERS = {
    "html": (make_html, ""),
    "csv": (make_csv, ".csv"),
    "jsonl": (make_jsonl, ".jsonl"),
    "sql": (make_sql, ".sql"),
}

CURATE = """
import sys
from curate import Pipeline
src, out, fmt = sys.argv[1:4]
options = {"text_column": "body"} if fmt in ("csv", "sql") else {}
p = Pipeline().source(src, **options).filters().format("messages" if fmt == "jsonl" else "text").set(report=False)
r = p.run(out)
print(r.counts["read"])
"""

NAIVE = {
    "html": """
import json, sys, pathlib
from bs4 import BeautifulSoup
src, out = sys.argv[1:3]
n = 0
with open(out, "w") as fh:
    for path in sorted(pathlib.Path(src).iterdir()):
        text = BeautifulSoup(path.read_text(), "html.parser").get_text()
        fh.write(json.dumps({"text": text}) + "\\n"); n += 1
print(n)
""",
    "csv": """
import json, sys
import pandas as pd
src, out = sys.argv[1:3]
column = pd.read_csv(src)["body"].astype(str)
with open(out, "w") as fh:
    for text in column:
        fh.write(json.dumps({"text": text}) + "\\n")
print(len(column))
""",
    "jsonl": """
import json, sys
src, out = sys.argv[1:3]
n = 0
with open(src) as fin, open(out, "w") as fh:
    for line in fin:
        row = json.loads(line)
        fh.write(json.dumps({"messages": row["messages"]}) + "\\n"); n += 1
print(n)
""",
    "sql": """
import json, sys
import sqlparse
src, out = sys.argv[1:3]
n = 0
with open(out, "w") as fh:
    for statement in sqlparse.split(open(src).read()):
        parsed = sqlparse.parse(statement)[0]
        if parsed.get_type() != "INSERT":
            continue
        for token in parsed.flatten():
            if token.ttype in sqlparse.tokens.Literal.String.Single:
                fh.write(json.dumps({"text": token.value.strip("'")}) + "\\n"); n += 1
print(n)
""",
}


def peak_rss(code: str, *args: str) -> tuple[int, float, str]:
    """Peak RSS (KiB), wall time and stdout of a fresh Python process (``wait4`` rusage)."""
    import os

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"benchmark step failed:\n{err}")
    return usage.ru_maxrss, elapsed, out.strip()


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--formats", default="html,csv,jsonl,sql")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    print("command: python bench/" + Path(__file__).name + " " + " ".join(sys.argv[1:]))
    print(
        f"{'format':6} {'records':>8} {'MB':>7} | {'curate rec/s':>12} {'MB/s':>6} {'RSS MB':>7} | "
        f"{'naive rec/s':>11} {'MB/s':>6} {'RSS MB':>7} | {'speed x':>7}"
    )
    rss_by_format: dict[str, list[float]] = {}
    for fmt in formats:
        for n in sizes:
            rng = random.Random(n)
            maker, suffix = MAKERS[fmt]
            corpus = WORK / f"{fmt}-{n}{suffix}"
            if not corpus.exists():
                WORK.mkdir(parents=True, exist_ok=True)
                maker(corpus, n, rng)
            mb = size_of(corpus) / 1e6
            c_rss, c_time, c_out = peak_rss(CURATE, str(corpus), str(WORK / f"out-{fmt}-{n}"), fmt)
            n_rss, n_time, n_out = peak_rss(NAIVE[fmt], str(corpus), str(WORK / f"naive-{fmt}-{n}.jsonl"))
            records = int(c_out.splitlines()[-1])
            rss_by_format.setdefault(fmt, []).append(c_rss / 1024)
            print(
                f"{fmt:6} {records:>8} {mb:>7.1f} | "
                f"{records / c_time:>12,.0f} {mb / c_time:>6.1f} {c_rss / 1024:>7.0f} | "
                f"{int(n_out.splitlines()[-1]) / n_time:>11,.0f} {mb / n_time:>6.1f} {n_rss / 1024:>7.0f} | "
                f"{n_time / c_time:>7.2f}",
                flush=True,
            )
    if len(sizes) > 1:
        for fmt, rss in rss_by_format.items():
            print(f"peak RSS {fmt}: {sizes[-1]} records / {sizes[0]} records = {rss[-1] / rss[0]:.2f}x")


if __name__ == "__main__":
    main()
