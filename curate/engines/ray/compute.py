"""What the Ray engine lends a phase: its heavy steps on the cluster (see :class:`~curate.stages.compute.Compute`).

Phases run after the streaming pass over the driver's spill, as on the local engine, and
decide on the driver. A phase that asks its compute to embed, or for its vectors, gets
them on the cluster: the spill's records are put in the object store once
(:func:`~curate.engines.ray.phases.spill_dataset`), read there by the phase's
``RecordText``, embedded by a pool of actors and kept as a dataset of vectors on which
the assignment and cluster passes run (:mod:`curate.engines.ray.vectors`). The results
are the in-process compute's, so the phase decides the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from curate.engines.ray.phases import spill_dataset
from curate.engines.ray.vectors import Dataset, RayVectors, embed_missing, texts_and_keys
from curate.ledger import Spill
from curate.semantic.clusters import Vectors
from curate.semantic.embed import Embedder, EmbeddingCache
from curate.stages.compute import Compute, Embedded, RecordText


class RayCompute(Compute):
    """A phase's heavy steps on the Ray cluster, for the records of ``spill`` (the phase's records)."""

    where: ClassVar[str] = "cluster"

    def __init__(self, spill: Spill) -> None:
        self.spill = spill
        #: The phase's records read by its ``RecordText`` (without the texts once embedded), by that function.
        self._rows: tuple[RecordText, Dataset] | None = None
        #: What :meth:`embed` reported; :meth:`vectors` adds its store's step timings.
        self._report: dict[str, Any] = {}

    def embed(self, text: RecordText, embedder: Embedder, cache_root: Path, *, step: Callable[[str], None]) -> Embedded:
        """Embed in actors every text the cache lacks; the driver writes the vectors to the cache."""
        texts = self._texts(text)
        done = embed_missing(texts, embedder, EmbeddingCache(cache_root, embedder.model_id), step=step)
        # the texts leave the object store; the rows keep the positions, keys, lengths and scores
        self._rows = (text, texts.drop_columns(["text"]).materialize())
        self._report = done.report
        return done

    def vectors(
        self, keys: np.ndarray, cache: EmbeddingCache, text: RecordText, *, memory_limit_mb: int, tmp_dir: Path
    ) -> AbstractContextManager[Vectors]:
        """The vectors in a dataset on the cluster (:class:`~curate.engines.ray.vectors.RayVectors`)."""
        return self._vectors(keys, cache, text)

    @contextmanager
    def _vectors(self, keys: np.ndarray, cache: EmbeddingCache, text: RecordText) -> Iterator[Vectors]:
        rows = self._rows[1] if self._rows is not None and self._rows[0] is text else self._texts(text)
        store = RayVectors(rows, keys, cache.root, cache.model_id)
        self._report["steps"] = store.seconds
        try:
            yield store
        finally:
            del store, rows
            self._rows = None  # the phase is done with them: their blocks leave the object store

    def _texts(self, text: RecordText) -> Dataset:
        """The phase's records as :func:`~curate.engines.ray.vectors.texts_and_keys` rows, in the object store."""
        records = spill_dataset(self.spill)
        return records.map_batches(texts_and_keys, batch_format="pyarrow", fn_kwargs={"text": text}).materialize()
