"""The compute seam on the local engine: phases get a :class:`Compute`; phases written before it still run.

The same third-party phase on the Ray engine is in ``tests/test_ray_engine.py``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curate.config import BuildConfig, SourceSpec
from curate.engines import local
from curate.ledger import Ledger, iter_jsonl
from curate.plan import NullReporter, build_plan
from curate.records import Record
from curate.registry import get_registry
from curate.semantic.embed import EmbeddingCache, text_keys
from curate.semantic.testing import HashingEmbedder
from curate.stages import compute as compute_module
from curate.stages.base import Phase, PhaseResult, run_phase
from curate.stages.compute import Compute
from tests.fakes import DownPhase


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    rows = [{"input": f"Question {i}?", "output": f"Answer number {i}."} for i in range(60)]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _build(corpus: Path, out: Path, *phases: Phase) -> dict[str, Any]:
    config = BuildConfig(sources=[SourceSpec(str(corpus))], format="input-output", val_ratio=0.2, seed=1, report=False)
    plan = build_plan(config, get_registry())
    plan.phases.extend(phases)
    with Ledger(out) as ledger:
        _, reports = local.run(plan, ledger, NullReporter())
        return ledger.commit({"reports": reports})


def test_a_third_party_phase_gets_the_in_process_compute(corpus: Path, tmp_path: Path) -> None:
    DownPhase.seen.clear()
    manifest = _build(corpus, tmp_path / "out", DownPhase(tmp_path / "cache"))
    assert DownPhase.seen == ["Compute"]
    down = manifest["counts"]["rejected_by"]["down"]["down"]
    assert 0 < down < 60
    rejects = [r for r in iter_jsonl(tmp_path / "out" / "rejects.jsonl") if r["stage"] == "down"]
    assert len(rejects) == down and all(r["details"]["x"] < 0 for r in rejects)
    assert manifest["reports"]["down"] == {"records": 60, "embedded": 60}


def _every_other(records: Callable[[], Iterator[Record]]) -> PhaseResult:
    ids = [r.id for r in records()]
    return PhaseResult(rejected={i: ("old", {}) for i in ids[::2]}, report={"seen": len(ids)})


def _old_phase() -> Phase:
    """A phase written against ``run(records)``, before phases got a compute.

    A new class each call: the deprecation warning is given once per class.
    """

    class OldPhase(Phase):
        name = "old"

        def run(self, records: Callable[[], Iterator[Record]]) -> PhaseResult:  # type: ignore[override]
            return _every_other(records)

    return OldPhase()


class NewPhase(Phase):
    """What :func:`_old_phase` decides, written as phases are now."""

    name = "old"

    def run(self, records: Callable[[], Iterator[Record]], compute: Compute) -> PhaseResult:
        return _every_other(records)


OLD_RUN = r"phase 'old' \(.*OldPhase\) defines run\(self, records\): write run\(self, records, compute\)"


def test_a_phase_written_before_the_compute_still_runs_with_a_deprecation_warning(corpus: Path, tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match=OLD_RUN) as caught:
        manifest = _build(corpus, tmp_path / "old", _old_phase())
    assert len(caught) == 1
    assert "will be removed" in str(caught[0].message)
    assert caught[0].filename == __file__  # located at the phase's run, not in curate
    assert manifest["reports"]["old"] == {"seen": 60}
    assert manifest["counts"]["rejected_by"]["old"]["old"] == 30
    new = _build(corpus, tmp_path / "new", NewPhase())  # filterwarnings = error: any warning fails here
    for key in ("counts", "reports"):
        assert manifest[key] == new[key], key
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl"):
        assert (tmp_path / "old" / name).read_bytes() == (tmp_path / "new" / name).read_bytes(), name


def test_the_deprecation_warning_is_given_once_per_phase_class() -> None:
    compute = Compute()
    first, second = _old_phase(), _old_phase()
    with pytest.warns(DeprecationWarning, match=OLD_RUN) as caught:
        for phase in (first, first, type(first)(), second, second):
            run_phase(phase, lambda: iter([]), compute)
    assert len(caught) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_phase(first, lambda: iter([]), compute)
        run_phase(NewPhase(), lambda: iter([]), compute)


def test_run_phase_passes_the_compute_to_the_signatures_that_take_it() -> None:
    got: list[Any] = []

    class Keyword(Phase):
        name = "keyword"

        def run(self, records: Callable[[], Iterator[Record]], compute: Compute | None = None) -> PhaseResult:
            got.append(compute)
            return PhaseResult()

    class Star(Phase):
        name = "star"

        def run(self, *args: Any) -> PhaseResult:  # type: ignore[override]
            got.append(args[1])
            return PhaseResult()

    compute = Compute()
    for phase in (Keyword(), Star()):
        run_phase(phase, lambda: iter([]), compute)
    with pytest.warns(DeprecationWarning, match=OLD_RUN):
        run_phase(_old_phase(), lambda: iter([]), compute)
    assert got == [compute, compute]


def test_the_in_process_vectors_are_the_cache_s_and_the_memory_map_goes(tmp_path: Path) -> None:
    embedder = HashingEmbedder("8")
    cache = EmbeddingCache(tmp_path / "embeddings", embedder.model_id)
    texts = [f"text {i}" for i in range(50)]
    keys = text_keys(texts)
    cache.fill(embedder, keys, texts)
    expected = embedder.embed(texts)

    def no_text(record: Record) -> tuple[str, float]:
        raise AssertionError("the in-process compute reads the cache, not the records")

    for limit in (64, 0):  # in memory; a float16 memory map in tmp_dir, removed when the block ends
        with Compute().vectors(keys, cache, no_text, memory_limit_mb=limit, tmp_dir=tmp_path / "tmp") as store:
            rows = store.rows(np.arange(50))
            assert list(store.index_of(np.array([3, 1]))) == [3, 1]
            if limit == 0:
                assert len(list((tmp_path / "tmp").iterdir())) == 1
        assert np.allclose(rows, expected, atol=2e-3)
        assert not (tmp_path / "tmp").exists() or not list((tmp_path / "tmp").iterdir())
    assert compute_module.Compute().embed(no_text, embedder, tmp_path, step=print).embedded == 0
