"""``report.html``: one self-contained page about a build.

The page holds the funnel of the build (records read, dropped per stage and reason,
train, val), length histograms, then a section from each phase that ran (a phase draws
its own: :meth:`~curate.stages.base.Phase.report_section`; the semantic phase's is in
:mod:`curate.semantic.report_html`), the input problems and the configuration. This
module only lays the sections out and holds the shared styles and helpers (:func:`esc`,
:func:`num`, :data:`PALETTE`). Everything is inline (CSS and SVG, no script, no fonts,
no network), so the file can be mailed or archived.

``python -m curate.report OUT/report.html shot.png`` takes a screenshot with headless
Chromium (Debian package ``chromium-headless-shell`` or ``chromium``).
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curate.lengths import sorted_lengths

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
LENGTH_BINS = (0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d9dde3;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.muted{color:#667085}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:#667085;font-size:12px;text-transform:uppercase}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e1e4e8}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{height:14px;background:#4e79a7;border-radius:2px;min-width:1px}.bar.drop{background:#e15759}
.bar.train{background:#59a14f}.bar.val{background:#f28e2b}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.panel{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:12px}
.terms span{display:inline-block;background:#eef2f7;border-radius:3px;padding:0 5px;margin:1px 2px;font-size:12px}
.ex{font-size:12px;color:#344054;margin:2px 0}.pair td{font-size:12px}
details pre{white-space:pre-wrap;font-size:12px;background:#fff;border:1px solid #e1e4e8;padding:8px}
svg text{font:11px system-ui,sans-serif;fill:#344054}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def num(value: Any) -> str:
    """A count with thousands separators."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return esc(value)


def write_report(
    path: Path,
    manifest: dict[str, Any],
    lengths: Mapping[str, Sequence[int] | np.ndarray],
    sections: Sequence[str] = (),
    *,
    token_lengths: Mapping[str, Sequence[int] | np.ndarray] | None = None,
) -> None:
    """Write ``report.html`` for a build to ``path``.

    ``manifest`` is the build's manifest (``counts`` with ``read``, ``train``, ``val``,
    ``rejected``, ``rejected_by``, ``stages``; ``inputs``; ``errors``; ``format``;
    ``config``); ``lengths`` the character lengths of the train and val records;
    ``sections`` the phases' sections (HTML, in the order of the phases: see
    :meth:`~curate.stages.base.Phase.report_section`); ``token_lengths`` the token
    counts of the train and val records when a tokenizer counted them.
    """
    html = render_report(manifest, lengths, sections, token_lengths=token_lengths)
    Path(path).write_text(html, encoding="utf-8")


def render_report(
    manifest: dict[str, Any],
    lengths: Mapping[str, Sequence[int] | np.ndarray],
    sections: Sequence[str] = (),
    *,
    token_lengths: Mapping[str, Sequence[int] | np.ndarray] | None = None,
) -> str:
    """The HTML text of the report (see :func:`write_report`)."""
    counts = manifest.get("counts") or {}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>curate build report</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>curate build report</h1>",
        f'<p class="muted">format {esc(manifest.get("format", "?"))} · {num(len(manifest.get("inputs") or []))} inputs'
        f" · {num(len(manifest.get('errors') or []))} input problems</p>",
        _cards(counts),
        _funnel(counts, manifest.get("stages")),
        _stage_events(counts.get("stages") or {}),
        _lengths(lengths),
        _lengths(token_lengths, "tokens", (manifest.get("token_lengths") or {}).get("tokenizer"))
        if token_lengths is not None
        else "",
    ]
    parts.extend(sections)
    parts.append(_errors(manifest.get("errors") or []))
    parts.append(_config(manifest.get("config")))
    parts.append("</main></body></html>")
    return "\n".join(p for p in parts if p)


# -- the build --------------------------------------------------------------------------------


