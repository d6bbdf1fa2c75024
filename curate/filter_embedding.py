"""Embeddings for filters: the embedder a filter's options name, shared in a process, and its cache.

A filter that compares texts by meaning (the evasion and decontamination filters) names an
embedder as the ``[semantic]`` table does (``"NAME"``, ``"NAME:MODEL"`` or a model) and reads
vectors through the same on-disk cache as the semantic phase, so a text is embedded once
whichever stage asks for it.
"""

from __future__ import annotations

from typing import Any, Protocol

from curate.cache import cache_dir
from curate.errors import MissingDependency
from curate.semantic.embed import Embedder, EmbeddingCache, resolve_embedder

#: Embedders built in this process, by class, model and settings: filters built with the
#: same settings share one (and its loaded model).
_SHARED: dict[tuple[Any, ...], Embedder] = {}


class EmbedderOptions(Protocol):
    """The options of a filter that embeds (fields of its ``Options`` dataclass)."""

    @property
    def embedder(self) -> str | None:
        """``"NAME"``, ``"NAME:MODEL"`` or a model for the default embedder; ``None``: the default."""

    @property
    def device(self) -> str | None:
        """``"auto"`` (or ``None``) for the embedder's own choice, else ``"cpu"``, ``"cuda"``..."""

    @property
    def batch_size(self) -> int:
        """Texts per forward pass."""

    @property
    def max_seq_length(self) -> int | None:
        """Truncate texts to this many tokens; ``None``: the model's limit."""


def load_embedder(options: EmbedderOptions, *, purpose: str) -> Embedder:
    """The embedder ``options`` name, built once per process for these settings.

    ``purpose`` says who needs it, for the :class:`MissingDependency` raised when no
    embedder is installed.
    """
    from curate.registry import get_registry

    embedders = get_registry().embedders
    if not embedders:
        raise MissingDependency("sentence-transformers", extra="embed", purpose=purpose)
    cls, model = resolve_embedder(options.embedder, embedders)
    device = None if options.device == "auto" else options.device
    key = (cls, model, device, options.batch_size, options.max_seq_length)
    if key not in _SHARED:
        _SHARED[key] = cls(model, device=device, batch_size=options.batch_size, max_seq_length=options.max_seq_length)
    return _SHARED[key]


def embedding_cache(embedder: Embedder) -> EmbeddingCache:
    """The on-disk cache of ``embedder``'s vectors, under :func:`~curate.cache.cache_dir`."""
    return EmbeddingCache(cache_dir() / "embeddings", embedder.model_id)
