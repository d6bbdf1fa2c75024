"""One large JSON Lines file through the Ray engine, read whole or cut into shards.

A single file of chat records (the generator of ``bench/ray_overhead.py``, 5% exact
duplicates) is built, default filters on, with ``--engine ray`` and each ``[build]
shard_mb`` given (``--local``: first with the local engine, the reference). Each build
runs in a fresh process (the CLI, as a user runs it), Ray on a fresh local cluster of all
the machine's cores, and the outputs are compared byte for byte with the first build's.
The script also times cutting the file into shards (the JSON importer's ``shards()``:
one pass counting line ends) on its own, in this process.

    python bench/ray_shards.py                          # ~200 MB, shard_mb 0 (whole), 128, 16
    python bench/ray_shards.py --records 100000 --shard-mb 0,8 --local
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ray_overhead import make_corpus  # the bench folder is not a package

WORK = Path(__file__).parent / "_work" / "ray-shards"


def corpus(records: int) -> Path:
    """The one-file corpus of ``records`` records, made once."""
    folder = WORK / f"corpus-{records}"
    if not folder.exists():
        make_corpus(folder, records, files=1)
    return folder / "part-000.jsonl"


def build(source: Path, shard_mb: float, engine: str = "ray") -> tuple[float, Path]:
    """Wall time of ``curate build SOURCE`` on ``engine`` with ``shard_mb``, in a fresh process."""
    name = f"{shard_mb:g}" if engine == "ray" else engine
    out = WORK / f"out-{name}"
    shutil.rmtree(out, ignore_errors=True)
    config = WORK / f"shard-{name}.toml"
    config.write_text(f'[build]\nengine = "{engine}"\nshard_mb = {shard_mb}\nreport = false\n', encoding="utf-8")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    command = ["curate", "build", str(source), "-o", str(out), "--config", str(config), "-q"]
    print("$", " ".join(command), flush=True)
    t = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - t, out


def time_cutting(source: Path, shard_mb: float) -> tuple[float, int]:
    """Seconds the JSON importer takes to cut ``source`` into shards of ``shard_mb``, and how many."""
    from curate.importing import InputFile
    from curate.plugins.json import JsonImporter

    importer = JsonImporter.from_options({})
    t = time.perf_counter()
    shards = importer.shards(InputFile(source, source.name), round(shard_mb * 2**20))
    return time.perf_counter() - t, len(shards or ())


def same(a: Path, b: Path) -> bool:
    names = ("train.jsonl", "val.jsonl", "rejects.jsonl", "changes.jsonl")
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=650_000, help="records in the file (650,000: ~200 MB)")
    parser.add_argument("--shard-mb", default="0,128,16", help="comma-separated shard_mb values; 0 reads whole")
    parser.add_argument("--local", action="store_true", help="also build with the local engine, the reference")
    args = parser.parse_args()
    source = corpus(args.records)
    size = source.stat().st_size
    print(f"{source}: {args.records} records, {size / 2**20:.1f} MiB; a local Ray cluster on {os.cpu_count()} CPUs")
    values = [float(v) for v in args.shard_mb.split(",")]
    for mb in values:
        if mb:
            seconds, n = time_cutting(source, mb)
            print(f"cutting into shards of {mb:g} MiB: {n} shards in {seconds:.3f} s ({size / seconds / 1e9:.2f} GB/s)")
    results = []
    if args.local:
        seconds, out = build(source, 0, "local")
        read = json.loads((out / "manifest.json").read_text())["counts"]["read"]
        results.append(("local", seconds, out, read))
        print(f"local engine: {seconds:.1f} s, {read / seconds:,.0f} records/s", flush=True)
    for mb in values:
        print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        seconds, out = build(source, mb)
        counts = json.loads((out / "manifest.json").read_text())["counts"]
        results.append((f"{mb:g}", seconds, out, counts["read"]))
        print(f"shard_mb = {mb:g}: {seconds:.1f} s, {counts['read'] / seconds:,.0f} records/s", flush=True)
    first = results[0]
    print(f"| shard_mb | seconds | records/s | speed vs {first[0]} | same bytes as {first[0]} |")
    for name, seconds, out, read in results:
        print(
            f"| {name} | {seconds:.1f} | {read / seconds:,.0f} | {first[1] / seconds:.2f}x | "
            f"{'yes' if same(first[2], out) else 'NO'} |"
        )


if __name__ == "__main__":
    main()
