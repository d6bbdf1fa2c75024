"""The semantic phase's section of ``report.html``: facts, cluster sizes, a map, pairs.

Drawn from the phase's report (:mod:`curate.semantic.report` gathers its data): the
embedder and K-means facts, a bar per cluster, a 2-D PCA map of the clusters, the
largest clusters with their top terms and representatives, the near-duplicates removed
(or the dry run's threshold table). Inline SVG and HTML only; every string from the data
is escaped. :mod:`curate.report` lays the page out and holds the shared styles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from curate.report import PALETTE, esc, num

__all__ = ["report_section"]


def report_section(rep: dict[str, Any]) -> str:
    """The semantic phase's section of ``report.html``, from the phase's report (the manifest's ``semantic``)."""
    if "report" in rep and "records" not in rep:  # a PhaseResult's fields, as older callers passed them
        rep = rep["report"]
    out = ['<h2 id="semantic">Semantic deduplication and clusters</h2>']
    emb, km, dd = rep.get("embedder") or {}, rep.get("kmeans") or {}, rep.get("dedup") or {}
    facts = [
        ("records", num(rep.get("records", 0))),
        (
            "embedder",
            f"{emb.get('model_id', '?')} on {emb.get('device') or 'auto'} (field: {emb.get('field', 'auto')})",
        ),
        (
            "embedded",
            f"{num(emb.get('embedded', 0))} new, {num(emb.get('cached', 0))} from the cache, {emb.get('seconds', 0)} s",
        ),
    ]
    confirmer, cascade = rep.get("confirmer") or {}, dd.get("cascade") or {}
    if confirmer and cascade:
        facts.append(
            (
                "confirmed by",
                f"{confirmer.get('model_id', '?')}: {num(cascade.get('candidate_pairs', 0))} candidate pairs above "
                f"{cascade.get('candidate_threshold')} ({num(cascade.get('accepted_pairs', 0))} accepted above "
                f"{cascade.get('accept_threshold', 1.0)} unconfirmed), {num(confirmer.get('records', 0))} records "
                f"({num(confirmer.get('embedded', 0))} new, {confirmer.get('seconds', 0)} s)",
            )
        )
    audit = dd.get("audit")
    if audit and "error" in audit:
        facts.append(("audit", f"failed (the decisions stand): {audit['error']}"))
    elif audit:
        removals, kept = audit["removals"], audit["kept"]
        facts.append(
            (
                "audit",
                f"{(rep.get('auditor') or {}).get('model', '?')} at {audit['threshold']}: near-duplicates in "
                f"{removals['agreed']} of {removals['sampled']} sampled removals and in {kept['near_duplicate']} of "
                f"{kept['sampled']} sampled kept records' closest pairs ({audit.get('seconds', 0)} s)",
            )
        )
    if km:
        facts.append(
            (
                "K-means",
                f"k = {num(km.get('k'))} ({km.get('k_rule', '')}), {km.get('backend')} on "
                f"{km.get('device')}, {km.get('iterations')} iterations, {km.get('seconds')} s",
            )
        )
    if dd:
        verb = "would remove" if rep.get("dry_run") or not dd.get("enabled", True) else "removed"
        facts.append(
            (
                "near-duplicates",
                f"similarity > {dd.get('threshold')} (epsilon {dd.get('epsilon')}), keep "
                f"{dd.get('keep')}: {verb} {num(dd.get('removed', 0))} in {num(dd.get('groups', 0))} groups",
            )
        )
        facts.append(
            (
                "pairs compared",
                f"{num(dd.get('pairs_compared', 0))} of {num(dd.get('all_pairs', 0))} "
                f"(largest cluster {num(dd.get('largest_cluster', 0))})",
            )
        )
    noise = rep.get("noise") or {}
    if noise:
        facts.append(
            (
                "noise",
                f"{num(noise.get('outliers', 0))} outliers, {num(noise.get('tiny_cluster_records', 0))} "
                f"records in tiny clusters ({noise.get('action')})",
            )
        )
    caps = rep.get("caps")
    if caps:
        facts.append(
            (
                "cluster caps",
                f"{num(caps.get('dropped', 0))} records {'dropped' if caps.get('applied') else 'over quota'}",
            )
        )
    out.append("<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts) + "</table>")
    clusters = rep.get("clusters") or {}
    if clusters.get("sizes"):
        out.append("<h3>Cluster sizes</h3>" + _cluster_bars(clusters))
    if (rep.get("map") or {}).get("points"):
        out.append("<h3>Map of the clusters (PCA)</h3>" + _map(rep["map"]))
    if clusters.get("details"):
        out.append(_cluster_table(clusters))
    if rep.get("dry_run"):
        out.append(_dry_run(rep["dry_run"]))
    if dd.get("examples"):
        out.append(_pairs(dd["examples"]))
    pct = noise.get("similarity_percentiles")
    if pct:
        cells = "".join(f'<td class="n">{esc(v)}</td>' for v in pct.values())
        heads = "".join(f'<th class="n">p{esc(k)}</th>' for k in pct)
        out.append(f"<h3>Similarity to the closest centroid</h3><table><tr>{heads}</tr><tr>{cells}</tr></table>")
    return "\n".join(out)


def _cluster_bars(clusters: dict[str, Any]) -> str:
    sizes = clusters["sizes"]
    kept = clusters.get("kept") or sizes
    order = sorted(range(len(sizes)), key=lambda c: (-sizes[c], c))[:120]
    top = max(sizes) or 1
    width, height, pad = 1100, 190, 24
    bw = (width - 2 * pad) / max(len(order), 1)
    bars = []
    for i, c in enumerate(order):
        h_all = (height - 2 * pad) * sizes[c] / top
        h_kept = (height - 2 * pad) * kept[c] / top
        x = pad + i * bw
        bars.append(
            f'<rect x="{x:.1f}" y="{height - pad - h_all:.1f}" width="{max(bw - 1, 0.5):.1f}" height="{h_all:.1f}" '
            f'fill="#d0d5dd"><title>cluster {c}: {num(sizes[c])} records, {num(kept[c])} kept</title></rect>'
            f'<rect x="{x:.1f}" y="{height - pad - h_kept:.1f}" width="{max(bw - 1, 0.5):.1f}" height="{h_kept:.1f}" '
            f'fill="{PALETTE[c % len(PALETTE)]}"/>'
        )
    note = f" (the {len(order)} largest of {num(len(sizes))})" if len(order) < len(sizes) else ""
    return (
        f'<svg class="clusters" width="100%" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#98a2b3"/>'
        + "".join(bars)
        + f'<text x="{pad}" y="{height - 6}">'
        + f"clusters by size{esc(note)}, coloured as on the map; grey: removed or dropped; largest {num(top)}</text>"
        + "</svg>"
    )


def _map(data: dict[str, Any]) -> str:
    points, centroids = data["points"], data.get("centroids") or []
    xs = [p[0] for p in points] + [c[0] for c in centroids]
    ys = [p[1] for p in points] + [c[1] for c in centroids]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    size, pad = 560, 16
    sx = (size - 2 * pad) / ((x1 - x0) or 1.0)
    sy = (size - 2 * pad) / ((y1 - y0) or 1.0)

    def at(x: float, y: float) -> tuple[float, float]:
        return pad + (x - x0) * sx, size - pad - (y - y0) * sy

    dots = []
    for x, y, c in points:
        px, py = at(x, y)
        dots.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.2" fill="{PALETTE[int(c) % len(PALETTE)]}" fill-opacity="0.7"/>'
        )
    for c, (x, y) in enumerate(centroids):
        px, py = at(x, y)
        dots.append(
            f'<path d="M{px - 4:.1f},{py:.1f}h8M{px:.1f},{py - 4:.1f}v8" stroke="#111" stroke-width="1.6">'
            f"<title>centroid {c}</title></path>"
        )
    explained = data.get("explained") or []
    caption = ", ".join(f"{100 * v:.1f}%" for v in explained)
    return (
        f'<svg class="map" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
        f'style="background:#fff;border:1px solid #e1e4e8">' + "".join(dots) + "</svg>"
        f'<p class="muted">{num(len(points))} sampled records and {num(len(centroids))} centroids (crosses) '
        "on the first "
        f"two principal components (variance explained: {esc(caption or 'n/a')}).</p>"
    )


def _cluster_table(clusters: dict[str, Any]) -> str:
    rows = []
    for d in clusters["details"]:
        terms = "".join(f"<span>{esc(t)}</span>" for t in d.get("top_terms") or [])
        examples = "".join(f'<p class="ex">{esc(e)}</p>' for e in d.get("examples") or [])
        swatch = f'<span style="color:{PALETTE[int(d["cluster"]) % len(PALETTE)]}">■</span>'
        rows.append(
            f'<tr><td class="n">{swatch} {esc(d["cluster"])}</td><td class="n">{num(d["size"])}</td>'
            f'<td class="n">{num(d["kept"])}</td><td class="n">{num(d["near_duplicates"])}</td>'
            f'<td class="terms">{terms}</td><td>{examples}</td></tr>'
        )
    by = esc(clusters.get("top_terms_by", "tf-idf"))
    return (
        f"<h3>Largest clusters: top terms ({by}) and representative records</h3>"
        '<table><tr><th class="n">cluster</th><th class="n">size</th><th class="n">kept</th>'
        '<th class="n">near-dups</th>'
        "<th>top terms</th><th>closest to the centroid</th></tr>" + "".join(rows) + "</table>"
    )


def _dry_run(dry: dict[str, Any]) -> str:
    n = int(dry.get("records") or 0)
    rows = "".join(
        f'<tr><td class="n">{t["threshold"]:.3f}</td><td class="n">{t["epsilon"]:.3f}</td>'
        f'<td class="n">{num(t["removed"])}</td><td class="n">{100 * t["removed"] / max(n, 1):.1f}%</td></tr>'
        for t in dry.get("thresholds", [])
    )
    out = [
        f'<h3 id="dry-run">Dry run: what each threshold would remove (of {num(n)})</h3>'
        '<table><tr><th class="n">similarity</th><th class="n">epsilon</th><th class="n">would remove</th>'
        f'<th class="n">share</th></tr>{rows}</table>'
    ]
    for t in dry.get("thresholds", []):
        if t.get("examples"):
            out.append(f"<h3>Pairs near {t['threshold']:.3f}</h3>" + _pairs(t["examples"], dry=True))
    return "\n".join(out)


def _pairs(examples: Iterable[dict[str, Any]], *, dry: bool = False) -> str:
    rows = []
    for ex in examples:
        if dry:
            verdict = "removed" if ex.get("removed") else "kept"
            first, second = ex.get("other_text", ""), ex.get("kept_text", "")
        else:
            verdict = "removed"
            first, second = ex.get("removed_text", ""), ex.get("kept_text", "")
        rows.append(
            f'<tr class="pair"><td class="n">{ex.get("similarity", 0):.3f}</td><td>{verdict}</td>'
            f"<td>{esc(first)}</td><td>{esc(second)}</td></tr>"
        )
    title = "" if dry else "<h3>Near-duplicates removed (examples across the similarity range)</h3>"
    return (
        f'{title}<table><tr><th class="n">similarity</th><th></th><th>record</th><th>closest kept record</th></tr>'
        + "".join(rows)
        + "</table>"
    )
