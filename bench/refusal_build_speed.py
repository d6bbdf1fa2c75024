"""``curate build --filter refusal`` against datatrove's bare read+write, side by side, repeated.

The corpus is :mod:`pipeline_vs_datatrove`'s (real replies from ``bench/data/``, 2% led by a
real refusal). Each round runs, in fresh subprocesses: datatrove bare read+write, curate
``--no-filters``, curate ``--filter refusal`` with the stage in worker processes
(``Stage.cheap`` False, its default) and in-process (``cheap`` forced True), and, with
``--before DIR``, the same two refusal builds with the ``curate.plugins.refusal`` package found
in ``DIR/plugins`` (e.g. ``git archive <commit> plugins/refusal | tar -x -C DIR``). Each run's
ratio to datatrove is taken per round (so that the load of a shared machine falls on both
alike) and the median over rounds is printed.

Run::

    .venv/bin/python bench/refusal_build_speed.py --records 100000 --rounds 3 [--before /tmp/old]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_vs_datatrove import DATATROVE, make_corpus

HERE = Path(__file__).resolve().parent

#: The refusal stage forced in-process (``cheap`` True) or into the worker pool (False).
IN_PROCESS, IN_WORKERS = (
    f"import sys; import curate.plugins.refusal.filter as f; f.RefusalFilter.cheap = {cheap}; "
    "from curate.cli import main; sys.argv[0] = 'curate'; sys.exit(main())"
    for cheap in (True, False)
)
SITE = """import os
if os.environ.get("CURATE_REFUSAL_BEFORE"):
    import curate.plugins
    curate.plugins.__path__.insert(0, os.path.join(os.environ["CURATE_REFUSAL_BEFORE"], "plugins"))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a folder holding plugins/refusal/ of an older version")
    parser.add_argument("--datatrove-python", default=str(HERE.parent / ".venv-datatrove" / "bin" / "python"))
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="refusal_build_"))
    src = work / "in"
    src.mkdir()
    corpus = src / "replies.jsonl"
    make_corpus(corpus, args.records)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    site = work / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE)
    before_env = {**env, "CURATE_REFUSAL_BEFORE": str(args.before), "PYTHONPATH": str(site)} if args.before else env

    def curate(out: str, extra: list[str], head: list[str] | None = None) -> list[str]:
        head = head or [sys.executable, "-m", "curate.cli"]
        return [*head, "build", str(corpus), "--format", "text", "-q", "-o", str(work / out), *extra]

    runs: dict[str, tuple[list[str], dict[str, str]]] = {
        "datatrove bare read+write": (
            [args.datatrove_python, "-c", DATATROVE, str(src), str(work / "dt"), str(work / "dt-logs"), "0"],
            env,
        ),
        "curate --no-filters": (curate("nf", ["--no-filters"]), env),
        "curate --filter refusal (workers)": (
            curate("rf", ["--filter", "refusal"], [sys.executable, "-c", IN_WORKERS]),
            env,
        ),
        "curate --filter refusal (in-process)": (
            curate("rfc", ["--filter", "refusal"], [sys.executable, "-c", IN_PROCESS]),
            env,
        ),
    }
    if args.before:
        runs["curate --filter refusal, before (workers)"] = (curate("rfo", ["--filter", "refusal"]), before_env)
        runs["curate --filter refusal, before (in-process)"] = (
            curate("rfoc", ["--filter", "refusal"], [sys.executable, "-c", IN_PROCESS]),
            before_env,
        )
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (command, run_env) in runs.items():
            for out in ("dt", "dt-logs", "nf", "rf", "rfc", "rfo", "rfoc"):
                shutil.rmtree(work / out, ignore_errors=True)
            start = time.perf_counter()
            done = subprocess.run(command, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode:
                raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
            times[name].append(time.perf_counter() - start)
    shutil.rmtree(work, ignore_errors=True)
    base = times["datatrove bare read+write"]
    print(f"{args.records:,} records, {args.rounds} rounds, load average now {os.getloadavg()[0]:.1f}")
    print(f"{'run':44} {'median s':>8} {'ratio (median per round)':>25}  seconds per round")
    for name, ts in times.items():
        ratio = statistics.median(t / b for t, b in zip(ts, base, strict=True))
        print(f"{name:44} {statistics.median(ts):8.2f} {ratio:24.2f}x  {', '.join(f'{t:.2f}' for t in ts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
