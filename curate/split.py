"""The train/validation split: deterministic, keyed on content, groups kept whole.

Each record's side is decided by a hash of ``(seed, group key)``, not by arrival order,
so re-runs and re-ordered inputs give the same split. The group key is the record's
``meta["group"]`` when a stage set one (near-duplicate groups, clusters), else its
content hash: records of one group always land on the same side.
"""

from __future__ import annotations

import hashlib

from curate.records import Record

GROUP_KEY = "group"


def group_key(record: Record) -> str:
    """The key that decides a record's side: its group if it has one, else its content."""
    group = record.meta.get(GROUP_KEY)
    return str(group) if group is not None else record.content_hash()


def split_point(key: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by ``key`` and ``seed``.

    >>> split_point("abc", 0) == split_point("abc", 0) != split_point("abc", 1)
    True
    """
    digest = hashlib.blake2b(f"{seed}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def side(record: Record, *, val_ratio: float, seed: int) -> str:
    """``"val"`` or ``"train"`` for ``record``."""
    return "val" if split_point(group_key(record), seed) < val_ratio else "train"
