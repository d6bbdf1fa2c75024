"""The Ray engine driver's cost per kept record: appending a rendered row, against rendering it there.

With no phase after the stages, Ray workers render each kept record
(:func:`curate.writer.render`) and the driver decodes and appends it
(:meth:`curate.writer.SplitWriter.accept`); otherwise the driver unpickles the record
and the writer splits and renders it. Both paths are timed here on the same chat
records, side by side, in one process.

    python bench/driver_append.py --records 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from curate.config import BuildConfig, SourceSpec
from curate.engines.ray_engine import KEPT, decode, decode_rendered, encode, encode_rendered
from curate.engines.replay import Kept
from curate.ledger import Ledger
from curate.plan import build_plan
from curate.records import Record, Source
from curate.registry import get_registry
from curate.writer import SplitWriter, render

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"


def chat(i: int) -> Record:
    question = f"What is the tide river stone garden bread yeast signal kernel market number {i}?"
    answer = "The harbour winter lantern copper orchard engine valley ledger pocket thunder meadow. " * 2
    turns = [{"role": "user", "content": question}, {"role": "assistant", "content": answer + str(i)}]
    return Record.create(Source("json", "a.jsonl", f"line {i + 1}"), messages=turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records = [chat(i) for i in range(args.records)]
    fmt = build_plan(BuildConfig(sources=[SourceSpec(str(EXAMPLES))]), get_registry()).fmt
    rendered = [encode_rendered(render(r, fmt, val_ratio=0.01, seed=0, include_ids=False)) for r in records]
    pickled = [encode(KEPT, Kept(r)) for r in records]
    best = {"append": float("inf"), "render": float("inf")}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "out") as ledger:
            writer = SplitWriter(ledger, fmt, val_ratio=0.01, seed=0)
            t = time.perf_counter()
            writer.accept(decode_rendered(b) for b in rendered)
            best["append"] = min(best["append"], time.perf_counter() - t)
            t = time.perf_counter()
            writer.write([decode(KEPT, b).record for b in pickled])
            best["render"] = min(best["render"], time.perf_counter() - t)
            writer.finish()
            ledger.commit({})
    per = {k: v / args.records * 1e6 for k, v in best.items()}
    row = sum(map(len, rendered)) / len(rendered)
    print(f"{args.records:,} chat records, rendered row payload {row:.0f} bytes, best of {args.repeat}")
    print(f"driver appends a row rendered on a worker: {per['append']:.1f} us a record")
    print(f"driver unpickles, splits and renders:      {per['render']:.1f} us a record")
    print(f"ratio: {per['render'] / per['append']:.1f}x less driver time per record")


if __name__ == "__main__":
    main()
