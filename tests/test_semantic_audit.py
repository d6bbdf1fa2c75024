"""The audit: the default model's opinion on a sample of a fast embedder's near-duplicate decisions."""

from __future__ import annotations

import numpy as np
import pytest

from curate.errors import ConfigError
from curate.semantic.audit import AuditPairs, audit_pairs, audit_report, kept_neighbours, wilson_interval
from curate.semantic.clusters import MatrixVectors
from curate.semantic.options import SemanticOptions
from curate.semantic.phase import SemanticPhase
from curate.semantic.summary import audit_lines, summary_lines
from curate.semantic.testing import HashingEmbedder
from curate.stages.compute import Compute
from tests.test_semantic_calibration import SHIFT, ShiftedEmbedder
from tests.test_semantic_phase import corpus


def unit(rows: list[list[float]]) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_wilson_interval_holds_the_share_and_narrows_with_more_samples():
    for hits, n in ((0, 10), (5, 10), (10, 10), (45, 50)):
        low, high = wilson_interval(hits, n)
        assert 0.0 <= low <= hits / n <= high <= 1.0
    assert np.subtract(*wilson_interval(450, 500)[::-1]) < np.subtract(*wilson_interval(45, 50)[::-1])


def test_kept_neighbours_are_the_closest_other_kept_record_of_the_same_cluster():
    vectors = MatrixVectors(unit([[1, 0], [1, 0.1], [1, 0.3], [0, 1], [0.1, 1], [1, 1]]))
    labels = np.array([0, 0, 0, 1, 1, 2])
    kept = np.array([True, False, True, True, True, True])  # record 1 was removed
    a, b, sims = kept_neighbours(vectors, labels, kept, np.array([0, 2, 3, 5]))
    # 0's closest is 1, but 1 was removed; 5 is alone in its cluster: no pair
    assert a.tolist() == [0, 2, 3] and b.tolist() == [2, 0, 4]
    assert sims[2] == pytest.approx(float(unit([[0, 1]])[0] @ unit([[0.1, 1]])[0]))


def test_audit_pairs_sample_removals_with_their_survivors_reproducibly():
    rng = np.random.default_rng(1)
    n = 200
    vectors = MatrixVectors(unit(rng.normal(size=(n, 8)).tolist()))
    labels = rng.integers(0, 5, size=n)
    removed_by = np.full(n, -1)
    removed_by[100:160] = np.arange(0, 60)  # 60 removals, each naming a kept record
    removed_sim = np.where(removed_by >= 0, 0.9, np.nan)
    first = audit_pairs(vectors, labels, removed_by, removed_sim, sample=20, seed=3)
    again = audit_pairs(vectors, labels, removed_by, removed_sim, sample=20, seed=3)
    other = audit_pairs(vectors, labels, removed_by, removed_sim, sample=20, seed=4)
    assert first.removals == 20 and len(first.a) == 40
    assert np.array_equal(first.a, again.a) and not np.array_equal(first.a, other.a)
    assert (first.b[:20] == removed_by[first.a[:20]]).all() and (first.fast[:20] == 0.9).all()
    assert (removed_by[first.a[20:]] < 0).all() and (removed_by[first.b[20:]] < 0).all()  # kept with kept
    assert (first.a[20:] != first.b[20:]).all() and (labels[first.a[20:]] == labels[first.b[20:]]).all()
    everything = audit_pairs(vectors, labels, removed_by, removed_sim, sample=1000, seed=3)
    assert everything.removals == 60 and len(everything.a) == n  # all 60 removals and all 140 kept records


def test_the_report_counts_agreement_at_the_reference_models_threshold():
    rows = unit([[1, 0], [1, 0.05], [1, 1], [0, 1], [0.05, 1]])
    # removals (0 of 1: close by the reference; 2 of 3: not), then a kept pair (3, 4) that is close
    pairs = AuditPairs(np.array([0, 2, 3]), np.array([1, 3, 4]), np.array([0.9, 0.9, 0.5]), removals=2, sample=2)
    report = audit_report(pairs, rows[pairs.index], [f"r{i}" for i in range(5)], threshold=0.95)
    assert report["removals"]["sampled"] == 2 and report["removals"]["agreed"] == 1
    assert report["removals"]["share"] == 0.5 and report["kept"] == {
        "sampled": 1,
        "near_duplicate": 1,
        "share": 1.0,
        "low": pytest.approx(wilson_interval(1, 1)[0], abs=1e-4),
        "high": 1.0,
    }
    assert [(d["a"], d["b"], d["removed"]) for d in report["disagreements"]] == [
        ("r2", "r3", True),
        ("r3", "r4", False),
    ]
    assert report["disagreements"][0]["reference"] == pytest.approx(float(rows[2] @ rows[3]), abs=1e-4)


def test_nothing_to_audit_gives_empty_samples():
    vectors = MatrixVectors(unit([[1, 0]]))
    pairs = audit_pairs(vectors, np.array([0]), np.array([-1]), np.array([np.nan]), sample=5, seed=0)
    assert len(pairs.a) == 0 and len(pairs.index) == 0
    report = audit_report(pairs, np.empty((0, 2), np.float32), ["a"], threshold=0.9)
    assert report["removals"]["share"] is None and report["kept"]["sampled"] == 0


