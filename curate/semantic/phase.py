"""The semantic phase: embed every record, cluster, remove near-duplicates, rebalance.

Configured by the ``[semantic]`` table (see :class:`SemanticOptions`; ``docs/semantic.md``
explains each step). The phase reads the records twice: once to embed them (through
the on-disk cache) and once, at the end, to fetch the few texts the report shows. It
decides by record id; the engine applies the decisions in its next pass.
"""

from __future__ import annotations

import importlib.util
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from dataclasses import field as _option  # the options class has a key called 'field'
from pathlib import Path
from typing import Any, Literal

import numpy as np

from curate.errors import ConfigError, CurateError, MissingDependency
from curate.options import parse_options
from curate.records import Record
from curate.semantic import diversity
from curate.semantic.clusters import (
    ClusterWork,
    Features,
    MatrixVectors,
    Vectors,
    closest_examples,
    fit_sample,
    fit_sample_size,
    is_guest,
    merge,
    preference,
)
from curate.semantic.embed import Embedder, EmbeddingCache, embedding_text, resolve_embedder, text_key
from curate.semantic.kmeans import BACKENDS, blas_threads, choose_k, spherical_kmeans
from curate.semantic.semdedup import greedy_over_pairs, roots, union_pairs
from curate.semantic.summary import embed_rate, format_dry_run, summary_lines
from curate.stages.base import Phase, PhaseResult

__all__ = ["SemanticOptions", "SemanticPhase", "format_dry_run", "summary_lines"]

DEFAULT_THRESHOLD = 0.95
DRY_RUN_THRESHOLDS = [0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96, 0.98]
#: Clusters described in detail in the report (the largest ones).
REPORT_CLUSTERS = 30
SNIPPET = 300


