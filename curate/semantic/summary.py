"""Console text for the semantic phase's report (no heavy imports).

>>> report = {"records": 10, "threshold": 0.9, "dry_run": {"records": 10, "thresholds": [
...     {"threshold": 0.9, "epsilon": 0.1, "removed": 2, "fraction": 0.2, "examples": []}]}}
>>> print(format_dry_run(report))
near-duplicate dry run over 10 records: nothing was removed
  similarity  epsilon  would remove
       0.900    0.100        2 (20.0%)
to remove them: --semantic-dedup SIMILARITY, or threshold = SIMILARITY in the semantic table
"""

from __future__ import annotations

from typing import Any

#: A build whose transformer embedding of every record would take longer than this (at the
#: rate measured on the machine) is told about ``--embedder static``.
SUGGEST_STATIC_SECONDS = 600.0
#: Fewer texts than this embedded in a run give no rate worth extrapolating.
MIN_RATE_TEXTS = 32
#: An audit (:mod:`curate.semantic.audit`) that shows, with 95% confidence, the reference
#: model agreeing with fewer of the removals than this, or finding near-duplicates among
#: more of the kept records than :data:`AUDIT_MISSED`, adds a tip. Milder disagreement is
#: normal: on news sentences the static embedder is as precise as MiniLM against human
#: labels while MiniLM agrees with 48-84% of its removals (bench/RESULTS.md).
AUDIT_AGREED = 0.5
AUDIT_MISSED = 0.1


def embed_rate(embedder: dict[str, Any], records: int) -> dict[str, Any]:
    """The measured embedding rate and what it predicts, for the report's ``embedder`` entry.

    ``rate``: texts embedded a second in this run (absent when too few were embedded to
    tell); ``estimate_seconds``: how long embedding all ``records`` would take at that rate
    with an empty cache; ``suggest_static``: whether that is over
    :data:`SUGGEST_STATIC_SECONDS` with a transformer on the CPU, where the static embedder
    is about 100x faster.

    >>> embed_rate({"name": "sentence-transformers", "device": "cpu", "embedded": 240, "seconds": 10.0}, 100_000)
    {'rate': 24.0, 'estimate_seconds': 4166.7, 'suggest_static': True}
    >>> embed_rate({"name": "static", "device": "cpu", "embedded": 0, "seconds": 0.0}, 10)
    {}
    """
    embedded = int(embedder.get("embedded", 0))
    seconds = float(embedder.get("seconds", 0.0))
    if embedded < MIN_RATE_TEXTS or seconds <= 0:
        return {}
    rate = embedded / seconds
    estimate = records / rate
    slow = embedder.get("name") != "static" and embedder.get("device") in ("cpu", None, "auto")
    return {
        "rate": round(rate, 1),
        "estimate_seconds": round(estimate, 1),
        "suggest_static": bool(slow and estimate > SUGGEST_STATIC_SECONDS),
    }


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0.0%"