def run_phase(tmp_path, records, **table):
    phase = SemanticPhase.from_config(table, tmp_path, embedder=ShiftedEmbedder(), auditor=HashingEmbedder())
    said: list[str] = []
    phase.progress = said.append
    return phase, phase.run(lambda: iter(records), Compute()), said


def test_the_phase_audits_a_fast_embedder_without_changing_its_decisions(tmp_path):
    records, _ = corpus(160)
    # the shifted embedder decides at SHIFT(0.9) = 0.65 on the hashing embedder's vectors; the
    # auditor (the same vectors, unshifted) is asked at the user's 0.9
    _, audited, said = run_phase(tmp_path / "a", records, threshold=0.9, audit=1000)
    _, plain, _ = run_phase(tmp_path / "b", records, threshold=0.9, audit=0)
    assert audited.rejected == plain.rejected and audited.rejected
    assert "audit" not in plain.report["dedup"] and "auditor" not in plain.report
    audit = audited.report["dedup"]["audit"]
    removed = [details["similarity"] for _, details in audited.rejected.values()]
    assert audit["threshold"] == 0.9 and SHIFT(0.9) < 0.9
    assert audit["removals"]["sampled"] == len(removed)  # all of them
    assert audit["removals"]["agreed"] == sum(s >= 0.9 - 1e-4 for s in removed) < len(removed)
    assert audit["kept"]["near_duplicate"] == 0  # no kept pair of a cluster is above 0.65, let alone 0.9
    assert audited.report["auditor"]["records"] == audit["records"] > 0
    assert any(m.startswith("auditing: asking hashing about") for m in said)
    lines = summary_lines(audited.report)
    assert any(line.startswith("semantic: audit: the reference model at 0.900 calls") for line in lines)
    assert any("--confirm sentence-transformers" in line for line in lines)  # it agrees with few


def test_the_audit_reads_the_records_in_the_reports_pass_not_another(tmp_path):
    records, _ = corpus(160)
    passes = []

    def counted():
        passes.append(1)
        return iter(records)

    for audit in (0, 50):
        passes.clear()
        phase = SemanticPhase.from_config(
            {"threshold": 0.9, "audit": audit},
            tmp_path / str(audit),
            embedder=ShiftedEmbedder(),
            auditor=HashingEmbedder(),
        )
        phase.run(counted, Compute())
        assert len(passes) == 2


def test_an_embedder_given_to_the_phase_is_audited_only_by_an_auditor_given_too(tmp_path):
    assert SemanticPhase.from_config({}, tmp_path, embedder=ShiftedEmbedder()).auditor is None
    assert (
        SemanticPhase.from_config({"audit": 0}, tmp_path, embedder=ShiftedEmbedder(), auditor=HashingEmbedder()).auditor
        is None
    )


def test_a_negative_audit_is_refused():
    with pytest.raises(ConfigError, match="audit"):
        SemanticOptions(audit=-1)


def test_audit_needs_the_semantic_phase(cli, tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "hello"}\n')
    result = cli("build", str(tmp_path / "a.jsonl"), "-o", str(tmp_path / "out"), "--audit", "10", ok=False)
    assert result.exit_code == 2 and "--audit checks the semantic phase" in result.output


@pytest.mark.parametrize(
    ("removals", "kept", "tip"),
    [
        ((30, 0.46, 0.72), (1, 0.0, 0.1), None),  # mild disagreement is normal: no tip
        ((2, 0.01, 0.13), (1, 0.0, 0.1), "would keep most of these removals"),
        ((45, 0.79, 0.96), (12, 0.14, 0.37), "finds near-duplicates the build kept"),
    ],
)
def test_the_summary_tips_only_on_clear_disagreement(removals, kept, tip):
    audit = {
        "threshold": 0.9,
        "removals": dict(zip(("agreed", "low", "high"), removals, strict=True), sampled=50, share=removals[0] / 50),
        "kept": dict(zip(("near_duplicate", "low", "high"), kept, strict=True), sampled=50, share=kept[0] / 50),
    }
    lines = audit_lines({"dedup": {"audit": audit}, "auditor": {"name": "st", "model": "m"}})
    tips = [line for line in lines if "tip:" in line]
    assert [tip in line for line in tips] == ([True] if tip else [])


def test_an_audit_that_fails_is_reported_and_the_build_goes_on(tmp_path):
    class Broken(HashingEmbedder):
        name = "broken"

        @property
        def model_id(self) -> str:
            return "broken"  # nothing of it in the cache

        def encode(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("out of memory")

    records, _ = corpus(160)
    phase = SemanticPhase.from_config({"threshold": 0.9}, tmp_path, embedder=ShiftedEmbedder(), auditor=Broken())
    result = phase.run(lambda: iter(records), Compute())
    assert result.rejected  # the decisions stand
    assert result.report["dedup"]["audit"] == {"error": "RuntimeError: out of memory"}
    assert "semantic: the audit by the reference model failed (the decisions stand): RuntimeError: out of memory" in (
        summary_lines(result.report)
    )
