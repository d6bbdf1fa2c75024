"""The semantic phase's decisions, as a function of the vectors, the records' facts and the options.

:func:`decide` needs no model and reads no record: given where the vectors are
(:class:`~curate.semantic.clusters.Vectors`), each record's id, text key, length and
quality score, and the ``[semantic]`` options, it clusters (spherical K-means fitted on
a sample, then every record assigned), finds near-duplicates within clusters and across
their boundaries, and applies the noise rules and cluster caps. It returns what to
reject, split groups, meta, counters and the report's data, and the few indices the
report's second pass fetches texts for. The same inputs give the same decisions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curate.semantic import diversity
from curate.semantic.audit import AuditPairs, audit_pairs
from curate.semantic.cascade import Confirm, candidate_pairs, confirm_pairs
from curate.semantic.clusters import (
    Assignment,
    ClusterWork,
    Features,
    Near,
    Vectors,
    closest_examples,
    fit_sample,
    fit_sample_size,
    is_guest,
    merge,
    preference,
)
from curate.semantic.kmeans import KMeansResult, choose_k, spherical_kmeans
from curate.semantic.options import SemanticOptions
from curate.semantic.report import REPORT_CLUSTERS, Examples, pca_map, spread_pairs
from curate.semantic.semdedup import greedy_over_pairs, roots, union_pairs
from curate.stages.base import PhaseResult

__all__ = ["Decisions", "RecordFacts", "decide"]


@dataclass(frozen=True)
class RecordFacts:
    """What the decisions read of each record, in the build's order (no texts)."""

    ids: list[str]
    #: uint64 keys of the embedded texts (the K-means fit sample is chosen by them).
    keys: np.ndarray
    #: Text lengths and quality scores (NaN: none), for the keep rule.
    features: Features


@dataclass
class Decisions:
    """The phase's result (rejections, groups, meta, counts, report) and what its report still needs."""

    result: PhaseResult
    examples: Examples
    #: The decisions a reference model is to be asked about (``audit``), if any.
    audit: AuditPairs | None = None


def _silent(what: str) -> None:
    """The default ``step``: say nothing."""


def decide(
    vectors: Vectors,
    facts: RecordFacts,
    options: SemanticOptions,
    *,
    dim: int,
    step: Callable[[str], None] = _silent,
    confirm: Confirm | None = None,
    audit: bool = False,
) -> Decisions:
    """Cluster, find near-duplicates, apply noise rules and caps (see the module docstring).

    ``vectors`` holds one unit vector of ``dim`` floats per record of ``facts``, in the
    same order; ``step`` hears, in a few words, what is being done now. Nothing is
    rejected with ``dry_run``; the report then says what each threshold would remove.
    With ``confirm`` (record indices -> their unit vectors from a better embedder),
    ``vectors`` only propose candidate pairs and ``confirm`` decides
    (:mod:`curate.semantic.cascade`). With ``audit``, the result also holds the sample of
    decisions to ask a reference model about (:mod:`curate.semantic.audit`).
    """
    opts = options
    out = PhaseResult()
    n = len(facts.ids)
    km, assignment, sample, sample_index = _cluster(vectors, facts, opts, dim, step, out)
    labels, sims = assignment.labels, assignment.sims
    k = int(out.counts["clusters"])
    dups = _near_duplicates(vectors, assignment, k, facts.features, opts, step, out, confirm)
    sampled = None
    if audit and opts.audit:
        sampled = audit_pairs(vectors, labels, dups.removed_by, dups.removed_sim, sample=opts.audit, seed=opts.seed)
    if opts.dry_run:
        _dry_run_report(dups, n, opts, out)

    alive = np.ones(n, dtype=bool)
    apply = not opts.dry_run
    if apply and opts.dedup:
        _reject_near_duplicates(dups, labels, facts.ids, out)
        alive &= ~dups.is_dup
    flags = _noise(labels, sims, alive, k, facts.ids, opts, out)
    if opts.cluster_cap is not None or opts.target_size is not None:
        _cap(labels, sims, alive, k, facts, opts, out)
    _groups_and_meta(labels, alive if apply else np.ones(n, dtype=bool), dups, flags, facts.ids, opts, out)
    out.counts["near_duplicate_groups"] = out.report["dedup"]["groups"]
    out.counts["kept"] = int(alive.sum())

    sizes = np.bincount(labels, minlength=k)
    out.report["clusters"] = {
        "sizes": sizes.tolist(),
        "kept": np.bincount(labels[alive], minlength=k).tolist(),
        "near_duplicates": np.bincount(labels[dups.is_dup], minlength=k).tolist(),
        "details": [],
    }
    top = np.argsort(-sizes, kind="stable")[: min(k, REPORT_CLUSTERS)]
    out.report["map"] = pca_map(sample, labels[sample_index], km.centroids, seed=opts.seed)
    examples = Examples(
        labels=labels,
        sims=sims,
        alive=alive,
        k=k,
        pairs=spread_pairs(dups.removed_by, dups.removed_sim, 2 * opts.examples),
        clusters=[int(c) for c in top],
    )
    return Decisions(out, examples, sampled)


