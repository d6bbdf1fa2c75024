"""The training configuration: one dataclass, built from a preset, a TOML `[train]` table or a mapping."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from curate.config import read_toml

from .errors import TrainConfigError
from .presets import load_preset

METHODS = ("full", "lora", "qlora", "8bit")
PRECISIONS = ("fp32", "fp16", "bf16")
FORMATS = ("text", "input-output", "prompt-generation", "prompt-completion", "messages", "alpaca", "sharegpt")
LAUNCHERS = ("none", "accelerate", "torchrun")
OVERLONG = ("truncate", "drop")


@dataclass
class TrainConfig:
    """Everything a training run needs. Field names are the keys of the TOML `[train]` table."""

    # What to train and on what.
    model: str = ""
    data: str | None = None  # a build's output directory (train.jsonl, val.jsonl, manifest.json)
    train_file: str | None = None  # override data/train.jsonl
    val_file: str | None = None  # override data/val.jsonl; "" means no validation
    output_dir: str | None = None  # default: <data>/train-<method>
    format: str | None = None  # default: detected from the records' keys
    preset: str | None = None
    method: str = "lora"

    # Data preparation.
    max_length: int | None = None  # default: source + target max length when both set, else 2048
    source_max_length: int | None = None
    target_max_length: int | None = None
    train_on_source: bool = False
    overlong: str = "truncate"
    packing: bool = False
    cache_dir: str | None = None  # default: <output_dir>/tokenised
    chat_template: str | None = None  # Jinja text or a file, for tokenizers without one

    # LoRA / QLoRA.
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: list[str] | str = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    modules_to_save: list[str] | None = None
    layers_to_transform: list[int] | None = None
    lora_bias: str = "none"
    bnb_4bit_compute_dtype: str = "bf16"

    # Optimisation.
    learning_rate: float = 2e-4
    lr_scheduler: str = "linear"
    warmup_steps: int = 0
    per_device_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    effective_batch_size: int | None = None  # when set, gradient accumulation is derived from it
    num_epochs: float = 1.0
    max_steps: int = -1
    precision: str = "fp32"
    gradient_checkpointing: bool = False
    optim: str = "adamw_torch"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42

    # Evaluation, checkpoints, logging.
    eval_steps: int | None = 50
    save_steps: int | None = 100
    save_total_limit: int | None = 2
    logging_steps: int = 1
    report_to: list[str] = field(default_factory=list)
    resume: bool = True
    early_stopping: bool = False
    early_stopping_patience: int = 3
    check_gradients: bool = True

    # Outputs and launching.
    merge: bool = False
    launcher: str = "none"
    num_processes: int | None = None
    accelerate_config: str | None = None
    device: str = "auto"  # auto, cpu, cuda

    def __post_init__(self) -> None:
        _check_choice("method", self.method, METHODS)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("launcher", self.launcher, LAUNCHERS)
        _check_choice("overlong", self.overlong, OVERLONG)
        _check_choice("lora_bias", self.lora_bias, ("none", "all", "lora_only"))
        _check_choice("device", self.device, ("auto", "cpu", "cuda"))
        _check_choice("bnb_4bit_compute_dtype", self.bnb_4bit_compute_dtype, PRECISIONS)
        if self.format is not None:
            _check_choice("format", self.format, FORMATS)
        if self.max_length is None:
            if self.source_max_length and self.target_max_length:
                self.max_length = self.source_max_length + self.target_max_length
            else:
                self.max_length = 2048
        for name in (
            "max_length",
            "per_device_batch_size",
            "gradient_accumulation_steps",
            "lora_rank",
            "logging_steps",
        ):
            if int(getattr(self, name)) < 1:
                raise TrainConfigError(f"train.{name} must be at least 1, got {getattr(self, name)!r}")
        if isinstance(self.report_to, str):
            self.report_to = [] if self.report_to in ("", "none") else [self.report_to]
        for sink in self.report_to:
            _check_choice("report_to", sink, ("wandb", "tensorboard"))
        if self.effective_batch_size is not None:
            self.gradient_accumulation_steps = accumulation_for(
                self.effective_batch_size, self.per_device_batch_size, self.num_processes or 1
            )

    @property
    def uses_lora(self) -> bool:
        return self.method != "full"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TrainConfigError(
            f"train.{name} = {value!r} is not one of: {', '.join(choices)}",
        )


def accumulation_for(effective_batch: int, per_device_batch: int, num_processes: int = 1) -> int:
    """Gradient accumulation steps that reach `effective_batch` from what fits on each device.

    The guide's example: 32 wanted, 8 fit on one GPU -> accumulate 4. Rounds up, so the
    effective batch is never smaller than asked for.
    """
    if effective_batch < 1 or per_device_batch < 1 or num_processes < 1:
        raise TrainConfigError("effective_batch_size, per_device_batch_size and num_processes must all be at least 1")
    return max(1, math.ceil(effective_batch / (per_device_batch * num_processes)))


_FIELD_NAMES = {f.name for f in fields(TrainConfig)}


def config_from_mapping(
    mapping: Mapping[str, Any], *, base_dir: str | Path | None = None, source: str = "train config"
) -> TrainConfig:
    """Build a TrainConfig from a mapping (a TOML `[train]` table, CLI settings...).

    A `preset` key loads that preset first and lays the other keys over it. Unknown keys are
    errors, with the closest known name as a hint. Relative paths resolve against `base_dir`.
    """
    values: dict[str, Any] = {}
    preset = mapping.get("preset")
    if preset:
        values.update(load_preset(str(preset)))
    unknown = [k for k in mapping if k not in _FIELD_NAMES]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, sorted(_FIELD_NAMES), n=1)
        raise TrainConfigError(
            f"unknown training setting {key!r} in {source}",
            hint=f"did you mean {close[0]!r}?" if close else "see docs/training.md for the settings",
        )
    values.update(mapping)
    if base_dir is not None:
        base = Path(base_dir)
        for key in ("data", "train_file", "val_file", "output_dir", "cache_dir", "accelerate_config"):
            v = values.get(key)
            if v and not Path(v).is_absolute():
                values[key] = str(base / v)
        model = values.get("model")
        if model and (base / model).exists() and not Path(model).is_absolute():
            values["model"] = str(base / model)
    try:
        return TrainConfig(**values)
    except TypeError as exc:  # a wrongly typed value that the dataclass could not take
        raise TrainConfigError(f"invalid training settings in {source}: {exc}") from exc


def load_config(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Read the `[train]` table of a TOML file (or the whole file if it has no such table)."""
    p = Path(path)
    doc = read_toml(p, what="training config", error=TrainConfigError)
    table = doc.get("train", doc)
    if not isinstance(table, dict):
        raise TrainConfigError(f"{p}: [train] must be a table")
    merged = dict(table)
    merged.update(overrides or {})
    return config_from_mapping(merged, base_dir=p.parent, source=str(p))


def resolve_spec(
    spec: str | Mapping[str, Any] | TrainConfig | None,
    *,
    data: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> TrainConfig:
    """Turn what a user passed to `--train` (preset name, TOML path, mapping, config) into a config.

    `data` (a build's output directory) fills `data` when the spec leaves it unset.
    """
    extra = dict(overrides or {})
    if isinstance(spec, TrainConfig):
        cfg = dataclasses.replace(spec, **extra)
    elif spec is None or isinstance(spec, Mapping):
        cfg = config_from_mapping({**(spec or {}), **extra})
    elif str(spec).endswith(".toml") or Path(str(spec)).is_file():
        cfg = load_config(str(spec), overrides=extra)
    else:
        cfg = config_from_mapping({"preset": str(spec), **extra})
    if data is not None and not cfg.data and not cfg.train_file:
        cfg = dataclasses.replace(cfg, data=str(data))
    return cfg
