"""A phase's records on the Ray cluster: the driver's spill put in the object store, and helpers over it.

Phases run after the streaming pass, over the driver's spill, as on the local engine.
When a phase asks the engine's compute (:mod:`curate.engines.ray.compute`) for a heavy
step, the spill's records go to the object store (:func:`spill_dataset`: columns ``pos``,
the record's place among the phase's records, and ``record``, pickled); the phase's
decisions are applied on the driver, in input order, like any phase's.
"""

from __future__ import annotations

import pickle
from itertools import islice
from typing import TYPE_CHECKING, Any

from curate.ledger import Spill
from curate.records import Record

if TYPE_CHECKING:
    import numpy as np

Dataset = Any
#: Records a block of a phase's dataset.
ROWS_PER_BLOCK = 4096


def spill_dataset(spill: Spill) -> Dataset:
    """The spill's records in the object store, block by block (the driver holds one block at a time)."""
    import pyarrow as pa
    import ray
    import ray.data

    refs: list[Any] = []
    records = iter(spill)
    start, batch = 0, list[bytes]()
    while not refs or len(batch) == ROWS_PER_BLOCK:
        batch = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in islice(records, ROWS_PER_BLOCK)]
        pos = pa.array(range(start, start + len(batch)), pa.int64())
        refs.append(ray.put(pa.table({"pos": pos, "record": pa.array(batch, pa.large_binary())})))
        start += len(batch)
    return ray.data.from_arrow_refs(refs)  # type: ignore[arg-type]  # Ray's two ObjectRef types


def phase_records(batch: Any) -> list[Record]:
    """The records in a batch of a phase's dataset (``pyarrow``, ``pandas`` or ``numpy`` batches)."""
    column = batch["record"]
    values = column.to_pylist() if hasattr(column, "to_pylist") else list(column)
    return [pickle.loads(value) for value in values]


def in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_array`` (ascending): a boolean mask, by binary search."""
    import numpy as np

    if not len(sorted_array):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return sorted_array[at] == values


def signed64(key: int) -> int:
    """A 64-bit unsigned key as an Arrow int64."""
    return key - (1 << 64) if key >= 1 << 63 else key
