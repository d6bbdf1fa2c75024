"""The semantic phase on Ray: K-means assignment and near-duplicates on the workers, the local engine's output.

One local Ray cluster (2 CPUs) serves the module. The corpus has planted paraphrases
spread over several files, enough records for a dozen clusters, and a fit sample
smaller than the corpus, so that every distributed step (the sample, the assignment,
the groups by cluster, the guests of the boundary pass) decides something.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curate.config import BuildConfig, SourceSpec
from curate.engines import local
from curate.engines import ray as ray_engine
from curate.ledger import OUTPUT_FILES, Ledger
from curate.plan import NullReporter, build_plan
from curate.registry import get_registry
from curate.semantic.phase import SemanticPhase
from curate.semantic.testing import HashingEmbedder, synthetic_corpus
from curate.stages import compute

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray"),
]
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 records with planted paraphrases, in three JSONL files, with a few exact copies."""
    root = tmp_path_factory.mktemp("semantic-corpus")
    texts, _ = synthetic_corpus(1500, seed=5)
    texts += texts[:20]  # exact copies: exact dedup runs before the semantic phase
    for part in range(3):
        lines = [json.dumps({"text": t}) for t in texts[part::3]]
        (root / f"part-{part}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _build(engine: str, corpus: Path, out: Path, table: dict[str, Any], cache: Path) -> dict[str, Any]:
    config = BuildConfig(sources=[SourceSpec(str(corpus))], format="text", val_ratio=0.2, seed=1, report=False)
    plan = build_plan(config, get_registry())
    plan.phases.append(SemanticPhase.from_config(copy.deepcopy(table), cache, embedder=HashingEmbedder("64")))
    with Ledger(out) as ledger:
        run = ray_engine.run if engine == "ray" else local.run
        _, reports = run(plan, ledger, NullReporter())
        return ledger.commit({"reports": reports})


def _decisions(report: dict[str, Any]) -> dict[str, Any]:
    """The parts of a semantic report that are decisions, not timings."""
    kmeans = {k: v for k, v in report["kmeans"].items() if k != "seconds"}
    dedup = {k: v for k, v in report["dedup"].items() if k != "seconds"}
    clusters = {k: v for k, v in report["clusters"].items()}
    return {"kmeans": kmeans, "dedup": dedup, "clusters": clusters, "map": report["map"], "noise": report["noise"]}


TABLES = {
    "centroid": {"threshold": 0.9, "clusters": 12, "fit_sample": 600},
    "longest, probing wide": {"threshold": 0.88, "clusters": 12, "keep": "longest", "probe_margin": 0.3},
    "dry run": {"threshold": 0.9, "clusters": 8, "dry_run": True, "dry_run_thresholds": [0.8, 0.95]},
    "one cluster, quality, caps": {"threshold": 0.9, "clusters": 1, "keep": "quality", "cluster_cap": 400},
}


@pytest.mark.parametrize("name", list(TABLES))
def test_ray_gives_the_local_decisions(
    ray_cluster: Any, corpus: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = TABLES[name]
    expected = _build("local", corpus, tmp_path / "local", table, tmp_path / "cache-local")

    def no_matrix(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the ray engine gathered the vectors on the driver")

    monkeypatch.setattr(compute, "gather_matrix", no_matrix)
    got = _build("ray", corpus, tmp_path / "ray", table, tmp_path / "cache-ray")
    for output in OUTPUT_FILES:
        assert (tmp_path / "ray" / output).read_bytes() == (tmp_path / "local" / output).read_bytes(), output
    assert got["counts"] == expected["counts"]
    mine, theirs = got["reports"]["semantic"], expected["reports"]["semantic"]
    assert _decisions(mine) == _decisions(theirs)
    if "dry_run" in table:
        assert mine["dry_run"] == theirs["dry_run"]
    else:
        assert mine["dedup"]["removed"] > 0
        assert mine["dedup"]["boundary_records"] > 0 or table["clusters"] == 1
    steps = mine["embedder"]["cluster"]["steps"]
    assert {"vectors", "rows", "assign", "clusters"} <= set(steps)


def test_the_fit_sample_is_smaller_than_the_corpus(ray_cluster: Any, corpus: Path, tmp_path: Path) -> None:
    got = _build("ray", corpus, tmp_path / "ray", TABLES["centroid"], tmp_path / "cache")
    kmeans = got["reports"]["semantic"]["kmeans"]
    records = got["reports"]["semantic"]["records"]
    assert 400 < kmeans["fit_sample"] < records
    sizes = got["reports"]["semantic"]["clusters"]["sizes"]
    assert sum(sizes) == records and np.count_nonzero(sizes) == 12
