"""The ``decontaminate`` filter: records that match an evaluation set (``--exclude-like``).

A record is rejected with reason ``contaminated`` when one of its texts (``text``, the
prompt, the answer, each non-system turn) matches an item of the reference set:

``exact``     the same words as an item's text, once case, punctuation, whitespace and
              Unicode forms are set aside (texts of ``exact_min_words`` words or more);
``ngram``     a word ``ngram`` (13 by default, as GPT-3 and the Llama papers) shared with an
              item, see :mod:`curate.contamination` for what is indexed and what is not;
``semantic``  (``semantic = 0.9``, needs the embed extra) a cosine similarity of at least
              ``semantic`` between a text of the record and a text of an item: paraphrases.

``details`` say which: ``method``, ``reference`` (the item's ``file:locator``), ``field``,
and the shared ``ngram`` with ``shared`` and ``coverage``, or the ``score``.

The reference set is read and indexed once per process (the build's process, each worker
of ``--workers`` and each Ray worker), and kept for later builds of the same process while
its files are unchanged. Turn it on with ``--exclude-like PATH...`` or ``exclude_like`` under
``[build]``; tune it under ``[filters.decontaminate]``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from curate.plugin_api import (
    BatchResult,
    ConfigError,
    ContaminationIndex,
    Counts,
    Embedder,
    EmbeddingCache,
    Filter,
    Match,
    Record,
    ReferenceSet,
    embedding_cache,
    fingerprint,
    hookimpl,
    load_embedder,
    read_references,
    record_parts,
    words,
)

NAME = "decontaminate"


@dataclass(frozen=True)
class DecontaminateOptions:
    reference_files: list[str] = field(
        default_factory=list,
        metadata={"help": "files or folders of the evaluation set, in any format curate imports (--exclude-like)"},
    )
    reference_options: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "importer options for the reference files, as a source's options ({text_column = ...})"},
    )
    ngram: int = field(default=13, metadata={"help": "words per n-gram; 0 turns n-gram matching off"})
    short_min_words: int = field(
        default=8, metadata={"help": "reference texts shorter than ngram but this long match when contained whole"}
    )
    common_items: int = field(
        default=10, metadata={"help": "n-grams found in this many reference items are boilerplate, ignored; 0 never"}
    )
    min_coverage: float = field(
        default=0.0, metadata={"help": "share of a reference item's n-grams a record must hold (0: any one)"}
    )
    exact: bool = field(default=True, metadata={"help": "match texts equal to a reference text"})
    exact_min_words: int = field(default=4, metadata={"help": "shorter texts are not matched exactly"})
    semantic: float | None = field(
        default=None, metadata={"help": "cosine similarity from which a text is a paraphrase (embed extra); off"}
    )
    semantic_min_words: int = field(default=5, metadata={"help": "shorter texts are not compared by embedding"})
    embedder: str | None = field(default=None, metadata={"help": "as in [semantic]: NAME, NAME:MODEL, or MODEL"})
    device: str = field(default="auto", metadata={"help": "cpu, cuda, cuda:1...; auto: CUDA when present"})
    batch_size: int = field(default=64, metadata={"help": "texts per forward pass of the embedding model"})
    max_seq_length: int | None = field(default=None, metadata={"help": "truncate texts to this many tokens"})
    cache: bool = field(default=True, metadata={"help": "keep vectors in the semantic phase's on-disk cache"})
    normalise: bool = field(default=True, metadata={"help": "normalise reference texts as the build does"})
    base_dir: str | None = field(
        default=None, metadata={"help": "folder relative reference paths are read from (set by the build: its cwd)"}
    )

    def __post_init__(self) -> None:
        def bad(message: str, hint: str = "see curate filters --verbose for the options") -> ConfigError:
            return ConfigError(f"filter {NAME!r}: {message}", hint=hint)

        if not self.reference_files:
            raise bad("no reference set", hint="pass --exclude-like PATH (exclude_like = [...] under [build])")
        for name in ("ngram", "short_min_words", "common_items", "exact_min_words", "semantic_min_words"):
            if getattr(self, name) < 0:
                raise bad(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise bad(f"min_coverage is a share in [0, 1], got {self.min_coverage}")
        if self.semantic is not None and not -1.0 <= self.semantic <= 1.0:
            raise bad(f"semantic is a cosine similarity in [-1, 1], got {self.semantic}")
        if self.batch_size < 1:
            raise bad(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.exact and self.ngram == 0 and self.semantic is None:
            raise bad("exact, ngram and semantic are all off: nothing would be matched")


@dataclass
class Reference:
    """A reference set read and indexed: what a filter of this process matches against."""

    refs: ReferenceSet
    index: ContaminationIndex
    seconds: float
    #: Texts compared by embedding: ``(item, text)``, and their vectors once computed.
    texts: list[tuple[int, str]] = field(default_factory=list)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


#: Reference sets indexed in this process, by options and the files' sizes and times.
_LOADED: dict[tuple[Any, ...], Reference] = {}


def load_reference(options: DecontaminateOptions) -> Reference:
    """The indexed reference set of ``options``, read once per process while its files are unchanged."""
    key = (
        fingerprint(options.reference_files, options.base_dir),
        json.dumps(options.reference_options, sort_keys=True, default=str),
        options.normalise,
        options.ngram,
        options.short_min_words,
        options.common_items,
        options.exact_min_words if options.exact else -1,
        options.min_coverage,
        options.semantic_min_words if options.semantic is not None else None,
    )
    if key not in _LOADED:
        start = time.perf_counter()
        refs = read_references(
            options.reference_files,
            normalise=options.normalise,
            base_dir=options.base_dir,
            options=options.reference_options,
        )
        index = ContaminationIndex(
            refs,
            n=options.ngram,
            short_min_words=options.short_min_words,
            exact_min_words=options.exact_min_words if options.exact else 1 << 30,
            common_items=options.common_items,
            min_coverage=options.min_coverage,
        )
        texts = [
            (item, text)
            for item, parts in enumerate(refs.parts)
            for _, text in parts
            if options.semantic is not None and len(words(text)) >= options.semantic_min_words
        ]
        _LOADED.clear()  # one reference set at a time: a long-lived process does not pile them up
        _LOADED[key] = Reference(refs, index, time.perf_counter() - start, texts)
    return _LOADED[key]


class DecontaminateFilter(Filter):
    """Rejects records that match a reference (evaluation) set, reason ``contaminated``."""

    name = NAME
    Options = DecontaminateOptions
    description = "records matching an evaluation set (--exclude-like): exact, 13-gram, optionally semantic"
    default = False
    #: Right after normalisation: a contaminated record is reported as such before any other filter judges it.
    order: ClassVar[int] = 5

    def __init__(self, options: DecontaminateOptions) -> None:
        super().__init__(options)
        self.reference = load_reference(options)
        self.embedder: Embedder | None = None
        if options.semantic is not None:
            self.embedder = load_embedder(options, purpose="--exclude-like-semantic (the decontaminate filter)")
        self._cache: EmbeddingCache | None = None

    # -- what the manifest says ------------------------------------------------------------

    def manifest_section(self, counts: Counts) -> tuple[str, dict[str, Any]]:
        """The manifest's ``decontamination``: reference files (path, SHA-256, size, items), settings, counts."""
        index, opts = self.reference.index, self.options
        return "decontamination", {
            "references": [f.to_dict() for f in self.reference.refs.files],
            "items": len(self.reference.refs),
            "methods": {
                "exact": opts.exact,
                "ngram": opts.ngram or None,
                "semantic": opts.semantic,
            },
            "indexed_ngrams": index.ngram_count,
            "ignored_common_ngrams": index.dropped_common,
            "index_bytes": index.nbytes,
            "index_seconds": round(self.reference.seconds, 3),
            "model": self.embedder.model_id if self.embedder is not None else None,
            "contaminated": counts.rejected_by.get(self.name, Counter())["contaminated"],
            "by_method": dict(sorted(counts.stages.get(self.name, Counter()).items())),
        }

    # -- embeddings ------------------------------------------------------------------------

    def _embed(self, texts: list[str]) -> np.ndarray:
        assert self.embedder is not None
        if not texts:
            return np.empty((0, 1), dtype=np.float32)
        if not self.options.cache:
            return self.embedder.embed(texts)
        if self._cache is None:
            self._cache = embedding_cache(self.embedder)
        return self._cache.vectors(self.embedder, texts)

    def _reference_vectors(self) -> np.ndarray:
        assert self.embedder is not None
        model = self.embedder.model_id
        vectors = self.reference.vectors.get(model)
        if vectors is None:
            vectors = self._embed([text for _, text in self.reference.texts])
            self.reference.vectors[model] = vectors
        return vectors

    def _semantic(self, todo: list[tuple[int, str, str]]) -> dict[int, tuple[int, str, float]]:
        """For records (by batch index) with a text close to a reference text: ``(item, field, score)``."""
        threshold = self.options.semantic
        assert threshold is not None
        refs = self._reference_vectors()
        if not todo or not len(refs):
            return {}
        vectors = self._embed([text for _, _, text in todo])
        found: dict[int, tuple[int, str, float]] = {}
        for start in range(0, len(todo), 1024):
            sims = vectors[start : start + 1024] @ refs.T
            best = np.argmax(sims, axis=1)
            scores = sims[np.arange(len(best)), best]
            for (index, label, _), ref, score in zip(todo[start : start + 1024], best, scores, strict=True):
                if score >= threshold and (index not in found or score > found[index][2]):
                    found[index] = (self.reference.texts[int(ref)][0], label, float(score))
        return found

    # -- the filter ------------------------------------------------------------------------

    def details(self, match: Match) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": match.method,
            "reference": self.reference.refs.locators[match.item],
            "field": match.field,
        }
        if match.method == "ngram":
            out.update(ngram=match.ngram, shared=match.shared, coverage=match.coverage)
        return out

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        counts: Counter[str] = result.counts
        index = self.reference.index
        verdicts: dict[int, dict[str, Any]] = {}
        todo: list[tuple[int, str, str]] = []
        for i, record in enumerate(batch):
            parts = record_parts(record)
            match = index.match(parts)
            if match is not None:
                verdicts[i] = self.details(match)
            elif self.embedder is not None:
                least = self.options.semantic_min_words
                todo.extend((i, name, text) for name, text in parts if len(words(text)) >= least)
        if self.embedder is not None:
            for i, (item, label, score) in self._semantic(todo).items():
                verdicts[i] = {
                    "method": "semantic",
                    "reference": self.reference.refs.locators[item],
                    "field": label,
                    "score": round(score, 4),
                    "threshold": self.options.semantic,
                    "model": self.embedder.model_id,
                }
        for i, record in enumerate(batch):
            details = verdicts.get(i)
            if details is None:
                result.kept.append(record)
            else:
                counts[details["method"]] += 1
                result.rejected.append(self.reject(record, "contaminated", **details))
        return result


@hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(DecontaminateFilter)