def _cluster(
    vectors: Vectors,
    facts: RecordFacts,
    opts: SemanticOptions,
    dim: int,
    step: Callable[[str], None],
    out: PhaseResult,
) -> tuple[KMeansResult, Assignment, np.ndarray, np.ndarray]:
    """K-means fitted on a sample, then every record assigned: the model, the assignment and the sample."""
    n = len(facts.ids)
    k = min(opts.clusters or choose_k(n), n)
    max_rows = max(1, opts.memory_limit_mb * 2**20 // (4 * max(dim, 1)))
    size = fit_sample_size(n, k, opts.fit_sample, max_rows)
    sample_index = fit_sample(facts.keys, size, opts.seed)
    k = min(k, len(sample_index))  # fewer distinct texts than clusters: one cluster a text
    sample = vectors.rows(sample_index)
    step(f"fitting {k:,} clusters on {len(sample_index):,} records")
    km = spherical_kmeans(
        sample,
        k,
        backend=opts.backend,
        iterations=opts.iterations,
        seed=opts.seed,
        device=None if opts.device == "auto" else opts.device,
        memory_limit_mb=max(opts.memory_limit_mb, -(-sample.nbytes // 2**20)),
    )
    t0 = time.perf_counter()
    step(f"assigning {n:,} records to their clusters")
    assignment = vectors.assign(km.centroids)
    out.counts["clusters"] = k
    if km.reseeded:
        out.counts["reseeded_clusters"] = km.reseeded
    out.report["kmeans"] = {
        "k": k,
        "k_rule": "given" if opts.clusters else "round(sqrt(N / 2))",
        "backend": km.backend,
        "device": km.device,
        "fit_sample": len(sample_index),
        "iterations": km.iterations,
        "reseeded": km.reseeded,
        "seconds": round(km.seconds + time.perf_counter() - t0, 3),
        "mean_similarity": round(float(assignment.sims.mean()), 4),
    }
    return km, assignment, sample, sample_index


@dataclass
class _NearDuplicates:
    """Near-duplicates at the threshold (and at the dry run's others), by record index."""

    thresholds: list[float]
    #: ``kept[j, i]``: record i survives at ``thresholds[j]``.
    kept: np.ndarray
    #: The survivor each removed record duplicates (-1: kept), and their similarity.
    removed_by: np.ndarray
    removed_sim: np.ndarray
    #: Each record's near-duplicate group (its root) and the groups' sizes.
    group_root: np.ndarray
    root_sizes: np.ndarray
    #: Per threshold, the example pairs closest to it.
    near: list[list[Near]]

    @property
    def is_dup(self) -> np.ndarray:
        return self.removed_by >= 0


def _near_duplicates(
    vectors: Vectors,
    assignment: Assignment,
    k: int,
    features: Features,
    opts: SemanticOptions,
    step: Callable[[str], None],
    out: PhaseResult,
    confirm: Confirm | None = None,
) -> _NearDuplicates:
    """Near-duplicates within clusters and across their boundaries, by ``vectors`` alone or by the cascade.

    Without ``confirm``, every pair of a cluster (and of its boundary guests) is compared
    by ``vectors``. With it, ``vectors`` propose candidate pairs and ``confirm``'s vectors
    decide the uncertain ones (:mod:`curate.semantic.cascade`).
    """
    t0 = time.perf_counter()
    n = len(assignment.labels)
    threshold = opts.similarity
    thresholds = [threshold]
    if opts.dry_run:
        thresholds += sorted({float(t) for t in opts.dry_run_thresholds} - {threshold})
    rank = np.empty(n, dtype=np.int64)
    rank[preference(opts.keep, assignment.sims, features.lengths, features.quality)] = np.arange(n)
    if confirm is None:
        margin = 1.0 - min(thresholds) if opts.probe_margin == "auto" else float(opts.probe_margin)
        found = _compared(vectors, assignment, k, features, opts, thresholds, margin, rank, step)
    else:
        loose = opts.loose_similarity(min(thresholds))
        margin = 1.0 - loose if opts.probe_margin == "auto" else float(opts.probe_margin)
        found = _confirmed(vectors, assignment, k, opts, thresholds, loose, margin, rank, step, confirm)
    removed_by = found.removed_by
    gone = np.flatnonzero(removed_by >= 0)
    group_root = roots(found.parent)
    root_sizes = np.bincount(group_root, minlength=n)
    out.report["dedup"] = {
        "enabled": opts.dedup,
        "threshold": threshold,
        "epsilon": round(1.0 - threshold, 6),
        "keep": opts.keep,
        "removed": len(gone),
        "groups": int((root_sizes > 1).sum()),
        "across_clusters": found.across,
        "probe_margin": round(margin, 4),
        "boundary_records": found.guests,
        "pairs_compared": found.compared,
        "all_pairs": n * (n - 1) // 2,
        "largest_cluster": int(np.bincount(assignment.labels, minlength=k).max()),
        "peak_block_mb": round(found.peak / 2**20, 2),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if found.cascade:
        out.report["dedup"]["cascade"] = found.cascade
    return _NearDuplicates(thresholds, found.kept, removed_by, found.removed_sim, group_root, root_sizes, found.near)


@dataclass
class _Found:
    """What one way of finding near-duplicates found, before the groups and the report."""

    kept: np.ndarray
    removed_by: np.ndarray
    removed_sim: np.ndarray
    parent: np.ndarray
    near: list[list[Near]]
    compared: int
    guests: int
    #: Records removed across a cluster boundary.
    across: int
    peak: int = 0
    #: The cascade's own facts (empty without one).
    cascade: dict[str, Any] = field(default_factory=dict)


def _compared(
    vectors: Vectors,
    assignment: Assignment,
    k: int,
    features: Features,
    opts: SemanticOptions,
    thresholds: list[float],
    margin: float,
    rank: np.ndarray,
    step: Callable[[str], None],
) -> _Found:
    """Every pair of each cluster compared by ``vectors``, then the pairs across cluster boundaries."""
    n = len(assignment.labels)
    # records near a cluster boundary also meet the records of their second-closest cluster
    guests = int(is_guest(assignment.sims, assignment.second_sims, margin).sum())
    work = ClusterWork(tuple(thresholds), opts.keep, opts.examples)
    # with dedup = false too: the near-duplicate groups still guide the split
    step(f"comparing records within {k:,} clusters")
    with closing(vectors.clusters(assignment, margin, k, work, features)) as results:  # stopped at once on errors
        merged = merge(results, n, len(thresholds), vectors.index_of)
    kept, removed_by, removed_sim, parent = merged.kept, merged.removed_by, merged.removed_sim, merged.parent
    near = [closest_examples(found, opts.examples) for found in merged.near]
    ea, eb, es = merged.edges
    boundary = 0
    if len(ea):
        linked = es > thresholds[0]
        union_pairs(parent, ea[linked], eb[linked])
        for j, t in enumerate(thresholds):
            gone, survivor, similarity = greedy_over_pairs(ea, eb, es, rank, kept[j], t)
            if j == 0:
                boundary = len(gone)
                removed_by[gone] = survivor
                removed_sim[gone] = similarity
        _repoint(removed_by, removed_sim, kept[0], vectors)
    compared = int(merged.compared)
    return _Found(kept, removed_by, removed_sim, parent, near, compared, guests, boundary, peak=merged.peak)


def _confirmed(
    vectors: Vectors,
    assignment: Assignment,
    k: int,
    opts: SemanticOptions,
    thresholds: list[float],
    loose: float,
    margin: float,
    rank: np.ndarray,
    step: Callable[[str], None],
    confirm: Confirm,
) -> _Found:
    """The cascade: candidate pairs by ``vectors``, the uncertain band decided by ``confirm``'s vectors."""
    n = len(assignment.labels)
    accept = opts.accept_similarity(thresholds[0])
    step(f"finding candidate pairs within {k:,} clusters (similarity > {loose:.2f})")
    candidates = candidate_pairs(vectors, assignment, k, loose, margin, opts.candidates_per_record)
    step(f"confirming the candidate pairs with similarity {loose:.2f}-{accept:.2f} of {len(candidates.a):,}")
    t1 = time.perf_counter()
    done = confirm_pairs(candidates, n, thresholds, rank, confirm, opts.examples, accept)
    gone = np.flatnonzero(done.removed_by >= 0)
    across = int((assignment.labels[gone] != assignment.labels[done.removed_by[gone]]).sum())
    cascade = {
        "candidate_threshold": round(loose, 4),
        "accept_threshold": round(accept, 4),
        "candidates_per_record": opts.candidates_per_record,
        "candidate_pairs": len(candidates.a),
        "accepted_pairs": done.accepted,
        "confirmed_pairs": int((done.sims > thresholds[0]).sum()) - done.accepted,
        "records_confirmed": done.records,
        "seconds": round(time.perf_counter() - t1, 3),
    }
    return _Found(
        done.kept,
        done.removed_by,
        done.removed_sim,
        done.parent,
        done.near,
        int(candidates.compared),
        candidates.guests,
        across,
        cascade=cascade,
    )


def _repoint(removed_by: np.ndarray, removed_sim: np.ndarray, kept: np.ndarray, vectors: Vectors) -> None:
    """Point each removed record at a kept survivor.

    A record removed inside its cluster may name a survivor that the boundary pass removed
    later; it then names the end of the chain (always kept: each step goes to a record
    earlier in the preference order), with their actual similarity.
    """
    stale = np.flatnonzero((removed_by >= 0) & ~kept[np.maximum(removed_by, 0)])
    if not len(stale):
        return
    ends = np.empty(len(stale), dtype=np.int64)
    for n, i in enumerate(stale):
        j = int(removed_by[i])
        while not kept[j]:
            j = int(removed_by[j])
        ends[n] = j
    wanted = np.unique(np.concatenate([stale, ends]))
    rows = vectors.rows(wanted)
    first, last = rows[np.searchsorted(wanted, stale)], rows[np.searchsorted(wanted, ends)]
    removed_by[stale] = ends
    removed_sim[stale] = np.einsum("ij,ij->i", first, last)


def _dry_run_report(dups: _NearDuplicates, n: int, opts: SemanticOptions, out: PhaseResult) -> None:
    """The dry run's table: what each threshold would remove, with the pairs closest to it."""
    would_remove = (~dups.kept).sum(axis=1)
    out.report["dry_run"] = {
        "records": n,
        "thresholds": [
            {
                "threshold": t,
                "epsilon": round(1.0 - t, 6),
                "removed": int(would_remove[j]),
                "fraction": round(int(would_remove[j]) / n, 4),
                "examples": [
                    {"similarity": round(s, 4), "removed": rem, "kept": a, "other": b}
                    for _, a, b, s, rem in dups.near[j][: 2 * opts.examples]
                ],
            }
            for j, t in sorted(enumerate(dups.thresholds), key=lambda e: e[1])
        ],
    }
    out.counts["would_remove"] = int(dups.is_dup.sum())


def _reject_near_duplicates(dups: _NearDuplicates, labels: np.ndarray, ids: list[str], out: PhaseResult) -> None:
    is_dup = dups.is_dup
    for i in np.flatnonzero(is_dup):
        out.rejected[ids[i]] = (
            "near_duplicate",
            {
                "duplicate_of": ids[dups.removed_by[i]],
                "similarity": round(float(dups.removed_sim[i]), 4),
                "cluster": int(labels[i]),
            },
        )
    out.counts["near_duplicate"] = int(is_dup.sum())


def _noise(
    labels: np.ndarray,
    sims: np.ndarray,
    alive: np.ndarray,
    k: int,
    ids: list[str],
    opts: SemanticOptions,
    out: PhaseResult,
) -> dict[int, str]:
    """Outliers and records of tiny clusters: dropped (``alive`` updated) or flagged (returned by index)."""
    far, tiny = diversity.outliers(
        sims, labels, alive, k, min_similarity=opts.outlier_similarity, min_size=opts.min_cluster_size
    )
    percentiles = (1, 5, 25, 50, 75, 95, 99)
    out.report["noise"] = {
        "outliers": int(far.sum()),
        "tiny_cluster_records": int(tiny.sum()),
        "action": opts.noise,
        "outlier_similarity": opts.outlier_similarity,
        "min_cluster_size": opts.min_cluster_size,
        "similarity_percentiles": {
            str(p): round(float(v), 4) for p, v in zip(percentiles, np.percentile(sims, percentiles), strict=True)
        },
    }
    drop = not opts.dry_run and opts.noise == "drop"
    flags: dict[int, str] = {}
    for mask, reason in ((far, "outlier"), (tiny, "tiny_cluster")):
        for i in np.flatnonzero(mask):
            if drop:
                out.rejected[ids[i]] = (reason, {"cluster": int(labels[i]), "similarity": round(float(sims[i]), 4)})
            else:
                flags[int(i)] = reason
        if drop:
            out.counts[reason] += int(mask.sum())
            alive &= ~mask
        elif mask.any():
            out.counts[f"flagged_{reason}"] += int(mask.sum())
    return flags


def _cap(
    labels: np.ndarray,
    sims: np.ndarray,
    alive: np.ndarray,
    k: int,
    facts: RecordFacts,
    opts: SemanticOptions,
    out: PhaseResult,
) -> None:
    """Cluster caps and rebalancing: the records over their cluster's quota (dropped unless a dry run)."""
    ids = facts.ids
    live_sizes = np.bincount(labels[alive], minlength=k)
    target = opts.target_size
    if isinstance(target, float):
        target = max(1, round(target * int(alive.sum())))
    quotas = diversity.cluster_quotas(live_sizes, cap=opts.cluster_cap, temperature=opts.temperature, target=target)
    live_order = np.argsort(labels, kind="stable")
    live_order = live_order[alive[live_order]]
    live_bounds = np.concatenate([[0], np.cumsum(live_sizes)])
    capped = np.zeros(len(labels), dtype=bool)
    lengths, quality = facts.features.lengths, facts.features.quality
    for c in np.flatnonzero(quotas < live_sizes):
        members = live_order[live_bounds[c] : live_bounds[c + 1]]
        if opts.cap_order == "keep":
            ranked = members[preference(opts.keep, sims[members], lengths[members], quality[members])]
        else:
            ranked = members[diversity.hash_order([ids[i] for i in members], opts.seed)]
        capped[ranked[int(quotas[c]) :]] = True
    apply = not opts.dry_run
    if apply:
        for i in np.flatnonzero(capped):
            cl = int(labels[i])
            out.rejected[ids[i]] = (
                "cluster_cap",
                {"cluster": cl, "cluster_size": int(live_sizes[cl]), "quota": int(quotas[cl])},
            )
        out.counts["cluster_cap"] = int(capped.sum())
        alive &= ~capped
    out.report["caps"] = {
        "cluster_cap": opts.cluster_cap,
        "temperature": opts.temperature,
        "target_size": opts.target_size,
        "dropped": int(capped.sum()),
        "applied": apply,
    }


def _groups_and_meta(
    labels: np.ndarray,
    keep_mask: np.ndarray,
    dups: _NearDuplicates,
    flags: dict[int, str],
    ids: list[str],
    opts: SemanticOptions,
    out: PhaseResult,
) -> None:
    """Split groups (whole clusters, or near-duplicate groups) and meta of the records kept."""
    if opts.split_by_cluster:
        for i in np.flatnonzero(keep_mask):
            out.groups[ids[i]] = f"cluster-{int(labels[i])}"
    else:
        group_root = dups.group_root
        for i in np.flatnonzero(keep_mask & (dups.root_sizes[group_root] > 1)):
            out.groups[ids[i]] = f"near-dup-{ids[int(group_root[i])]}"
    if opts.annotate or flags:
        for i in np.flatnonzero(keep_mask):
            entry: dict[str, Any] = {"cluster": int(labels[i])} if opts.annotate else {}
            if int(i) in flags:
                entry["noise"] = flags[int(i)]
            if entry:
                out.meta[ids[i]] = entry
