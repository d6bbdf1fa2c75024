"""Threshold maps: a similarity threshold on a reference embedder's scale, read on another embedder's scale.

Embedders differ in how similar they find the same two texts: the static embedder
(model2vec, distilled from all-MiniLM-L6-v2) scores paraphrases and unrelated sentences
alike higher than MiniLM does. A :class:`ThresholdMap` lets a user keep one meaning for
``--semantic-dedup 0.9`` whichever embedder runs: the semantic phase reads the user's
threshold on the reference's scale (MiniLM's) and compares the embedder's own
similarities with the mapped one. The map is monotone and piecewise linear between
knots fitted on labelled pairs (``bench/static_calibration.py``); beyond the first and
last knots the difference at that knot holds.

>>> m = ThresholdMap(knots=((0.5, 0.6), (0.9, 0.92)), reference="MiniLM")
>>> m(0.5), m(0.7), round(m(0.95), 4), m(1.0)
(0.6, 0.76, 0.97, 1.0)
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curate.errors import ConfigError

__all__ = ["ThresholdMap"]


@dataclass(frozen=True)
class ThresholdMap:
    """A monotone map from thresholds on ``reference``'s similarity scale to an embedder's own.

    ``knots`` are (reference threshold, own threshold) pairs, both increasing (the own
    side non-decreasing); ``model_id`` is the embedder model the map was fitted for
    (``None``: any); ``source`` says where it was fitted.
    """

    knots: tuple[tuple[float, float], ...]
    reference: str
    model_id: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.knots) < 2:
            raise ConfigError(f"a threshold map needs at least two knots, got {len(self.knots)}")
        ref = [k[0] for k in self.knots]
        own = [k[1] for k in self.knots]
        if any(b <= a for a, b in itertools.pairwise(ref)) or any(b < a for a, b in itertools.pairwise(own)):
            raise ConfigError(
                "a threshold map's knots must increase (reference strictly, own never decreasing)",
                hint="refit it with bench/static_calibration.py --fit --write",
            )
        if not all(-1.0 <= x <= 1.0 for k in self.knots for x in k):
            raise ConfigError("a threshold map's knots are cosine similarities in [-1, 1]")

    def __call__(self, threshold: float) -> float:
        """``threshold`` (on the reference's scale) on the embedder's own scale, at most 1.0."""
        ref = np.array([k[0] for k in self.knots])
        own = np.array([k[1] for k in self.knots])
        if threshold <= ref[0]:
            mapped = threshold + (own[0] - ref[0])
        elif threshold >= ref[-1]:
            mapped = threshold + (own[-1] - ref[-1])
        else:
            mapped = float(np.interp(threshold, ref, own))
        return float(min(1.0, max(-1.0, round(mapped, 6))))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThresholdMap:
        """The map in a JSON object: ``knots`` ([[reference, own], ...]), ``reference``, ``model_id``, ``fitted_on``."""
        try:
            knots = tuple((float(a), float(b)) for a, b in data["knots"])
            return cls(knots, str(data["reference"]), data.get("model_id"), str(data.get("fitted_on", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"a threshold map needs 'knots' as [[reference, own], ...] and 'reference': {exc}"
            ) from exc

    @classmethod
    def load(cls, path: Path) -> ThresholdMap:
        """The map stored as JSON at ``path``."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the threshold map {path}: {exc}", hint="reinstall curate") from exc
        return cls.from_dict(data)

    def describe(self, threshold: float) -> dict[str, Any]:
        """What the report says: the user's threshold, the one compared, and where the map comes from."""
        return {
            "reference": self.reference,
            "user_threshold": threshold,
            "threshold": self(threshold),
            "source": self.source,
        }
