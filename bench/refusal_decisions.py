"""Every decision of the ``refusal`` filter on a set of JSONL files, one line each, for diffing.

A change meant to keep the filter's behaviour (a refactoring, a speed-up) must leave
this output unchanged. Each string found in the rows of the files (nested ones too) is
given to the filter as a model reply (``output``), and each list of chat turns as a
conversation; the filter runs with its default options and again with
``fields = "all"`` and every category flagged (so that every match is reported, not only
the first that decides). One line per text and configuration: the action, the reason,
the text kept and the filter's ``meta`` entries.

Run::

    python bench/refusal_decisions.py > before.jsonl            # bench/data and tests/data
    python bench/refusal_decisions.py some.jsonl other_dir/     # given files, or every *.jsonl under a folder
    diff before.jsonl after.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = (ROOT / "bench" / "data", ROOT / "tests" / "data")
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "all-flag": {
        "fields": "all",
        "actions": dict.fromkeys(
            ("ai_identity", "refusal", "moralising", "knowledge_cutoff", "vendor", "platform", "deflection"), "flag"
        ),
    },
}


def files(paths: list[Path]) -> list[Path]:
    """The JSONL files named, or found under the folders named, sorted."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.rglob("*.jsonl")) if p.is_dir() else [p])
    return out


def texts(value: Any) -> Iterator[str | list[dict[str, str]]]:
    """The strings and the chat conversations inside one JSON value."""
    if isinstance(value, str):
        if value.strip():
            yield value
    elif isinstance(value, list):
        if value and all(isinstance(t, dict) and isinstance(t.get("content"), str) and "role" in t for t in value):
            yield [{"role": str(t["role"]), "content": t["content"]} for t in value]
        else:
            for v in value:
                yield from texts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from texts(v)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="JSONL files or folders (default: bench/data, tests/data)")
    args = parser.parse_args(argv)

    from curate.records import Record, RecordError, Source
    from curate.registry import get_registry

    cls = get_registry().filter("refusal")
    filters = {name: cls.from_options(options) for name, options in CONFIGS.items()}
    for file in files(args.paths or list(DEFAULT_PATHS)):
        name = str(file.relative_to(ROOT)) if file.is_relative_to(ROOT) else str(file)
        records: list[Record] = []
        for n, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            for k, t in enumerate(texts(row)):
                source = Source("decisions", name, f"line {n} text {k}")
                if isinstance(t, str):
                    records.append(Record.create(source, input="", output=t))
                    continue
                try:
                    records.append(Record.create(source, messages=t))
                except RecordError:  # not a chat after all: its texts, one by one
                    records.extend(
                        Record.create(
                            Source("decisions", name, f"line {n} text {k} turn {i}"), input="", output=turn["content"]
                        )
                        for i, turn in enumerate(t)
                    )
        for config, flt in filters.items():
            batch = [Record.from_dict(r.to_dict()) for r in records]
            result = flt.process(batch)
            decided: dict[str, dict[str, Any]] = {}
            for rej in result.rejected:
                decided[rej.record.id] = {"action": "reject", "reason": rej.reason, "details": rej.details}
            for rec in result.kept:
                decided[rec.id] = {"action": "keep", "record": rec.to_dict()}
            for r in records:
                out = {"file": name, "at": r.source.locator, "config": config, **decided[r.id]}
                print(json.dumps(out, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
