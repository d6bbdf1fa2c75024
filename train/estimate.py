"""Memory needed to fine-tune a model, from its config alone (the model is built on the meta device).

Per-parameter costs (bytes), as curate trains:
- weights: fp32 (4) for a full fine-tune, whose master weights stay fp32 under mixed precision;
  the frozen base of LoRA in the compute dtype on a GPU (2 for bf16/fp16); NF4 with double
  quantisation for QLoRA (4.127 bits: 4 + 8/64 for the 8-bit block scales + 32/(64*256) for
  their scales); int8 (1) for 8-bit. Layers that are not quantised (embeddings, norms, lm_head)
  are fp32 after `prepare_model_for_kbit_training`.
- gradients: 4 per trainable parameter.
- optimizer: AdamW keeps fp32 m and v (8) beside an fp32 master copy (4): 12 bytes per trainable
  parameter, the master copy here being the fp32 trainable weights counted above; 8-bit AdamW 6
  (master 4 + 1 + 1).
- activations: Transformer Math 101 (Korthikanti et al. 2022), per layer
  s*b*h*(34 + 5*a*s/h) bytes at 16-bit, the MLP term scaled to the model's MLP width, the
  attention-score term only for eager attention; with full checkpointing 2*s*b*h per layer
  plus one layer recomputed. Logits add s*b*V fp32 values three times (logits, log-softmax,
  gradient).
- inference rule of the guide: size on disk x 1.2.
- on a GPU (``gpu_memory`` given): the CUDA context (about 0.5 GiB with current drivers and
  PyTorch's kernels loaded) and an allowance of 10% of the tensors for the caching allocator's
  fragmentation, both in the total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TrainConfigError

GIB = 1024**3
NF4_BYTES = (4 + 8 / 64 + 32 / (64 * 256)) / 8
#: What the CUDA context takes before any tensor (driver, cuBLAS/cuDNN handles, kernels).
CUDA_CONTEXT = 0.5 * GIB
#: The caching allocator's reserved-but-unused memory at the peak, as a share of live tensors.
ALLOCATOR_SHARE = 0.10


def parse_size(text: str | float | int | None) -> int | None:
    """'24GB', '24GiB', '80G', '500MB' or a number of bytes -> bytes (GB taken as GiB, as GPUs are sold)."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if not m:
        raise TrainConfigError(f"cannot read the memory size {text!r}", hint="write it like 24GB or 80GiB")
    power = " kmgt".index(m.group(2) or " ")
    return int(float(m.group(1)) * 1024**power)


