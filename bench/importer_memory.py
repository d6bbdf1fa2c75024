"""Peak memory of each importer on a compressed file, at two expanded sizes (issue 10).

For each importer a gzip file is generated (cached under ``bench/_work/``) that expands to
each size, then read in a fresh subprocess through :func:`curate.sources.read_file`, the
way a build reads it, counting what comes out without keeping it. The child reports its
peak RSS (``ru_maxrss``), the records and problems, and the time. Streaming means the
peak stays far below the expanded size and does not grow with it: the goal is under
1.5 GB at 300 MB, and about the same peak at both sizes.

Cases: JSON Lines, a JSON array (streamed item by item), CSV, SQL dump (multi-row
INSERTs), plain text split by paragraph and by length, plain text with ``split="file"``
(one record per file: a file over ``max_record_chars`` is reported, read past, never
held), and HTML (a page is parsed whole, so a file over ``max_bytes`` is refused after
reading at most ``max_bytes``).

    python bench/importer_memory.py                      # 150 and 300 MB, every case
    python bench/importer_memory.py --sizes 20,40 --cases jsonl,csv
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

WORK = Path(__file__).parent / "_work" / "importer_memory"
MB = 1_000_000
WORDS = (
    "tide river stone garden bread yeast signal kernel market harbour winter lantern copper orchard "
    "engine valley ledger pocket thunder meadow violin canvas quarry needle saddle timber velvet café "
    "the a of and to in is was for on with as by at from that this it be are which naïve €"
).split()


def sentences(seed: int = 7, n: int = 2000) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "." for _ in range(n)]


def _jsonl(pool: list[str]) -> Iterator[str]:
    for i in range(10**12):
        yield json.dumps({"input": pool[i % len(pool)], "output": pool[(i * 7 + 3) % len(pool)]}) + "\n"


def _json_array(pool: list[str]) -> Iterator[str]:
    yield "[\n"
    for i in range(10**12):
        yield ("," if i else "") + json.dumps({"text": pool[i % len(pool)] + " " + pool[(i + 1) % len(pool)]}) + "\n"


def _csv(pool: list[str]) -> Iterator[str]:
    yield "input,output\n"
    for i in range(10**12):
        yield f'"{pool[i % len(pool)]}","{pool[(i * 3 + 1) % len(pool)]}, with a comma"\n'


def _sql(pool: list[str]) -> Iterator[str]:
    yield "CREATE TABLE qa (id INTEGER, question TEXT, answer TEXT);\n"
    for i in range(10**12):
        rows = ", ".join(
            f"({i * 50 + j}, '{pool[(i + j) % len(pool)]}', '{pool[(i * 5 + j) % len(pool)]}')" for j in range(50)
        )
        yield f"INSERT INTO qa (id, question, answer) VALUES {rows};\n"


def _text(pool: list[str]) -> Iterator[str]:
    for i in range(10**12):
        yield " ".join(pool[(i + k) % len(pool)] for k in range(5)) + "\n" + pool[(i * 3) % len(pool)] + "\n\n"


def _html(pool: list[str]) -> Iterator[str]:
    yield "<!doctype html><html><head><title>Big page</title></head><body>\n"
    for i in range(10**12):
        yield f"<h2>Section {i}</h2><p>{pool[i % len(pool)]}</p><p>{pool[(i + 5) % len(pool)]}</p>\n"


#: name -> (file suffix, generator, importer options)
CASES: dict[str, tuple[str, Callable[[list[str]], Iterator[str]], dict]] = {
    "jsonl": (".jsonl", _jsonl, {}),
    "json-array": (".json", _json_array, {}),
    "csv": (".csv", _csv, {}),
    "sql": (".sql", _sql, {}),
    "text-paragraph": (".txt", _text, {"split": "paragraph"}),
    "text-length": (".txt", _text, {"split": "length"}),
    "text-file": (".txt", _text, {"split": "file"}),
    "html": (".html", _html, {}),
}


def generate(case: str, size_mb: int) -> Path:
    """A ``.gz`` file of ``case`` expanding to about ``size_mb`` MB (kept for later runs)."""
    suffix, make, _ = CASES[case]
    kind = suffix.lstrip(".")
    path = WORK / f"{kind}-{size_mb}mb{suffix}.gz"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    target = size_mb * MB
    written = 0
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as fh:
        buf: list[str] = []
        for piece in make(sentences()):
            buf.append(piece)
            written += len(piece.encode())
            if len(buf) >= 2000:
                fh.write("".join(buf))
                buf = []
            if written >= target:
                break
        fh.write("".join(buf))
        if suffix == ".json":
            fh.write("]\n")
        elif suffix == ".html":
            fh.write("</body></html>\n")
    tmp.rename(path)
    return path


def child(case: str, path: str) -> None:
    """Read ``path`` as a build would; print peak RSS and counts as JSON."""
    from curate.importing import InputFile, Problem
    from curate.registry import get_registry
    from curate.sources import FileTask, read_file

    if case == "baseline":  # the floor: Python, curate and the plugins loaded, nothing read
        get_registry()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"rss_mb": rss, "records": 0, "problems": 0, "first_problem": None, "seconds": 0}))
        return
    _, _, options = CASES[case]
    file = InputFile(Path(path), Path(path).name)
    cls = get_registry().importer_for(file)
    assert cls is not None
    started = time.perf_counter()
    records = problems = 0
    first_problem = None
    for item in read_file(FileTask(file, cls.from_options(options))):
        if isinstance(item, Problem):
            problems += 1
            first_problem = first_problem or item.message[:90]
        else:
            records += 1
    size, _ = file.meter.finish(file.path)
    print(
        json.dumps(
            {
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "records": records,
                "problems": problems,
                "first_problem": first_problem,
                "seconds": time.perf_counter() - started,
                "raw_bytes": size,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="150,300", help="expanded sizes in MB, comma separated")
    parser.add_argument("--cases", default=",".join(CASES), help=f"some of: {', '.join(CASES)}")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = args.cases.split(",")
    print("| case | expanded MB | gz MB | records | problems | seconds | peak RSS MB |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    peaks: dict[str, list[float]] = {}
    base = subprocess.run([sys.executable, __file__, "--child", "baseline", "-"], capture_output=True, text=True)
    if base.returncode == 0:
        print(
            f"| baseline (plugins loaded, nothing read) | 0 | 0 | 0 | 0 | 0 | {json.loads(base.stdout)['rss_mb']:.0f} |"
        )
    for case in cases:
        for size in sizes:
            path = generate(case, size)
            out = subprocess.run(
                [sys.executable, __file__, "--child", case, str(path)], capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                print(f"| {case} | {size} | failed: {out.stderr.strip().splitlines()[-1:]} |")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peaks.setdefault(case, []).append(r["rss_mb"])
            note = f" ({r['first_problem']})" if r["records"] == 0 and r["first_problem"] else ""
            print(
                f"| {case} | {size} | {path.stat().st_size / MB:.1f} | {r['records']:,} | {r['problems']}{note} "
                f"| {r['seconds']:.1f} | {r['rss_mb']:.0f} |",
                flush=True,
            )
    print()
    for case, values in peaks.items():
        if len(values) > 1:
            print(
                f"{case}: peak RSS {min(values):.0f}-{max(values):.0f} MB, "
                f"largest / smallest size {values[-1] / values[0]:.2f}"
            )


if __name__ == "__main__":
    main()
