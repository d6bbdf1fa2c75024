from __future__ import annotations

import json
import math
import random

import pytest
from click.testing import CliRunner

from curate.train import diagnose
from curate.train.cli import curves_command
from curate.train.curves import read_curves

STEPS = list(range(1, 201))
VSTEPS = list(range(10, 201, 10))


def curves(shape: str, noise: float, seed: int):
    rng = random.Random(seed)
    if shape == "well-fit":
        tr = [2 + 3 * math.exp(-s / 20) for s in STEPS]
        va = [2.2 + 3 * math.exp(-s / 20) for s in VSTEPS]
    elif shape == "underfit-flat":
        tr = [5.0 for _ in STEPS]
        va = [5.1 for _ in VSTEPS]
    elif shape == "underfit-falling":
        tr = [5 - 0.015 * s for s in STEPS]
        va = [5.1 - 0.015 * s for s in VSTEPS]
    elif shape == "overfit":
        tr = [1 + 3 * math.exp(-s / 30) - 0.002 * s for s in STEPS]
        va = [1.5 + 3 * math.exp(-s / 30) + 0.006 * max(0, s - 60) for s in VSTEPS]
    elif shape == "spikes":
        tr = [2 + 3 * math.exp(-s / 20) for s in STEPS]
        for i in (50, 90, 140):
            tr[i] += 3
        va = [2.2 + 3 * math.exp(-s / 20) for s in VSTEPS]
    elif shape == "diverging":
        tr = [2 + 3 * math.exp(-s / 20) + (0.05 * (s - 80) if s > 80 else 0) for s in STEPS]
        va = [2.2 + 3 * math.exp(-s / 20) for s in VSTEPS]
    else:
        raise AssertionError(shape)
    return (STEPS, [x + rng.gauss(0, noise) for x in tr], VSTEPS, [x + rng.gauss(0, noise / 3) for x in va])


EXPECTED = {
    "well-fit": "well-fit",
    "underfit-flat": "underfit",
    "underfit-falling": "underfit",
    "overfit": "overfit",
    "spikes": "unstable",
    "diverging": "unstable",
}


@pytest.mark.parametrize("shape", list(EXPECTED))
@pytest.mark.parametrize("noise", [0.0, 0.05, 0.15])
def test_diagnosis_names_each_shape_clean_and_noisy(shape, noise):
    labels = [diagnose(*curves(shape, noise, seed)).label for seed in range(8)]
    assert labels == [EXPECTED[shape]] * 8


def test_overfit_reports_the_minimum_and_the_checkpoint_to_keep():
    d = diagnose(*curves("overfit", 0.02, 0), checkpoint_steps=[50, 100, 150, 200])
    assert d.label == "overfit"
    assert 40 <= d.best_step <= 80
    assert d.best_checkpoint == "checkpoint-50"
    assert "checkpoint-50" in d.suggestion


def test_unstable_suggests_a_lower_learning_rate():
    d = diagnose(*curves("spikes", 0.02, 0))
    assert "learning rate" in d.suggestion and "141" in d.reasons[0]
    nan = diagnose(STEPS[:10], [1.0] * 9 + [float("nan")])
    assert nan.label == "unstable"


def test_well_fit_reports_a_small_gap_and_too_few_points_is_unknown():
    d = diagnose(*curves("well-fit", 0.0, 0))
    assert d.gap == pytest.approx(0.2, abs=0.02)
    assert diagnose([1, 2, 3], [3.0, 2.0, 1.0]).label == "unknown"


def trainer_state(tmp_path, shape):
    steps, tr, vsteps, va = curves(shape, 0.02, 1)
    history = [{"step": s, "loss": x, "epoch": s / 200} for s, x in zip(steps, tr, strict=True)]
    history += [{"step": s, "eval_loss": x} for s, x in zip(vsteps, va, strict=True)]
    history.sort(key=lambda h: h["step"])
    out = tmp_path / "run"
    for ck in (100, 200):  # like Axolotl/TRL output: state in checkpoints only
        (out / f"checkpoint-{ck}").mkdir(parents=True)
        (out / f"checkpoint-{ck}" / "trainer_state.json").write_text(
            json.dumps({"log_history": [h for h in history if h["step"] <= ck]})
        )
    return out


def test_curves_command_reads_any_trainer_output_dir(tmp_path):
    pytest.importorskip("matplotlib")
    out = trainer_state(tmp_path, "overfit")
    c = read_curves(out)
    assert len(c.train_loss) == 200 and len(c.val_loss) == 20 and c.checkpoint_steps == [100, 200]
    result = CliRunner().invoke(curves_command, [str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["label"] == "overfit"
    png = out / "curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_curves_command_fails_clearly_without_a_trainer_state(tmp_path):
    result = CliRunner().invoke(curves_command, [str(tmp_path)])
    assert result.exit_code != 0 and "trainer_state.json" in result.output


def test_best_checkpoint_is_one_that_was_kept():
    """save_total_limit deleted the early checkpoints: name the nearest kept one, and say it is not the best step."""
    d = diagnose(*curves("overfit", 0.02, 0), checkpoint_steps=[150, 200])
    assert d.label == "overfit" and d.best_checkpoint == "checkpoint-150"
    assert "nearest the best step" in d.suggestion
    d = diagnose(*curves("overfit", 0.02, 0), checkpoint_steps=[])
    assert d.best_checkpoint is None and "no checkpoint near step" in d.suggestion


def test_plot_smoothing_keeps_the_ends_and_final_losses_are_raw():
    from curate.train.curves import smooth_for_plot

    steps, loss, vsteps, vloss = curves("well-fit", 0.05, 1)
    smoothed = smooth_for_plot(loss)
    assert smoothed[0] == loss[0] and smoothed[-1] == loss[-1]
    d = diagnose(steps, loss, vsteps, vloss)
    assert d.final_train_loss == loss[-1] and d.final_val_loss == vloss[-1]
