"""The semantic phase: embed every record, cluster, remove near-duplicates, rebalance.

Configured by the ``[semantic]`` table (:mod:`curate.semantic.options`; ``docs/semantic.md``
explains each step). The phase reads the records twice: once to embed them (through the
on-disk cache) and once, at the end, to fetch the few texts the report shows
(:mod:`curate.semantic.report`). Between the two, :func:`curate.semantic.decide.decide`
decides by record id from the vectors alone; the engine applies the decisions in its
next pass. The phase renders itself: its console summary (:mod:`curate.semantic.summary`)
and its section of ``report.html`` (:mod:`curate.semantic.report_html`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from curate.errors import CurateError, MissingDependency
from curate.options import parse_options
from curate.records import Record
from curate.registry import get_registry
from curate.semantic import report_html, summary
from curate.semantic.audit import AuditPairs, audit_report
from curate.semantic.clusters import Features
from curate.semantic.decide import RecordFacts, decide
from curate.semantic.embed import Embedder, EmbeddingCache, embedding_text, resolve_embedder, text_key
from curate.semantic.options import SemanticOptions
from curate.semantic.report import fill_texts, jsonable
from curate.semantic.summary import embed_rate
from curate.stages.base import Phase, PhaseResult
from curate.stages.compute import Compute, RecordText

__all__ = ["SemanticOptions", "SemanticPhase"]


class SemanticPhase(Phase):
    """Embeddings, spherical K-means, SemDeDup, cluster caps and noise; see the module docstring."""

    name = "semantic"

    def __init__(
        self,
        options: SemanticOptions,
        cache_dir: Path,
        embedder: Embedder,
        *,
        confirmer: Embedder | None = None,
        auditor: Embedder | None = None,
    ) -> None:
        self.options = options
        self.cache_dir = Path(cache_dir)
        self.embedder = embedder
        #: The embedder confirming ``embedder``'s candidate pairs (``confirm``): the cascade.
        self.confirmer = confirmer
        #: The model ``embedder`` stands in for, asked about a sample of the decisions (``audit``).
        self.auditor = auditor

    @classmethod
    def from_config(
        cls,
        table: dict[str, Any],
        cache_dir: Path,
        *,
        embedder: Embedder | None = None,
        auditor: Embedder | None = None,
    ) -> SemanticPhase:
        """Validate the ``[semantic]`` table and build the phase (the models themselves load on first use).

        The embedder named by the table (or ``embedder``) embeds; when the table names one
        that stands in for the default model (it ships a threshold map onto the default
        model's scale: the static embedder), the default model audits a sample of its
        decisions (``audit``), if installed. With ``embedder`` given, only ``auditor`` audits.
        """
        options = parse_options(SemanticOptions, table, owner="[semantic]")
        if importlib.util.find_spec("torch") is None and (options.backend in ("auto", "torch", "keops")):
            raise MissingDependency("torch", extra="embed", purpose="semantic deduplication (K-means)")
        device = None if options.device == "auto" else options.device

        def build(spec: str | None) -> Embedder:
            embedders = get_registry().embedders
            if not embedders:
                raise MissingDependency(
                    "sentence-transformers", extra="embed", purpose="semantic deduplication (embeddings)"
                )
            embedder_cls, model = resolve_embedder(spec, embedders)
            return embedder_cls(
                model, device=device, batch_size=options.batch_size, max_seq_length=options.max_seq_length
            )

        confirmer = build(options.confirm) if options.confirm else None
        if embedder is None:
            embedder = build(options.embedder)
            if options.audit and confirmer is None and embedder.threshold_map() is not None:
                with contextlib.suppress(MissingDependency):  # the default model is not installed: no audit
                    auditor = build(None)
        return cls(options, cache_dir, embedder, confirmer=confirmer, auditor=auditor if options.audit else None)

    # -- the run -------------------------------------------------------------------

    def run(self, records: Callable[[], Iterator[Record]], compute: Compute) -> PhaseResult:
        """Decide on ``records`` (see the module docstring), with ``compute`` embedding and holding the vectors.

        The decisions are the same whatever the compute: on the Ray engine the texts are
        embedded, and the vector passes run, on the cluster.
        """
        opts, calibration, user_of = self._calibrated()
        started = time.perf_counter()
        result = PhaseResult()
        counts: Counter[str] = result.counts
        run = _Run(opts)
        text = partial(record_text, field=opts.field, quality_key=opts.quality_key)
        ahead = compute.embed(text, self.embedder, self.cache_dir / "embeddings", step=self.step)
        cache = EmbeddingCache(self.cache_dir / "embeddings", self.embedder.model_id)
        self.step("reading and embedding the records")
        embed_seconds = self._read_and_embed(records, run, cache, counts, text)
        # what the compute embedded ahead, the read found in the cache: it counts as embedded
        moved = min(ahead.embedded, counts["cached"])
        if moved:
            counts["embedded"] += moved
            counts["cached"] -= moved
        n = len(run.ids)
        counts["records"] = n
        report: dict[str, Any] = {
            "records": n,
            "threshold": self.options.similarity,
            "embedder": {
                **jsonable(self.embedder.describe()),
                "field": opts.field,
                "embedded": counts["embedded"],
                "cached": counts["cached"],
                "seconds": round(embed_seconds + ahead.seconds, 3),
            },
        }
        report["embedder"].update(embed_rate(report["embedder"], n))
        if ahead.report:
            report["embedder"][compute.where] = ahead.report
        if calibration is not None:
            report["calibration"] = calibration
        result.report = report
        if n == 0:
            report["seconds"] = round(time.perf_counter() - started, 3)
            report["counts"] = dict(counts)
            return result
        keys = np.frombuffer(run.keys, dtype=np.uint64)
        facts = RecordFacts(
            run.ids,
            keys,
            Features(np.frombuffer(run.lengths, dtype=np.int64), np.frombuffer(run.quality, dtype=np.float64)),
        )
        tmp_dir = self.cache_dir / "tmp"
        with compute.vectors(keys, cache, text, memory_limit_mb=opts.memory_limit_mb, tmp_dir=tmp_dir) as store:
            confirm = None
            if self.confirmer is not None:
                confirm = self._confirm(self.confirmer, records, run, report)
            audit = self.auditor is not None
            decided = decide(store, facts, opts, dim=int(cache.dim or 0), step=self.step, confirm=confirm, audit=audit)
        del store
        result.rejected, result.groups, result.meta = (
            decided.result.rejected,
            decided.result.groups,
            decided.result.meta,
        )
        counts.update(decided.result.counts)
        report.update(decided.result.report)
        for row in (report.get("dry_run") or {}).get("thresholds", []) if user_of else []:
            row["user_threshold"] = user_of.get(row["threshold"], row["threshold"])
        self.step("collecting the report's examples")
        asked = decided.audit
        whole = fill_texts(
            records,
            run.ids,
            decided.examples,
            report,
            field=opts.field,
            seed=opts.seed,
            also=asked.index.tolist() if asked is not None else (),
        )
        if asked is not None and self.auditor is not None:
            self._audit(self.auditor, asked, whole, run, report)
        report["seconds"] = round(time.perf_counter() - started, 3)
        report["counts"] = dict(counts)
        return result

    def _calibrated(self) -> tuple[SemanticOptions, dict[str, Any] | None, dict[float, float]]:
        """The options with the thresholds on the embedder's own scale, what the report says of the map,
        and the user's threshold of each mapped one (for the dry run's table).

        Only when ``calibrate`` is on, the embedder ships a :class:`ThresholdMap` and no
        confirmer decides (the cascade's confirmer is on the default model's scale already).
        """
        opts = self.options
        mapping = self.embedder.threshold_map() if opts.calibrate and self.confirmer is None else None
        if mapping is None:
            return opts, None, {}
        mapped = dataclasses.replace(
            opts,
            threshold=mapping(opts.similarity),
            epsilon=None,
            dry_run_thresholds=[mapping(t) for t in opts.dry_run_thresholds],
        )
        user_of = {mapping(t): t for t in [*opts.dry_run_thresholds, opts.similarity]}
        return mapped, mapping.describe(opts.similarity), user_of

    def _read_and_embed(
        self,
        records: Callable[[], Iterator[Record]],
        run: _Run,
        cache: EmbeddingCache,
        counts: Counter[str],
        text_of: RecordText,
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

        for record in records():
            text, quality = text_of(record)
            key = text_key(text)
            run.ids.append(record.id)
            run.keys.append(key)
            run.lengths.append(len(text))
            run.quality.append(quality)
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

    def _confirm(
        self, confirmer: Embedder, records: Callable[[], Iterator[Record]], run: _Run, report: dict[str, Any]
    ) -> Callable[[np.ndarray], np.ndarray]:
        """The cascade's second opinion: record indices -> their vectors by ``confirmer``; the texts its
        cache lacks are read in another pass over ``records``."""
        field = self.options.field

        def texts_of(missing: np.ndarray) -> list[str]:
            wanted = set(missing.tolist())
            texts = [embedding_text(r, field) for i, r in enumerate(records()) if i in wanted]
            if len(texts) != len(missing):
                raise CurateError(
                    "the records came back fewer in the semantic phase's confirming pass",
                    hint="this is a bug in the engine: phases need the same records on every pass",
                )
            return texts

        def confirm(index: np.ndarray) -> np.ndarray:
            vectors, report["confirmer"] = self._embed_some(confirmer, index, run, texts_of, "confirming")
            return vectors

        return confirm

    def _audit(
        self, auditor: Embedder, asked: AuditPairs, texts: dict[int, str], run: _Run, report: dict[str, Any]
    ) -> None:
        """Ask ``auditor`` about the sampled decisions (``texts``: the records' whole texts, by index)."""
        index = asked.index
        if len(texts) != len(index):
            raise CurateError(
                "the records came back fewer in the semantic phase's second pass",
                hint="this is a bug in the engine: phases need the same records on every pass",
            )
        self.step(f"auditing: asking {auditor.name} about {len(index):,} records")
        started = time.perf_counter()
        try:
            rows, report["auditor"] = self._embed_some(
                auditor, index, run, lambda missing: [texts[int(i)] for i in missing], "auditing"
            )
        except Exception as exc:  # the audit only reports on decisions already made: it never fails the build
            report["auditor"] = jsonable(auditor.describe())
            report["dedup"]["audit"] = {"error": f"{type(exc).__name__}: {exc}"}
            return
        audit = audit_report(asked, rows, run.ids, threshold=self.options.similarity)
        audit["seconds"] = round(time.perf_counter() - started, 3)
        report["dedup"]["audit"] = audit

    def _embed_some(
        self,
        embedder: Embedder,
        index: np.ndarray,
        run: _Run,
        texts_of: Callable[[np.ndarray], list[str]],
        doing: str,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The unit vectors of the records ``index`` (ascending) by ``embedder``, through its cache
        (``texts_of`` gives the texts of the records it lacks), and what it did, for the report."""
        cache = EmbeddingCache(self.cache_dir / "embeddings", embedder.model_id)
        all_keys = np.frombuffer(run.keys, dtype=np.uint64)
        keys = all_keys[index]
        shard, _ = cache.lookup(keys)
        missing = index[shard < 0]
        embedded, seconds = 0, 0.0
        if len(missing):
            self.step(f"{doing}: embedding {len(missing):,} records with {embedder.name}")
            texts = texts_of(missing)
            started = time.perf_counter()
            embedded = cache.fill(embedder, all_keys[missing], texts)
            seconds = time.perf_counter() - started
        shard, row = cache.lookup(keys)
        vectors = np.empty((len(keys), int(cache.dim or 0)), dtype=np.float32)
        cache.gather(shard, row, vectors)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        info = {
            **jsonable(embedder.describe()),
            "records": len(index),
            "embedded": embedded,
            "cached": len(index) - len(missing),
            "seconds": round(seconds, 3),
        }
        info.update(embed_rate(info, len(index)))
        return vectors, info

    # -- rendering ------------------------------------------------------------------

    def summary_lines(self, report: dict[str, Any]) -> list[str]:
        """The console lines at the end of a build: embedding, clusters, near-duplicates, the dry run's table."""
        return summary.summary_lines(report)

    def report_section(self, report: dict[str, Any]) -> str | None:
        """The ``report.html`` section: facts, cluster sizes, the map, the largest clusters, example pairs."""
        return report_html.report_section(report)


@dataclass
class _Run:
    """What the phase's first pass keeps of each record for :func:`~curate.semantic.decide.decide` (no texts)."""

    options: SemanticOptions
    ids: list[str] = field(default_factory=list)
    # typed arrays: 8 bytes a record each, where lists of Python numbers take 36
    keys: array[int] = field(default_factory=lambda: array("Q"))
    lengths: array[int] = field(default_factory=lambda: array("q"))
    quality: array[float] = field(default_factory=lambda: array("d"))


def record_text(record: Record, *, field: str, quality_key: str) -> tuple[str, float]:
    """What the phase embeds of ``record``, and its quality score (the phase's ``RecordText``)."""
    return embedding_text(record, field), quality_score(record, quality_key)


def quality_score(record: Record, key: str) -> float:
    """The number under ``meta[key]`` (what ``keep = "quality"`` ranks by); NaN when there is none."""
    q = record.meta.get(key)
    return float(q) if isinstance(q, (int, float)) and not isinstance(q, bool) else float("nan")
