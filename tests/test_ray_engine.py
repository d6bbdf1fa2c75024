"""The Ray engine gives the local engine's outputs, byte for byte.

One local Ray cluster (2 CPUs) serves the whole module. Each test builds the same
corpus with both engines and compares ``train.jsonl``, ``val.jsonl``,
``rejects.jsonl`` and ``changes.jsonl`` byte for byte, and the manifest's counts,
inputs, errors and warnings. The tests at the end cut files into shards (a tiny
``shard_mb``) and check that each shard is read by a task of its own.
"""

from __future__ import annotations

import codecs
import copy
import gzip
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from curate import Pipeline
from curate.config import BuildConfig, SourceSpec, config_from_mapping
from curate.engines import local
from curate.engines import ray as ray_engine
from curate.engines.ray import read as ray_read
from curate.errors import BuildFailed, ConfigError, MissingDependency, SourceError
from curate.importing import InputFile, Problem, Shard
from curate.ledger import OUTPUT_FILES, Ledger, iter_jsonl
from curate.plan import NullReporter, build_plan
from curate.plugins.json import JsonImporter, JsonOptions
from curate.records import Record
from curate.registry import get_registry
from curate.sources import FileTask, plan_shards, read_file, resolve_sources
from curate.stages.base import BatchResult, Filter, Phase, PhaseResult
from curate.units import Job, Local, Part, Tail, Unit, plan_jobs
from curate.writer import SplitWriter
from tests import fakes
from tests.conftest import plugin_namespace
from tests.fakes import DownPhase

