"""An index of a reference set for exact and n-gram contamination tests.

Built once per process from a :class:`~curate.references.ReferenceSet`:

exact   every text of every item, as words (:func:`curate.ngrams.words`), hashed to one
        64-bit key; a record's text with the same words matches. Texts shorter than
        ``exact_min_words`` words ("Yes.", "Paris") are left out: matching them says
        nothing about contamination.
n-gram  the 64-bit hash of every word ``n``-gram of every item text, in a sorted numpy
        array beside the number of the item it comes from (12 bytes an n-gram). A text of
        ``short_min_words`` to ``n - 1`` words is indexed whole, as GPT-3 did for examples
        shorter than its n-grams: a record that contains all of it matches. An n-gram
        found in ``common_items`` items or more is dropped from the index: it is a template
        or boilerplate of the set ("The following are multiple choice questions about"),
        not the content of one item (GPT-3 dropped 13-grams found in more than 10 training
        documents, for the same reason).

A record matches an item by n-grams when it shares at least one of the item's indexed
n-grams and, with ``min_coverage`` above 0, at least that share of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.ngrams import ngram_hashes, sequence_hash, word_hashes, words
from curate.references import ReferenceSet


@dataclass(frozen=True)
class Match:
    """Why a record matches a reference item."""

    method: str  # "exact" or "ngram"
    item: int
    field: str
    #: The first shared n-gram (as words), for ``ngram``.
    ngram: str | None = None
    #: How many of the item's indexed n-grams the record holds, and which share of them.
    shared: int = 0
    coverage: float = 1.0


class _Table:
    """Sorted n-gram hashes of one length, each with the (lowest) number of an item holding it."""

    def __init__(self, keys: np.ndarray, items: np.ndarray) -> None:
        self.keys = keys
        self.items = items

    def find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``hashes`` found in the table, and the item of each."""
        if not len(self.keys) or not len(hashes):
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int32)
        pos = np.searchsorted(self.keys, hashes)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        hit = np.flatnonzero(self.keys[pos] == hashes)
        return hit, self.items[pos[hit]]


class ContaminationIndex:
    """Exact keys and n-gram tables of a reference set (see the module docstring)."""

    def __init__(
        self,
        refs: ReferenceSet,
        *,
        n: int = 13,
        short_min_words: int = 8,
        exact_min_words: int = 4,
        common_items: int = 10,
        min_coverage: float = 0.0,
    ) -> None:
        self.n = n
        self.short_min_words = short_min_words
        self.exact_min_words = exact_min_words
        self.min_coverage = min_coverage
        self.exact: dict[int, int] = {}
        pairs: dict[int, list[tuple[np.ndarray, int]]] = {}
        for item, parts in enumerate(refs.parts):
            for _, text in parts:
                tokens = words(text)
                if len(tokens) >= exact_min_words:
                    self.exact.setdefault(sequence_hash(tokens), item)
                if n < 1:
                    continue
                length = n if len(tokens) >= n else len(tokens)
                if length < n and length < short_min_words:
                    continue
                pairs.setdefault(length, []).append((ngram_hashes(word_hashes(tokens), length), item))
        self.tables: dict[int, _Table] = {}
        self.sizes = np.zeros(len(refs), dtype=np.int32)
        self.dropped_common = 0
        for length, chunks in sorted(pairs.items()):
            keys = np.concatenate([h for h, _ in chunks])
            items = np.concatenate([np.full(len(h), i, dtype=np.int32) for h, i in chunks])
            # One (n-gram, item) pair each, sorted by n-gram then item.
            order = np.lexsort((items, keys))
            keys, items = keys[order], items[order]
            same = np.zeros(len(keys), dtype=bool)
            same[1:] = (keys[1:] == keys[:-1]) & (items[1:] == items[:-1])
            keys, items = keys[~same], items[~same]
            first = np.ones(len(keys), dtype=bool)
            first[1:] = keys[1:] != keys[:-1]
            starts = np.flatnonzero(first)
            holders = np.diff(np.append(starts, len(keys)))  # items holding each distinct n-gram
            keep = holders < common_items if common_items > 0 else np.ones(len(starts), dtype=bool)
            self.dropped_common += int((~keep).sum())
            keys, items = keys[starts[keep]], items[starts[keep]]
            np.add.at(self.sizes, items, 1)
            self.tables[length] = _Table(keys, items)

    @property
    def nbytes(self) -> int:
        """Memory held by the n-gram tables (the exact keys are a dict of a few entries per item)."""
        return sum(t.keys.nbytes + t.items.nbytes for t in self.tables.values()) + self.sizes.nbytes

    @property
    def ngram_count(self) -> int:
        return sum(len(t.keys) for t in self.tables.values())

    def match(self, parts: list[tuple[str, str]]) -> Match | None:
        """The first exact match among ``parts`` (``(field, text)``), else the best n-gram match, else ``None``."""
        tokenised = [(name, words(text)) for name, text in parts]
        for name, tokens in tokenised:
            if len(tokens) >= self.exact_min_words:
                item = self.exact.get(sequence_hash(tokens))
                if item is not None:
                    return Match("exact", item, name)
        if not self.tables:
            return None
        best: Match | None = None
        for name, tokens in tokenised:
            if len(tokens) < min(self.tables):
                continue
            hashes = word_hashes(tokens)
            for length, table in self.tables.items():
                grams = ngram_hashes(hashes, length)
                positions, items = table.find(grams)
                if not len(items):
                    continue
                found = self._best(grams, positions, items, name, tokens, length)
                if found is not None and (best is None or (found.coverage, -found.item) > (best.coverage, -best.item)):
                    best = found
        return best

    def _best(
        self, grams: np.ndarray, positions: np.ndarray, items: np.ndarray, name: str, tokens: list[str], length: int
    ) -> Match | None:
        """The item whose n-grams this text covers most (ties: the first item), if it covers enough."""
        # Count each distinct shared n-gram once per item.
        _, unique_at = np.unique(grams[positions], return_index=True)
        counted = np.bincount(items[unique_at], minlength=0)
        candidates = np.flatnonzero(counted)
        coverage = counted[candidates] / np.maximum(self.sizes[candidates], 1)
        pick = int(np.argmax(coverage))  # the first maximum: the lowest item number
        item, share = int(candidates[pick]), float(coverage[pick])
        if share < self.min_coverage:
            return None
        first = int(positions[np.flatnonzero(items == item)[0]])
        return Match(
            "ngram",
            item,
            name,
            ngram=" ".join(tokens[first : first + length]),
            shared=int(counted[item]),
            coverage=round(min(share, 1.0), 4),
        )
