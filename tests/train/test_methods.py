"""Full, LoRA, 8-bit and 4-bit QLoRA on the tiny Llama: gradients, a short run each, resume."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from curate.train import TrainConfig, config_from_mapping, train
from curate.train.cli import train_command
from curate.train.data import Collator, prepare_datasets
from curate.train.methods import build_model, gradient_report, load_tokenizer

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj", "embed_tokens", "lm_head"]


def settings(model, build, **over):
    base = {
        "model": str(model),
        "data": str(build),
        "max_length": 96,
        "per_device_batch_size": 4,
        "learning_rate": 1e-3,
        "max_steps": 4,
        "eval_steps": 2,
        "save_steps": 2,
        "lora_rank": 4,
        "lora_alpha": 8,
        "target_modules": TARGETS,
        "optim": "adamw_torch",
        "precision": "fp32",
        "output_dir": str(build.parent / "run"),
    }
    base.update(over)
    return config_from_mapping(base)


@pytest.mark.parametrize("method", ["full", "lora", "8bit", "qlora"])
def test_every_trainable_parameter_gets_a_nonzero_gradient(tiny_model, messages_build, method):
    import torch

    cfg = settings(tiny_model, messages_build, method=method, bnb_4bit_compute_dtype="fp32")
    tok = load_tokenizer(cfg)
    data = prepare_datasets(cfg, tok)
    built = build_model(cfg, tok, "cpu", "fp32")
    model = built.model
    model.train()
    if method == "qlora":
        import bitsandbytes as bnb

        assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
        with torch.no_grad():  # the eval-mode forward that repacks weights on AVX512-BF16 CPUs
            model.eval()
            model(input_ids=torch.tensor([data.train[0]["input_ids"]]))
            model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-2)
    batch = Collator(tok.pad_token_id)([data.train[i] for i in range(4)])
    for _ in range(3):  # LoRA B starts at zero, so A only gets a gradient after one update
        opt.zero_grad()
        model(**batch).loss.backward()
        none, zero = gradient_report(model)
        opt.step()
    assert params and none == [] and zero == []
    if method != "full":
        assert built.trainable < built.total
        names = [n for n, p in model.named_parameters() if p.requires_grad]
        assert any("embed_tokens" in n for n in names) and any("lm_head" in n for n in names)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["full", "lora", "8bit", "qlora"])
def test_each_method_trains_a_few_steps_and_writes_its_outputs(tiny_model, messages_build, method):
    cfg = settings(
        tiny_model,
        messages_build,
        method=method,
        bnb_4bit_compute_dtype="fp32",
        optim="paged_adamw_32bit" if method == "qlora" else "adamw_torch",
    )
    result = train(cfg)
    assert result.global_step == 4
    out = result.output_dir
    assert (out / "curves.png").is_file() and (out / "diagnosis.json").is_file()
    assert json.loads((out / "diagnosis.json").read_text())["label"] == result.diagnosis.label
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    final = result.model_dir
    weights = "adapter_model.safetensors" if method != "full" else "model.safetensors"
    assert (final / weights).is_file() and (final / "tokenizer.json").is_file()
    card = (final / "README.md").read_text()
    import hashlib

    digest = hashlib.sha256((messages_build / "manifest.json").read_bytes()).hexdigest()
    assert digest in card and method in card
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) == 4 and losses[-1] < losses[0]


@pytest.mark.slow
def test_resume_continues_from_the_saved_step(tiny_model, io_build):
    first = train(settings(tiny_model, io_build, method="lora", max_steps=4))
    assert first.resumed_from_step is None and first.global_step == 4
    again = train(settings(tiny_model, io_build, method="lora", max_steps=6))
    assert again.resumed_from_step == 4 and again.global_step == 6
    history = json.loads((again.output_dir / "trainer_state.json").read_text())["log_history"]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3, 4, 5, 6]
    assert again.extra["cache_reused"]
    fresh = train(
        settings(
            tiny_model, io_build, method="lora", max_steps=6, resume=False, output_dir=str(io_build.parent / "fresh")
        )
    )
    assert fresh.resumed_from_step is None


@pytest.mark.slow
def test_lora_merge_and_packing(tiny_model, io_build):
    result = train(settings(tiny_model, io_build, method="lora", packing=True, merge=True, max_length=128))
    assert result.global_step == 4
    assert (result.merged_dir / "model.safetensors").is_file()
    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(str(result.merged_dir))
    assert not any("lora" in n for n, _ in merged.named_parameters())


def test_bad_target_modules_point_at_list_modules(tiny_model, io_build):
    with pytest.raises(Exception, match="list-modules"):
        train(settings(tiny_model, io_build, method="lora", target_modules=["c_attn"]))


def test_cli_trains_a_build_dir_and_lists_modules(tiny_model, io_build):
    runner = CliRunner()
    listed = runner.invoke(train_command, ["--list-modules", str(tiny_model)])
    assert listed.exit_code == 0 and "q_proj" in listed.output and "embed_tokens" in listed.output
    out = io_build.parent / "cli"
    result = runner.invoke(
        train_command,
        [
            str(io_build),
            "--model",
            str(tiny_model),
            "--preset",
            "lora",
            "-o",
            str(out),
            "--set",
            "max_steps=3",
            "--set",
            "lora_rank=4",
            "--set",
            "precision='fp32'",
            "--set",
            "max_length=96",
            "--set",
            "per_device_batch_size=4",
            "--set",
            "gradient_checkpointing=false",
            "--set",
            "gradient_accumulation_steps=1",
            "--set",
            "optim='adamw_torch'",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "trained 3 steps" in result.output and (out / "final" / "adapter_config.json").is_file()
    bad = runner.invoke(train_command, [str(io_build), "--set", "lora_rnak=4"])
    assert bad.exit_code != 0 and "lora_rank" in bad.output


def test_config_object_round_trips_for_launchers(tiny_model, io_build):
    from curate.train.run import launch_command

    cfg = settings(tiny_model, io_build, launcher="torchrun", num_processes=2)
    cmd = launch_command(cfg, io_build / "c.json")
    assert cmd[:3] == ["torchrun", "--nproc_per_node", "2"]
    assert cmd[-3:] == ["-m", "curate.train", str(io_build / "c.json")]
    assert TrainConfig(**json.loads(json.dumps(cfg.to_dict()))) == cfg
