"""The worker pool reads the input itself (files whole, shards of large ones, or chunks the engine read):
outputs, rejects and the manifest are the same, byte for byte, for any number of workers and batch size."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from curate import Pipeline
from curate.config import SourceSpec
from curate.errors import BuildFailed, SourceError
from curate.importing import InputFile
from curate.records import Record
from curate.registry import get_registry
from curate.sources import resolve_sources
from curate.stages.base import BatchResult, Filter
from curate.units import Local, Tail, Unit, plan_jobs
from tests.conftest import plugin_namespace
from tests.fakes import published

PARQUET = importlib.util.find_spec("pyarrow") is not None

WORDS = (
    "the model answers questions about gardens rivers engines history music cooking travel code "
    "science weather maths poems letters stories markets health sleep water light sound"
).split()


def _reply(rng: random.Random, i: int) -> str:
    sentences = []
    for _ in range(rng.randint(1, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
        sentences.append(" ".join(words).capitalize() + ".")
    text = " ".join(sentences)
    if i % 17 == 3:
        text = "I'm sorry, but I can't help with that."
    if i % 23 == 5:
        text = text + "\n\n" + text  # repeated paragraphs for the quality filter
    return text


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        answer = _reply(rng, i) if i % 11 != 7 else "The same answer, said again and again by many."
        if i % 3 == 0:
            rows.append(
                {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": answer}]}
            )
        else:
            rows.append({"prompt": f"Question {i % 40}?", "response": answer})
    return rows


def _jsonl(rows: list[dict[str, Any]], bad: dict[int, bytes] | None = None) -> bytes:
    lines = [json.dumps(r).encode() for r in rows]
    for at, raw in (bad or {}).items():
        lines.insert(at, raw)
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large files cut into shards, small files grouped, files that cannot be cut, bad lines and bytes."""
    root = tmp_path_factory.mktemp("corpus")
    bad = {
        40: b'{"prompt": "broken',
        90: b'{"prompt": "caf\xe9 au lait", "response": "A drink with milk, served hot in the morning."}',
        200: b"[1, 2, 3]",
        260: b'{"prompt": "\xff\xfe odd bytes", "response": "Bytes that are not UTF-8 at all in this line."}',
    }
    (root / "a_big.jsonl").write_bytes(_jsonl(_rows(400, 1), bad))
    small = root / "b_small"
    small.mkdir()
    for n in range(12):
        (small / f"part-{n:02}.jsonl").write_bytes(_jsonl(_rows(5, 100 + n), {2: b"{nope"} if n == 4 else None))
    (root / "c_notes.xyz").write_text("no importer for this\n")
    with gzip.open(root / "d_packed.jsonl.gz", "wb") as fh:
        fh.write(_jsonl(_rows(150, 2)))
    with open(root / "e_table.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prompt", "response"])
        for row in _rows(150, 3):
            if "prompt" in row:
                writer.writerow([row["prompt"], row["response"]])
    (root / "f_array.json").write_text(json.dumps(_rows(120, 4)), encoding="utf-8")
    if PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pairs = [r for r in _rows(300, 5) if "prompt" in r]
        table = pa.table({"prompt": [r["prompt"] for r in pairs], "response": [r["response"] for r in pairs]})
        pq.write_table(table, root / "h_rows.parquet", row_group_size=25)  # cut at row groups
    late = {330: b'{"prompt": "\xff\xfe late", "response": "Bytes that are not UTF-8, after the part sniffed."}'}
    (root / "g_tail.jsonl").write_bytes(_jsonl(_rows(340, 1), late))  # duplicates of a_big across files
    return root


def _build(corpus: Path, out: Path, **settings: Any) -> dict[str, Any]:
    pipeline = Pipeline().source(corpus).format("messages")
    out = out / "out"  # the folder's name is the dataset's name in the consumer configs
    pipeline.set(report=False, val_ratio=0.1, allow_empty=True, **settings).run(out)
    manifest = json.loads((out / "manifest.json").read_bytes())
    outputs = published(out)
    outputs.pop("manifest.json")
    same = {k: manifest[k] for k in ("counts", "inputs", "errors", "warnings", "outputs", "stages")}
    return {"files": outputs, "manifest": same}


@pytest.mark.parametrize(
    "batch_size", [pytest.param(1, marks=pytest.mark.slow), pytest.param(7, marks=pytest.mark.slow), 1024]
)
def test_workers_read_units_with_identical_outputs(corpus: Path, tmp_path: Path, batch_size: int) -> None:
    builds = {
        workers: _build(corpus, tmp_path / f"w{workers}", workers=workers, batch_size=batch_size, shard_mb=0.004)
        for workers in (1, 2, 3)
    }
    assert builds[2] == builds[1]
    assert builds[3] == builds[1]
    manifest = builds[1]["manifest"]
    assert manifest["counts"]["rejected_by"]["exact_dedup"]
    assert len(manifest["inputs"]) == 17 + PARQUET
    errors = {(e["path"], e["locator"]) for e in manifest["errors"]}
    assert ("a_big.jsonl", "line 41") in {(Path(p).name, loc) for p, loc in errors}
    assert any("U+FFFD" in w["message"] for w in manifest["warnings"]), "the decoding's warning of a sharded file"


