"""Click commands `train`, `estimate` and `curves`, for the top-level `curate` group to attach."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from .errors import _CoreCurateError


def _fail(exc: _CoreCurateError) -> click.ClickException:
    hint = getattr(exc, "hint", None)
    message = getattr(exc, "message", str(exc))
    return click.ClickException(message + (f"\nhint: {hint}" if hint else ""))


def _parse_value(text: str) -> Any:
    from curate.config import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        out[key.strip().replace("-", "_")] = _parse_value(value.strip())
    return out


def _logging() -> None:
    log = logging.getLogger("curate.train")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


@click.command("train")
@click.argument("target", required=False, type=click.Path(exists=True))
@click.option("--preset", type=click.Choice(["full", "lora", "qlora"]), help="Start from the guide's recipe.")
@click.option("--model", help="Model directory or hub name to fine-tune.")
@click.option("--method", type=click.Choice(["full", "lora", "qlora", "8bit"]))
@click.option("-o", "--output-dir", type=click.Path(), help="Where checkpoints and outputs go.")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="Any training setting (repeatable).")
@click.option("--launcher", type=click.Choice(["none", "accelerate", "torchrun"]))
@click.option("--num-processes", type=int, help="Processes (GPUs) for the launcher.")
@click.option("--report-to", type=click.Choice(["wandb", "tensorboard"]), multiple=True)
@click.option("--resume/--no-resume", default=None, help="Continue from the last checkpoint (default: yes).")
@click.option("--list-modules", "list_model", metavar="MODEL", help="Print the module names LoRA can target.")
def train_command(
    target: str | None,
    preset: str | None,
    model: str | None,
    method: str | None,
    output_dir: str | None,
    pairs: tuple[str, ...],
    launcher: str | None,
    num_processes: int | None,
    report_to: tuple[str, ...],
    resume: bool | None,
    list_model: str | None,
) -> None:
    """Fine-tune on a build: TARGET is a TOML config with a [train] table or a build's output directory."""
    from . import config as cfgmod
    from .errors import TrainConfigError

    try:
        if list_model:
            from .methods import list_modules

            rows = list_modules(list_model)
            width = max(len(r[0]) for r in rows)
            for name, kind, count in rows:
                click.echo(f"{name.ljust(width)}  {kind:<12} x{count}")
            return
        if target is None:
            raise TrainConfigError("nothing to train on", hint="curate train CONFIG.toml or curate train OUT_DIR")
        overrides = _settings(pairs)
        for key, value in (
            ("preset", preset),
            ("model", model),
            ("method", method),
            ("output_dir", output_dir),
            ("launcher", launcher),
            ("num_processes", num_processes),
            ("resume", resume),
        ):
            if value is not None:
                overrides[key] = value
        if report_to:
            overrides["report_to"] = list(report_to)
        if Path(target).is_dir():
            overrides.setdefault("data", target)
            cfg = cfgmod.config_from_mapping(overrides, source="command line")
        elif Path(target).suffix.lower() != ".toml" and Path(target).is_file():
            raise TrainConfigError(
                f"{target}: not a TOML config; curate train takes a config with a [train] table or a build's "
                "output folder",
                hint=f"build the data first: curate build {target} -o OUT --train {preset or 'lora'}",
            )
        else:
            cfg = cfgmod.load_config(target, overrides=overrides)
        _logging()
        from .run import train

        result = train(cfg)
    except _CoreCurateError as exc:
        raise _fail(exc) from exc
    click.echo(f"trained {result.global_step} steps -> {result.model_dir}")
    if result.curves_png:
        click.echo(f"learning curves: {result.curves_png}")
    if result.diagnosis:
        click.echo(str(result.diagnosis))


@click.command("estimate")
@click.argument("model")
@click.option("--method", type=click.Choice(["full", "lora", "qlora", "8bit"]), default="lora", show_default=True)
@click.option("--seq-len", type=int, default=2048, show_default=True)
@click.option("--batch", type=int, default=1, show_default=True, help="Per-device batch size.")
@click.option("--gpu-memory", help="Memory of one GPU, e.g. 24GB.")
@click.option("--precision", type=click.Choice(["fp32", "fp16", "bf16"]), default="bf16", show_default=True)
@click.option("--lora-rank", type=int, default=8, show_default=True)
@click.option("--target-modules", help="Comma-separated LoRA targets (default: q/k/v/o; all-linear for qlora).")
@click.option(
    "--gradient-checkpointing/--no-gradient-checkpointing",
    default=None,
    help="Default: on for LoRA/QLoRA, off for full.",
)
@click.option("--optimizer", type=click.Choice(["adamw", "adamw_8bit"]), default="adamw", show_default=True)
@click.option("--attention", type=click.Choice(["sdpa", "eager"]), default="sdpa", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the breakdown as JSON.")
def estimate_command(
    model: str,
    method: str,
    seq_len: int,
    batch: int,
    gpu_memory: str | None,
    precision: str,
    lora_rank: int,
    target_modules: str | None,
    gradient_checkpointing: bool | None,
    optimizer: str,
    attention: str,
    as_json: bool,
) -> None:
    """Estimate the memory to fine-tune MODEL, from its config alone (no weights are loaded)."""
    from .estimate import estimate_memory

    targets: list[str] | str | None = None
    if target_modules:
        targets = "all-linear" if target_modules == "all-linear" else [t.strip() for t in target_modules.split(",")]
    try:
        est = estimate_memory(
            model,
            method,
            seq_len=seq_len,
            batch=batch,
            gpu_memory=gpu_memory,
            gradient_checkpointing=gradient_checkpointing,
            precision=precision,
            lora_rank=lora_rank,
            target_modules=targets,
            optimizer=optimizer,
            attention=attention,
        )
    except _CoreCurateError as exc:
        raise _fail(exc) from exc
    click.echo(json.dumps(est.as_dict(), indent=2) if as_json else est.format())
    if est.fits is False:
        raise SystemExit(1)


@click.command("curves")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", type=click.Path(), help="Where to write the PNG (default: PATH/curves.png).")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
def curves_command(path: str, output: str | None, as_json: bool) -> None:
    """Plot and diagnose the learning curves of any Hugging Face Trainer output (trainer_state.json)."""
    from .curves import report

    try:
        _, diagnosis, png = report(path, output)
    except _CoreCurateError as exc:
        raise _fail(exc) from exc
    if as_json:
        click.echo(json.dumps({**diagnosis.as_dict(), "png": str(png)}, indent=2))
    else:
        click.echo(str(diagnosis))
        click.echo(f"curves: {png}")
