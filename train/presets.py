"""The guide's three training recipes as starting points.

Each preset is a plain mapping of `TrainConfig` field names to values; `config_from_mapping`
lays the user's settings over it, so every value can be overridden.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from .errors import TrainConfigError

_LLAMA_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"]

# "Starting the fine-tune run": RedPajama 3B, full fine-tune on one A100-80G.
FULL: dict[str, Any] = {
    "method": "full",
    "learning_rate": 1e-5,
    "lr_scheduler": "cosine",
    "warmup_steps": 64,
    "per_device_batch_size": 8,
    "gradient_accumulation_steps": 8,
    "precision": "fp16",
    "optim": "adamw_torch_fused",
    "eval_steps": 128,
    "save_steps": 128,
    "save_total_limit": 2,
    "num_epochs": 1,
    "seed": 42,
}

# "LoRA fine-tuning": LLaMA-7B, rank 128 on every projection plus embeddings and head.
LORA: dict[str, Any] = {
    "method": "lora",
    "lora_rank": 128,
    "lora_alpha": 256,
    "lora_dropout": 0.05,
    "target_modules": [*_LLAMA_LINEAR, "embed_tokens", "lm_head"],
    "learning_rate": 5e-5,
    "lr_scheduler": "constant_with_warmup",
    "warmup_steps": 8,
    "per_device_batch_size": 8,
    "gradient_accumulation_steps": 64,
    "precision": "bf16",
    "optim": "adamw_torch_fused",
    "gradient_checkpointing": True,
    "eval_steps": 80,
    "save_steps": 80,
    "save_total_limit": 2,
    "num_epochs": 1,
    "seed": 42,
}

# "QLoRA fine-tuning": artidoro/qlora's qlora.py on LLaMA-33B with input-output data.
# LoRA shape and max_grad_norm follow qlora.py's defaults (r 64, alpha 16, all linear layers).
QLORA: dict[str, Any] = {
    "method": "qlora",
    "lora_rank": 64,
    "lora_alpha": 16,
    "lora_dropout": 0.1,
    "target_modules": "all-linear",
    "learning_rate": 7.5e-5,
    "lr_scheduler": "constant",
    "warmup_steps": 0,
    "per_device_batch_size": 1,
    "gradient_accumulation_steps": 1,
    "precision": "bf16",
    "optim": "paged_adamw_32bit",
    "max_grad_norm": 0.3,
    "source_max_length": 2500,
    "target_max_length": 2500,
    "train_on_source": True,
    "gradient_checkpointing": True,
    "eval_steps": 10,
    "save_steps": 100,
    "save_total_limit": 2,
    "num_epochs": 1,
    "seed": 42,
}

PRESETS: MappingProxyType[str, dict[str, Any]] = MappingProxyType({"full": FULL, "lora": LORA, "qlora": QLORA})


def load_preset(name: str) -> dict[str, Any]:
    """Return a fresh copy of the preset called `name` ("full", "lora" or "qlora")."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise TrainConfigError(
            f"unknown training preset {name!r}",
            hint=f"choose one of: {', '.join(PRESETS)}",
        ) from None
    return {k: (list(v) if isinstance(v, list) else v) for k, v in preset.items()}
