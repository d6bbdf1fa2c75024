"""Per-record lengths (characters or tokens) as numpy arrays, for statistics that cost no Python object a record.

The writer keeps each kept record's length in an ``array("I")`` (4 bytes a record); the
report's histograms and the manifest's token statistics sort a numpy view of it instead of
a Python list, whose ints and pointers cost about 45 bytes a record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sorted_lengths(values: Sequence[int] | np.ndarray | None) -> np.ndarray:
    """``values`` sorted, as one integer numpy array (an ``array("I")`` is read in place, then copied once).

    >>> from array import array
    >>> sorted_lengths(array("I", [3, 1, 2])).tolist(), sorted_lengths(None).tolist(), sorted_lengths([]).dtype
    ([1, 2, 3], [], dtype('int64'))
    """
    found = np.asarray(values if values is not None else ())
    if found.dtype.kind not in "iu":
        found = found.astype(np.int64)
    return np.sort(found)
