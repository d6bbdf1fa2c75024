"""Running a training job: data, model, Trainer, resume, curves, outputs and the model card."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .curves import Diagnosis, curves_from_history, diagnose_curves, plot_curves, saved_checkpoints
from .errors import TrainConfigError, TrainError, require
from .methods import check_model_source, quiet_known_warnings

log = logging.getLogger("curate.train")


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path  # adapter (LoRA/QLoRA) or full weights, with the tokenizer and README.md
    merged_dir: Path | None
    global_step: int
    resumed_from_step: int | None
    metrics: dict[str, Any]
    data_stats: dict[str, Any]
    diagnosis: Diagnosis | None
    curves_png: Path | None
    tokens_per_second: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def default_output_dir(cfg: TrainConfig) -> Path:
    if cfg.output_dir:
        return Path(cfg.output_dir)
    base = Path(cfg.data) if cfg.data else Path(cfg.train_file or ".").parent
    return base / f"train-{cfg.method}"


def last_checkpoint(output_dir: Path) -> Path | None:
    found = [
        (int(m.group(1)), c)
        for c in output_dir.glob("checkpoint-*")
        if (m := re.fullmatch(r"checkpoint-(\d+)", c.name)) and (c / "trainer_state.json").is_file()
    ]
    return max(found)[1] if found else None


def manifest_hash(cfg: TrainConfig) -> str | None:
    base = Path(cfg.data) if cfg.data else (Path(cfg.train_file).parent if cfg.train_file else None)
    if base is None or not (base / "manifest.json").is_file():
        return None
    return hashlib.sha256((base / "manifest.json").read_bytes()).hexdigest()


# --------------------------------------------------------------------------- callbacks


def _callbacks(cfg: TrainConfig, output_dir: Path) -> list[Any]:
    transformers = require("transformers")
    from .methods import assert_gradients

    class CurvesCallback(transformers.TrainerCallback):  # type: ignore[name-defined,misc]
        """Redraw curves.png and diagnosis.json at every evaluation and at the end."""

        def _write(self, state: Any) -> None:
            if not state.is_world_process_zero:
                return
            c = curves_from_history(state.log_history, saved_checkpoints(output_dir))
            if len(c.train_loss) < 2:
                return
            d = diagnose_curves(c)
            plot_curves(c, output_dir / "curves.png", d)
            (output_dir / "diagnosis.json").write_text(json.dumps(d.as_dict(), indent=2))

        def on_evaluate(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self._write(state)

        def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self._write(state)

    class GradientCheck(transformers.TrainerCallback):  # type: ignore[name-defined,misc]
        """Fail early if any trainable parameter got no gradient.

        Checked before the first update that follows an update with a non-zero learning rate:
        LoRA's B matrices start at zero, so A's gradient is zero until B has moved once, and
        warmup schedules start at learning rate 0.
        """

        at_step = 2 if cfg.warmup_steps > 0 else 1

        def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            if state.global_step == self.at_step and model is not None:
                assert_gradients(model)

    class EarlyStop(transformers.TrainerCallback):  # type: ignore[name-defined,misc]
        """Stop when the curve detector sees validation loss rising past its minimum."""

        def on_evaluate(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            c = curves_from_history(state.log_history)
            if len(c.val_loss) < cfg.early_stopping_patience + 2:
                return
            best = min(range(len(c.val_loss)), key=lambda i: c.val_loss[i])
            if len(c.val_loss) - 1 - best >= cfg.early_stopping_patience and diagnose_curves(c).label == "overfit":
                log.warning(
                    "early stopping at step %d: validation loss was lowest at step %g",
                    state.global_step,
                    c.val_steps[best],
                )
                control.should_training_stop = True

    out: list[Any] = [CurvesCallback()]
    if cfg.check_gradients:
        out.append(GradientCheck())
    if cfg.early_stopping:
        out.append(EarlyStop())
    return out


# --------------------------------------------------------------------------- the run


def training_arguments(cfg: TrainConfig, output_dir: Path, device: str, precision: str, has_val: bool) -> Any:
    transformers = require("transformers")
    from .methods import effective_optim

    for sink in cfg.report_to:
        require(sink, f"--report-to {sink}", hint=f"pip install {sink}")
    evaluate = has_val and bool(cfg.eval_steps)
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir),
        per_device_train_batch_size=cfg.per_device_batch_size,
        per_device_eval_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_steps,
        num_train_epochs=cfg.num_epochs,
        max_steps=cfg.max_steps,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        optim=effective_optim(cfg, device),
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        activation_checkpointing=cfg.gradient_checkpointing and cfg.method in ("full", "lora"),
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=cfg.eval_steps if evaluate else None,
        save_strategy="steps" if cfg.save_steps else "no",
        save_steps=cfg.save_steps or 500,
        save_total_limit=cfg.save_total_limit,
        report_to=list(cfg.report_to) or "none",
        remove_unused_columns=False,
        use_cpu=device == "cpu",
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
        disable_tqdm=not sys.stderr.isatty(),
    )
    if cfg.gradient_checkpointing:
        kwargs["activation_checkpointing_kwargs"] = {"use_reentrant": False}
    try:
        return transformers.TrainingArguments(**kwargs)
    except ValueError as exc:
        raise TrainConfigError(f"the Trainer refused these settings: {exc}") from exc


def train(cfg: TrainConfig) -> TrainResult:
    """Train as `cfg` says. With a launcher, re-runs itself under accelerate/torchrun."""
    if not cfg.model:
        raise TrainConfigError("train.model is not set", hint="a local model directory or a hub name")
    check_model_source(cfg.model)
    if cfg.launcher != "none" and "LOCAL_RANK" not in os.environ:
        return launch(cfg)
    torch = require("torch")
    transformers = require("transformers")
    require("datasets")
    from .data import Collator, prepare_datasets
    from .methods import build_model, effective_precision, load_tokenizer, resolve_device

    output_dir = default_output_dir(cfg)
    output_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg)
    precision = effective_precision(cfg, device)
    with quiet_known_warnings():  # the first import of peft (and bitsandbytes) may come here
        transformers.set_seed(cfg.seed)
        tokenizer = load_tokenizer(cfg)
        data = prepare_datasets(cfg, tokenizer)
        built = build_model(cfg, tokenizer, device, precision)
    log.info(
        "%s: %s trainable of %s parameters (%.2f%%)",
        cfg.method,
        f"{built.trainable:,}",
        f"{built.total:,}",
        100 * built.trainable / built.total,
    )
    args = training_arguments(cfg, output_dir, device, precision, data.val is not None)
    (output_dir / "train-config.json").write_text(json.dumps(cfg.to_dict(), indent=2))

    trainer = transformers.Trainer(
        model=built.model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.val if args.eval_strategy != "no" else None,
        data_collator=Collator(tokenizer.pad_token_id, packed=cfg.packing),
        processing_class=tokenizer,
        callbacks=_callbacks(cfg, output_dir),
    )
    resume = last_checkpoint(output_dir) if cfg.resume else None
    resumed_step = int(resume.name.split("-")[1]) if resume else None
    if resume:
        log.info("resuming from %s", resume)
    started = time.perf_counter()
    with quiet_known_warnings():
        out = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    elapsed = time.perf_counter() - started
    metrics = dict(out.metrics)
    if data.val is not None and args.eval_strategy != "no":
        evaluated = [h for h in trainer.state.log_history if "eval_loss" in h]
        if evaluated and evaluated[-1].get("step") == trainer.state.global_step:
            metrics["eval_loss"] = evaluated[-1]["eval_loss"]
        else:
            with quiet_known_warnings():
                metrics.update(trainer.evaluate())
    trained_tokens = sum(len(x) for x in data.train["input_ids"]) * cfg.num_epochs if cfg.max_steps < 0 else None

    model_dir = output_dir / "final"
    merged_dir = None
    diagnosis = None
    png = None
    if trainer.is_world_process_zero():
        with quiet_known_warnings():
            trainer.save_model(str(model_dir))
        tokenizer.save_pretrained(str(model_dir))
        trainer.state.save_to_json(str(output_dir / "trainer_state.json"))
        c = curves_from_history(trainer.state.log_history, saved_checkpoints(output_dir))
        diagnosis = diagnose_curves(c)
        png = plot_curves(c, output_dir / "curves.png", diagnosis)
        (output_dir / "diagnosis.json").write_text(json.dumps(diagnosis.as_dict(), indent=2))
        if cfg.merge and cfg.uses_lora:
            merged_dir = merge_adapter(cfg, model_dir, output_dir / "merged", tokenizer)
        write_model_card(cfg, model_dir, metrics, diagnosis, data.stats, data.format)
    del trainer
    if device == "cuda":
        torch.cuda.empty_cache()
    return TrainResult(
        output_dir=output_dir,
        model_dir=model_dir,
        merged_dir=merged_dir,
        global_step=int(out.global_step),
        resumed_from_step=resumed_step,
        metrics=metrics,
        data_stats=data.stats,
        diagnosis=diagnosis,
        curves_png=png,
        tokens_per_second=(trained_tokens / elapsed) if trained_tokens and not resume else None,
        extra={
            "device": device,
            "precision": precision,
            "trainable": built.trainable,
            "total": built.total,
            "cache": str(data.cache_path),
            "cache_reused": data.reused,
        },
    )


def merge_adapter(cfg: TrainConfig, adapter_dir: Path, target: Path, tokenizer: Any) -> Path:
    """Load the base model unquantised, apply the adapter, merge_and_unload, save."""
    peft = require("peft", "merging LoRA weights")
    transformers = require("transformers")
    from .methods import dtype_of

    dtype = dtype_of("fp32" if cfg.precision == "fp32" else cfg.precision)
    base = transformers.AutoModelForCausalLM.from_pretrained(cfg.model, dtype=dtype)
    if len(tokenizer) > base.get_input_embeddings().weight.shape[0]:
        base.resize_token_embeddings(len(tokenizer))
    with quiet_known_warnings():
        merged = peft.PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    return target


def write_model_card(
    cfg: TrainConfig,
    model_dir: Path,
    metrics: dict[str, Any],
    diagnosis: Diagnosis | None,
    stats: dict[str, Any],
    fmt: str,
) -> Path:
    digest = manifest_hash(cfg)
    keys = (
        "method",
        "preset",
        "learning_rate",
        "lr_scheduler",
        "warmup_steps",
        "per_device_batch_size",
        "gradient_accumulation_steps",
        "num_epochs",
        "max_steps",
        "precision",
        "max_length",
        "train_on_source",
        "packing",
        "seed",
    )
    lora_keys = ("lora_rank", "lora_alpha", "lora_dropout", "target_modules", "modules_to_save")
    rows = [f"| {k} | {getattr(cfg, k)} |" for k in keys + (lora_keys if cfg.uses_lora else ())]
    loss = metrics.get("eval_loss")
    text = "\n".join(
        [
            "---",
            f"base_model: {cfg.model}",
            "library_name: " + ("peft" if cfg.uses_lora else "transformers"),
            "tags: [curate]",
            "---",
            "",
            f"# {model_dir.parent.name}",
            "",
            f"Fine-tuned from `{cfg.model}` with curate ({cfg.method}).",
            "",
            f"- Training data: curate build, manifest sha256 `{digest or 'unknown (no manifest.json)'}`",
            f"- Data format: {fmt}; examples: train {stats.get('train', {}).get('examples')}, "
            f"val {stats.get('val', {}).get('examples')}",
            f"- Final training loss: {metrics.get('train_loss')}" + (f"; validation loss: {loss:.4f}" if loss else ""),
            f"- Learning curves: {diagnosis}" if diagnosis else "- Learning curves: not diagnosed",
            "",
            "| setting | value |",
            "| --- | --- |",
            *rows,
            "",
        ]
    )
    path = model_dir / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- launchers


def launch_command(cfg: TrainConfig, config_json: Path) -> list[str]:
    entry = ["-m", "curate.train", str(config_json)]
    if cfg.launcher == "accelerate":
        if shutil.which("accelerate") is None:
            require("accelerate", "--launcher accelerate")
        cmd = ["accelerate", "launch"]
        if cfg.accelerate_config:
            cmd += ["--config_file", cfg.accelerate_config]
        if cfg.num_processes:
            cmd += ["--num_processes", str(cfg.num_processes)]
        return cmd + entry
    if cfg.launcher == "torchrun":
        return ["torchrun", "--nproc_per_node", str(cfg.num_processes or "gpu"), *entry]
    raise TrainConfigError(f"unknown launcher {cfg.launcher!r}")


def launch(cfg: TrainConfig) -> TrainResult:
    """Run this same training under accelerate or torchrun (DDP/FSDP from accelerate's config)."""
    output_dir = default_output_dir(cfg)
    output_dir.mkdir(parents=True, exist_ok=True)
    config_json = output_dir / "launch-config.json"
    config_json.write_text(json.dumps(dataclasses.asdict(dataclasses.replace(cfg, launcher="none")), indent=2))
    cmd = launch_command(cfg, config_json)
    log.info("launching: %s", " ".join(cmd))
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        raise TrainError(f"{cmd[0]} exited with status {done.returncode}")
    result = json.loads((output_dir / "result.json").read_text())
    return TrainResult(
        output_dir=output_dir,
        model_dir=Path(result["model_dir"]),
        merged_dir=Path(result["merged_dir"]) if result.get("merged_dir") else None,
        global_step=result["global_step"],
        resumed_from_step=result.get("resumed_from_step"),
        metrics=result["metrics"],
        data_stats=result["data_stats"],
        diagnosis=Diagnosis(**result["diagnosis"]) if result.get("diagnosis") else None,
        curves_png=Path(result["curves_png"]) if result.get("curves_png") else None,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m curate.train CONFIG.json`, which the launchers start per process."""
    from .config import config_from_mapping

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m curate.train CONFIG.json", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = config_from_mapping(json.loads(Path(args[0]).read_text()), source=args[0])
    result = train(cfg)
    if int(os.environ.get("RANK", "0")) == 0:
        payload = {
            "model_dir": str(result.model_dir),
            "merged_dir": str(result.merged_dir or ""),
            "global_step": result.global_step,
            "resumed_from_step": result.resumed_from_step,
            "metrics": result.metrics,
            "data_stats": result.data_stats,
            "diagnosis": result.diagnosis.as_dict() if result.diagnosis else None,
            "curves_png": str(result.curves_png or ""),
        }
        (result.output_dir / "result.json").write_text(json.dumps(payload, indent=2, default=str))
    return 0