def _cards(counts: dict[str, Any]) -> str:
    items = [
        ("read", counts.get("read", 0)),
        ("rejected", counts.get("rejected", 0)),
        ("train", counts.get("train", 0)),
        ("val", counts.get("val", 0)),
    ]
    cells = "".join(f'<div class="card" id="card-{k}"><span>{k}</span><b>{num(v)}</b></div>' for k, v in items)
    return f'<div class="cards">{cells}</div>'


def _funnel(counts: dict[str, Any], stage_order: Sequence[str] | None) -> str:
    read = int(counts.get("read") or 0)
    by_stage: dict[str, dict[str, int]] = counts.get("rejected_by") or {}
    # reading comes first, then the stages in build order, then anything later (e.g. the output format)
    order = [s for s in ("import", *(stage_order or [])) if s in by_stage]
    order += [s for s in by_stage if s not in order]
    scale = max(read, int(counts.get("train") or 0) + int(counts.get("val") or 0), 1)
    rows = [_funnel_row("records read", read, scale, "", strong=True)]
    remaining = read
    for stage in order:
        reasons = by_stage[stage]
        dropped = sum(int(v) for v in reasons.values())
        for reason, n in sorted(reasons.items(), key=lambda e: (-int(e[1]), e[0])):
            rows.append(_funnel_row(f"− {stage}: {reason}", int(n), scale, "drop"))
        remaining -= dropped
        rows.append(_funnel_row(f"after {stage}", max(remaining, 0), scale, "", strong=True))
    rows.append(_funnel_row("train", int(counts.get("train") or 0), scale, "train", strong=True))
    rows.append(_funnel_row("val", int(counts.get("val") or 0), scale, "val", strong=True))
    return (
        '<h2 id="funnel">Funnel</h2><table class="funnel"><tr><th>step</th><th class="n">records</th>'
        '<th style="width:55%"></th></tr>' + "".join(rows) + "</table>"
    )


def _funnel_row(label: str, n: int, scale: int, kind: str, *, strong: bool = False) -> str:
    width = 100.0 * n / scale if scale else 0.0
    name = f"<b>{esc(label)}</b>" if strong else esc(label)
    return (
        f'<tr><td>{name}</td><td class="n">{num(n)}</td>'
        f'<td><div class="bar {kind}" style="width:{width:.2f}%"></div></td></tr>'
    )


def _stage_events(stages: dict[str, dict[str, int]]) -> str:
    if not stages:
        return ""
    rows = "".join(
        f'<tr><td>{esc(stage)}</td><td>{esc(event)}</td><td class="n">{num(n)}</td></tr>'
        for stage, events in stages.items()
        for event, n in sorted(events.items())
    )
    head = '<tr><th>stage</th><th>event</th><th class="n">count</th></tr>'
    return f'<h2 id="stages">Stage events</h2><table>{head}{rows}</table>'


def _lengths(
    lengths: Mapping[str, Sequence[int] | np.ndarray], unit: str = "characters", tokenizer: str | None = None
) -> str:
    panels = []
    for name in ("train", "val"):
        ordered = sorted_lengths(lengths.get(name))
        panels.append(
            f'<div class="panel"><h3>{name}: {num(len(ordered))} records</h3>{_length_stats(ordered)}'
            f"{_histogram(ordered, name)}</div>"
        )
    anchor = "lengths" if unit == "characters" else f"lengths-{unit}"
    title = f"Lengths ({unit}{f', {tokenizer}' if tokenizer else ''})"
    return f'<h2 id="{anchor}">{esc(title)}</h2><div class="grid">' + "".join(panels) + "</div>"


def _length_stats(ordered: np.ndarray) -> str:
    n = len(ordered)
    if not n:
        return '<p class="muted">no records</p>'
    pick = lambda q: int(ordered[min(n - 1, int(q * n))])  # noqa: E731
    stats = [
        ("min", int(ordered[0])),
        ("median", pick(0.5)),
        ("mean", round(int(ordered.sum(dtype=np.int64)) / n)),
        ("p95", pick(0.95)),
        ("max", int(ordered[-1])),
    ]
    return '<p class="muted">' + " · ".join(f"{k} {num(v)}" for k, v in stats) + "</p>"


