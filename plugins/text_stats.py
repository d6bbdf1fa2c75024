"""Small text measures shared by the cleaning filters: words, code spans, Gopher statistics.

Words are runs of letters or digits; each CJK character counts as half a word (a
Chinese word is one to three characters long), so length rules mean much the same
thing across languages.

The repetition statistics follow Rae et al. (2021), "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", appendix A: duplicate lines and paragraphs,
the share of characters in the most common n-gram (n = 2..4), and the share of
characters inside n-grams that occur more than once (n = 5..10).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

#: CJK ideographs, kana and hangul: scripts written without spaces between words.
CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
_WORD = re.compile(rf"[^\W_{CJK}]+")
#: Bytes that are not ASCII letters or digits made spaces (for counting words in ASCII text).
_NOT_ALNUM_TO_SPACE = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))
_TOKEN = re.compile(rf"[{CJK}]|[^\s{CJK}]+")
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
#: A normalised word: a CJK character, or a token cut to its first and last word character.
_NORMALISED_WORD = re.compile(rf"[{CJK}]|[^\W{CJK}](?:[^\s{CJK}]*[^\W{CJK}])?")
#: The same for ASCII text, where there is no CJK to set apart (and a simpler expression is faster).
_ASCII_WORD = re.compile(r"\w(?:\S*\w)?")


def word_count(text: str) -> float:
    """Words in ``text``: letter/digit runs, plus half a word per CJK character.

    >>> word_count("Hello, world! 42")
    3.0
    >>> word_count("我不能为你编写")
    3.5
    """
    if text.isascii():  # runs of ASCII letters and digits: split where everything else is a space
        return float(len(text.encode("ascii").translate(_NOT_ALNUM_TO_SPACE).split()))
    return len(_WORD.findall(text)) + len(_CJK_CHAR.findall(text)) / 2


def tokens(text: str) -> list[str]:
    """Whitespace-separated tokens, each CJK character on its own (Gopher's "words")."""
    return _TOKEN.findall(text)


def code_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of fenced code blocks and inline code in Markdown ``text``, sorted.

    An unclosed fence runs to the end of the text.

    >>> code_spans("a `b` c\\n```\\nx\\n```\\nd")
    [(2, 5), (8, 17)]
    """
    if "`" not in text and "~~~" not in text:
        return []
    spans = [m.span() for m in _FENCE.finditer(text)]
    inline = [m.span() for m in _INLINE_CODE.finditer(text) if not _inside(m.start(), spans)]
    return sorted(spans + inline)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``pos`` falls inside one of ``spans``."""
    return _inside(pos, spans)


def without_code(text: str) -> str:
    """``text`` with fenced code blocks removed and inline code kept as plain words."""
    if "`" not in text and "~~~" not in text:
        return text
    return _FENCE.sub("\n", text).replace("`", "")


def unclosed_fence(text: str) -> bool:
    """Whether a ``` code fence is opened and never closed (a sign of a cut-off answer).

    >>> unclosed_fence("```python\\nprint(1)\\n")
    True
    >>> unclosed_fence("```\\nx\\n```")
    False
    """
    if "```" not in text:
        return False
    count = sum(1 for line in text.split("\n") if line.lstrip().startswith("```"))
    return count % 2 == 1


# -- Gopher repetition statistics ----------------------------------------------------


def duplicate_fractions(pieces: Iterable[str]) -> tuple[float, float]:
    """Of ``pieces`` (lines or paragraphs): the share that repeat an earlier one, and their share of characters."""
    seen: set[str] = set()
    n = dup = chars = dup_chars = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        n += 1
        chars += len(piece)
        if piece in seen:
            dup += 1
            dup_chars += len(piece)
        else:
            seen.add(piece)
    if not n:
        return 0.0, 0.0
    return dup / n, dup_chars / chars if chars else 0.0


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs."""
    return re.split(r"\n[ \t]*\n", text)


def normalised_words(text: str) -> list[str]:
    """Tokens lower-cased with surrounding punctuation removed; empty ones dropped.

    One regular expression over the lower-cased text: a CJK character, or a run without
    spaces from its first to its last letter, digit or underscore (the same words as
    stripping ``\\W`` from both ends of each of :func:`tokens`).

    >>> normalised_words("Hello, World! (see: e.g.) ... 我们")
    ['hello', 'world', 'see', 'e.g', '我', '们']
    """
    text = text.lower()
    return (_ASCII_WORD if text.isascii() else _NORMALISED_WORD).findall(text)


def top_ngram_fraction(words: list[str], n: int) -> float:
    """Share of word characters inside the most frequent n-gram (0 when no n-gram repeats).

    >>> round(top_ngram_fraction("the cat the cat the cat sat".split(), 2), 2)
    0.86
    """
    if len(words) < n:
        return 0.0
    counts = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    gram, count = counts.most_common(1)[0]
    if count < 2:
        return 0.0
    total = sum(len(w) for w in words)
    return count * sum(len(w) for w in gram) / total if total else 0.0


def duplicate_ngram_fraction(words: list[str], n: int) -> float:
    """Share of word characters covered by n-grams that occur more than once.

    >>> duplicate_ngram_fraction("a b c d e a b c d e".split(), 5)
    1.0
    """
    if len(words) < n:
        return 0.0
    grams = list(zip(*(words[i:] for i in range(n)), strict=False))
    counts = Counter(grams)
    covered = [False] * len(words)
    for i, gram in enumerate(grams):
        if counts[gram] > 1:
            for j in range(i, i + n):
                covered[j] = True
    total = sum(len(w) for w in words)
    dup = sum(len(w) for w, c in zip(words, covered, strict=True) if c)
    return dup / total if total else 0.0


# -- the same statistics, vectorised over many texts ------------------------------------------

#: Texts handled by one vectorised pass: large enough to share numpy's fixed costs,
#: small enough that sorting stays in the cache.
_CHUNK = 128


def ngram_fractions(
    word_lists: Sequence[list[str]], top: Sequence[int] = (2, 3, 4), dup: Sequence[int] = (5, 6, 7, 8, 9, 10)
) -> list[tuple[list[float], list[float]]]:
    """:func:`top_ngram_fraction` for each n in ``top`` and :func:`duplicate_ngram_fraction`
    for each n in ``dup`` (n of 2 or more), of every list of ``word_lists``, computed together.

    The same numbers as the per-text functions, to the last bit: words become integer ids,
    an n-gram is the id of its (n-1)-gram prefix paired with the id of its last word, and
    ``np.unique`` gives the pairs dense ids and counts, level after level. Only n-grams
    whose prefix occurs more than once can repeat, so each level looks only at those; the
    ties between most common n-grams go, as with :class:`collections.Counter`, to the one
    that occurs first.

    >>> ngram_fractions(["the cat the cat the cat sat".split()], top=(2,), dup=(2,))
    [([0.8571428571428571], [0.8571428571428571])]
    """
    out: list[tuple[list[float], list[float]]] = []
    for start in range(0, len(word_lists), _CHUNK):
        out += _ngram_chunk(word_lists[start : start + _CHUNK], tuple(top), tuple(dup))
    return out


def _ngram_chunk(
    word_lists: Sequence[list[str]], top: tuple[int, ...], dup: tuple[int, ...]
) -> list[tuple[list[float], list[float]]]:
    n_texts = len(word_lists)
    top_chars = np.zeros((n_texts, len(top)), dtype=np.int64)
    dup_chars = np.zeros((n_texts, len(dup)), dtype=np.int64)
    flat = [w for words in word_lists for w in words]
    size = len(flat)
    vocabulary = {w: i for i, w in enumerate(dict.fromkeys(flat))}
    ids = np.fromiter(map(vocabulary.__getitem__, flat), dtype=np.int64, count=size)
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=size)
    sizes = np.fromiter(map(len, word_lists), dtype=np.int64, count=n_texts)
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    text_of = np.repeat(np.arange(n_texts), sizes)  # the text each word belongs to
    end_of = bounds[1:][text_of]  # where that text's words end
    chars = np.concatenate(([0], np.cumsum(lengths)))  # chars[j] - chars[i]: characters of words i..j-1
    totals = chars[bounds[1:]] - chars[bounds[:-1]]
    n_ids = max(len(vocabulary), 1)
    # level 1: a word of one text; ids are never shared between texts
    _, level, counts = np.unique(text_of * n_ids + ids, return_inverse=True, return_counts=True)
    pos = np.flatnonzero(counts[level] > 1)  # where a repeated (n-1)-gram starts
    level = level[pos]
    for n in range(2, max((*top, *dup), default=1) + 1):
        inside = pos + n <= end_of[pos]
        pos, level = pos[inside], level[inside]
        if not len(pos):
            break
        _, level, counts = np.unique(level * n_ids + ids[pos + n - 1], return_inverse=True, return_counts=True)
        count = counts[level]
        repeated = count > 1
        if not repeated.any():
            break  # no n-gram repeats, nor does any longer one
        pos, level, count = pos[repeated], level[repeated], count[repeated]
        text = text_of[pos]
        if n in top:
            most = np.zeros(n_texts, dtype=np.int64)
            np.maximum.at(most, text, count)
            best = count == most[text]
            texts, first = np.unique(text[best], return_index=True)  # positions are sorted: the first
            at = pos[best][first]
            top_chars[texts, top.index(n)] = most[texts] * (chars[at + n] - chars[at])
        if n in dup:
            starts = np.bincount(pos, minlength=size + 1) - np.bincount(pos + n, minlength=size + 1)
            covered = np.cumsum(starts[:size]) > 0
            dup_chars[:, dup.index(n)] = np.bincount(text_of[covered], weights=lengths[covered], minlength=n_texts)
    out = []
    for i in range(n_texts):
        total = int(totals[i])
        if not total:
            out.append(([0.0] * len(top), [0.0] * len(dup)))
            continue
        out.append(([int(c) / total for c in top_chars[i]], [int(c) / total for c in dup_chars[i]]))
    return out
