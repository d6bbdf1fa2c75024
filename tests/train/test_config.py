from __future__ import annotations

import pytest

from curate.train import TrainConfigError, accumulation_for, config_from_mapping, load_config, load_preset
from curate.train.config import resolve_spec


def test_presets_carry_the_guides_recipes():
    full, lora, qlora = (config_from_mapping({"preset": p}) for p in ("full", "lora", "qlora"))
    assert (full.learning_rate, full.lr_scheduler, full.warmup_steps) == (1e-5, "cosine", 64)
    assert (full.per_device_batch_size, full.gradient_accumulation_steps, full.precision) == (8, 8, "fp16")
    assert (full.eval_steps, full.save_steps, full.save_total_limit, full.num_epochs, full.seed) == (128, 128, 2, 1, 42)
    assert (lora.lora_rank, lora.lora_alpha, lora.learning_rate) == (128, 256, 5e-5)
    assert set(lora.target_modules) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "up_proj",
        "down_proj",
        "embed_tokens",
        "lm_head",
    }
    assert (lora.lr_scheduler, lora.warmup_steps, lora.gradient_accumulation_steps) == ("constant_with_warmup", 8, 64)
    assert lora.precision == "bf16" and lora.gradient_checkpointing and (lora.eval_steps, lora.save_steps) == (80, 80)
    assert (qlora.method, qlora.learning_rate, qlora.warmup_steps) == ("qlora", 7.5e-5, 0)
    assert (qlora.source_max_length, qlora.target_max_length, qlora.max_length) == (2500, 2500, 5000)
    assert qlora.train_on_source and qlora.optim == "paged_adamw_32bit" and qlora.precision == "bf16"
    assert (qlora.eval_steps, qlora.save_steps) == (10, 100)


def test_every_preset_value_can_be_overridden_and_presets_are_copies():
    cfg = config_from_mapping({"preset": "lora", "lora_rank": 16, "target_modules": ["q_proj"]})
    assert cfg.lora_rank == 16 and cfg.target_modules == ["q_proj"]
    cfg.target_modules.append("v_proj")
    assert load_preset("lora")["target_modules"][-1] == "lm_head"


def test_unknown_key_is_an_error_with_the_closest_name():
    with pytest.raises(TrainConfigError) as err:
        config_from_mapping({"preset": "lora", "lora_rnak": 4})
    assert "lora_rnak" in str(err.value) and "lora_rank" in err.value.hint


def test_unknown_preset_and_bad_choice_are_errors():
    with pytest.raises(TrainConfigError, match="unknown training preset"):
        load_preset("huge")
    with pytest.raises(TrainConfigError, match="method"):
        config_from_mapping({"method": "dora"})


def test_batch_help_follows_the_guide():
    assert accumulation_for(32, 8) == 4
    assert accumulation_for(33, 8) == 5  # never below what was asked for
    assert accumulation_for(64, 8, num_processes=2) == 4
    cfg = config_from_mapping({"per_device_batch_size": 8, "effective_batch_size": 32})
    assert cfg.gradient_accumulation_steps == 4


def test_toml_train_table_and_relative_paths(tmp_path):
    (tmp_path / "t.toml").write_text('[train]\npreset = "qlora"\nmodel = "m"\ndata = "out"\nmax_steps = 3\n')
    (tmp_path / "m").mkdir()
    cfg = load_config(tmp_path / "t.toml", overrides={"lora_rank": 4})
    assert cfg.method == "qlora" and cfg.max_steps == 3 and cfg.lora_rank == 4
    assert cfg.data == str(tmp_path / "out") and cfg.model == str(tmp_path / "m")
    (tmp_path / "bad.toml").write_text("[train]\nlearning_rte = 1\n")
    with pytest.raises(TrainConfigError, match="learning_rte"):
        load_config(tmp_path / "bad.toml")


def test_resolve_spec_from_preset_name_fills_the_build_dir():
    cfg = resolve_spec("full", data="out", overrides={"model": "x"})
    assert cfg.method == "full" and cfg.data == "out" and cfg.model == "x"