def _histogram(ordered: np.ndarray, kind: str) -> str:
    edges = list(LENGTH_BINS)
    # bin i holds edges[i] <= v < edges[i + 1] (the first also anything lower, the last anything higher)
    inner = np.array(edges[1:], dtype=ordered.dtype if np.iinfo(ordered.dtype).max >= edges[-1] else np.int64)
    below = np.searchsorted(ordered, inner, side="left").tolist()  # edges of the values' type: no widened copy
    counts = [hi - lo for lo, hi in zip([0, *below], [*below, len(ordered)], strict=True)]
    while len(counts) > 1 and counts[-1] == 0:
        counts.pop()
    top = max(counts) or 1
    width, height, pad = 520, 170, 28
    bw = (width - 2 * pad) / len(counts)
    colour = "#59a14f" if kind == "train" else "#f28e2b"
    bars = []
    for i, c in enumerate(counts):
        h = (height - 2 * pad) * c / top
        x = pad + i * bw
        label = (
            f"{_short_num(edges[i])}+" if i == len(edges) - 1 else f"{_short_num(edges[i])}–{_short_num(edges[i + 1])}"
        )
        bars.append(
            f'<rect x="{x + 1:.1f}" y="{height - pad - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{esc(label)}: {num(c)}</title></rect>"
            f'<text x="{x + bw / 2:.1f}" y="{height - pad + 12}" text-anchor="middle">'
            f"{esc(_short_num(edges[i]))}</text>"
        )
        if c:
            bars.append(
                f'<text x="{x + bw / 2:.1f}" y="{height - pad - h - 3:.1f}" text-anchor="middle">{num(c)}</text>'
            )
    return (
        f'<svg class="hist" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#98a2b3"/>'
        + "".join(bars)
        + "</svg>"
    )


def _short_num(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 else str(n)


def _errors(errors: list[Any]) -> str:
    if not errors:
        return ""
    rows = []
    for e in errors[:100]:
        if isinstance(e, dict):
            where = ":".join(str(e[k]) for k in ("path", "locator") if e.get(k))
            what = e.get("message") or e.get("error") or json.dumps(e, default=str)
        else:
            where, what = "", str(e)
        rows.append(f"<tr><td>{esc(where)}</td><td>{esc(what)}</td></tr>")
    more = f'<p class="muted">and {num(len(errors) - 100)} more in manifest.json</p>' if len(errors) > 100 else ""
    head = "<tr><th>where</th><th>problem</th></tr>"
    return f'<h2 id="errors">Input problems</h2><table>{head}{"".join(rows)}</table>{more}'


def _config(config: Any) -> str:
    if not config:
        return ""
    text = json.dumps(config, indent=2, sort_keys=True, default=str)
    return f'<h2 id="config">Configuration</h2><details><summary>show</summary><pre>{esc(text)}</pre></details>'


# -- screenshots ------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "headless_shell")


def find_chromium() -> str | None:
    """The path of a headless-capable Chromium on PATH, if any."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 2400, timeout: float = 120.0) -> Path:
    """Render ``page`` with headless Chromium into ``png`` (raises ``RuntimeError`` when it cannot)."""
    browser = find_chromium()
    if browser is None:
        raise RuntimeError("no Chromium found: apt-get install chromium-headless-shell (or chromium)")
    png = Path(png).resolve()
    args = [browser]
    if "headless_shell" not in browser and "headless-shell" not in browser:
        args.append("--headless")
    args += [
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        f"--screenshot={png}",
        Path(page).resolve().as_uri(),
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"{browser} wrote no screenshot (exit {proc.returncode}): {proc.stderr[-800:]}")
    return png


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m curate.report REPORT.html SCREENSHOT.png", file=sys.stderr)
        return 2
    try:
        out = screenshot(Path(argv[0]), Path(argv[1]))
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
