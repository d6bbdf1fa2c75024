"""Building the model to train: full fine-tune, LoRA, QLoRA (4-bit NF4) and LoRA on an 8-bit base."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .data import DEFAULT_CHAT_TEMPLATE
from .errors import GradientCheckError, TrainConfigError, TrainError, require

log = logging.getLogger("curate.train")

# Module types LoRA can wrap, by class name (torch, transformers and bitsandbytes variants).
_TARGETABLE = {"Linear", "Embedding", "Conv1D", "Conv1d", "Conv2d", "Linear4bit", "Linear8bitLt"}
_HALF_CPU_OPTIMS = {
    "paged_adamw_32bit": "adamw_torch",
    "paged_adamw_8bit": "adamw_bnb_8bit",
    "paged_lion_32bit": "lion_32bit",
    "paged_lion_8bit": "lion_8bit",
}


@contextlib.contextmanager
def quiet_known_warnings() -> Iterator[None]:
    """Silence third-party notices that say nothing actionable to a curate user."""
    with warnings.catch_warnings():
        # peft: embeddings are saved because they are LoRA targets; that is what we asked for.
        warnings.filterwarnings("ignore", message="Setting `save_embedding_layers` to `True`")
        # transformers 5 calls its own deprecated gradient-checkpointing alias internally.
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        filters = [(logging.getLogger(name), _MessageFilter(text)) for name, text in _LOG_NOTICES]
        for logger, notice in filters:
            logger.addFilter(notice)
        try:
            yield
        finally:
            for logger, notice in filters:
                logger.removeFilter(notice)


#: (logger, message) of third-party log lines :func:`quiet_known_warnings` drops.
_LOG_NOTICES = (
    # bitsandbytes logs this on every 8-bit matmul whose input is not fp16 (always, on CPU).
    ("bitsandbytes.autograd._functions", "inputs will be cast from"),
    # bitsandbytes, imported on a CPU with AVX512-BF16, tries to fetch a kernel from the Hub; curate runs
    # offline, so that always fails, and bitsandbytes uses its own kernel instead.
    ("bitsandbytes.backends.cpu.ops", "Failed to load CPU gemm_4bit_forward from kernels-community"),
)


class _MessageFilter(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in str(record.msg)


def resolve_device(cfg: TrainConfig) -> str:
    torch = require("torch")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise TrainConfigError("train.device = 'cuda' but no CUDA device is visible to torch")
    if cfg.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return cfg.device


def effective_precision(cfg: TrainConfig, device: str) -> str:
    """fp16 mixed precision needs CUDA; on CPU it falls back to fp32 (and says so)."""
    if cfg.precision == "fp16" and device != "cuda":
        log.warning("precision fp16 needs a CUDA device; training in fp32 on %s", device)
        return "fp32"
    return cfg.precision


def effective_optim(cfg: TrainConfig, device: str) -> str:
    """Paged optimizers page between GPU and CPU memory; on CPU use their unpaged twin."""
    if device != "cuda" and cfg.optim in _HALF_CPU_OPTIMS:
        log.warning("optimizer %s pages GPU memory; using %s on %s", cfg.optim, _HALF_CPU_OPTIMS[cfg.optim], device)
        return _HALF_CPU_OPTIMS[cfg.optim]
    return cfg.optim


def dtype_of(name: str) -> Any:
    torch = require("torch")
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def check_model_source(model: str) -> None:
    """Fail early, and clearly, when ``model`` names a local folder that is not there.

    A path (absolute, or starting with ``.`` or ``~``) must exist; anything else is taken
    for a hub name ("org/name"), which transformers looks up in the local cache (curate
    downloads nothing).
    """
    if not (model.startswith((".", "~")) or Path(model).is_absolute()):
        return
    if not Path(model).expanduser().exists():
        raise TrainConfigError(
            f"train.model: the folder {model} does not exist",
            hint="give a local model folder (with config.json), or a hub name already in the local cache",
        )


def load_tokenizer(cfg: TrainConfig) -> Any:
    transformers = require("transformers")
    try:
        tok = transformers.AutoTokenizer.from_pretrained(cfg.model)
    except OSError as exc:
        raise TrainError(
            f"could not load a tokenizer for model {cfg.model!r}: {exc}",
            hint="train.model must be a local model directory or a downloaded hub name",
        ) from exc
    if cfg.chat_template:
        p = Path(cfg.chat_template)
        tok.chat_template = p.read_text(encoding="utf-8") if p.is_file() else cfg.chat_template
    elif not getattr(tok, "chat_template", None):
        tok.chat_template = DEFAULT_CHAT_TEMPLATE
    if tok.pad_token_id is None:
        if tok.eos_token is None:
            raise TrainError(f"tokenizer of {cfg.model!r} has neither a pad nor an eos token")
        tok.pad_token = tok.eos_token
    return tok


def module_names(model: Any) -> Counter[str]:
    """Short names of the modules LoRA can target (`q_proj`, `embed_tokens`...), with counts."""
    counts: Counter[str] = Counter()
    for name, module in model.named_modules():
        if name and type(module).__name__ in _TARGETABLE:
            counts[name.rsplit(".", 1)[-1]] += 1
    return counts


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?")


def check_model_reference(model_name: str) -> None:
    """Raise :class:`TrainError` when ``model_name`` is neither an existing folder nor shaped like a hub id.

    A path that does not exist must say so, not fail later in the hub client's name check.

    >>> check_model_reference("meta-llama/Llama-3.2-1B")
    >>> check_model_reference("./no/such/model")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    TrainError: model './no/such/model': no such folder
    """
    if Path(model_name).expanduser().exists() or _HUB_ID.fullmatch(model_name):
        return
    raise TrainError(
        f"model {model_name!r}: no such folder",
        hint="pass a local model folder (holding config.json) or a hub name such as org/model",
    )


def meta_model(model_name: str) -> Any:
    """The model built from its config on the meta device: shapes and names, no weights."""
    torch = require("torch")
    transformers = require("transformers")
    check_model_reference(model_name)
    try:
        config = transformers.AutoConfig.from_pretrained(model_name)
    except (OSError, ValueError) as exc:
        raise TrainError(f"could not read the config of model {model_name!r}: {exc}") from exc
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def list_modules(model_name: str) -> list[tuple[str, str, int]]:
    """(short name, module type, how many) for every module LoRA could target in `model_name`."""
    check_model_source(model_name)
    model = meta_model(model_name)
    kinds: dict[str, str] = {}
    for name, module in model.named_modules():
        if name and type(module).__name__ in _TARGETABLE:
            kinds.setdefault(name.rsplit(".", 1)[-1], type(module).__name__)
    counts = module_names(model)
    return [(n, kinds[n], counts[n]) for n in counts]


@dataclass
class BuiltModel:
    model: Any
    trainable: int
    total: int
    quantised: str | None  # "4bit", "8bit" or None


def _quantisation(cfg: TrainConfig) -> Any:
    transformers = require("transformers")
    if cfg.method == "qlora":
        require("bitsandbytes", "QLoRA")
        return transformers.BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype_of(cfg.bnb_4bit_compute_dtype),
        )
    if cfg.method == "8bit":
        require("bitsandbytes", "8-bit training")
        return transformers.BitsAndBytesConfig(load_in_8bit=True)
    return None


def _base_dtype(cfg: TrainConfig, device: str, precision: str) -> Any:
    # Full fine-tunes keep fp32 master weights (autocast does the half-precision maths).
    # LoRA's frozen base can sit in half precision on a GPU; the adapters stay fp32.
    if cfg.method == "full" or device != "cuda":
        return dtype_of("fp32")
    if cfg.method == "qlora":
        return dtype_of(cfg.bnb_4bit_compute_dtype)
    return dtype_of(precision)


def build_model(cfg: TrainConfig, tokenizer: Any, device: str, precision: str) -> BuiltModel:
    torch = require("torch")
    transformers = require("transformers")
    quant = _quantisation(cfg)
    kwargs: dict[str, Any] = {"dtype": _base_dtype(cfg, device, precision)}
    if quant is not None:
        kwargs["quantization_config"] = quant
        if device == "cuda":
            import os

            kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", 0))}
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(cfg.model, **kwargs)
    except OSError as exc:
        raise TrainError(f"could not load model {cfg.model!r}: {exc}") from exc
    model.config.use_cache = False  # a cache would also stop packed sequences being kept apart

    grew = len(tokenizer) > model.get_input_embeddings().weight.shape[0]
    if grew:
        model.resize_token_embeddings(len(tokenizer))

    if cfg.uses_lora:
        model = _wrap_lora(cfg, model, quantised=quant is not None, vocab_grew=grew)
    if cfg.method == "qlora" and device == "cpu":
        _keep_cpu_4bit_gradients(model)
    for p in model.parameters():  # trainable weights stay fp32 for the optimizer and grad scaler
        if p.requires_grad and p.dtype in (torch.float16, torch.bfloat16):
            p.data = p.data.float()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    if trainable == 0:
        raise TrainError("the model has no trainable parameters", hint="check train.target_modules")
    kind = {"qlora": "4bit", "8bit": "8bit"}.get(cfg.method)
    return BuiltModel(model, trainable, total, kind)


def _wrap_lora(cfg: TrainConfig, model: Any, *, quantised: bool, vocab_grew: bool) -> Any:
    peft = require("peft", "LoRA")
    available = module_names(model)
    targets: list[str] | str = cfg.target_modules
    to_save = list(cfg.modules_to_save or [])
    if isinstance(targets, list):
        missing = [t for t in targets if t not in available]
        if missing:
            raise TrainConfigError(
                f"train.target_modules names {missing} that model {cfg.model!r} does not have",
                hint=f"it has: {', '.join(sorted(available))} (curate train --list-modules {cfg.model})",
            )
        if vocab_grew:
            # New token rows start random: LoRA cannot learn them, so train those layers whole.
            for name in ("embed_tokens", "lm_head"):
                if name in targets:
                    targets = [t for t in targets if t != name]
                    to_save.append(name)
            if to_save:
                log.info("tokenizer added tokens: training %s in full (modules_to_save)", ", ".join(to_save))
    if quantised:
        model = peft.prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=cfg.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    elif cfg.gradient_checkpointing:
        model.enable_input_require_grads()
    lora = peft.LoraConfig(
        r=cfg.lora_rank,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        modules_to_save=to_save or None,
        layers_to_transform=cfg.layers_to_transform,
        bias=cfg.lora_bias,
        task_type="CAUSAL_LM",
    )
    try:
        with quiet_known_warnings():
            return peft.get_peft_model(model, lora)
    except ValueError as exc:
        raise TrainConfigError(
            f"LoRA could not be applied: {exc}", hint=f"curate train --list-modules {cfg.model}"
        ) from exc


def _keep_cpu_4bit_gradients(model: Any) -> None:
    """bitsandbytes' AVX512-BF16 CPU path repacks 4-bit weights on the first no-grad forward
    and backward then returns no gradient through them (ENVIRONMENT.md). Turn that path off."""
    bnb = require("bitsandbytes", "QLoRA")
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def gradient_report(model: Any) -> tuple[list[str], list[str]]:
    """(trainable parameters with no gradient, those whose gradient is all zeros)."""
    none, zero = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            none.append(name)
        elif not bool(p.grad.detach().abs().sum() > 0):
            zero.append(name)
    return none, zero


def assert_gradients(model: Any) -> None:
    none, zero = gradient_report(model)
    if none or zero:
        bad = none + zero
        raise GradientCheckError(
            f"{len(bad)} trainable parameters received no gradient (e.g. {bad[:3]})",
            hint="bitsandbytes on some CPUs drops gradients; see docs/training.md, or set "
            "train.check_gradients = false if these layers are unused on purpose",
        )
