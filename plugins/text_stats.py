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
from collections.abc import Iterable

#: CJK ideographs, kana and hangul: scripts written without spaces between words.
CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
_WORD = re.compile(rf"[^\W_{CJK}]+")
_TOKEN = re.compile(rf"[{CJK}]|[^\s{CJK}]+")
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_PUNCT_STRIP = re.compile(r"^\W+|\W+$")


def word_count(text: str) -> float:
    """Words in ``text``: letter/digit runs, plus half a word per CJK character.

    >>> word_count("Hello, world! 42")
    3.0
    >>> word_count("我不能为你编写")
    3.5
    """
    words = len(_WORD.findall(text))
    if text.isascii():
        return float(words)
    return words + len(_CJK_CHAR.findall(text)) / 2


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
    """Tokens lower-cased with surrounding punctuation removed; empty ones dropped."""
    out = []
    for tok in tokens(text):
        tok = _PUNCT_STRIP.sub("", tok.lower())
        if tok:
            out.append(tok)
    return out


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