def _short(text: str, width: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_dry_run(report: dict[str, Any], *, examples: int = 1) -> str:
    """The threshold table of a dry run, with the pairs closest to each threshold.

    ``examples`` pairs on each side of each threshold (removed just above it, kept just
    below it); ``report.html`` shows more.
    """
    dry = report.get("dry_run")
    if not isinstance(dry, dict):
        return "no near-duplicate dry run in this build"
    n = int(dry.get("records", report.get("records", 0)))
    lines = [f"near-duplicate dry run over {n:,} records: nothing was removed"]
    lines.append("  similarity  epsilon  would remove")
    for row in dry.get("thresholds", []):
        # with a calibrated embedder: the user's threshold, and the one its similarities were compared with
        t = row.get("user_threshold", row["threshold"])
        compared = f"  (compared at {row['threshold']:.3f})" if "user_threshold" in row else ""
        lines.append(f"  {t:>10.3f}  {1.0 - t:>7.3f}  {row['removed']:>7,} ({_pct(row['removed'], n)}){compared}")
    for row in dry.get("thresholds", []):
        t = row["threshold"]
        pairs = sorted(row.get("examples") or [], key=lambda e: abs(e["similarity"] - t))
        chosen = [e for e in pairs if e.get("removed")][:examples] + [e for e in pairs if not e.get("removed")][
            :examples
        ]
        if not chosen:
            continue
        lines.append(f"pairs near {t:.3f}:")
        for ex in sorted(chosen, key=lambda e: -e["similarity"]):
            verdict = "removed" if ex.get("removed") else "kept   "
            lines.append(f"  {ex['similarity']:.3f} {verdict} {_short(ex.get('other_text', ''), 60)!r}")
            lines.append(f"        ~ kept    {_short(ex.get('kept_text', ''), 60)!r}")
    lines.append("to remove them: --semantic-dedup SIMILARITY, or threshold = SIMILARITY in the semantic table")
    return "\n".join(lines)


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few lines for the console at the end of a build.

    >>> summary_lines({"records": 0, "embedder": {"model_id": "m", "embedded": 0, "cached": 0}})
    ['semantic: no records to embed']
    """
    n = int(report.get("records", 0))
    if not n:
        return ["semantic: no records to embed"]
    lines = []
    emb = report.get("embedder", {})
    if emb.get("embedded", 0):
        rate = f", {emb['rate']:,.0f} texts/s" if emb.get("rate") else ""
        lines.append(
            f"semantic: {n:,} records embedded with {emb.get('model_id', '?')} on {emb.get('device') or 'auto'}"
            f" ({emb.get('embedded', 0):,} new, {emb.get('cached', 0):,} from the cache,"
            f" {emb.get('seconds', 0):.1f} s{rate})"
        )
        if emb.get("suggest_static"):
            lines.append(
                f"semantic: tip: at {emb['rate']:,.0f} texts/s, embedding {n:,} records from scratch takes"
                f" {_duration(emb['estimate_seconds'])} on this CPU; --embedder static (pip install 'curate[static]')"
                " is ~100x faster and coarser (docs/semantic.md)"
            )
    else:
        lines.append(f"semantic: {n:,} records, every vector from the cache of {emb.get('model_id', '?')}")
    cal = report.get("calibration")
    if cal:
        lines.append(
            f"semantic: threshold {cal['user_threshold']:.3f} on the scale of {cal['reference']} is"
            f" {cal['threshold']:.3f} on {emb.get('name', 'this embedder')}'s (calibrate = false: as given)"
        )
    confirmer = report.get("confirmer")
    cascade = (report.get("dedup") or {}).get("cascade")
    if confirmer and cascade:
        rate = f", {confirmer['rate']:,.0f} texts/s" if confirmer.get("rate") else ""
        lines.append(
            f"semantic: {cascade['candidate_pairs']:,} candidate pairs (similarity > {cascade['candidate_threshold']}),"
            f" {cascade.get('accepted_pairs', 0):,} accepted above {cascade.get('accept_threshold', 1.0)},"
            f" the rest confirmed with {confirmer.get('model_id', '?')}: {confirmer.get('records', 0):,} records"
            f" ({confirmer.get('embedded', 0):,} new, {confirmer.get('cached', 0):,} from the cache,"
            f" {confirmer.get('seconds', 0):.1f} s{rate})"
        )
    km = report.get("kmeans")
    if km:
        lines.append(
            f"semantic: {km['k']:,} clusters by {km['backend']} K-means on {km['device']}"
            f" ({km['iterations']} iterations, {km['seconds']:.1f} s)"
        )
    dd = report.get("dedup")
    if dd:
        verb = "would remove" if report.get("dry_run") or not dd.get("enabled", True) else "removed"
        lines.append(
            f"semantic: near-duplicates above similarity {dd['threshold']:.3f}: {verb} {dd['removed']:,}"
            f" ({_pct(dd['removed'], n)}), {dd['groups']:,} groups; largest cluster {dd['largest_cluster']:,}"
        )
    lines.extend(audit_lines(report))
    noise = report.get("noise") or {}
    if noise.get("outliers") or noise.get("tiny_cluster_records"):
        verb = "dropped" if noise.get("action") == "drop" and not report.get("dry_run") else "flagged"
        lines.append(
            f"semantic: {verb} {noise.get('outliers', 0):,} outliers and"
            f" {noise.get('tiny_cluster_records', 0):,} records of tiny clusters"
        )
    caps = report.get("caps")
    if caps and caps.get("dropped"):
        verb = "dropped" if caps.get("applied") else "would drop"
        lines.append(f"semantic: cluster caps {verb} {caps['dropped']:,} records")
    if report.get("dry_run"):
        lines.extend(format_dry_run(report).splitlines())
    return lines


def audit_lines(report: dict[str, Any]) -> list[str]:
    """What the audit found (:mod:`curate.semantic.audit`), and the cascade when it found much.

    >>> report = {"auditor": {"name": "sentence-transformers", "model": "all-MiniLM-L6-v2"}, "dedup": {"audit": {
    ...     "threshold": 0.9,
    ...     "removals": {"sampled": 50, "agreed": 2, "share": 0.04, "low": 0.01, "high": 0.13},
    ...     "kept": {"sampled": 50, "near_duplicate": 1, "share": 0.02, "low": 0.0, "high": 0.1}}}}
    >>> print(*audit_lines(report), sep=chr(10))  # doctest: +NORMALIZE_WHITESPACE
    semantic: audit: sentence-transformers (all-MiniLM-L6-v2) at 0.900 calls 2 of 50 sampled removals
    near-duplicates (4%, 95% CI 1-13%) and 1 of 50 sampled kept records' closest neighbours (2%, 0-10%)
    semantic: tip: sentence-transformers (all-MiniLM-L6-v2) would keep most of these removals: raise the
    threshold (--dedup-dry-run shows what each removes), or let it decide the uncertain pairs with --confirm
    sentence-transformers (docs/semantic.md)
    """
    audit = (report.get("dedup") or {}).get("audit")
    if not audit:
        return []
    auditor = report.get("auditor") or {}
    model = (report.get("calibration") or {}).get("reference") or f"{auditor.get('name')} ({auditor.get('model')})"
    if "error" in audit:
        return [f"semantic: the audit by {model} failed (the decisions stand): {audit['error']}"]
    removals, kept = audit["removals"], audit["kept"]

    def share(part: dict[str, Any], ci: str = "") -> str:
        if not part["sampled"]:
            return "none sampled"
        return f"{100 * part['share']:.0f}%, {ci}{100 * part['low']:.0f}-{100 * part['high']:.0f}%"

    lines = [
        f"semantic: audit: {model} at {audit['threshold']:.3f} calls {removals['agreed']} of {removals['sampled']}"
        f" sampled removals near-duplicates ({share(removals, '95% CI ')}) and {kept['near_duplicate']} of"
        f" {kept['sampled']} sampled kept records' closest neighbours ({share(kept)})"
    ]
    if removals["sampled"] and removals["high"] < AUDIT_AGREED:
        lines.append(
            f"semantic: tip: {model} would keep most of these removals: raise the threshold (--dedup-dry-run shows"
            " what each removes), or let it decide the uncertain pairs with --confirm sentence-transformers"
            " (docs/semantic.md)"
        )
    elif kept["sampled"] and kept["low"] > AUDIT_MISSED:
        lines.append(
            f"semantic: tip: {model} finds near-duplicates the build kept: lower the threshold, or let it decide"
            " the uncertain pairs with --confirm sentence-transformers (docs/semantic.md)"
        )
    return lines
