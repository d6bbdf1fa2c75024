"""The data of the semantic phase's report: example pairs, clusters' top terms, a 2-D map.

Nothing here decides about a record. :func:`pick_examples` and :func:`pca_map` run with
the decisions (they need the vectors); :func:`fill_texts` is the phase's second pass
over the records, which fetches the few texts the report shows and describes the largest
clusters by their TF-IDF top terms. :mod:`curate.semantic.report_html` draws the result.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curate.errors import CurateError
from curate.records import Record
from curate.semantic import diversity
from curate.semantic.blas import blas_threads
from curate.semantic.embed import embedding_text

__all__ = ["REPORT_CLUSTERS", "Examples", "fill_texts", "jsonable", "pca_map", "spread_pairs", "top_terms"]

#: Clusters described in detail in the report (the largest ones).
REPORT_CLUSTERS = 30
#: Characters of a record's text shown in the report.
SNIPPET = 300


@dataclass
class Examples:
    """What the report's second pass needs from the decisions, by record index (no texts)."""

    labels: np.ndarray
    sims: np.ndarray
    alive: np.ndarray
    k: int
    #: ``(survivor, removed, similarity)`` of the removals the report shows.
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    #: The clusters described in detail, largest first.
    clusters: list[int] = field(default_factory=list)


def spread_pairs(removed_by: np.ndarray, removed_sim: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """``(survivor, removed, similarity)`` of up to ``count`` removals spread over the similarity range."""
    gone = np.flatnonzero(removed_by >= 0)
    if not len(gone) or count < 1:
        return []
    ranked = gone[np.lexsort((gone, removed_sim[gone]))]
    picks = np.unique(np.linspace(0, len(ranked) - 1, num=min(count, len(ranked))).round().astype(np.int64))
    return [(int(removed_by[i]), int(i), float(removed_sim[i])) for i in ranked[picks]]


def fill_texts(
    records: Callable[[], Iterator[Record]],
    ids: list[str],
    examples: Examples,
    report: dict[str, Any],
    *,
    field: str,
    seed: int,
    also: Collection[int] = (),
) -> dict[int, str]:
    """Second pass over ``records``: put the texts the report shows into ``report``.

    Fills the removed pairs' and the dry run's example texts, and ``clusters.details``:
    the representatives (closest to the centroid) and TF-IDF top terms of the largest
    clusters. ``records`` must come back in the order of ``ids``. Returns the whole
    embedded texts of the records ``also`` (by index), read in the same pass.
    """
    n = len(ids)
    labels, sims, alive = examples.labels, examples.sims, examples.alive
    wanted: set[int] = set()
    for a, b, _ in examples.pairs:
        wanted.update((a, b))
    for entry in report.get("dry_run", {}).get("thresholds", []):
        for ex in entry["examples"]:
            wanted.update((ex["kept"], ex["other"]))
    representatives: dict[int, list[int]] = {}
    samples: dict[int, list[int]] = {}
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=examples.k))])
    for c in examples.clusters:
        members = order[bounds[c] : bounds[c + 1]]
        live = members[alive[members]] if alive[members].any() else members
        representatives[c] = [int(i) for i in live[np.argsort(-sims[live], kind="stable")][:3]]
        samples[c] = [int(i) for i in live[diversity.hash_order([ids[i] for i in live], seed)][:100]]
        wanted.update(representatives[c])
        wanted.update(samples[c])
    texts: dict[int, str] = {}
    whole: dict[int, str] = {}
    also = set(also)
    if wanted or also:
        for i, record in enumerate(records()):
            if i >= n or record.id != ids[i]:
                raise CurateError(
                    "the records came back in a different order in the semantic phase's second pass",
                    hint="this is a bug in the engine: phases need a deterministic order",
                )
            if i in wanted or i in also:
                text = embedding_text(record, field)
                texts[i] = text[:1000]
                if i in also:
                    whole[i] = text
    terms = top_terms({c: [texts[i] for i in samples[c]] for c in examples.clusters})
    clusters = report["clusters"]
    clusters["details"] = [
        {
            "cluster": c,
            "size": int(clusters["sizes"][c]),
            "kept": int(clusters["kept"][c]),
            "near_duplicates": int(clusters["near_duplicates"][c]),
            "top_terms": terms.get(c, []),
            "examples": [snippet(texts[i]) for i in representatives[c]],
        }
        for c in examples.clusters
    ]
    clusters["top_terms_by"] = "tf-idf" if terms else "unavailable (pip install 'curate[embed]')"
    report["dedup"]["examples"] = [
        {
            "similarity": round(float(s), 4),
            "kept": ids[a],
            "removed": ids[b],
            "kept_text": snippet(texts[a]),
            "removed_text": snippet(texts[b]),
        }
        for a, b, s in examples.pairs
    ]
    for entry in report.get("dry_run", {}).get("thresholds", []):
        for ex in entry["examples"]:
            a, b = ex.pop("kept"), ex.pop("other")
            ex.update(kept_id=ids[a], other_id=ids[b], kept_text=snippet(texts[a]), other_text=snippet(texts[b]))
    return whole


def snippet(text: str) -> str:
    """``text`` on one line, cut to :data:`SNIPPET` characters."""
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def top_terms(docs: dict[int, list[str]], count: int = 8) -> dict[int, list[str]]:
    """The ``count`` highest TF-IDF terms of each cluster (one document per cluster); {} without scikit-learn."""
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


def pca_map(
    matrix: np.ndarray, labels: np.ndarray, centroids: np.ndarray, *, seed: int, points: int = 1500
) -> dict[str, Any]:
    """A 2-D PCA projection of a seeded sample of the vectors and of the centroids."""
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


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, tuples and paths turned into what JSON writes."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
