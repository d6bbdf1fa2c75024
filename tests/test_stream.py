"""The one ordered outcome stream: outputs that do not depend on batch size or workers, rejects in input order,
and the narrow filter API (``check``) beside the batch hook (``process``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from curate import Pipeline
from curate.ledger import iter_jsonl
from curate.records import Record, Source
from curate.stages.base import BatchResult, Drop, Filter, Stage, Verdict, decide_stages, run_stages
from curate.stages.dedup import ExactDedup, dedup_key
from tests.conftest import plugin_namespace
from tests.fakes import DropShort, LinesImporter, published, write_lines


class Shout(Filter):
    """The narrow API: drops answers that shout, cuts long answers into copies, keeps the rest."""

    name = "shout"

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        counts["looked_at"] += 1
        answer = record.output or ""
        if answer.isupper():
            return Drop("shouting", {"answer": answer})
        if len(answer) > 18:
            return Record(record.id, record.source, record.text, record.input, answer[:18], None, dict(record.meta))
        return None


@pytest.fixture
def plugins(register_plugin):
    register_plugin(
        plugin_namespace(
            register_importers=lambda register: register(LinesImporter),
            register_filters=lambda register: (register(DropShort), register(Shout)),
        ),
        "test-stream",
    )


def _corpus(root: Path) -> list[Path]:
    """Two files where import problems, each stage's rejects, duplicates and format rejects interleave."""
    rows: list[object] = []
    for i in range(90):
        if i % 13 == 5:
            rows.append("{bad json")
        elif i % 11 == 3:
            rows.append({"q": f"q{i}", "a": "no"})  # drop_short
        elif i % 9 == 2:
            rows.append({"q": f"q{i}", "a": "LOUD ANSWER"})  # shout
        elif i % 7 == 1:
            rows.append({"q": "same", "a": "the same answer"})  # exact dedup after the first
        elif i % 17 == 8:
            rows.append({"t": f"text record {i}"})  # the format rejects text in input-output
        else:
            rows.append({"q": f"Question {i}?", "a": f"Answer number {i}, a long one."})
    paths = [root / "a.lines", root / "b.lines"]
    write_lines(paths[0], rows[:50])
    write_lines(paths[1], rows[50:])
    return paths


def _build(paths: list[Path], out: Path, **settings: object) -> dict[str, bytes]:
    pipeline = Pipeline().format("input-output").filters("drop_short", "shout")
    for path in paths:
        pipeline.source(path)
    pipeline.set(report=False, val_ratio=0.2, **settings).run(out)
    return published(out) | {"manifest.json": json.dumps(json.loads((out / "manifest.json").read_bytes())["counts"])}


def test_outputs_do_not_depend_on_batch_size_or_workers(tmp_path: Path, plugins: None) -> None:
    paths = _corpus(tmp_path)
    builds = {
        (size, workers): _build(paths, tmp_path / f"b{size}-w{workers}" / "out", batch_size=size, workers=workers)
        for size, workers in ((1, 1), (7, 1), (1024, 1), (1, 2), (7, 2), (1024, 2))
    }
    first = builds[(1, 1)]
    for key, outputs in builds.items():
        assert outputs == first, key
    counts = json.loads(first["manifest.json"])
    assert set(counts["rejected_by"]) == {"import", "drop_short", "shout", "exact_dedup", "format"}
    assert counts["stages"]["shout"]["looked_at"] > 0


def test_rejects_are_in_input_order(tmp_path: Path, plugins: None) -> None:
    paths = _corpus(tmp_path)
    _build(paths, tmp_path / "out", batch_size=7)
    places = [
        (row["source"]["path"], int(row["source"]["locator"].split()[1]))
        for row in iter_jsonl(tmp_path / "out" / "rejects.jsonl")
    ]
    assert places == sorted(places) and len(set(places)) == len(places)
    stages = [row["stage"] for row in iter_jsonl(tmp_path / "out" / "rejects.jsonl")]
    assert stages[:6] != sorted(stages[:6]), "stages interleave: rejects are not grouped by stage"


def _records(*answers: str) -> list[Record]:
    src = Source("t", "f", "l")
    return [
        Record.create(Source(src.plugin, src.path, f"line {i}"), input="q", output=a) for i, a in enumerate(answers)
    ]


def test_check_gives_keep_drop_and_cut() -> None:
    records = _records("fine answer", "LOUD", "an answer longer than eighteen characters")
    fates, counts = decide_stages([Shout.from_options({})], records)
    assert fates[0] is records[0]
    assert not isinstance(fates[1], Record) and fates[1].reason == "shouting" and fates[1].details == {"answer": "LOUD"}
    assert isinstance(fates[2], Record) and fates[2].output == "an answer longer t" and fates[2] is not records[2]
    assert counts == {"shout": Counter(looked_at=3)}
    kept, rejected, _ = run_stages([Shout.from_options({})], _records("a b c", "NO"))
    assert [r.output for r in kept] == ["a b c"] and [r.reason for r in rejected] == ["shouting"]


class Copier(Stage):
    """The batch hook, returning copies (rejected first): the fates still land in their places."""

    name = "copier"

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            copy = Record(record.id, record.source, record.text, record.input, record.output, None, {})
            if record.output == "drop":
                result.rejected.append(self.reject(copy, "dropped"))
            else:
                result.kept.append(copy)
        return result


def test_a_batch_hook_may_return_copies() -> None:
    records = _records("one", "drop", "three")
    fates, _ = decide_stages([Copier()], records)
    assert [getattr(f, "output", None) or f.record.output for f in fates] == ["one", "drop", "three"]  # type: ignore[union-attr]


def test_a_stage_returning_a_stranger_fails() -> None:
    class Stranger(Stage):
        name = "stranger"

        def process(self, batch: list[Record]) -> BatchResult:
            return BatchResult(kept=_records("someone else", "and another")[: len(batch)])

    with pytest.raises(RuntimeError, match="not in its batch"):
        decide_stages([Stranger()], _records("x y z"))


def test_exact_dedup_is_a_keyed_stage() -> None:
    stage = ExactDedup()
    records = _records("same", "other", "same")
    assert stage.keyed and not Shout.keyed
    verdicts = [stage.admit(r, stage.key(r)) for r in records]
    assert verdicts[:2] == [None, None]
    assert verdicts[2] == Drop("duplicate", {"duplicate_of": records[0].id})
    assert stage.key(records[0]) == dedup_key(records[0])