@dataclass(frozen=True)
class SemanticOptions:
    """The keys of the ``[semantic]`` table."""

    enabled: bool = _option(default=True, metadata={"help": "run the semantic phase"})
    embedder: str | None = _option(
        default=None,
        metadata={"help": "NAME (a registered embedder), NAME:MODEL, or MODEL (a local path or name) for the default"},
    )
    device: str = _option(default="auto", metadata={"help": "cpu, cuda, cuda:1...; auto: CUDA when present"})
    batch_size: int = _option(default=64, metadata={"help": "texts per forward pass of the embedding model"})
    max_seq_length: int | None = _option(
        default=None, metadata={"help": "truncate texts to this many tokens (model default)"}
    )
    field: Literal["auto", "input", "output", "input+output", "conversation"] = _option(
        default="auto", metadata={"help": "what is embedded: the whole record, the prompt side, the answer side..."}
    )
    threshold: float | None = _option(
        default=None,
        metadata={"help": f"cosine similarity above which a record is a near-duplicate ({DEFAULT_THRESHOLD})"},
    )
    epsilon: float | None = _option(
        default=None, metadata={"help": "the threshold as 1 - similarity (instead of threshold)"}
    )
    dedup: bool = _option(default=True, metadata={"help": "remove near-duplicates (false: cluster and group only)"})
    keep: Literal["centroid", "longest", "first", "quality"] = _option(
        default="centroid", metadata={"help": "which record of a near-duplicate group survives"}
    )
    quality_key: str = _option(
        default="quality", metadata={"help": "meta key holding the quality score for keep = 'quality'"}
    )
    clusters: int | None = _option(
        default=None, metadata={"help": "number of K-means clusters (default: round(sqrt(N / 2)))"}
    )
    backend: Literal["auto", "torch", "keops", "faiss", "sklearn"] = _option(
        default="auto", metadata={"help": "K-means backend; auto: torch (on CUDA when present)"}
    )
    iterations: int = _option(default=20, metadata={"help": "K-means iterations at most"})
    fit_sample: int | None = _option(
        default=None,
        metadata={
            "help": "records K-means is fitted on, one per distinct text, chosen by a seeded hash of the text, "
            "before every record is assigned to its closest centroid (default: 256 per cluster, at least 50,000; "
            "0: all); memory_limit_mb caps it above 50,000"
        },
    )
    seed: int = _option(default=0, metadata={"help": "seed of the K-means initialisation and of cap sampling"})
    split_by_cluster: bool = _option(
        default=False, metadata={"help": "keep each whole cluster on one side of the split"}
    )
    cluster_cap: int | None = _option(default=None, metadata={"help": "keep at most this many records per cluster"})
    temperature: float | None = _option(
        default=None, metadata={"help": "rebalance towards target_size with shares ~ size ** (1 / temperature)"}
    )
    target_size: int | float | None = _option(
        default=None, metadata={"help": "records to keep after rebalancing: a count, or a fraction in (0, 1)"}
    )
    cap_order: Literal["random", "keep"] = _option(
        default="random", metadata={"help": "which records a capped cluster keeps: seeded random, or the keep order"}
    )
    outlier_similarity: float | None = _option(
        default=None, metadata={"help": "a record less similar than this to its closest centroid is an outlier"}
    )
    min_cluster_size: int = _option(default=0, metadata={"help": "records of clusters smaller than this are noise"})
    noise: Literal["flag", "drop"] = _option(
        default="flag", metadata={"help": "flag outliers and tiny clusters in meta, or drop them"}
    )
    annotate: bool = _option(default=True, metadata={"help": "write meta['cluster'] on every kept record"})
    dry_run: bool = _option(default=False, metadata={"help": "remove nothing; report what each threshold would remove"})
    dry_run_thresholds: list[float] = _option(
        default_factory=lambda: list(DRY_RUN_THRESHOLDS), metadata={"help": "similarities compared by the dry run"}
    )
    examples: int = _option(default=5, metadata={"help": "example pairs per threshold in reports"})
    memory_limit_mb: int = _option(
        default=2048, metadata={"help": "above this, vectors stay memory-mapped on disk and K-means streams them"}
    )
    probe_margin: float | Literal["auto"] = _option(
        default="auto",
        metadata={
            "help": "also compare a record with its second-closest cluster when that centroid is within this much "
            "similarity of its own; auto: 1 - the lowest threshold; 0: within clusters only"
        },
    )
    embed_chunk: int = _option(default=8192, metadata={"help": "records read per cache lookup and embedding call"})

    def __post_init__(self) -> None:
        def bad(message: str, hint: str | None = None) -> ConfigError:
            return ConfigError(f"[semantic]: {message}", hint=hint)

        if self.threshold is not None and self.epsilon is not None:
            raise bad("give threshold (a similarity) or epsilon (1 - similarity), not both")
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            raise bad(f"threshold is a cosine similarity in (0, 1], got {self.threshold}", "e.g. threshold = 0.9")
        if self.epsilon is not None and not 0.0 <= self.epsilon < 1.0:
            raise bad(f"epsilon is 1 - similarity, in [0, 1), got {self.epsilon}", "e.g. epsilon = 0.1")
        for name in ("batch_size", "iterations", "embed_chunk"):
            if getattr(self, name) < 1:
                raise bad(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.memory_limit_mb < 0:
            raise bad(f"memory_limit_mb must be 0 (always memory-map) or more, got {self.memory_limit_mb}")
        if self.fit_sample is not None and self.fit_sample < 0:
            raise bad(f"fit_sample must be 0 (all records) or more, got {self.fit_sample}")
        for name in ("clusters", "cluster_cap", "max_seq_length"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise bad(f"{name} must be at least 1, got {value}")
        if self.temperature is not None:
            if self.temperature <= 0:
                raise bad(f"temperature must be positive, got {self.temperature}")
            if self.target_size is None:
                raise bad("temperature needs target_size: how many records to keep", "e.g. target_size = 0.5")
        if self.target_size is not None:
            if isinstance(self.target_size, float) and not 0.0 < self.target_size < 1.0:
                raise bad(f"a fractional target_size must be in (0, 1), got {self.target_size}")
            if isinstance(self.target_size, int) and self.target_size < 1:
                raise bad(f"target_size must be at least 1, got {self.target_size}")
        if self.probe_margin != "auto" and not 0.0 <= float(self.probe_margin) <= 2.0:
            raise bad(f"probe_margin is 'auto' or a difference of similarities in [0, 2], got {self.probe_margin}")
        if self.outlier_similarity is not None and not -1.0 <= self.outlier_similarity <= 1.0:
            raise bad(f"outlier_similarity is a cosine similarity in [-1, 1], got {self.outlier_similarity}")
        for t in self.dry_run_thresholds:
            if not 0.0 < t <= 1.0:
                raise bad(f"dry_run_thresholds must be similarities in (0, 1], got {t}")
        if self.backend not in BACKENDS:  # pragma: no cover - the Literal already checks it
            raise bad(f"unknown backend {self.backend!r}")

    @property
    def similarity(self) -> float:
        """The near-duplicate threshold as a similarity."""
        if self.epsilon is not None:
            return 1.0 - self.epsilon
        return DEFAULT_THRESHOLD if self.threshold is None else self.threshold


class SemanticPhase(Phase):
    """Embeddings, spherical K-means, SemDeDup, cluster caps and noise; see the module docstring."""

    name = "semantic"

    def __init__(self, options: SemanticOptions, cache_dir: Path, embedder: Embedder) -> None:
        self.options = options
        self.cache_dir = Path(cache_dir)
        self.embedder = embedder

    @classmethod
    def from_config(cls, table: dict[str, Any], cache_dir: Path, *, embedder: Embedder | None = None) -> SemanticPhase:
        """Validate the ``[semantic]`` table and build the phase (the model itself loads on first use)."""
        options = parse_options(SemanticOptions, table, owner="[semantic]")
        if importlib.util.find_spec("torch") is None and (options.backend in ("auto", "torch", "keops")):
            raise MissingDependency("torch", extra="embed", purpose="semantic deduplication (K-means)")
        if embedder is None:
            from curate.registry import get_registry

            embedders = get_registry().embedders
            if not embedders:
                raise MissingDependency(
                    "sentence-transformers", extra="embed", purpose="semantic deduplication (embeddings)"
                )
            embedder_cls, model = resolve_embedder(options.embedder, embedders)
            device = None if options.device == "auto" else options.device
            embedder = embedder_cls(
                model, device=device, batch_size=options.batch_size, max_seq_length=options.max_seq_length
            )
        return cls(options, cache_dir, embedder)

    # -- the run -------------------------------------------------------------------

    def run(
        self,
        records: Callable[[], Iterator[Record]],
        *,
        vectors: Callable[[np.ndarray], Vectors] | None = None,
    ) -> PhaseResult:
        """Decide on ``records`` (see the module docstring).

        ``vectors``, given the records' text keys, returns where their vectors are when
        they are not to be gathered into a matrix in this process (the Ray engine passes
        its dataset of vectors); the decisions are the same.
        """
        opts = self.options
        started = time.perf_counter()
        result = PhaseResult()
        counts: Counter[str] = result.counts
        run = _Run(opts)
        cache = EmbeddingCache(self.cache_dir / "embeddings", self.embedder.model_id)
        self.step("reading and embedding the records")
        embed_seconds = self._read_and_embed(records, run, cache, counts)
        n = len(run.ids)
        counts["records"] = n
        report: dict[str, Any] = {
            "records": n,
            "threshold": opts.similarity,
            "embedder": {
                **_jsonable(self.embedder.describe()),
                "field": opts.field,
                "embedded": counts["embedded"],
                "cached": counts["cached"],
                "seconds": round(embed_seconds, 3),
            },
        }
        report["embedder"].update(embed_rate(report["embedder"], n))
        result.report = report
        if n == 0:
            report["seconds"] = round(time.perf_counter() - started, 3)
            report["counts"] = dict(counts)
            return result
        keys = np.frombuffer(run.keys, dtype=np.uint64)
        tmp_path = None
        if vectors is None:
            matrix, tmp_path = self._matrix(keys, cache, self.cache_dir / "tmp")
            store: Vectors = MatrixVectors(matrix)
        else:
            store = vectors(keys)
        try:
            self._decide(store, keys, run, result, int(cache.dim or 0))
        finally:
            del store
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)
        self.step("collecting the report's examples")
        self._fill_texts(records, run, report)
        report["seconds"] = round(time.perf_counter() - started, 3)
        report["counts"] = dict(counts)
        return result

    def _read_and_embed(
        self, records: Callable[[], Iterator[Record]], run: _Run, cache: EmbeddingCache, counts: Counter[str]
    ) -> float:
        """First pass: the key of each record's text; embed what the cache lacks, chunk by chunk."""
        opts = self.options
        seconds = 0.0
        chunk_keys: list[int] = []
        chunk_texts: list[str] = []

        def flush() -> None:
            nonlocal seconds
            if not chunk_keys:
                return
            keys = np.array(chunk_keys, dtype=np.uint64)
            shard, _ = cache.lookup(keys)
            missing = np.flatnonzero(shard < 0)
            counts["cached"] += len(keys) - len(missing)
            if len(missing):
                t0 = time.perf_counter()
                counts["embedded"] += cache.fill(self.embedder, keys, chunk_texts)  # commits as it goes
                seconds += time.perf_counter() - t0
                self._say_rate(counts["embedded"], seconds, len(run.ids))
            chunk_keys.clear()
            chunk_texts.clear()

        quality_key = opts.quality_key
        for record in records():
            text = embedding_text(record, opts.field)
            key = text_key(text)
            run.ids.append(record.id)
            run.keys.append(key)
            run.lengths.append(len(text))
            run.quality.append(quality_score(record, quality_key))
            chunk_keys.append(key)
            chunk_texts.append(text)
            if len(chunk_keys) >= opts.embed_chunk:
                flush()
        flush()
        return seconds

    def _say_rate(self, embedded: int, seconds: float, seen: int) -> None:
        """The spinner's text while embedding: the rate so far, and the static embedder when that is slow."""
        info = {"name": self.embedder.name, "device": self.embedder.device, "embedded": embedded, "seconds": seconds}
        rate = embed_rate(info, seen)
        if not rate:
            return
        what = f"reading and embedding the records ({embedded:,} embedded, {rate['rate']:,.0f}/s)"
        if rate["suggest_static"]:
            what += "; --embedder static is ~100x faster on CPU"
        self.step(what)

    def _matrix(self, keys: np.ndarray, cache: EmbeddingCache, tmp_dir: Path) -> tuple[np.ndarray, Path | None]:
        """The run's vectors in record order: float32 in memory, or a float16 memmap when large."""
        shard, row = cache.lookup(keys)
        dim = int(cache.dim or 0)
        n = len(keys)
        if n * dim * 4 <= self.options.memory_limit_mb * 2**20:
            matrix = np.empty((n, dim), dtype=np.float32)
            path = None
        else:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            path = tmp_dir / f"vectors-{uuid.uuid4().hex[:12]}.f16"
            matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, dim))
        cache.gather(shard, row, matrix)
        return matrix, path

    def _decide(self, vectors: Vectors, keys: np.ndarray, run: _Run, result: PhaseResult, dim: int) -> None:
        opts = self.options
        report, counts = result.report, result.counts
        n = len(run.ids)
        k = min(opts.clusters or choose_k(n), n)
        # -- K-means: fit on a sample, then assign every record -----------------------------
        max_rows = max(1, opts.memory_limit_mb * 2**20 // (4 * max(dim, 1)))
        size = fit_sample_size(n, k, opts.fit_sample, max_rows)
        sample_index = fit_sample(keys, size, opts.seed)
        k = min(k, len(sample_index))  # fewer distinct texts than clusters: one cluster a text
        sample = vectors.rows(sample_index)
        device = None if opts.device == "auto" else opts.device
        self.step(f"fitting {k:,} clusters on {len(sample_index):,} records")
        km = spherical_kmeans(
            sample,
            k,
            backend=opts.backend,
            iterations=opts.iterations,
            seed=opts.seed,
            device=device,
            memory_limit_mb=max(opts.memory_limit_mb, -(-sample.nbytes // 2**20)),
        )
        t0 = time.perf_counter()
        self.step(f"assigning {n:,} records to their clusters")
        assignment = vectors.assign(km.centroids)
        labels, sims = assignment.labels, assignment.sims
        sizes = np.bincount(labels, minlength=k)
        counts["clusters"] = k
        if km.reseeded:
            counts["reseeded_clusters"] = km.reseeded
        report["kmeans"] = {
            "k": k,
            "k_rule": "given" if opts.clusters else "round(sqrt(N / 2))",
            "backend": km.backend,
            "device": km.device,
            "fit_sample": len(sample_index),
            "iterations": km.iterations,
            "reseeded": km.reseeded,
            "seconds": round(km.seconds + time.perf_counter() - t0, 3),
            "mean_similarity": round(float(sims.mean()), 4),
        }
        run.labels, run.sims = labels, sims

        # -- near-duplicates, cluster by cluster, then across cluster boundaries ----------------
        t0 = time.perf_counter()
        threshold = opts.similarity
        thresholds = [threshold]
        if opts.dry_run:
            thresholds += sorted({float(t) for t in opts.dry_run_thresholds} - {threshold})
        margin = 1.0 - min(thresholds) if opts.probe_margin == "auto" else float(opts.probe_margin)
        # records near a cluster boundary also meet the records of their second-closest cluster
        guests = int(is_guest(sims, assignment.second_sims, margin).sum())
        lengths = np.frombuffer(run.lengths, dtype=np.int64)
        quality = np.frombuffer(run.quality, dtype=np.float64)
        work = ClusterWork(tuple(thresholds), opts.keep, opts.examples)
        # with dedup = false too: the near-duplicate groups still guide the split
        self.step(f"comparing records within {k:,} clusters")
        merged = merge(
            vectors.clusters(assignment, margin, k, work, Features(lengths, quality)),
            n,
            len(thresholds),
            vectors.index_of,
        )
        kept, removed_by, removed_sim, parent = merged.kept, merged.removed_by, merged.removed_sim, merged.parent
        near = [closest_examples(found, opts.examples) for found in merged.near]
        boundary = 0
        ea, eb, es = merged.edges
        if len(ea):
            rank = np.empty(n, dtype=np.int64)
            rank[preference(opts.keep, sims, lengths, quality)] = np.arange(n)
            linked = es > threshold
            union_pairs(parent, ea[linked], eb[linked])
            for j, t in enumerate(thresholds):
                gone, survivor, similarity = greedy_over_pairs(ea, eb, es, rank, kept[j], t)
                if j == 0:
                    boundary = len(gone)
                    removed_by[gone] = survivor
                    removed_sim[gone] = similarity
            _repoint(removed_by, removed_sim, kept[0], vectors)
        would_remove = (~kept).sum(axis=1)
        group_root = roots(parent)
        dedup_seconds = time.perf_counter() - t0
        is_dup = removed_by >= 0
        root_sizes = np.bincount(group_root, minlength=n)
        report["dedup"] = {
            "enabled": opts.dedup,
            "threshold": threshold,
            "epsilon": round(1.0 - threshold, 6),
            "keep": opts.keep,
            "removed": int(is_dup.sum()),
            "groups": int((root_sizes > 1).sum()),
            "across_clusters": int(boundary),
            "probe_margin": round(margin, 4),
            "boundary_records": guests,
            "pairs_compared": int(merged.compared),
            "all_pairs": n * (n - 1) // 2,
            "largest_cluster": int(sizes.max()),
            "peak_block_mb": round(merged.peak / 2**20, 2),
            "seconds": round(dedup_seconds, 3),
        }
        run.pairs = _spread_pairs(removed_by, removed_sim, 2 * opts.examples)
        if opts.dry_run:
            report["dry_run"] = {
                "records": n,
                "thresholds": [
                    {
                        "threshold": t,
                        "epsilon": round(1.0 - t, 6),
                        "removed": int(would_remove[j]),
                        "fraction": round(int(would_remove[j]) / n, 4),
                        "examples": [
                            {"similarity": round(s, 4), "removed": rem, "kept": a, "other": b}
                            for _, a, b, s, rem in near[j][: 2 * opts.examples]
                        ],
                    }
                    for j, t in sorted(enumerate(thresholds), key=lambda e: e[1])
                ],
            }
            counts["would_remove"] = int(is_dup.sum())

        # -- decisions -----------------------------------------------------------------------
        alive = np.ones(n, dtype=bool)
        ids = run.ids
        apply = not opts.dry_run
        if apply and opts.dedup:
            for i in np.flatnonzero(is_dup):
                result.rejected[ids[i]] = (
                    "near_duplicate",
                    {
                        "duplicate_of": ids[removed_by[i]],
                        "similarity": round(float(removed_sim[i]), 4),
                        "cluster": int(labels[i]),
                    },
                )
            counts["near_duplicate"] = int(is_dup.sum())
            alive &= ~is_dup
        far, tiny = diversity.outliers(
            sims, labels, alive, k, min_similarity=opts.outlier_similarity, min_size=opts.min_cluster_size
        )
        noise_report = {
            "outliers": int(far.sum()),
            "tiny_cluster_records": int(tiny.sum()),
            "action": opts.noise,
            "outlier_similarity": opts.outlier_similarity,
            "min_cluster_size": opts.min_cluster_size,
            "similarity_percentiles": {
                str(p): round(float(v), 4)
                for p, v in zip(
                    (1, 5, 25, 50, 75, 95, 99), np.percentile(sims, [1, 5, 25, 50, 75, 95, 99]), strict=True
                )
            },
        }
        report["noise"] = noise_report
        flags: dict[int, str] = {}
        for mask, reason in ((far, "outlier"), (tiny, "tiny_cluster")):
            for i in np.flatnonzero(mask):
                if apply and opts.noise == "drop":
                    result.rejected[ids[i]] = (
                        reason,
                        {"cluster": int(labels[i]), "similarity": round(float(sims[i]), 4)},
                    )
                else:
                    flags[int(i)] = reason
            if apply and opts.noise == "drop":
                counts[reason] += int(mask.sum())
                alive &= ~mask
            elif mask.any():
                counts[f"flagged_{reason}"] += int(mask.sum())

        quotas = None
        capped = np.zeros(n, dtype=bool)
        if opts.cluster_cap is not None or opts.target_size is not None:
            live_sizes = np.bincount(labels[alive], minlength=k)
            target = opts.target_size
            if isinstance(target, float):
                target = max(1, round(target * int(alive.sum())))
            quotas = diversity.cluster_quotas(
                live_sizes, cap=opts.cluster_cap, temperature=opts.temperature, target=target
            )
            live_order = np.argsort(labels, kind="stable")
            live_order = live_order[alive[live_order]]
            live_bounds = np.concatenate([[0], np.cumsum(live_sizes)])
            for c in np.flatnonzero(quotas < live_sizes):
                members = live_order[live_bounds[c] : live_bounds[c + 1]]
                if opts.cap_order == "keep":
                    ranked = members[preference(opts.keep, sims[members], lengths[members], quality[members])]
                else:
                    ranked = members[diversity.hash_order([ids[i] for i in members], opts.seed)]
                capped[ranked[int(quotas[c]) :]] = True
            if apply:
                for i in np.flatnonzero(capped):
                    cl = int(labels[i])
                    result.rejected[ids[i]] = (
                        "cluster_cap",
                        {"cluster": cl, "cluster_size": int(live_sizes[cl]), "quota": int(quotas[cl])},
                    )
                counts["cluster_cap"] = int(capped.sum())
                alive &= ~capped
            report["caps"] = {
                "cluster_cap": opts.cluster_cap,
                "temperature": opts.temperature,
                "target_size": opts.target_size,
                "dropped": int(capped.sum()),
                "applied": apply,
            }

        # -- groups for the split, and meta ---------------------------------------------------
        keep_mask = alive if apply else np.ones(n, dtype=bool)
        if opts.split_by_cluster:
            for i in np.flatnonzero(keep_mask):
                result.groups[ids[i]] = f"cluster-{int(labels[i])}"
        else:
            for i in np.flatnonzero(keep_mask & (root_sizes[group_root] > 1)):
                result.groups[ids[i]] = f"near-dup-{ids[int(group_root[i])]}"
        if opts.annotate or flags:
            for i in np.flatnonzero(keep_mask):
                entry: dict[str, Any] = {"cluster": int(labels[i])} if opts.annotate else {}
                if int(i) in flags:
                    entry["noise"] = flags[int(i)]
                if entry:
                    result.meta[ids[i]] = entry
        counts["near_duplicate_groups"] = report["dedup"]["groups"]
        counts["kept"] = int(alive.sum())

        # -- per-cluster table, map -------------------------------------------------------------
        kept_sizes = np.bincount(labels[alive], minlength=k)
        dup_sizes = np.bincount(labels[is_dup], minlength=k)
        report["clusters"] = {
            "sizes": sizes.tolist(),
            "kept": kept_sizes.tolist(),
            "near_duplicates": dup_sizes.tolist(),
            "details": [],
        }
        top = np.argsort(-sizes, kind="stable")[: min(k, REPORT_CLUSTERS)]
        run.report_clusters = [int(c) for c in top]
        run.k = k
        report["map"] = _pca_map(sample, labels[sample_index], km.centroids, seed=opts.seed)
        run.alive = alive

    def _fill_texts(self, records: Callable[[], Iterator[Record]], run: _Run, report: dict[str, Any]) -> None:
        """Second pass: the texts the report shows (examples, representatives, TF-IDF samples)."""
        opts = self.options
        n = len(run.ids)
        labels, sims = run.labels, run.sims
        assert labels is not None and sims is not None and run.alive is not None
        wanted: set[int] = set()
        for a, b, _ in run.pairs:
            wanted.update((a, b))
        for entry in report.get("dry_run", {}).get("thresholds", []):
            for ex in entry["examples"]:
                wanted.update((ex["kept"], ex["other"]))
        representatives: dict[int, list[int]] = {}
        samples: dict[int, list[int]] = {}
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=run.k))])
        for c in run.report_clusters:
            members = order[bounds[c] : bounds[c + 1]]
            live = members[run.alive[members]] if run.alive[members].any() else members
            representatives[c] = [int(i) for i in live[np.argsort(-sims[live], kind="stable")][:3]]
            samples[c] = [int(i) for i in live[diversity.hash_order([run.ids[i] for i in live], opts.seed)][:100]]
            wanted.update(representatives[c])
            wanted.update(samples[c])
        texts: dict[int, str] = {}
        if wanted:
            for i, record in enumerate(records()):
                if i >= n or record.id != run.ids[i]:
                    raise CurateError(
                        "the records came back in a different order in the semantic phase's second pass",
                        hint="this is a bug in the engine: phases need a deterministic order",
                    )
                if i in wanted:
                    texts[i] = embedding_text(record, opts.field)[:1000]
        terms = _top_terms({c: [texts[i] for i in samples[c]] for c in run.report_clusters})
        details = []
        for c in run.report_clusters:
            details.append(
                {
                    "cluster": c,
                    "size": int(report["clusters"]["sizes"][c]),
                    "kept": int(report["clusters"]["kept"][c]),
                    "near_duplicates": int(report["clusters"]["near_duplicates"][c]),
                    "top_terms": terms.get(c, []),
                    "examples": [_snippet(texts[i]) for i in representatives[c]],
                }
            )
        report["clusters"]["details"] = details
        report["clusters"]["top_terms_by"] = "tf-idf" if terms else "unavailable (pip install 'curate[embed]')"
        report["dedup"]["examples"] = [
            {
                "similarity": round(float(s), 4),
                "kept": run.ids[a],
                "removed": run.ids[b],
                "kept_text": _snippet(texts[a]),
                "removed_text": _snippet(texts[b]),
            }
            for a, b, s in run.pairs
        ]
        for entry in report.get("dry_run", {}).get("thresholds", []):
            for ex in entry["examples"]:
                a, b = ex.pop("kept"), ex.pop("other")
                ex.update(
                    kept_id=run.ids[a], other_id=run.ids[b], kept_text=_snippet(texts[a]), other_text=_snippet(texts[b])
                )


