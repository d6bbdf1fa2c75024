"""Folding: the form of text that the ``refusal`` filter's phrases are matched against.

Text is folded (NFKC, lower case, one kind of apostrophe) with an index back to the
original, so that cuts apply to the text as written.
"""

from __future__ import annotations

import re
import unicodedata

#: Apostrophes that become ``'``. (Replaced one by one where present: ``str.translate`` on a
#: non-ASCII string goes through a dict per character and is many times slower.)
_APOSTROPHES = ("\u2019", "\u2018", "\u201b", "\u02bc", "\uff07", "\u00b4", "\u2032")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` in NFKC, lower case, with one kind of apostrophe; and an index back to ``text``.

    The index maps each position of the folded text to a position of ``text``; it is
    None when both line up, which is the usual case.

    >>> fold("I’M ＳＯＲＲＹ")
    ("i'm sorry", None)
    >>> fold("ﬁne")
    ('fine', [0, 0, 1, 2, 3])
    """
    if text.isascii():
        return text.lower(), None
    t = text
    for apostrophe in _APOSTROPHES:
        if apostrophe in t:
            t = t.replace(apostrophe, "'")
    n = unicodedata.normalize("NFKC", t)
    if len(n) == len(t):
        low = n.lower()
        if len(low) == len(n):
            return low, None
    # Some character changes length (a ligature, "…", a combining sequence): fold piece by piece.
    pieces: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _NON_ASCII_RUN.finditer(t):
        pieces.append(t[pos : m.start()].lower())
        index.extend(range(pos, m.start()))
        for i in range(m.start(), m.end()):
            ch = unicodedata.normalize("NFKC", t[i]).lower()
            pieces.append(ch)
            index.extend([i] * len(ch))
        pos = m.end()
    pieces.append(t[pos:].lower())
    index.extend(range(pos, len(t)))
    index.append(len(t))
    return "".join(pieces), index


def fold_phrase(text: str) -> str:
    """A phrase as it is matched: apostrophes straightened, NFKC, lower case."""
    for apostrophe in _APOSTROPHES:
        text = text.replace(apostrophe, "'")
    return unicodedata.normalize("NFKC", text).lower()
