"""The keys of the ``[semantic]`` table, checked when the build is planned.

``docs/semantic.md`` explains each step they configure; :mod:`curate.semantic.decide`
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _option  # the options class has a key called 'field'
from typing import Literal

from curate.errors import ConfigError
from curate.semantic.kmeans import BACKENDS

__all__ = ["DEFAULT_THRESHOLD", "DRY_RUN_THRESHOLDS", "SemanticOptions"]

DEFAULT_THRESHOLD = 0.95
#: The cascade's candidate threshold when none is given: this much below the threshold
#: (calibrated on bench/data/paraphrase_eval.jsonl: bench/RESULTS.md, "Static cascade").
CANDIDATE_GAP = 0.15
#: The cascade accepts a candidate pair without confirming it when the fast similarity is
#: this much above the threshold (chosen on the DEV half of bench/data/paraphrase_eval.jsonl:
#: bench/RESULTS.md, "Static cascade: the uncertain band").
ACCEPT_GAP = 0.05
DRY_RUN_THRESHOLDS = [0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96, 0.98]


@dataclass(frozen=True)
class SemanticOptions:
    """The keys of the ``[semantic]`` table."""

    enabled: bool = _option(default=True, metadata={"help": "run the semantic phase"})
    embedder: str | None = _option(
        default=None,
        metadata={"help": "NAME (a registered embedder), NAME:MODEL, or MODEL (a local path or name) for the default"},
    )
    confirm: str | None = _option(
        default=None,
        metadata={
            "help": "an embedder (as for embedder) that confirms the candidate pairs of a fast embedder: the cascade, "
            'e.g. embedder = "static", confirm = "sentence-transformers"'
        },
    )
    calibrate: bool = _option(
        default=True,
        metadata={
            "help": "read threshold and dry_run_thresholds on the default model's (MiniLM's) similarity scale when the "
            "embedder ships a map onto its own (the static embedder does; not with confirm); false: compare the "
            "embedder's similarities with them as they are"
        },
    )
    audit: int = _option(
        default=50,
        metadata={
            "help": "with an embedder that stands in for the default model (the static embedder): ask the default "
            "model about this many of its removals and this many kept records, and report how often it agrees "
            "(0: no audit; the decisions never change)"
        },
    )
    candidate_threshold: float | None = _option(
        default=None,
        metadata={"help": f"with confirm: the fast embedder's similarity for candidates (threshold - {CANDIDATE_GAP})"},
    )
    accept_threshold: float | None = _option(
        default=None,
        metadata={
            "help": "with confirm: candidate pairs more similar than this by the fast embedder are near-duplicates "
            f"without confirming; only the band between is confirmed (threshold + {ACCEPT_GAP}; 1.0: confirm all)"
        },
    )
    candidates_per_record: int = _option(
        default=32, metadata={"help": "with confirm: a record's most similar candidates kept, at most"}
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
        if self.candidate_threshold is not None and not -1.0 < self.candidate_threshold <= 1.0:
            raise bad(f"candidate_threshold is a cosine similarity in (-1, 1], got {self.candidate_threshold}")
        if self.accept_threshold is not None and not -1.0 < self.accept_threshold <= 1.0:
            raise bad(
                f"accept_threshold is a cosine similarity in (-1, 1], got {self.accept_threshold}",
                "e.g. accept_threshold = 0.95, or 1.0 to confirm every candidate pair",
            )
        if self.audit < 0:
            raise bad(f"audit is a number of records to sample (0: no audit), got {self.audit}")
        for name in ("batch_size", "iterations", "embed_chunk", "candidates_per_record"):
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

    def loose_similarity(self, lowest: float) -> float:
        """The cascade's candidate threshold, given the lowest threshold decided on."""
        return self.candidate_threshold if self.candidate_threshold is not None else lowest - CANDIDATE_GAP

    def accept_similarity(self, threshold: float) -> float:
        """The cascade's similarity above which a candidate pair is accepted unconfirmed (never below ``threshold``)."""
        accept = self.accept_threshold if self.accept_threshold is not None else threshold + ACCEPT_GAP
        return max(accept, threshold)

    @property
    def similarity(self) -> float:
        """The near-duplicate threshold as a similarity."""
        if self.epsilon is not None:
            return 1.0 - self.epsilon
        return DEFAULT_THRESHOLD if self.threshold is None else self.threshold