@dataclass
class _Run:
    """What the phase keeps per record between its steps (no texts)."""

    options: SemanticOptions
    ids: list[str] = field(default_factory=list)
    # typed arrays: 8 bytes a record each, where lists of Python numbers take 36
    keys: array[int] = field(default_factory=lambda: array("Q"))
    lengths: array[int] = field(default_factory=lambda: array("q"))
    quality: array[float] = field(default_factory=lambda: array("d"))
    labels: np.ndarray | None = None
    sims: np.ndarray | None = None
    alive: np.ndarray | None = None
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    k: int = 0
    report_clusters: list[int] = field(default_factory=list)


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


def quality_score(record: Record, key: str) -> float:
    """The number under ``meta[key]`` (what ``keep = "quality"`` ranks by); NaN when there is none."""
    q = record.meta.get(key)
    return float(q) if isinstance(q, (int, float)) and not isinstance(q, bool) else float("nan")


def _spread_pairs(removed_by: np.ndarray, removed_sim: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """``(survivor, removed, similarity)`` of up to ``count`` removals spread over the similarity range."""
    gone = np.flatnonzero(removed_by >= 0)
    if not len(gone) or count < 1:
        return []
    ranked = gone[np.lexsort((gone, removed_sim[gone]))]
    picks = np.unique(np.linspace(0, len(ranked) - 1, num=min(count, len(ranked))).round().astype(np.int64))
    return [(int(removed_by[i]), int(i), float(removed_sim[i])) for i in ranked[picks]]


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _top_terms(docs: dict[int, list[str]], count: int = 8) -> dict[int, list[str]]:
    """The ``count`` highest TF-IDF terms of each cluster (one document per cluster)."""
    if not docs or importlib.util.find_spec("sklearn") is None:
        return {}
    from sklearn.feature_extraction.text import TfidfVectorizer

    clusters = list(docs)
    corpus = [" ".join(docs[c]) for c in clusters]
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, max_features=50_000, token_pattern=r"(?u)\b[^\W\d_]{2,}\b"
    )
    try:
        weights = vectorizer.fit_transform(corpus)
    except ValueError:  # nothing but stop words
        return {}
    vocab = vectorizer.get_feature_names_out()
    out = {}
    for row, c in enumerate(clusters):
        dense = weights[row].toarray().ravel()
        best = [i for i in np.argsort(-dense, kind="stable")[:count] if dense[i] > 0]
        out[c] = [str(vocab[i]) for i in best]
    return out


def _pca_map(
    matrix: np.ndarray, labels: np.ndarray, centroids: np.ndarray, *, seed: int, points: int = 1500
) -> dict[str, Any]:
    """A 2-D PCA projection of a sample of the vectors and of the centroids."""
    n = len(labels)
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(n, size=min(n, points), replace=False))
    x = np.asarray(matrix[index], dtype=np.float64)
    mean = x.mean(axis=0)
    if len(x) < 3:
        return {"points": [], "centroids": [], "explained": []}
    centred = x - mean
    with blas_threads(1):
        var, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    axes = vectors[:, ::-1][:, :2].T
    axes *= np.where(axes.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # a fixed orientation
    xy = centred @ axes.T
    cxy = (centroids - mean) @ axes.T
    var = np.maximum(var[::-1], 0.0)
    return {
        "points": [
            [round(float(a), 4), round(float(b), 4), int(c)] for (a, b), c in zip(xy, labels[index], strict=True)
        ],
        "centroids": [[round(float(a), 4), round(float(b), 4)] for a, b in cxy],
        "explained": [round(float(v), 4) for v in (var[:2] / var.sum())] if var.sum() > 0 else [],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
