"""The semantic phase's decisions as a pure function of vectors, record facts and options (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from curate.semantic.clusters import Features, MatrixVectors
from curate.semantic.decide import RecordFacts, decide
from curate.semantic.embed import text_key
from curate.semantic.options import SemanticOptions
from curate.semantic.phase import SemanticPhase
from curate.semantic.testing import HashingEmbedder, synthetic_corpus
from curate.stages.compute import Compute
from tests.test_semantic_phase import make_records

pytest.importorskip("torch")


def planted(n_groups: int = 12, d: int = 32, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Unit vectors: ``n_groups`` far-apart records, each followed by a copy nudged by a tiny angle."""
    rng = np.random.default_rng(seed)
    rows, pairs = [], []
    for g in range(n_groups):
        base = rng.standard_normal(d)
        base /= np.linalg.norm(base)
        twin = base + 0.02 * rng.standard_normal(d)
        rows += [base, twin / np.linalg.norm(twin)]
        pairs.append((2 * g, 2 * g + 1))
    return np.asarray(rows, dtype=np.float32), pairs


def facts_for(n: int, lengths: list[int] | None = None) -> RecordFacts:
    ids = [f"r{i}" for i in range(n)]
    return RecordFacts(
        ids,
        np.array([text_key(i) for i in ids], dtype=np.uint64),
        Features(np.array(lengths or [10] * n, dtype=np.int64), np.full(n, np.nan)),
    )


def test_planted_twins_are_found_without_a_model():
    vectors, pairs = planted()
    # keep = "longest": the twin (odd index) is longer, so the base record is removed
    lengths = [10 if i % 2 == 0 else 20 for i in range(len(vectors))]
    opts = SemanticOptions(threshold=0.95, keep="longest", clusters=3)
    decided = decide(MatrixVectors(vectors), facts_for(len(vectors), lengths), opts, dim=vectors.shape[1])
    result = decided.result
    assert set(result.rejected) == {f"r{a}" for a, _ in pairs}
    for a, b in pairs:
        reason, details = result.rejected[f"r{a}"]
        assert reason == "near_duplicate" and details["duplicate_of"] == f"r{b}"
        assert details["similarity"] == pytest.approx(float(vectors[a] @ vectors[b]), abs=1e-3)
        # the pair is one split group, named after its survivor
        assert result.groups[f"r{b}"] == f"near-dup-r{b}"
    assert result.counts["near_duplicate"] == len(pairs) and result.counts["kept"] == len(pairs)
    assert result.report["dedup"]["removed"] == len(pairs)
    # the report's second pass is told which removals to show
    assert {(a, b) for a, b, _ in decided.examples.pairs} <= {(b, a) for a, b in pairs}


def test_same_inputs_same_decisions_and_dry_run_rejects_nothing():
    vectors, pairs = planted(seed=3)
    facts = facts_for(len(vectors))
    opts = SemanticOptions(threshold=0.95)
    first = decide(MatrixVectors(vectors), facts, opts, dim=vectors.shape[1]).result
    again = decide(MatrixVectors(vectors.copy()), facts, opts, dim=vectors.shape[1]).result
    assert first.rejected == again.rejected and first.groups == again.groups and first.meta == again.meta
    dry = decide(MatrixVectors(vectors), facts, SemanticOptions(threshold=0.95, dry_run=True), dim=vectors.shape[1])
    assert not dry.result.rejected
    table = {row["threshold"]: row["removed"] for row in dry.result.report["dry_run"]["thresholds"]}
    assert table[0.95] == len(pairs)


def test_the_phase_decides_as_the_function(tmp_path):
    texts, _ = synthetic_corpus(200, seed=4)
    records = make_records(texts)
    phase = SemanticPhase.from_config({"threshold": 0.9, "clusters": 5}, tmp_path, embedder=HashingEmbedder())
    through_phase = phase.run(lambda: iter(records), Compute())
    vectors = HashingEmbedder().embed(texts)
    facts = RecordFacts(
        [r.id for r in records],
        np.array([text_key(t) for t in texts], dtype=np.uint64),
        Features(np.array([len(t) for t in texts], dtype=np.int64), np.full(len(texts), np.nan)),
    )
    direct = decide(MatrixVectors(vectors), facts, phase.options, dim=vectors.shape[1]).result
    assert through_phase.rejected and through_phase.rejected == direct.rejected
    assert through_phase.groups == direct.groups and through_phase.meta == direct.meta