pytestmark = [
    # Ray's own deprecations (DataContext fields), raised inside Ray; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray"),
    # ThirdsPhase keeps the deprecated run(records) on purpose (tests/test_phase_compute.py tests the warning).
    pytest.mark.filterwarnings("ignore:phase 'thirds':DeprecationWarning"),
]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """A local Ray cluster with 2 CPUs, started once for the module; offline, quiet."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    # Classes defined here (a test filter, test phases) travel to the workers by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.cloudpickle.register_pickle_by_value(fakes)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.cloudpickle.unregister_pickle_by_value(fakes)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mixed corpus: JSONL (three shapes, broken lines), gzipped JSONL, CSV, text, a stray file."""
    root = tmp_path_factory.mktemp("corpus")
    lines = []
    for i in range(60):
        if i % 11 == 4:
            lines.append("{not json")
        elif i % 7 == 3:
            lines.append(json.dumps({"text": f"plain text record {i % 4}"}))
        elif i % 5 == 0:
            lines.append(
                json.dumps(
                    {
                        "messages": [
                            {"role": "user", "content": f"Say hello to {i % 6}"},
                            {"role": "assistant", "content": f"Hello, {i % 6}!"},
                        ]
                    }
                )
            )
        else:
            lines.append(
                json.dumps({"instruction": f"What is {i % 13} plus {i % 3}?", "output": f"It is {i % 13 + i % 3}."})
            )
    (root / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    nested = root / "more"
    nested.mkdir()
    rows = [
        json.dumps({"input": f"Translate caf\u0065\u0301 #{i % 9}", "output": f"coffee &amp; {i % 9}"})
        for i in range(40)
    ]
    rows.append(json.dumps({"input": "\u200b", "output": "\u200b"}))
    with gzip.open(nested / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    csv_rows = ["question,answer"] + [f'"Q{i % 8} about  things","A{i % 8}"' for i in range(30)] + ['"broken,']
    (root / "c.csv").write_text("\n".join(csv_rows) + "\n", encoding="utf-8")
    (root / "d.txt").write_text("A paragraph of text that says 7 things.\n", encoding="utf-8")
    (root / "e.txt").write_text("A paragraph of text that says 7 things.\n", encoding="utf-8")
    (root / "f.bin").write_bytes(b"\x00\x01\x02 no importer reads this")
    return root


def _config(corpus: Path, **settings: Any) -> BuildConfig:
    config = BuildConfig(sources=[SourceSpec(str(corpus))], format="input-output", val_ratio=0.25, seed=3, report=False)
    for key, value in settings.items():
        setattr(config, key, value)
    return config


def _build(engine: str, config: BuildConfig, out: Path, phases: tuple[Phase, ...] = ()) -> dict[str, Any]:
    """Build with one engine, on a plan of its own (extra ``phases`` appended); returns the manifest."""
    plan = build_plan(copy.deepcopy(config), get_registry())
    plan.phases.extend(copy.deepcopy(list(phases)))
    with Ledger(out) as ledger:
        run = ray_engine.run if engine == "ray" else local.run
        _, reports = run(plan, ledger, NullReporter())
        return ledger.commit({"reports": reports})


def _assert_same(tmp_path: Path, config: BuildConfig, phases: tuple[Phase, ...] = ()) -> dict[str, Any]:
    expected = _build("local", config, tmp_path / "local", phases)
    got = _build("ray", config, tmp_path / "ray", phases)
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    for key in ("counts", "inputs", "errors", "warnings", "outputs", "reports"):
        assert got[key] == expected[key], key
    return got


@pytest.mark.parametrize(("batch_size", "workers"), [(1, 1), (7, 2), (1024, 1), (1024, 2)])
def test_engines_write_the_same_bytes(
    ray_cluster: Any, corpus: Path, tmp_path: Path, batch_size: int, workers: int
) -> None:
    manifest = _assert_same(tmp_path, _config(corpus, batch_size=batch_size, workers=workers))
    counts = manifest["counts"]
    # The corpus exercises every path: import problems, normalise, dedup, format, both sides.
    assert set(counts["rejected_by"]) == {"import", "normalise", "exact_dedup", "format"}
    assert counts["train"] and counts["val"]
    assert counts["read"] == counts["train"] + counts["val"] + counts["rejected"]
    assert any(e["locator"] is None for e in manifest["errors"])  # the file no importer reads


class SevenFilter(Filter):
    """Rejects records that mention 7; counts what it looked at."""

    name = "no_sevens"

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            result.counts["looked_at"] += 1
            if "7" in record.content_key():
                result.rejected.append(self.reject(record, "has_seven"))
            else:
                record.meta["curate"] = [{"stage": self.name, "checked": True}]
                result.kept.append(record)
        return result


def test_filters_and_changes_match(
    ray_cluster: Any, corpus: Path, tmp_path: Path, register_plugin: Callable[..., None]
) -> None:
    register_plugin(plugin_namespace(register_filters=lambda register: register(SevenFilter)), "test-no-sevens")
    manifest = _assert_same(tmp_path, _config(corpus, batch_size=5, filters=["no_sevens"]))
    assert manifest["counts"]["rejected_by"]["no_sevens"]["has_seven"] > 0
    assert manifest["counts"]["stages"]["no_sevens"]["looked_at"] > 0
    assert (tmp_path / "ray" / "changes.jsonl").stat().st_size > 0


class ThirdsPhase(Phase):
    """Rejects a third of the records by id, groups the rest by the id's first digit.

    Written against ``run(records)``, as phases were before the compute seam: engines still run it.
    """

    name = "thirds"

    def run(self, records: Callable[[], Iterator[Record]]) -> PhaseResult:  # type: ignore[override]
        first = [r.id for r in records()]
        assert first == [r.id for r in records()], "a phase may read its records twice, in the same order"
        return _thirds(first, "driver")


def _thirds(ids: list[str], how: str) -> PhaseResult:
    result = PhaseResult(report={"seen": len(ids)})
    for record_id in ids:
        if int(record_id, 16) % 3 == 0:
            result.rejected[record_id] = ("third", {"how": "by id"})
            result.counts["third"] += 1
        else:
            result.groups[record_id] = record_id[0]
            result.meta[record_id] = {"phase": "thirds"}
    return result


def test_phases_on_the_driver_and_on_the_compute_of_the_cluster(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    """A phase written before the compute seam (``run(records)``), then a third-party phase that embeds
    and reads vectors through the compute the engine lends: the cluster's, on Ray."""
    DownPhase.seen.clear()
    config = _config(corpus, batch_size=7)
    expected = _build("local", config, tmp_path / "local", (ThirdsPhase(), DownPhase(tmp_path / "cache-local")))
    got = _build("ray", config, tmp_path / "ray", (ThirdsPhase(), DownPhase(tmp_path / "cache-ray")))
    assert DownPhase.seen == ["Compute", "RayCompute"]
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    for key in ("counts", "reports"):
        assert got[key] == expected[key], key
    assert got["counts"]["rejected_by"]["thirds"]["third"] > 0
    assert got["counts"]["rejected_by"]["down"]["down"] > 0
    assert got["reports"]["down"]["embedded"] > 0  # on the cluster, by the compute (locally, as the phase read)


def test_output_follows_the_canonical_order(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    """train and val list records in input order: sources as given, folders sorted, records in file order."""
    config = _config(corpus, include_ids=True, batch_size=3)
    _build("ray", config, tmp_path)
    order = {}
    for task in resolve_sources(config.sources, get_registry()):
        if not hasattr(task, "file"):
            continue
        for item in read_file(task):
            if isinstance(item, Record):
                order.setdefault(item.id, len(order))
    for side in ("train", "val"):
        places = [order[row["id"]] for row in iter_jsonl(tmp_path / f"{side}.jsonl")]
        assert places == sorted(places) and places, side


def test_workers_render_the_rows_when_no_phase_follows(
    ray_cluster: Any, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without phases the driver only appends rows the workers rendered; with one it renders them itself."""
    config = _config(corpus, batch_size=8)
    expected = _build("local", config, tmp_path / "local")

    def not_here(self: Any, record: Record) -> Any:
        raise AssertionError("the driver rendered a row")

    monkeypatch.setattr(SplitWriter, "render", not_here)
    got = _build("ray", config, tmp_path / "ray")
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert got["counts"] == expected["counts"] and got["counts"]["rejected_by"]["format"]
    assert (tmp_path / "ray" / "changes.jsonl").stat().st_size > 0
    with pytest.raises(AssertionError, match="the driver rendered a row"):
        _build("ray", config, tmp_path / "phased", (ThirdsPhase(),))


def test_strict_fails_on_the_same_input(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    messages = []
    for engine in ("local", "ray"):
        with pytest.raises(BuildFailed) as info:
            _build(engine, _config(corpus, strict=True), tmp_path / engine)
        messages.append(str(info.value))
        assert not (tmp_path / engine / "train.jsonl").exists()
    assert messages[0] == messages[1]
    assert "a.jsonl:line 5" in messages[0]


def test_a_failed_build_closes_its_reads_of_the_cluster(
    ray_cluster: Any, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's iteration over the decided rows is closed when the build fails, not whenever it is collected.

    Ray stops a dataset's executor when its ``iter_batches`` generator closes; one left to the
    garbage collector can be closed after the cluster is gone (an error in Ray's object store).
    """
    opened: list[Any] = []
    each_batch = ray_engine.each_batch

    @contextmanager
    def watched(dataset: Any, batch_format: Any) -> Iterator[Any]:
        with each_batch(dataset, batch_format) as batches:
            opened.append(batches)
            yield batches

    monkeypatch.setattr(ray_engine, "each_batch", watched)
    with pytest.raises(BuildFailed) as info:
        _build("ray", _config(corpus, strict=True, batch_size=1), tmp_path / "out")
    assert info.value.__traceback__ is not None  # the failed build's frames are still alive here
    assert len(opened) == 1
    assert opened[0].gi_frame is None, "the iteration over the cluster's rows was left open"


def test_cli_and_api_choose_the_engine(ray_cluster: Any, corpus: Path, tmp_path: Path, cli: Any) -> None:
    cli("build", str(corpus), "-o", str(tmp_path / "cli"), "--engine", "ray", "--format", "input-output", "-q")
    result = Pipeline().source(corpus).format("input-output").set(engine="ray", report=False).run(tmp_path / "api")
    assert result.manifest["config"]["engine"] == "ray"
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "api" / name).read_bytes()


def test_without_ray_the_engine_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependency) as info:
        Pipeline().source(corpus).set(engine="ray", report=False).run(tmp_path)
    assert "pip install 'curate[ray]'" in str(info.value)
    assert not (tmp_path / "train.jsonl").exists()


def test_semantic_phase_embeds_on_the_cluster(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from curate.semantic.phase import SemanticPhase
    from curate.semantic.testing import HashingEmbedder

    table = {"clusters": 3, "backend": "sklearn", "threshold": 0.8}
    config = _config(corpus, batch_size=16)
    expected = _build(
        "local",
        config,
        tmp_path / "local",
        (SemanticPhase.from_config(table, tmp_path / "cache-local", embedder=HashingEmbedder("64")),),
    )
    got = _build(
        "ray",
        config,
        tmp_path / "ray",
        (SemanticPhase.from_config(table, tmp_path / "cache-ray", embedder=HashingEmbedder("64")),),
    )
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert got["counts"] == expected["counts"]
    assert got["counts"]["rejected_by"]["semantic"]["near_duplicate"] > 0
    embedder = got["reports"]["semantic"]["embedder"]
    assert embedder["cluster"]["actors"] >= 1
    assert embedder["embedded"] == expected["reports"]["semantic"]["embedder"]["embedded"] > 0


# -- large files cut into shards --------------------------------------------------------

#: A tiny shard size (2 KiB), so that small test files are cut into many shards.
SHARD_MB = 2 / 1024


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JSON Lines files that ``SHARD_MB`` cuts (BOM, CRLF, blank and broken lines, duplicates across
    shards, a truncated last line, cp1252), text split by paragraph, and a gzipped file read whole."""
    root = tmp_path_factory.mktemp("sharded")
    rows = []
    for i in range(400):
        if i % 37 == 5:
            rows.append("{broken line")
        elif i % 53 == 7:
            rows.append("")
        elif i % 5 == 0:
            rows.append(json.dumps({"text": f"repeated record {i % 3}"}))
        else:
            rows.append(json.dumps({"input": f"Question {i} caf\u00e9", "output": f"Answer {i % 17}."}))
    body = "".join(row + ("\r\n" if i % 3 == 0 else "\n") for i, row in enumerate(rows))
    (root / "a.jsonl").write_bytes(codecs.BOM_UTF8 + body.encode("utf-8"))
    tail = "".join(json.dumps({"input": f"Again {i % 40}", "output": "Yes."}) + "\n" for i in range(150))
    (root / "b.jsonl").write_text(tail + '{"input": "the last line", "output": "is cut', encoding="utf-8")
    latin = "".join(
        json.dumps({"input": f"caf\u00e9 {i}", "output": "cr\u00e8me"}, ensure_ascii=False) + "\n" for i in range(120)
    )
    (root / "c.jsonl").write_bytes(latin.encode("cp1252"))
    with gzip.open(root / "d.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(tail)
    paragraphs = "".join(f"Paragraph {i % 30} of the notes,\nover two lines.\n\n" for i in range(120))
    (root / "e.txt").write_text(paragraphs, encoding="utf-8")
    return root


def _sharded_config(root: Path, **settings: Any) -> BuildConfig:
    source = SourceSpec(str(root), importer_options={"text": {"split": "paragraph"}})
    return _config(root, sources=[source], shard_mb=SHARD_MB, **settings)


def _shard_counts(config: BuildConfig) -> dict[str, int]:
    """How many shards the unit plan cuts each file of ``config`` into (1: read whole)."""
    counts: Counter[str] = Counter()
    for job in plan_jobs(resolve_sources(config.sources, get_registry()), config.shard_bytes):
        tasks = [p.task for p in job.parts] if isinstance(job, Unit) else [job.task] if isinstance(job, Local) else []
        counts.update(t.file.path.name for t in tasks)
    return dict(counts)


@pytest.mark.parametrize("batch_size", [5, 1024])
def test_sharded_files_write_the_same_bytes(ray_cluster: Any, sharded: Path, tmp_path: Path, batch_size: int) -> None:
    config = _sharded_config(sharded, batch_size=batch_size)
    counts = _shard_counts(config)
    assert counts["a.jsonl"] > 5 and counts["b.jsonl"] > 1 and counts["c.jsonl"] > 1 and counts["e.txt"] > 1
    assert counts["d.jsonl.gz"] == 1  # compressed: never cut
    manifest = _assert_same(tmp_path, config)
    rejected = manifest["counts"]["rejected_by"]
    assert rejected["import"] and rejected["exact_dedup"]
    errors = {(e["path"].rsplit("/", 1)[-1], e["locator"]) for e in manifest["errors"]}
    assert ("b.jsonl", "line 151") in errors  # the truncated last line, in the last shard
    assert [w["path"].rsplit("/", 1)[-1] for w in manifest["warnings"]] == ["c.jsonl"]  # once, from shard 0


def test_invalid_utf8_in_shards_gives_the_local_pools_manifest(ray_cluster: Any, tmp_path: Path) -> None:
    """A large JSON Lines file with bytes that are not UTF-8, cut into shards: the local pool (2 workers)
    and Ray write the same bytes, and the same manifest: the warning about the replaced bytes included."""
    rows = []
    for i in range(300):
        row = json.dumps({"input": f"Question {i} caf\u00e9", "output": f"Answer {i % 23}."}, ensure_ascii=False)
        rows.append(row.encode().replace("\u00e9".encode(), b"\xff") if i % 41 == 9 else row.encode())
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad.jsonl").write_bytes(b"\n".join(rows) + b"\n")
    (data / "small.jsonl").write_text(json.dumps({"input": "a small file", "output": "read whole"}) + "\n")
    config = _config(data, shard_mb=SHARD_MB, workers=2, batch_size=16)
    assert _shard_counts(config)["bad.jsonl"] > 5
    manifest = _assert_same(tmp_path, config)
    assert [w["path"].rsplit("/", 1)[-1] for w in manifest["warnings"]] == ["bad.jsonl"]
    assert "replaced by U+FFFD" in manifest["warnings"][0]["message"]


def test_the_driver_starts_each_file_before_its_first_part(tmp_path: Path) -> None:
    """What the driver puts before each part's chunks (a tail is a part; the last entry: after the last part)."""
    importer = JsonImporter.from_options({})
    small, large = (FileTask(InputFile(tmp_path / n, n), importer) for n in ("small.jsonl", "large.jsonl"))
    before, after = SourceError("x.bin", None, "unread"), SourceError("y.bin", None, "unread")
    jobs: list[Job] = [
        before,
        Unit((Part(small), Part(large, Shard(0, 0, 10)))),
        Unit((Part(large, Shard(1, 10, 20)),)),
        Tail(large.file, "utf-8"),
        after,
    ]
    assert ray_read.heads(jobs) == [[before, small], [large], [], [], [after]]


@dataclass(frozen=True)
class SpyOptions(JsonOptions):
    trace: str = ""


class ShardSpy(JsonImporter):
    """The JSON importer, noting in a file each cut and read: the Ray task it ran in, and what it did."""

    name = "json_spy"
    suffixes = ()
    Options = SpyOptions

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        return False

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        self._note("whole")
        yield from super().read(file)

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        self._note("cut")
        return super().shards(file, target_bytes)

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        self._note(f"shard-{shard.index}")
        yield from super().read_shard(file, shard)

    def _note(self, what: str) -> None:
        import ray

        task = ray.get_runtime_context().get_task_id() if ray.is_initialized() else None
        with open(self.options.trace, "a", encoding="utf-8") as fh:
            fh.write(f"{task} {what}\n")


def test_each_shard_is_read_by_a_task_of_its_own(
    ray_cluster: Any, sharded: Path, tmp_path: Path, register_plugin: Callable[..., None]
) -> None:
    register_plugin(plugin_namespace(register_importers=lambda register: register(ShardSpy)), "test-shard-spy")
    trace = tmp_path / "trace.txt"
    source = SourceSpec(str(sharded / "a.jsonl"), importer="json_spy", options={"trace": str(trace)})
    config = _config(sharded, sources=[source], shard_mb=SHARD_MB)
    shards = _shard_counts(config)["a.jsonl"]
    assert shards > 5
    trace.unlink()  # what counting the shards here noted
    _build("ray", config, tmp_path / "ray")
    calls = [line.split() for line in trace.read_text(encoding="utf-8").splitlines()]
    assert sorted(what for _, what in calls) == sorted(["cut"] + [f"shard-{i}" for i in range(shards)])
    assert len({task for task, _ in calls}) == shards + 1 and "None" not in {task for task, _ in calls}


def _layout(jobs: list[Job]) -> list[list[tuple[str, Shard | str | None]]]:
    """Each job as its parts: (file name, shard; ``None``: whole; ``"tail"``: a cut file's last pass)."""
    return [
        [(p.task.file.path.name, p.shard) for p in j.parts]
        if isinstance(j, Unit)
        else [(j.task.file.path.name, None)]
        if isinstance(j, Local)
        else [(j.file.path.name, "tail")]
        for j in jobs
        if not isinstance(j, SourceError)
    ]


def test_units_are_sized_to_the_cluster(
    ray_cluster: Any, sharded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ray plans the local pool's units, about 4 a CPU (2 here), from 1 MiB (1 KiB here, so that the small test
    files count as large) up to ``shard_mb``."""
    monkeypatch.setattr(ray_read, "UNIT_BYTES", 1024)
    config = _sharded_config(sharded)
    tasks = list(resolve_sources(config.sources, get_registry()))
    share = sum(t.file.path.stat().st_size for t in tasks if isinstance(t, FileTask)) // 8
    for shard_mb, target in ((128, share), (SHARD_MB / 4, 512), (0, 0)):
        config.shard_mb = shard_mb
        expected = _layout(list(plan_jobs(tasks, target)))
        assert _layout(ray_read.plan(tasks, config.shard_bytes)) == expected, shard_mb
        assert any(parts[0][1] == "tail" for parts in expected) == (target > 0)  # large files cut


class _BadCuts(JsonImporter):
    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        size = file.path.stat().st_size
        if target_bytes == 1:
            raise RuntimeError("a bug in the hook")
        return [Shard(0, 0, size // 2), Shard(1, size // 2 + 1, size)]  # a byte is missing


def test_a_failing_hook_reads_the_file_whole(sharded: Path) -> None:
    task = FileTask(InputFile(sharded / "a.jsonl", "a.jsonl"), _BadCuts.from_options({}))
    assert plan_shards(task, 1) is None
    assert plan_shards(task, 2048) is None
    good = FileTask(task.file, JsonImporter.from_options({}))
    assert plan_shards(good, 2048) is not None
    assert plan_shards(good, 0) is None  # shard_mb = 0: never cut


def test_shard_mb_is_a_build_setting(tmp_path: Path) -> None:
    assert BuildConfig().shard_bytes == 128 << 20
    assert config_from_mapping({"build": {"shard_mb": 64}}).shard_bytes == 64 << 20
    assert config_from_mapping({"build": {"shard_mb": 0}}).shard_bytes == 0
    assert Pipeline().set(shard_mb=0.5).config.shard_bytes == 1 << 19
    for bad in (-1, float("nan"), True, "128"):
        with pytest.raises(ConfigError, match="shard_mb"):
            BuildConfig(shard_mb=bad).validate()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shard_mb"):
        config_from_mapping({"build": {"shard_mb": "big"}})


def test_the_manifest_hashes_the_bytes_the_importer_read_on_ray_too(tmp_path: Path, ray_cluster) -> None:
    import hashlib

    src = tmp_path / "a.jsonl.gz"
    import gzip

    src.write_bytes(gzip.compress(b"".join(json.dumps({"text": f"line {i}"}).encode() + b"\n" for i in range(50))))
    manifests = []
    for engine in ("local", "ray"):
        out = tmp_path / engine
        Pipeline().source(src).format("text").filters().set(report=False, engine=engine).run(out)
        manifests.append(json.loads((out / "manifest.json").read_text())["inputs"])
    assert manifests[0] == manifests[1]
    assert manifests[0][0]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert manifests[0][0]["size"] == src.stat().st_size


def test_decontamination_matches_on_ray(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    """The decontaminate filter (its index rebuilt in each Ray worker) rejects what it rejects locally."""
    ref = tmp_path / "evals.jsonl"
    ref.write_text(json.dumps({"text": "A paragraph of text that says 7 things."}) + "\n", encoding="utf-8")
    manifest = _assert_same(tmp_path, _config(corpus, batch_size=5, exclude_like=[str(ref)]))
    assert manifest["counts"]["rejected_by"]["decontaminate"]["contaminated"] >= 1