@pytest.mark.slow
def test_outputs_do_not_depend_on_shard_size(corpus: Path, tmp_path: Path) -> None:
    cut = _build(corpus, tmp_path / "cut", workers=2, shard_mb=0.002)
    whole = _build(corpus, tmp_path / "whole", workers=2, shard_mb=0)
    assert cut == whole


def test_jobs_cut_large_files_group_small_ones_and_leave_the_rest_to_the_engine(corpus: Path) -> None:
    tasks = list(resolve_sources([SourceSpec(str(corpus))], get_registry()))
    jobs = list(plan_jobs(tasks, 4096))
    kinds = [type(j).__name__ for j in jobs]
    shards = [j for j in jobs if isinstance(j, Unit) and j.parts[0].shard is not None]
    cut = {"a_big.jsonl", "g_tail.jsonl"} | ({"h_rows.parquet"} if PARQUET else set())
    assert {j.parts[0].task.file.path.name for j in shards} == cut
    assert [j.parts[0].shard.index for j in shards if j.parts[0].task.file.path.name == "a_big.jsonl"] == list(
        range(sum(1 for j in shards if j.parts[0].task.file.path.name == "a_big.jsonl"))
    )
    assert [j.encoding for j in jobs if isinstance(j, Tail)] == ["cp1252", "utf-8", None][: 2 + PARQUET]
    groups = [j for j in jobs if isinstance(j, Unit) and j.parts[0].shard is None]
    assert sum(len(j.parts) for j in groups) == 12 and len(groups) < 12  # the small files, grouped
    local = {j.task.file.path.name for j in jobs if isinstance(j, Local)}
    assert local == {"d_packed.jsonl.gz", "e_table.csv", "f_array.json"}
    assert sum(isinstance(j, SourceError) for j in jobs) == 1
    assert kinds.index("Tail") > kinds.index("Unit")
    assert all(isinstance(j, Local) for j in plan_jobs(tasks, 0) if not isinstance(j, SourceError))


def test_strict_stops_at_the_same_bad_line(corpus: Path, tmp_path: Path) -> None:
    messages = []
    for workers in (1, 2):
        with pytest.raises(BuildFailed) as failed:
            _build(corpus, tmp_path / f"s{workers}", workers=workers, shard_mb=0.004, strict=True, batch_size=3)
        messages.append(str(failed.value))
    assert messages[0] == messages[1]
    assert "a_big.jsonl" in messages[0] and "line 41" in messages[0]


@pytest.mark.slow
def test_a_shard_of_a_file_with_a_bad_line_in_its_middle(tmp_path: Path) -> None:
    """Every shard boundary position: the error names the same file and line."""
    rows = _rows(60, 9)
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(rows, {31: b"{oops"}))
    outs = [_build(src, tmp_path / f"o{mb}", workers=2, shard_mb=mb) for mb in (0, 0.001, 0.003, 0.0071)]
    assert all(o == outs[0] for o in outs)
    assert [(e["locator"], e["message"][:12]) for e in outs[0]["manifest"]["errors"]] == [("line 32", "not valid JS")]


def test_read_through_gives_the_whole_reads_warning_and_digest(tmp_path: Path) -> None:
    from curate.importing import read_through
    from curate.sources import FileTask, read_file

    path = tmp_path / "x.jsonl"
    path.write_bytes(
        _jsonl(_rows(300, 5), {290: b'{"prompt": "\xff\xff", "response": "two bad bytes in this one line"}'})
    )
    task = next(t for t in resolve_sources([SourceSpec(str(path))], get_registry()) if isinstance(t, FileTask))
    whole = [p for p in read_file(task) if not hasattr(p, "id")]
    digest = task.file.meter.finish(path)
    again = InputFile(path, task.file.display)
    warnings = [p for p in whole if p.warning and "U+FFFD" in p.message]
    assert len(warnings) == 1 and read_through(again, "utf-8") == warnings
    assert again.meter.finish(path) == digest
    binary = InputFile(path, "x")
    assert read_through(binary, None) == [] and binary.meter.finish(path) == digest