def human(n: float) -> str:
    for unit, div in (("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n:.0f} B"


@dataclass
class MemoryEstimate:
    model: str
    method: str
    seq_len: int
    batch: int
    params: int
    trainable: int
    weights: float
    gradients: float
    optimizer: float
    activations: float  # as trained (with or without checkpointing, see `gradient_checkpointing`)
    activations_no_checkpointing: float
    activations_checkpointing: float
    logits: float
    gradient_checkpointing: bool
    inference: float
    disk_size: float
    gpu_memory: int | None = None
    notes: list[str] = field(default_factory=list)
    #: On a GPU (``gpu_memory`` given): the CUDA context, which takes memory before any tensor.
    cuda_context: float = 0.0
    #: On a GPU: what PyTorch's caching allocator holds beyond the live tensors (fragmentation).
    allocator_allowance: float = 0.0

    @property
    def tensors(self) -> float:
        """Live tensors at the peak: weights, gradients, optimizer states, activations, logits."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.logits

    @property
    def total(self) -> float:
        return self.tensors + self.cuda_context + self.allocator_allowance

    @property
    def fits(self) -> bool | None:
        return None if self.gpu_memory is None else self.total <= self.gpu_memory

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d.update(total=self.total, fits=self.fits)
        return d

    def format(self) -> str:
        ck = "with" if self.gradient_checkpointing else "without"
        rows = [
            ("parameters", f"{self.params:,}"),
            ("trainable parameters", f"{self.trainable:,} ({100 * self.trainable / max(self.params, 1):.2f}%)"),
            ("weights", human(self.weights)),
            ("gradients", human(self.gradients)),
            ("optimizer states", human(self.optimizer)),
            (f"activations ({ck} checkpointing)", human(self.activations)),
            ("  without checkpointing", human(self.activations_no_checkpointing)),
            ("  with checkpointing", human(self.activations_checkpointing)),
            ("logits and loss", human(self.logits)),
        ]
        if self.gpu_memory is not None:
            rows += [
                ("CUDA context", human(self.cuda_context)),
                ("allocator allowance", human(self.allocator_allowance)),
            ]
        rows += [
            ("total for training", human(self.total)),
            ("inference (disk size x 1.2)", f"{human(self.inference)} (disk {human(self.disk_size)})"),
        ]
        width = max(len(r[0]) for r in rows)
        lines = [f"{self.model}: {self.method}, sequence {self.seq_len}, batch {self.batch}"]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        if self.gpu_memory is not None:
            verdict = "fits" if self.fits else "does NOT fit"
            lines.append(
                f"  {'GPU memory'.ljust(width)}  {human(self.gpu_memory)}: {verdict} "
                f"({100 * self.total / self.gpu_memory:.0f}% used)"
            )
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _disk_size(model: str, params: int, config: Any) -> float:
    p = Path(model)
    if p.is_dir():
        files = [f for f in p.iterdir() if f.suffix in (".safetensors", ".bin", ".pt", ".pth")]
        if files:
            return float(sum(f.stat().st_size for f in files))
    dtype = str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or "float16")
    return float(params * (4 if "32" in dtype else 2))


def estimate_memory(
    model: str,
    method: str = "lora",
    *,
    seq_len: int = 2048,
    batch: int = 1,
    gpu_memory: str | int | None = None,
    gradient_checkpointing: bool | None = None,
    precision: str = "bf16",
    lora_rank: int = 8,
    target_modules: list[str] | str | None = None,
    modules_to_save: list[str] | None = None,
    optimizer: str = "adamw",
    attention: str = "sdpa",
) -> MemoryEstimate:
    """Estimate training memory for `model` (a local directory or a hub name whose config is cached)."""
    import torch

    from .methods import meta_model

    if method not in ("full", "lora", "qlora", "8bit"):
        raise TrainConfigError(f"unknown method {method!r}", hint="one of: full, lora, qlora, 8bit")
    net = meta_model(model)
    cfg = net.config
    text_cfg = cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg
    h = int(text_cfg.hidden_size)
    layers = int(text_cfg.num_hidden_layers)
    heads = int(text_cfg.num_attention_heads)
    inter = int(getattr(text_cfg, "intermediate_size", None) or 4 * h)
    vocab = int(text_cfg.vocab_size)
    gated = any(n.endswith(("gate_proj", "gate_up_proj", "w1")) for n, _ in net.named_modules())
    params = sum(p.numel() for p in net.parameters())

    head = net.get_output_embeddings()
    linears: dict[str, Any] = {}
    embeddings: dict[str, Any] = {}
    for name, mod in net.named_modules():
        if isinstance(mod, torch.nn.Linear):
            linears[name] = mod
        elif isinstance(mod, torch.nn.Embedding):
            embeddings[name] = mod
    quantisable = sum(int(m.weight.numel()) for m in linears.values() if m is not head)
    rest = params - quantisable

    # Trainable parameters.
    notes: list[str] = []
    if method == "full":
        trainable = params
    else:
        if target_modules is None:
            target_modules = "all-linear" if method == "qlora" else ["q_proj", "k_proj", "v_proj", "o_proj"]
        trainable = 0
        for name, mod in {**linears, **embeddings}.items():
            short = name.rsplit(".", 1)[-1]
            if target_modules == "all-linear":
                hit = isinstance(mod, torch.nn.Linear) and mod is not head
            else:
                hit = short in target_modules
            if not hit:
                continue
            if isinstance(mod, torch.nn.Linear):
                trainable += lora_rank * (mod.in_features + mod.out_features)
            else:
                trainable += lora_rank * (mod.num_embeddings + mod.embedding_dim)
        for name, mod in net.named_modules():
            if modules_to_save and name.rsplit(".", 1)[-1] in modules_to_save:
                trainable += sum(p.numel() for p in mod.parameters())

    half = precision in ("bf16", "fp16")
    if method == "full":
        weights = 4.0 * params
    elif method == "lora":
        weights = (2.0 if half else 4.0) * params + 4.0 * trainable
    elif method == "qlora":
        weights = NF4_BYTES * quantisable + 4.0 * rest + 4.0 * trainable
    else:
        weights = 1.0 * quantisable + 4.0 * rest + 4.0 * trainable
    gradients = 4.0 * trainable
    opt_per_param = 2.0 if "8bit" in optimizer else 8.0
    opt = opt_per_param * trainable
    notes.append(
        f"optimizer: {'8-bit' if opt_per_param == 2 else '32-bit'} AdamW, "
        f"{int(opt_per_param) + 4} bytes per trainable parameter with its fp32 master weights"
    )

    if gradient_checkpointing is None:
        gradient_checkpointing = method != "full"
    s, b = seq_len, batch
    act_scale = 1.0 if half else 2.0  # the formulas count 16-bit activations
    mlp_scale = inter * (3 if gated else 2) / (8 * h)
    per_layer = s * b * h * (15 + 19 * mlp_scale) * act_scale
    if attention == "eager":
        per_layer += 5 * heads * s * s * b * act_scale
    act_full = per_layer * layers
    act_ckpt = 2 * s * b * h * layers * act_scale + per_layer
    activations = act_ckpt if gradient_checkpointing else act_full
    logits = 3 * 4.0 * s * b * vocab
    disk = _disk_size(model, params, cfg)
    gpu = parse_size(gpu_memory)
    context = allowance = 0.0
    if gpu is not None:
        tensors = weights + gradients + opt + activations + logits
        context = CUDA_CONTEXT
        allowance = ALLOCATOR_SHARE * tensors
        notes.append(
            f"GPU: {human(CUDA_CONTEXT)} of CUDA context and {ALLOCATOR_SHARE:.0%} of the tensors' size for "
            "the caching allocator's fragmentation are counted in the total"
        )
    return MemoryEstimate(
        model=model,
        method=method,
        seq_len=s,
        batch=b,
        params=params,
        trainable=trainable,
        weights=weights,
        gradients=gradients,
        optimizer=opt,
        activations=activations,
        activations_no_checkpointing=act_full,
        activations_checkpointing=act_ckpt,
        logits=logits,
        gradient_checkpointing=gradient_checkpointing,
        inference=1.2 * disk,
        disk_size=disk,
        gpu_memory=gpu,
        notes=notes,
        cuda_context=context,
        allocator_allowance=allowance,
    )
