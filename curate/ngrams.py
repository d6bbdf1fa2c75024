"""Word n-grams as 64-bit hashes, for overlap tests such as decontamination.

A *word* here is what GPT-3's contamination study counts (Brown et al., 2020, appendix C):
the text is lower-cased (Unicode case folding after NFKC, so full-width letters and
ligatures fold too), punctuation is removed, and what whitespace separates is a word:
``"Don't stop!"`` gives ``["dont", "stop"]``. Scripts written without spaces (Chinese,
Japanese kana and kanji) count one character as one word, so that an n-gram still means
something there.

Each word is hashed once (8 bytes of BLAKE2b, stable across processes and runs) and an
n-gram's hash is a polynomial of its words' hashes modulo 2**64, computed for every
window of a text at once with numpy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np

#: Anything that is neither a word character nor whitespace: punctuation and symbols.
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
#: Characters of scripts written without spaces: each one is a word.
_NO_SPACE_SCRIPT = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
#: The base of the polynomial rolling hash (odd, so multiplication is invertible mod 2**64).
_BASE = np.uint64(0x100000001B3)


def words(text: str) -> list[str]:
    """The words of ``text``: case-folded, punctuation removed, split on whitespace.

    >>> words("Don't  STOP -- the  Café’s “best” café!")
    ['dont', 'stop', 'the', 'cafés', 'best', 'café']
    >>> words("日本語です")
    ['日', '本', '語', 'で', 'す']
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if _NO_SPACE_SCRIPT.search(text):
            text = _NO_SPACE_SCRIPT.sub(r" \1 ", text)
    return _PUNCT.sub("", text.casefold()).split()


@lru_cache(maxsize=1 << 20)
def word_hash(word: str) -> int:
    """The stable 64-bit hash of one word."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def word_hashes(tokens: list[str]) -> np.ndarray:
    """:func:`word_hash` of each word, as a uint64 array."""
    return np.fromiter(map(word_hash, tokens), dtype=np.uint64, count=len(tokens))


def ngram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """The hash of every run of ``n`` consecutive words, given the words' hashes (empty if fewer).

    >>> a = ngram_hashes(word_hashes(words("a b c d")), 3)
    >>> b = ngram_hashes(word_hashes(words("x b c d")), 3)
    >>> len(a), bool(a[1] == b[1]), bool(a[0] == b[0])
    (2, True, False)
    """
    count = len(hashes) - n + 1
    if n < 1 or count < 1:
        return np.empty(0, dtype=np.uint64)
    out = hashes[:count].copy()
    for j in range(1, n):
        out *= _BASE
        out += hashes[j : j + count]
    return out


def sequence_hash(tokens: list[str]) -> int:
    """One 64-bit hash of a whole word sequence (the key of an exact match)."""
    return word_hash("\x1f".join(tokens))
