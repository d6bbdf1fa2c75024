"""Microseconds a record of the ``refusal`` stage alone, in one process: this tree's package against an older one.

The whole-build timings of :mod:`refusal_build_speed` carry the reading, the writing and
the load of a shared machine; this one times only ``RefusalFilter.process`` (default
options, batches of ``--batch`` records) over a fixed corpus, the first ``--records``
records of :mod:`pipeline_vs_datatrove`'s corpus, as the JSON importer makes them. With
``--before DIR`` (a folder holding ``plugins/refusal/`` of an older version, e.g. from
``git archive <commit> plugins/refusal | tar -x -C DIR``) both packages are loaded in the
same process and take turns, chunk by chunk, for ``--rounds`` rounds, so that changes in
the machine's load fall on both alike. Each round's total is printed, then the best and
median per record and the ratio per round. Times are CPU time of the process (``time.process_time``:
waiting for a core on a shared machine does not count). Records are built afresh for every timing
(outside it): the filter changes the records it cuts.

Run::

    .venv/bin/python bench/refusal_stage_us.py --records 20000 --rounds 5 --before /tmp/old
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_vs_datatrove import make_corpus


def load_filter(plugins_dir: Path | None) -> Any:
    """A ``RefusalFilter`` with default options from this tree, or from ``plugins_dir/refusal``."""
    import curate.plugins

    for name in [m for m in sys.modules if m.startswith("curate.plugins.refusal")]:
        del sys.modules[name]
    saved = list(curate.plugins.__path__)
    if plugins_dir is not None:
        curate.plugins.__path__.insert(0, str(plugins_dir))
    try:
        module = importlib.import_module("curate.plugins.refusal")
        flt = module.RefusalFilter.from_options({})
    finally:
        curate.plugins.__path__[:] = saved
        for name in [m for m in sys.modules if m.startswith("curate.plugins.refusal")]:
            del sys.modules[name]
    return flt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1024, help="records per process() call (the build's batch)")
    parser.add_argument("--chunk", type=int, default=2048, help="records each version times before the other's turn")
    parser.add_argument("--before", type=Path, help="a folder holding plugins/refusal/ of an older version")
    parser.add_argument("--corpus", type=Path, help="a JSONL file with a 'text' field (default: generated)")
    args = parser.parse_args(argv)

    from curate.records import Record, Source

    if args.corpus is None:
        fd, name = tempfile.mkstemp(suffix=".jsonl")
        os.close(fd)
        make_corpus(Path(name), args.records)
        rows = Path(name).read_text(encoding="utf-8").splitlines()
        os.unlink(name)
    else:
        with open(args.corpus, encoding="utf-8") as fh:
            rows = [line for _, line in zip(range(args.records), fh, strict=False)]
    texts = [json.loads(line)["text"] for line in rows][: args.records]

    versions: dict[str, Any] = {}
    if args.before:
        versions["before"] = load_filter(args.before / "plugins")
    versions["this tree"] = load_filter(None)
    for flt in versions.values():  # warm up: compile the lazily compiled phrase regexes
        flt.process([Record.create(Source("bench", "b.jsonl", f"row {i}"), text=t) for i, t in enumerate(texts)])

    totals: dict[str, list[float]] = {name: [] for name in versions}
    kept: dict[str, int] = {}
    for _ in range(args.rounds):
        spent = dict.fromkeys(versions, 0.0)
        for c in range(0, len(texts), args.chunk):
            chunk = texts[c : c + args.chunk]
            for name, flt in versions.items():
                records = [Record.create(Source("bench", "b.jsonl", f"row {i}"), text=t) for i, t in enumerate(chunk)]
                start = time.process_time()
                n = 0
                for b in range(0, len(records), args.batch):
                    n += len(flt.process(records[b : b + args.batch]).kept)
                spent[name] += time.process_time() - start
                kept[name] = kept.get(name, 0) + n
        for name in versions:
            totals[name].append(spent[name])

    print(f"{len(texts):,} records, {args.rounds} rounds, load average {' '.join(map(str, os.getloadavg()))}")
    print(f"{'version':12} {'best us/rec':>11} {'median us/rec':>13}  seconds per round")
    for name, ts in totals.items():
        per = [t / len(texts) * 1e6 for t in ts]
        print(f"{name:12} {min(per):11.2f} {statistics.median(per):13.2f}  {', '.join(f'{t:.3f}' for t in ts)}")
    if "before" in totals:
        ratios = [b / a for b, a in zip(totals["before"], totals["this tree"], strict=True)]
        print(f"speed-up (before / this tree), median of per-round ratios: {statistics.median(ratios):.2f}x")
        if kept["before"] != kept["this tree"]:
            print(f"WARNING: kept counts differ: {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
