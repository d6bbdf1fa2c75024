"""The record counts of a build: read, train, val, and the rejections by stage and reason.

Kept apart from :mod:`curate.ledger` (which writes the outputs and locks the folder) so
that a filter may name :class:`Counts` without importing the output machinery.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    """Record counts of a build; ``rejected_by[stage][reason]`` adds up to ``rejected``."""

    read: int = 0
    train: int = 0
    val: int = 0
    rejected_by: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stages: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def rejected(self) -> int:
        return sum(sum(c.values()) for c in self.rejected_by.values())

    def reconciles(self) -> bool:
        """True when every record read is accounted for."""
        return self.read == self.train + self.val + self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "train": self.train,
            "val": self.val,
            "rejected": self.rejected,
            "rejected_by": {s: dict(sorted(c.items())) for s, c in self.rejected_by.items() if c},
            "stages": {s: dict(sorted(c.items())) for s, c in self.stages.items() if c},
        }
