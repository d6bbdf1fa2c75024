"""What an engine lends a phase for its heavy steps: the :class:`Compute` seam.

A phase (:class:`~curate.stages.base.Phase`) decides on the driver, from every record;
some of its steps are heavy and can run elsewhere: embedding texts, and the passes over
the records' vectors (assignment to centroids, comparisons within clusters). The engine
passes ``Phase.run(records, compute)`` the :class:`Compute` it has, and the phase asks it
for those steps instead of doing them itself. The phase then knows no engine, and an
engine knows no phase: the local engine lends this module's :class:`Compute`, which does
everything in this process; the Ray engine lends ``curate.engines.ray.compute.RayCompute``,
which does the same on the cluster. Both give the same results, so a phase decides the
same on either engine.

A phase names its records' texts with a :data:`RecordText` function (a module-level
function or a ``functools.partial`` of one: it travels to other processes), so that an
engine can read the records where they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from curate.records import Record
from curate.semantic.clusters import MatrixVectors, Vectors
from curate.semantic.embed import Embedder, EmbeddingCache

__all__ = ["Compute", "Embedded", "RecordText", "gather_matrix"]

#: What a phase embeds of a record, and the score its decisions may read (NaN: none):
#: ``text(record) -> (text, score)``. It must pickle (engines apply it in other processes).
RecordText = Callable[[Record], tuple[str, float]]


@dataclass
class Embedded:
    """What :meth:`Compute.embed` did before the phase read its records."""

    #: Texts embedded and put in the cache (the phase then finds them there).
    embedded: int = 0
    seconds: float = 0.0
    #: Where and how, for the phase's report (the Ray engine: actors, GPUs, the vector
    #: store's step timings); it may grow while the phase runs. Empty: in this process.
    report: dict[str, Any] = field(default_factory=dict)


class Compute:
    """The heavy steps of a phase, done in this process: what the local engine lends.

    Engines that spread work subclass it and override the methods; the results must be
    the same as this class's, for the same records, so that the decisions are.
    """

    #: Where the work runs, in a word (for messages).
    where: ClassVar[str] = "local"

    def embed(self, text: RecordText, embedder: Embedder, cache_root: Path, *, step: Callable[[str], None]) -> Embedded:
        """Put in the cache under ``cache_root`` the vector of every record's text that it lacks.

        Called before the phase reads its records; ``step`` says what is being done. Here:
        nothing, the phase embeds what the cache lacks as it reads the records, in chunks.
        """
        return Embedded()

    def vectors(
        self, keys: np.ndarray, cache: EmbeddingCache, text: RecordText, *, memory_limit_mb: int, tmp_dir: Path
    ) -> AbstractContextManager[Vectors]:
        """The records' vectors from ``cache``, where the vector passes run; released when the block ends.

        ``keys`` are the text keys of the phase's records, in the order the phase read
        them (every vector is in the cache); ``text`` is the phase's :data:`RecordText`.
        Here: a matrix in this process, float32 in memory or a float16 memory map in
        ``tmp_dir`` when larger than ``memory_limit_mb``.
        """
        return _matrix_vectors(keys, cache, memory_limit_mb, tmp_dir)


@contextmanager
def _matrix_vectors(keys: np.ndarray, cache: EmbeddingCache, memory_limit_mb: int, tmp_dir: Path) -> Iterator[Vectors]:
    matrix, path = gather_matrix(keys, cache, memory_limit_mb, tmp_dir)
    try:
        yield MatrixVectors(matrix)
    finally:
        del matrix
        if path is not None:
            path.unlink(missing_ok=True)


def gather_matrix(
    keys: np.ndarray, cache: EmbeddingCache, memory_limit_mb: int, tmp_dir: Path
) -> tuple[np.ndarray, Path | None]:
    """The vectors of ``keys`` in order: float32 in memory, or a float16 memmap (and its path) when large."""
    shard, row = cache.lookup(keys)
    dim = int(cache.dim or 0)
    n = len(keys)
    path = None
    if n * dim * 4 <= memory_limit_mb * 2**20:
        matrix = np.empty((n, dim), dtype=np.float32)
    else:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        path = tmp_dir / f"vectors-{uuid.uuid4().hex[:12]}.f16"
        matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, dim))
    cache.gather(shard, row, matrix)
    return matrix, path
