"""Embeddings for filters: the embedder a filter's options name, shared in a process, and its cache.

A filter that compares texts by meaning (the evasion and decontamination filters) names an
embedder as the ``[semantic]`` table does (``"NAME"``, ``"NAME:MODEL"`` or a model) and reads
vectors through the same on-disk cache as the semantic phase, so a text is embedded once
whichever stage asks for it.
"""

from __future__ import annotations

from typing import Any

from curate.cache import cache_dir
from curate.errors import MissingDependency
from curate.semantic.embed import Embedder, EmbeddingCache, resolve_embedder

#: Embedders built in this process, by class, model and settings: filters built with the
#: same settings share one (and its loaded model).
_SHARED: dict[tuple[Any, ...], Embedder] = {}


def load_embedder(
    spec: str | None,
    *,
    purpose: str,
    device: str | None = None,
    batch_size: int = 64,
    max_seq_length: int | None = None,
) -> Embedder:
    """The embedder ``spec`` names, built once per process for these settings.

    ``purpose`` says who needs it, for the :class:`MissingDependency` raised when no
    embedder is installed. ``device`` is ``None`` or ``"auto"`` for the embedder's own choice.
    """
    from curate.registry import get_registry

    embedders = get_registry().embedders
    if not embedders:
        raise MissingDependency("sentence-transformers", extra="embed", purpose=purpose)
    cls, model = resolve_embedder(spec, embedders)
    device = None if device == "auto" else device
    key = (cls, model, device, batch_size, max_seq_length)
    if key not in _SHARED:
        _SHARED[key] = cls(model, device=device, batch_size=batch_size, max_seq_length=max_seq_length)
    return _SHARED[key]


def embedding_cache(embedder: Embedder) -> EmbeddingCache:
    """The on-disk cache of ``embedder``'s vectors, under :func:`~curate.cache.cache_dir`."""
    return EmbeddingCache(cache_dir() / "embeddings", embedder.model_id)
