"""Learning curves: read a Trainer's log history, diagnose the fit, plot train/val loss.

The diagnosis follows the guide's "Interpreting the Learning Curves":
- underfit: training loss flat, or still clearly falling when training ends;
- overfit: validation loss reaches a minimum and then rises while training loss keeps falling;
- well-fit: both settle with a small generalisation gap;
- unstable: loss spikes or diverges (a learning rate too high).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import TrainError, require

UNDERFIT, OVERFIT, WELL_FIT, UNSTABLE, UNKNOWN = "underfit", "overfit", "well-fit", "unstable", "unknown"


@dataclass
class Curves:
    train_steps: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_steps: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    checkpoint_steps: list[int] = field(default_factory=list)


@dataclass
class Diagnosis:
    label: str
    summary: str
    reasons: list[str] = field(default_factory=list)
    suggestion: str = ""
    best_step: float | None = None  # step of the lowest (smoothed) validation loss
    best_checkpoint: str | None = None  # a saved checkpoint to keep when overfitting (it exists)
    final_train_loss: float | None = None  # the last logged training loss, as logged
    final_val_loss: float | None = None  # the last validation loss, as logged
    gap: float | None = None  # final val - final train loss, both smoothed (robust to one noisy point)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self.label}: {self.summary}"] + [f"  - {r}" for r in self.reasons]
        if self.suggestion:
            lines.append(f"  suggestion: {self.suggestion}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading


def find_trainer_state(path: str | Path) -> Path:
    """trainer_state.json at `path`, in it, or in its latest checkpoint-N directory."""
    p = Path(path)
    if p.is_file():
        return p
    if (p / "trainer_state.json").is_file():
        return p / "trainer_state.json"
    checkpoints = sorted(
        (c for c in p.glob("checkpoint-*") if (c / "trainer_state.json").is_file()),
        key=lambda c: int(re.sub(r"\D", "", c.name) or 0),
    )
    if not checkpoints:
        raise TrainError(
            f"no trainer_state.json in {str(p)!r} or its checkpoint-* directories",
            hint="point at a Hugging Face Trainer output directory (Axolotl and TRL write them too)",
        )
    return checkpoints[-1] / "trainer_state.json"


def curves_from_history(history: Sequence[dict[str, Any]], checkpoint_steps: Sequence[int] = ()) -> Curves:
    c = Curves(checkpoint_steps=sorted(checkpoint_steps))
    for entry in history:
        step = entry.get("step")
        if step is None:
            continue
        if "loss" in entry and isinstance(entry["loss"], (int, float)):
            c.train_steps.append(float(step))
            c.train_loss.append(float(entry["loss"]))
        if "eval_loss" in entry and isinstance(entry["eval_loss"], (int, float)):
            c.val_steps.append(float(step))
            c.val_loss.append(float(entry["eval_loss"]))
    return c


def read_curves(path: str | Path) -> Curves:
    state_file = find_trainer_state(path)
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TrainError(f"{state_file}: not valid JSON ({exc.msg})") from exc
    root = state_file.parent if not state_file.parent.name.startswith("checkpoint-") else state_file.parent.parent
    return curves_from_history(state.get("log_history", []), saved_checkpoints(root))


def saved_checkpoints(output_dir: str | Path) -> list[int]:
    """The steps of the ``checkpoint-N`` folders that exist in a trainer's output folder now."""
    found = (re.fullmatch(r"checkpoint-(\d+)", c.name) for c in Path(output_dir).glob("checkpoint-*") if c.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


# --------------------------------------------------------------------------- diagnosis


def _median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def smooth(values: Sequence[float], window: int | None = None) -> list[float]:
    """Centred rolling median (robust to spikes); the window shrinks at the ends.

    Near the ends the window is lopsided, so on a steep curve the first smoothed point
    sits below the first raw one: fine for statistics, wrong for a plot (:func:`smooth_for_plot`).
    """
    n = len(values)
    if n == 0:
        return []
    w = window or max(3, (n // 10) | 1)
    half = w // 2
    return [_median(values[max(0, i - half) : i + half + 1]) for i in range(n)]


def smooth_for_plot(values: Sequence[float], window: int | None = None) -> list[float]:
    """Centred rolling median whose window narrows symmetrically at the ends, so the ends are not bent.

    The first and last points are the raw ones; each point in between is the median of
    an equal number of neighbours on both sides.

    >>> smooth_for_plot([4.0, 3.0, 2.5, 2.0, 1.9, 1.8, 1.75], 5)
    [4.0, 3.0, 2.5, 2.0, 1.9, 1.8, 1.75]
    >>> smooth_for_plot([4.0, 3.0, 9.0, 2.0, 1.9], 3)[2]
    3.0
    """
    n = len(values)
    w = window or max(3, (n // 10) | 1)
    half = w // 2
    out = []
    for i in range(n):
        k = min(half, i, n - 1 - i)
        out.append(_median(values[i - k : i + k + 1]))
    return out


def _slope(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope and its standard error."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if n < 3 or sxx == 0:
        return 0.0, math.inf
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    resid = sum((y - my - b * (x - mx)) ** 2 for x, y in zip(xs, ys, strict=True))
    return b, math.sqrt(resid / (n - 2) / sxx)


def _noise(values: Sequence[float], smoothed: Sequence[float]) -> float:
    """Robust standard deviation of the residuals (1.4826 x median absolute deviation)."""
    res = [v - s for v, s in zip(values, smoothed, strict=True)]
    med = _median(res)
    return 1.4826 * _median([abs(r - med) for r in res])


def _checkpoint_for(step: float, checkpoints: Sequence[int]) -> str | None:
    """The last saved checkpoint at or before ``step`` (else the first after it), or ``None`` when none was kept.

    ``checkpoints`` are the steps whose ``checkpoint-N`` folders exist at the end of training
    (``save_total_limit`` deletes older ones), so the name returned always exists.
    """
    if not checkpoints:
        return None
    at_or_before = [c for c in checkpoints if c <= step]
    pick = max(at_or_before) if at_or_before else min(checkpoints)
    return f"checkpoint-{pick}"


def diagnose(
    train_steps: Sequence[float],
    train_loss: Sequence[float],
    val_steps: Sequence[float] = (),
    val_loss: Sequence[float] = (),
    *,
    checkpoint_steps: Sequence[int] = (),
    flat_tolerance: float = 0.05,
    gap_tolerance: float = 0.2,
    rise_tolerance: float = 0.03,
) -> Diagnosis:
    """Name the shape of a pair of loss curves.

    `flat_tolerance`: a training loss that falls by less than this fraction overall is flat.
    `gap_tolerance`: a final (val - train) gap above this fraction of the val loss is large.
    `rise_tolerance`: validation must rise at least this fraction above its minimum to count.
    """
    d = Diagnosis(UNKNOWN, "")
    if len(train_loss) < 5:
        d.summary = f"too few training loss points ({len(train_loss)}) to judge; log more often"
        return d
    if any(not math.isfinite(x) for x in list(train_loss) + list(val_loss)):
        d.label, d.summary = UNSTABLE, "the loss became NaN or infinite (divergence)"
        d.suggestion = "lower the learning rate (try a third of it) and check the data for broken examples"
        return d

    ts, tl = list(train_steps), list(train_loss)
    st = smooth(tl)
    # Jumps against the median of the few points before each one: robust to trends and spikes.
    jumps = [tl[i] - _median(tl[max(0, i - 5) : i]) for i in range(1, len(tl))]
    centre = _median(jumps)
    noise = 1.4826 * _median([abs(j - centre) for j in jumps])
    d.final_train_loss = tl[-1]
    start, end, low = st[0], st[-1], min(st)
    scale = max(abs(start), 1e-8)

    # Unstable: spikes far above the smoothed curve, or a loss that ends well above its start.
    # A spike is a jump far above the median of the points just before it.
    spike_bar = max(6 * noise, 0.1 * abs(end))
    spikes = [i + 1 for i, j in enumerate(jumps) if j - centre > spike_bar]
    diverged = end > start * 1.1 and end > low + 3 * noise
    if len(spikes) >= 2 or diverged:
        d.label = UNSTABLE
        d.summary = "training loss diverged" if diverged else f"{len(spikes)} loss spikes"
        if spikes:
            d.reasons.append("spikes at steps " + ", ".join(f"{ts[i]:g}" for i in spikes[:8]))
        if diverged:
            d.reasons.append(f"smoothed training loss rose from {start:.4g} to {end:.4g}")
        d.suggestion = "lower the learning rate (try a third of it), add warmup, or clip gradients harder"
        return d

    # Overfit: validation reaches a minimum, then rises while training keeps falling.
    vs, vl = list(val_steps), list(val_loss)
    sv = smooth(vl, 3) if len(vl) >= 5 else vl
    if vl:
        d.final_val_loss = vl[-1]
        d.gap = sv[-1] - st[-1]
    if len(vl) >= 4:
        m = min(range(len(sv)), key=lambda i: sv[i])
        d.best_step = vs[m]
        val_noise = _noise(vl, smooth(vl, 3)) if len(vl) >= 5 else 0.0
        rise = sv[-1] - sv[m]
        after = [x for x in range(len(ts)) if ts[x] >= vs[m]]
        train_falls = bool(after) and st[-1] < st[after[0]] - noise
        if m <= len(sv) - 3 and rise > max(rise_tolerance * sv[m], 3 * val_noise) and train_falls:
            d.label = OVERFIT
            d.best_checkpoint = _checkpoint_for(vs[m], checkpoint_steps)
            d.summary = f"validation loss was lowest at step {vs[m]:g} and rose {rise / sv[m]:.0%} after it"
            d.reasons.append(f"training loss kept falling to {st[-1]:.4g}")
            if d.best_checkpoint is None:
                keep = (
                    f"no checkpoint near step {vs[m]:g} was kept: save one every eval (save_steps = eval_steps) "
                    "and retrain"
                )
            elif d.best_checkpoint != f"checkpoint-{vs[m]:g}":
                keep = f"keep {d.best_checkpoint}, the saved checkpoint nearest the best step {vs[m]:g}"
            else:
                keep = f"keep {d.best_checkpoint}"
            d.suggestion = f"{keep}; train fewer steps, add data, or regularise (lower rank, more dropout)"
            return d

    # Underfit: flat training loss, or still clearly falling at the end.
    drop = start - low
    if drop < flat_tolerance * scale:
        d.label = UNDERFIT
        d.summary = f"training loss stayed flat (fell {drop / scale:.1%} overall)"
        d.suggestion = "raise the learning rate, train longer, or use a larger model / higher LoRA rank"
        return d
    tail = max(4, len(ts) // 4)
    slope, err = _slope(ts[-tail:], tl[-tail:])
    tail_drop = -slope * (ts[-1] - ts[-tail])
    still_falling = slope < 0 and -slope > 3 * err and tail_drop > 0.2 * drop
    val_falling = False
    if len(vl) >= 4:
        vt = max(3, len(vl) // 3)
        vslope, verr = _slope(vs[-vt:], vl[-vt:])
        val_falling = vslope < 0 and -vslope > 2 * verr and -vslope * (vs[-1] - vs[-vt]) > rise_tolerance * sv[-1]
    if still_falling or (val_falling and tail_drop > 0.1 * drop):
        d.label = UNDERFIT
        d.summary = "training loss was still falling clearly when training ended"
        d.reasons.append(f"the last {tail} points fell by {tail_drop:.4g}, {tail_drop / drop:.0%} of the total drop")
        if val_falling:
            d.reasons.append("validation loss was still falling too")
        d.suggestion = "train longer (more epochs or steps) or raise the learning rate"
        return d

    d.label = WELL_FIT
    d.summary = "training loss settled"
    if d.gap is not None and d.final_val_loss:
        rel = d.gap / max(abs(d.final_val_loss), 1e-8)
        if rel > gap_tolerance:
            d.summary += f" and validation settled, but the generalisation gap is large ({rel:.0%} of val loss)"
            d.suggestion = "more or more varied data, or regularisation, would narrow the gap"
        else:
            d.summary += f" and validation settled with a small generalisation gap ({d.gap:.3g})"
    elif not vl:
        d.summary += "; no validation loss was logged, so generalisation was not checked"
    if spikes:
        d.reasons.append(f"one loss spike at step {ts[spikes[0]]:g}")
    return d


def diagnose_curves(c: Curves) -> Diagnosis:
    return diagnose(c.train_steps, c.train_loss, c.val_steps, c.val_loss, checkpoint_steps=c.checkpoint_steps)


# --------------------------------------------------------------------------- plotting


def plot_curves(c: Curves, path: str | Path, diagnosis: Diagnosis | None = None) -> Path:
    """Write train and validation loss against step: raw points and a smoothed line."""
    matplotlib = require("matplotlib", "plotting learning curves")
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    if c.train_loss:
        ax.scatter(c.train_steps, c.train_loss, s=6, alpha=0.35, color="tab:blue", label="train (raw)")
        ax.plot(c.train_steps, smooth_for_plot(c.train_loss), color="tab:blue", label="train (smoothed)")
    if c.val_loss:
        ax.scatter(c.val_steps, c.val_loss, s=14, alpha=0.6, color="tab:orange", label="validation (raw)")
        if len(c.val_loss) >= 3:
            ax.plot(c.val_steps, smooth_for_plot(c.val_loss, 3), color="tab:orange", label="validation (smoothed)")
    if diagnosis is not None:
        if diagnosis.best_step is not None and diagnosis.label == OVERFIT:
            ax.axvline(
                diagnosis.best_step, color="grey", linestyle="--", label=f"best val (step {diagnosis.best_step:g})"
            )
        ax.set_title(f"{diagnosis.label}: {diagnosis.summary}"[:110], fontsize=9)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def report(path: str | Path, png: str | Path | None = None) -> tuple[Curves, Diagnosis, Path]:
    """Read a Trainer output directory, write curves.png beside it, return the diagnosis."""
    c = read_curves(path)
    d = diagnose_curves(c)
    p = Path(path)
    target = Path(png) if png else (p if p.is_dir() else p.parent) / "curves.png"
    return c, d, plot_curves(c, target, d)
