"""The Ray engine gives the local engine's outputs, byte for byte.

One local Ray cluster (2 CPUs) serves the whole module. Each test builds the same
corpus with both engines and compares ``train.jsonl``, ``val.jsonl``,
``rejects.jsonl`` and ``changes.jsonl`` byte for byte, and the manifest's counts,
inputs and errors.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from curate import Pipeline
from curate.config import BuildConfig, SourceSpec
from curate.engines import local, ray_engine
from curate.errors import BuildFailed, MissingDependency
from curate.ledger import OUTPUT_FILES, Ledger, iter_jsonl
from curate.plan import NullReporter, build_plan
from curate.records import Record
from curate.registry import get_registry
from curate.sources import read_file, resolve_sources
from curate.stages.base import BatchResult, Filter, Phase, PhaseResult
from tests.conftest import plugin_namespace

pytestmark = [
    # Ray's own deprecations (DataContext fields), raised inside Ray; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray"),
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
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


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
    for key in ("counts", "inputs", "errors", "outputs", "reports"):
        assert got[key] == expected[key], key
    return got


@pytest.mark.parametrize("batch_size", [4, 1024])
def test_engines_write_the_same_bytes(ray_cluster: Any, corpus: Path, tmp_path: Path, batch_size: int) -> None:
    manifest = _assert_same(tmp_path, _config(corpus, batch_size=batch_size))
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
    """Rejects a third of the records by id, groups the rest by the id's first digit."""

    name = "thirds"

    def run(self, records: Callable[[], Iterator[Record]]) -> PhaseResult:
        first = [r.id for r in records()]
        assert first == [r.id for r in records()], "a phase may read its records twice, in the same order"
        return _thirds(first, "driver")


class RayThirdsPhase(ThirdsPhase):
    """The same decisions, taken on the cluster when the engine offers a dataset."""

    name = "ray_thirds"

    def run_ray(self, dataset: Any, records: Callable[[], Iterator[Record]]) -> PhaseResult:
        ids = dataset.map_batches(_ids_in_order, batch_format="pyarrow").sort("pos").take_all()
        return _thirds([row["id"] for row in ids], "ray")


def _ids_in_order(batch: Any) -> dict[str, list[Any]]:
    records = ray_engine.phase_records(batch)
    return {"pos": batch["pos"].to_pylist(), "id": [r.id for r in records]}


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


def test_phases_on_the_driver_and_on_the_cluster(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    manifest = _assert_same(tmp_path, _config(corpus, batch_size=7), phases=(ThirdsPhase(), RayThirdsPhase()))
    assert manifest["counts"]["rejected_by"]["thirds"]["third"] > 0
    assert manifest["reports"]["thirds"]["seen"] > manifest["reports"]["ray_thirds"]["seen"] > 0


def test_a_ray_aware_phase_gets_a_dataset(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    calls = Counter[str]()

    class Spy(RayThirdsPhase):
        def run(self, records: Callable[[], Iterator[Record]]) -> PhaseResult:
            calls["run"] += 1
            return super().run(records)

        def run_ray(self, dataset: Any, records: Callable[[], Iterator[Record]]) -> PhaseResult:
            calls["run_ray"] += 1
            return super().run_ray(dataset, records)

    plan = build_plan(_config(corpus), get_registry())
    plan.phases.append(Spy())
    with Ledger(tmp_path / "out") as ledger:
        ray_engine.run(plan, ledger, NullReporter())
        ledger.commit({})
    assert calls == {"run_ray": 1}


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


def test_strict_fails_on_the_same_input(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    messages = []
    for engine in ("local", "ray"):
        with pytest.raises(BuildFailed) as info:
            _build(engine, _config(corpus, strict=True), tmp_path / engine)
        messages.append(str(info.value))
        assert not (tmp_path / engine / "train.jsonl").exists()
    assert messages[0] == messages[1]
    assert "a.jsonl:line 5" in messages[0]


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
    from curate.engines.ray_semantic import run_semantic_on_ray
    from curate.semantic.phase import SemanticPhase
    from curate.semantic.testing import HashingEmbedder

    class RaySemantic(SemanticPhase):
        def run_ray(self, dataset: Any, records: Callable[[], Iterator[Record]]) -> PhaseResult:
            return run_semantic_on_ray(self, dataset, records)

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
        (RaySemantic.from_config(table, tmp_path / "cache-ray", embedder=HashingEmbedder("64")),),
    )
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert got["counts"] == expected["counts"]
    assert got["counts"]["rejected_by"]["semantic"]["near_duplicate"] > 0
    embedder = got["reports"]["semantic"]["embedder"]
    assert embedder["cluster"]["actors"] >= 1
    assert embedder["embedded"] == expected["reports"]["semantic"]["embedder"]["embedded"] > 0
