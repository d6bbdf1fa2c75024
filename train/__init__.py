"""curate.train: fine-tune on a build's output (full, LoRA, QLoRA, 8-bit), with learning curves,
fit diagnosis and a memory estimate.

Importing this package is cheap: torch, transformers and peft load only when a function needs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import TrainConfig, accumulation_for, config_from_mapping, load_config, resolve_spec
from .curves import Curves, Diagnosis, diagnose, diagnose_curves, plot_curves, read_curves
from .errors import GradientCheckError, TrainConfigError, TrainDataError, TrainError, TrainMissingDependency
from .presets import PRESETS, load_preset

if TYPE_CHECKING:
    from .estimate import MemoryEstimate
    from .run import TrainResult

__all__ = [
    "PRESETS",
    "Curves",
    "Diagnosis",
    "GradientCheckError",
    "MemoryEstimate",
    "TrainConfig",
    "TrainConfigError",
    "TrainDataError",
    "TrainError",
    "TrainMissingDependency",
    "TrainResult",
    "accumulation_for",
    "config_from_mapping",
    "diagnose",
    "diagnose_curves",
    "estimate_memory",
    "load_config",
    "load_preset",
    "plot_curves",
    "read_curves",
    "resolve_spec",
    "train",
    "train_build",
    "train_from_build",
]


def train(config: TrainConfig) -> TrainResult:
    """Run a training job; see `curate.train.run.train`."""
    from .run import train as _train

    return _train(config)


def train_build(out_dir: str, spec: Any = None, **overrides: Any) -> TrainResult:
    """Train on a build's output directory: `spec` is a preset name, a TOML path, a mapping or a config."""
    return train(resolve_spec(spec, data=out_dir, overrides=overrides))


def train_from_build(out_dir: str | Path, table: Mapping[str, Any]) -> TrainResult:
    """Train after a build: `table` is the build config's [train] table (a `preset` key, overrides,
    and `_base_dir`, the directory relative paths in it are relative to). Data defaults to `out_dir`."""
    settings = dict(table)
    base = settings.pop("_base_dir", None)
    cfg = config_from_mapping(settings, base_dir=base, source="[train]")
    if not cfg.data and not cfg.train_file:
        cfg = dataclasses.replace(cfg, data=str(out_dir))
    return train(cfg)


def estimate_memory(model: str, method: str = "lora", **kwargs: Any) -> MemoryEstimate:
    """Memory needed to train `model`, from its config alone; see `curate.train.estimate`."""
    from .estimate import estimate_memory as _estimate

    return _estimate(model, method, **kwargs)
