"""Reading a Ray dataset's blocks on the driver, with the iteration closed when the reader is done.

Ray Data stops a dataset's executor, and frees the blocks it holds, when the generator
behind ``iter_batches`` is closed. A generator dropped half-way is closed only when the
garbage collector gets to it, which may be after the cluster has shut down (Ray then
raises in the object store, in a finaliser nobody can catch). Every driver-side read of
a dataset goes through :func:`each_batch`, which closes the iteration when its ``with``
block ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, Literal

#: A ``ray.data.Dataset``, typed loosely: Ray's annotations reject keyword-only UDFs.
Dataset = Any


@contextmanager
def each_batch(dataset: Dataset, batch_format: Literal["numpy", "pyarrow"]) -> Iterator[Iterator[Any]]:
    """``dataset``'s blocks as batches of ``batch_format``, one block a batch, in the dataset's order."""
    batches: Any = iter(dataset.iter_batches(batch_format=batch_format, batch_size=None))  # a generator
    with closing(batches):
        yield batches