def _sleep(started: Any, seconds: float) -> None:
    started.set()
    time.sleep(seconds)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_a_forked_worker_does_not_keep_the_output_folder_locked(tmp_path: Path) -> None:
    from curate.outdir import OutputFolder

    folder = OutputFolder.open(tmp_path / "out")
    fork = multiprocessing.get_context("fork")
    started = fork.Event()
    child = fork.Process(target=_sleep, args=(started, 5))
    child.start()
    try:
        assert started.wait(10)
        folder.release()
        OutputFolder.open(tmp_path / "out").release()  # the child still runs: the lock is free all the same
    finally:
        child.kill()
        child.join()


def test_packed_outcomes_are_what_the_sink_would_consume() -> None:
    import pickle

    from curate import stream
    from curate.engines.transport import PackedRecord, pack, unpack
    from curate.jsonl import dumps
    from curate.records import Record, Source
    from curate.stages.base import Rejection
    from curate.stream import Kept, RejectedLine

    plan = Pipeline().source(".").format("messages").set(val_ratio=0.3).plan()
    decider = stream.local_decider(plan.stages, stream.early_render(plan))
    rows = _rows(60, 7)
    records = [
        Record.create(Source("json", "x.jsonl", f"line {i}"), messages=r["messages"])
        if "messages" in r
        else Record.create(Source("json", "x.jsonl", f"line {i}"), input=r["prompt"], output=r["response"])
        for i, r in enumerate(rows)
    ]
    decided, _ = decider(records)
    assert {type(o) for o in decided} == {Kept, Rejection}
    back = unpack(pickle.loads(pickle.dumps(pack(decided))))  # type: ignore[arg-type]
    for before, after in zip(decided, back, strict=True):
        if isinstance(before, Rejection):
            assert after == RejectedLine(before.stage, before.reason, dumps(before.to_dict()))
            continue
        assert isinstance(after, Kept) and isinstance(after.record, PackedRecord)
        assert (after.key, after.rendered) == (before.key, before.rendered)
        assert after.record.id == before.record.id and hasattr(after.record, "_blob")  # the id alone: not unpickled
        assert after.record.to_dict() == before.record.to_dict() and not hasattr(after.record, "_blob")
        assert pickle.loads(pickle.dumps(after.record)) == before.record


class _ExitInWorker(Filter):
    """Ends the process it runs in when that is a worker (a worker killed by the OS, say)."""

    name = "exit_in_worker"

    def process(self, batch: list[Record]) -> BatchResult:
        if multiprocessing.parent_process() is not None:
            os._exit(3)
        return BatchResult(kept=list(batch))


def test_a_worker_that_dies_fails_the_build_with_a_hint(tmp_path: Path, register_plugin: Any) -> None:
    register_plugin(plugin_namespace(register_filters=lambda register: register(_ExitInWorker)), "test-exit")
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(_rows(200, 3)))
    with pytest.raises(BuildFailed, match="worker process ended abruptly") as failed:
        Pipeline().source(src).filters("exit_in_worker").set(workers=2, shard_mb=0.004, report=False).run(
            tmp_path / "out"
        )
    assert "--workers 1" in (failed.value.hint or "")
    assert not (tmp_path / "out" / "train.jsonl").exists()


class _StallInWorker(Filter):
    """In a worker, notes its pid in ``CURATE_TEST_STALL`` and then works for a minute (a slow stage)."""

    name = "stall_in_worker"

    def process(self, batch: list[Record]) -> BatchResult:
        if multiprocessing.parent_process() is not None:
            with open(os.environ["CURATE_TEST_STALL"], "a") as fh:
                fh.write(f"{os.getpid()}\n")
            time.sleep(60)
        return BatchResult(kept=list(batch))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_ctrl_c_ends_the_workers_at_once(tmp_path: Path, register_plugin: Any, monkeypatch: Any) -> None:
    """Ctrl-C (under the CLI's SIGTERM handler, which forked workers inherit) ends a build whose workers are busy
    without waiting for their jobs, and leaves no worker behind."""
    import signal
    import threading

    from curate.cli import sigterm_as_interrupt

    register_plugin(plugin_namespace(register_filters=lambda register: register(_StallInWorker)), "test-stall")
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(_rows(200, 3)))
    pids = tmp_path / "pids"
    pids.touch()
    monkeypatch.setenv("CURATE_TEST_STALL", str(pids))
    main = threading.main_thread().ident
    assert main is not None

    def interrupt_when_stalled() -> None:
        deadline = time.monotonic() + 30
        while not pids.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt_when_stalled, daemon=True).start()
    pipeline = Pipeline().source(src).filters("stall_in_worker").set(workers=2, shard_mb=0.004, report=False)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        pipeline.run(tmp_path / "out")
    assert time.monotonic() - started < 30  # a worker's job alone takes 60 s
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (tmp_path / "out" / "train.jsonl").exists()