def test_the_cascade_confirms_candidates_with_the_second_embedder(tmp_path):
    """A coarse embedder proposes pairs, a finer one decides: only records of candidate pairs are confirmed."""
    texts, _ = synthetic_corpus(200, seed=6)
    records = make_records(texts)
    fine = HashingEmbedder("512")
    alone = SemanticPhase.from_config({"threshold": 0.9, "clusters": 4, "keep": "first"}, tmp_path, embedder=fine)
    table = {"threshold": 0.9, "clusters": 4, "keep": "first", "candidate_threshold": 0.8}
    cascade = SemanticPhase(
        alone.options.__class__(**table), tmp_path, HashingEmbedder("64"), confirmer=HashingEmbedder("512")
    )
    by_fine = alone.run(lambda: iter(records), Compute())
    by_cascade = cascade.run(lambda: iter(records), Compute())
    info = by_cascade.report["confirmer"]
    assert info["model_id"] == "hashing:512" and 0 < info["records"] < len(records)
    assert by_cascade.report["dedup"]["cascade"]["candidate_pairs"] > 0
    # every removal is confirmed by the fine embedder's similarity; with one preference order (keep = "first"),
    # the cascade finds what the fine embedder alone finds
    vectors = {r.id: v for r, v in zip(records, fine.embed(texts), strict=True)}
    for rid, (_, details) in by_cascade.rejected.items():
        assert float(vectors[rid] @ vectors[details["duplicate_of"]]) > 0.9
    found = set(by_cascade.rejected) & set(by_fine.rejected)
    assert len(found) >= 0.9 * len(by_fine.rejected) and by_fine.rejected


def test_the_cascade_confirms_only_the_uncertain_band():
    """Pairs above the accept similarity are kept unconfirmed; only records of band pairs reach the confirmer."""
    from curate.semantic.cascade import Candidates, confirm_pairs

    # pairs (0, 1) 0.99 and (2, 3) 0.97 by the fast embedder: above accept = 0.95; (4, 5) 0.90: in the band
    candidates = Candidates(
        np.array([0, 2, 4]), np.array([1, 3, 5]), np.array([0.99, 0.97, 0.90], dtype=np.float32), 3, 0
    )
    asked: list[list[int]] = []

    def confirm(index: np.ndarray) -> np.ndarray:
        asked.append(index.tolist())
        return np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(index), 1))  # the band pair: identical

    rank = np.arange(6)
    done = confirm_pairs(candidates, 6, [0.92], rank, confirm, 2, accept=0.95)
    assert asked == [[4, 5]] and done.records == 2 and done.accepted == 2
    assert done.removed_by.tolist() == [-1, 0, -1, 2, -1, 4]
    assert done.removed_sim[1] == pytest.approx(0.99) and done.removed_sim[5] == pytest.approx(1.0)
    # accept = 1.0: every candidate pair is confirmed (the confirmer says all are identical)
    asked.clear()
    everything = confirm_pairs(candidates, 6, [0.92], rank, confirm, 2, accept=1.0)
    assert asked == [[0, 1, 2, 3, 4, 5]] and everything.accepted == 0


def test_the_phase_reports_the_band(tmp_path):
    texts, _ = synthetic_corpus(200, seed=6)
    records = make_records(texts)
    reports = {}
    for accept in (0.95, 1.0):
        table = {"threshold": 0.9, "clusters": 4, "keep": "first", "candidate_threshold": 0.8}
        options = SemanticOptions(**table, accept_threshold=accept)
        phase = SemanticPhase(options, tmp_path, HashingEmbedder("64"), confirmer=HashingEmbedder("512"))
        reports[accept] = phase.run(lambda: iter(records), Compute()).report
    band, full = reports[0.95]["dedup"]["cascade"], reports[1.0]["dedup"]["cascade"]
    assert band["accept_threshold"] == 0.95 and band["accepted_pairs"] > 0 and full["accepted_pairs"] == 0
    assert band["records_confirmed"] < full["records_confirmed"]
    lines = SemanticPhase.summary_lines(phase, reports[0.95])
    assert any(f"{band['accepted_pairs']:,} accepted above 0.95, the rest confirmed" in line for line in lines)
    with pytest.raises(Exception, match="accept_threshold"):
        SemanticOptions(accept_threshold=1.5)
