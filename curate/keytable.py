"""A set of 64-bit keys with a 64-bit value each, in numpy arrays: the exact-dedup index.

:class:`KeyTable` is split into 256 shards by the top eight bits of the key. Each shard is
an open-addressing table (linear probing, two ``uint64`` arrays, a power-of-two size) kept
at most 80% full, so a key costs 20 to 40 bytes (16 bytes a slot at a load of 0.4 to 0.8).
When a shard fills up only that shard doubles, and it is rebuilt with numpy alone (no
Python object per key), so the extra memory while growing is a 256th of the table.

A Python dict of ints costs about 120 bytes an entry; at a million records that is the
difference between about 25 MB and 120 MB of state.
"""

from __future__ import annotations

import numpy as np

#: Shards, chosen by the top ``SHARD_BITS`` bits of a key.
SHARD_BITS = 8
#: A shard doubles when more than ``MAX_LOAD_NUM / MAX_LOAD_DEN`` of its slots are used.
MAX_LOAD_NUM, MAX_LOAD_DEN = 4, 5


class _Shard:
    """One open-addressing table: ``keys`` (0 marks an empty slot) and ``values``, ``count`` used."""

    __slots__ = ("count", "keys", "limit", "values")

    def __init__(self, size: int) -> None:
        self.keys = np.zeros(size, dtype=np.uint64)
        self.values = np.zeros(size, dtype=np.uint64)
        self.count = 0
        self.limit = size * MAX_LOAD_NUM // MAX_LOAD_DEN

    def slot(self, key: int) -> int:
        """The slot holding ``key``, or the empty slot where it would go (linear probing)."""
        keys = self.keys
        mask = len(keys) - 1
        i = key & mask
        while True:
            found = int(keys[i])
            if found == key or found == 0:
                return i
            i = (i + 1) & mask

    def grow(self) -> None:
        """Double the size and place every key again, vectorised."""
        used = self.keys != 0
        keys, values = self.keys[used], self.values[used]
        size = 2 * len(self.keys)
        self.keys = self.values = np.empty(0, dtype=np.uint64)  # let the old arrays go first
        self.keys, self.values = place(keys, values, size)
        self.limit = size * MAX_LOAD_NUM // MAX_LOAD_DEN


def place(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A linear-probing table of ``size`` slots (a power of two) holding distinct nonzero ``keys``.

    Keys sorted by their home slot (``key % size``) go, in that order, each to the first
    slot at or after its home that the previous one left free: slot ``i + max(home[j] - j,
    j <= i)`` for the ``i``-th. Those past the end wrap to the first free slots from 0. No
    free slot lies between any key's home and its slot, which is all lookups need.

    >>> k, v = place(np.array([5, 13, 6, 7], dtype=np.uint64), np.arange(4, dtype=np.uint64), 8)
    >>> k.tolist(), v.tolist()
    ([7, 0, 0, 0, 0, 5, 13, 6], [3, 0, 0, 0, 0, 0, 1, 2])
    """
    table_keys = np.zeros(size, dtype=np.uint64)
    table_values = np.zeros(size, dtype=np.uint64)
    if not len(keys):
        return table_keys, table_values
    home = (keys & np.uint64(size - 1)).astype(np.int64)
    order = np.argsort(home, kind="stable")
    keys, values, home = keys[order], values[order], home[order]
    rank = np.arange(len(keys), dtype=np.int64)
    slot = np.maximum.accumulate(home - rank) + rank
    inside = slot < size
    table_keys[slot[inside]] = keys[inside]
    table_values[slot[inside]] = values[inside]
    if not inside.all():  # the few that run past the end: the first free slots from the start, in order
        free = np.flatnonzero(table_keys == 0)[: int((~inside).sum())]
        table_keys[free] = keys[~inside]
        table_values[free] = values[~inside]
    return table_keys, table_values


class KeyTable:
    """A map from 64-bit keys to 64-bit values, 20 to 40 bytes a key: see :mod:`curate.keytable`.

    >>> table = KeyTable(capacity=4)
    >>> [table.setdefault(k, v) for k, v in ((7, 70), (8, 80), (7, 71), (2**64 - 1, 2**64 - 2), (0, 0))]
    [None, None, 70, None, None]
    >>> table.setdefault(0, 5), table.setdefault(1, 6), len(table)
    (0, None, 5)
    """

    def __init__(self, capacity: int = 1 << 14) -> None:
        slots = -(-capacity * MAX_LOAD_DEN // MAX_LOAD_NUM)  # room for ``capacity`` keys at the highest load
        per_shard = max(1, -(-slots >> SHARD_BITS))
        size = 1 << max(2, (per_shard - 1).bit_length())
        self._shards = [_Shard(size) for _ in range(1 << SHARD_BITS)]
        self._shift = 64 - SHARD_BITS
        self._zero: int | None = None  # key 0 marks an empty slot, so its value lives here

    def __len__(self) -> int:
        return sum(s.count for s in self._shards) + (self._zero is not None)

    @property
    def nbytes(self) -> int:
        """Bytes held by the shards' arrays."""
        return sum(s.keys.nbytes + s.values.nbytes for s in self._shards)

    def setdefault(self, key: int, value: int) -> int | None:
        """The value stored for ``key``; when there is none, store ``value`` and return ``None``."""
        if not key:
            if self._zero is None:
                self._zero = value
                return None
            return self._zero
        shard = self._shards[key >> self._shift]
        i = shard.slot(key)
        if shard.keys[i]:
            return int(shard.values[i])
        shard.keys[i] = key
        shard.values[i] = value
        shard.count += 1
        if shard.count > shard.limit:
            shard.grow()
        return None

    def get(self, key: int) -> int | None:
        """The value stored for ``key``, or ``None``."""
        if not key:
            return self._zero
        shard = self._shards[key >> self._shift]
        i = shard.slot(key)
        return int(shard.values[i]) if shard.keys[i] else None
