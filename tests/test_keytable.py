"""The exact-dedup index: the same answers as a dict, memory bounded, growth without Python objects."""

from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest

from curate.keytable import KeyTable, place


@pytest.mark.parametrize("capacity", [4, 1 << 14])
def test_key_table_decides_like_a_dict_on_random_keys_with_collisions(capacity):
    rng = random.Random(capacity)
    table, reference = KeyTable(capacity=capacity), {}
    small = [0, 1, 2**64 - 1, 2**63, 2**56, 2**56 + 1]  # shard edges, key 0 and 1 apart
    for _ in range(60_000):
        draw = rng.random()
        if draw < 0.6:
            key = rng.getrandbits(64)
        elif draw < 0.8:  # the same low bits in one shard: long probe runs that wrap around
            key = (rng.randrange(4) << 56) | (rng.randrange(64) << 20) | 7
        else:
            key = rng.choice(small) if draw < 0.82 else rng.randrange(300)
        value = rng.getrandbits(64)
        assert table.setdefault(key, value) == reference.get(key)
        reference.setdefault(key, value)
    assert len(table) == len(reference)
    assert all(table.get(k) == v for k, v in reference.items())
    assert table.get(12345678901234567) is None


def test_place_wraps_past_the_end_and_every_key_is_found():
    rng = np.random.default_rng(0)
    size = 64
    keys = np.unique(rng.integers(1, 2**63, 51, dtype=np.uint64) | np.uint64(size - 3))  # all home in the last slots
    keys = keys[:51]
    table_keys, table_values = place(keys, np.arange(len(keys), dtype=np.uint64), size)
    assert sorted(table_keys[table_keys != 0].tolist()) == sorted(keys.tolist())
    for value, key in enumerate(keys.tolist()):  # a linear probe from the home slot reaches it before a gap
        i = key & (size - 1)
        while int(table_keys[i]) != key:
            assert table_keys[i] != 0
            i = (i + 1) % size
        assert table_values[i] == value


def test_key_table_stays_under_forty_bytes_a_key_and_grows_a_shard_at_a_time():
    table = KeyTable()
    rng = random.Random(1)
    worst = 0.0
    for n in range(1, 400_001):
        table.setdefault(rng.getrandbits(64), n)
        if n % 50_000 == 0:
            worst = max(worst, table.nbytes / n)
    assert worst <= 40
    # one more shard growth costs about a 256th of the table, not a Python object per key
    tracemalloc.start()
    transient = 0
    for _ in range(20_000):  # enough for many shards to double
        tracemalloc.reset_peak()
        table.setdefault(rng.getrandbits(64), 1)
        now, peak = tracemalloc.get_traced_memory()
        transient = max(transient, peak - now)
    tracemalloc.stop()
    assert 0 < transient < table.nbytes / 32
