"""Cutting refusals out of a reply: sentences and clauses, and whether what is left still answers.

``cut`` removes the sentence that holds a phrase, or only its clause ("As an AI, I don't
have opinions, but many people ..." keeps "Many people ..."), and rebuilds the text as
written. What is left is useful when enough of its words are outside filler: offers of
more help, referrals, questions back, short justifications, reasoning traces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from curate.plugins.refusal import catalog
from curate.plugins.refusal.folding import fold
from curate.plugins.refusal.matching import Hit, Matcher
from curate.plugins.refusal.patterns import is_cjk
from curate.plugins.text_stats import CJK, word_count

# -- cutting -----------------------------------------------------------------------------------

_LINE = re.compile(r"[^\n]*\n*")
#: Where a sentence ends: ``[.!?…]+`` and closing quotes, then spaces or a CJK character; or ``。+``,
#: closing quotes and spaces. (Written to start with one character class, which lets the regex
#: engine skip to the candidates; a ``[!?]+`` run before a CJK character is the first branch's.)
_BOUNDARY = re.compile(
    rf"[.!?…。](?:(?<=[.!?…])[.!?…]*[\"')\]」』]*(?:[ \t]+|(?=[{CJK}]))|(?<=。)。*[\"')\]」』]*[ \t]*)"
)
#: A period that ends an abbreviation ("e.g.", "Dr.", a single letter), searched in the last
#: few characters before it (the longest abbreviation is 7 characters with its period) ...
_ABBREVIATION = re.compile(
    r"(?:(?<![\w.])(?:e\.g|i\.e|etc|mr|mrs|ms|dr|prof|vs|st|fig|approx|u\.s|inc|ltd|jr|sr|cf|al|a\.m|p\.m|sra?|dra?)"
    r"|(?<![\w.])[a-z])\.$"
)
_ABBREVIATION_WINDOW = 8
#: The letters an abbreviation can end with (before its period): the test before the search.
_ABBREVIATION_LAST = frozenset("abcdefghijklmnopqrstuvwxyz")
#: ... or that follows the number of a numbered line ("12."), which runs from the line's start.
_LINE_NUMBER = re.compile(r"[ \t]*\d{1,3}\.")


def _abbreviation(folded: str, line_start: int, end: int) -> bool:
    """Whether the period at ``end - 1`` ends an abbreviation or a line number (not a sentence).

    Only the last characters before the period are searched: a search from the line's
    start at every period made long lines quadratic.
    """
    before = folded[end - 2] if end - 2 >= line_start else ""
    if before in _ABBREVIATION_LAST:
        return _ABBREVIATION.search(folded, max(line_start, end - _ABBREVIATION_WINDOW), end) is not None
    return before.isdigit() and _LINE_NUMBER.fullmatch(folded, line_start, end) is not None


_MARKER = re.compile(
    r"[ \t]*(?:[-*•+>]+[ \t]+|\d{1,3}[.)][ \t]+|#{1,6}[ \t]+)?"
    # A persona or jailbreak label: "[🔒CLASSIC] ", "BasedGPT: ", "**DAN:** ", "Developer Mode Output: ".
    r"(?:\[[^\]\n]{1,40}\][ \t]*|(?:\*\*)?[^\W\d_][\w .'-]{0,30}?(?:\*\*)?[:：](?:\*\*)?[ \t]+)?"
    r"(?:\*\*|__|\*|_)?"
    r"(?:(?:note|nb|n\.b\.|disclaimer|ps|p\.s\.|nota|remarque|hinweis|注意|注|请注意)[ \t]*[:：][ \t]*(?:\*\*)?[ \t]*)?"
)
_OPENER = re.compile(
    r"(?:as|being|since|given|while|although|though|because|at the time|up to|following|como|al ser|por ser|siendo"
    r"|sendo|por|en tant|als|da|stand|seit|nach|bis|hasta|según|a partir|até|desde|de acordo|selon|d'après"
    r"|à la date|depuis|作为|截至|截止|根据|按照|基于|由于|因为)(?![^\W" + CJK + r"])"
)
_PREFIX_CATEGORIES = frozenset({"ai_identity", "knowledge_cutoff", "vendor"})
_SUBORDINATE = re.compile(
    r"(?:" + "|".join(re.escape(w) for w in catalog.SUBORDINATE_OPENINGS) + r")(?![^\W" + CJK + r"])"
)
_CLAUSE_BREAK = re.compile("|".join(re.escape(b) for b in catalog.CLAUSE_BREAKS))
_CONNECTIVE = re.compile(
    r"(?:" + "|".join(re.escape(c) for c in sorted(catalog.CONNECTIVES, key=len, reverse=True)) + r")"
    r"(?![^\W" + CJK + r"])[ \t]*"
)


#: ``_MARKER`` without its branches that need a ``:``, ``：`` or ``[``: the same match on a
#: line that holds none of them, found several times faster.
_PLAIN_MARKER = re.compile(r"[ \t]*(?:[-*•+>]+[ \t]+|\d{1,3}[.)][ \t]+|#{1,6}[ \t]+)?(?:\*\*|__|\*|_)?")
#: The characters other than digits that ``_PLAIN_MARKER`` can start with: elsewhere it matches nothing.
_MARKER_FIRST = frozenset(" \t-*•+>#_")


class _Unit(NamedTuple):
    """A sentence (or line) of a text: content [start, end), then whitespace up to ``tail``."""

    start: int
    end: int
    tail: int
    clause: int  # where the words begin, after a list marker or "Note:"


def units(folded: str) -> list[_Unit]:
    """Split a folded text into sentences, never across lines.

    The last few texts' splits are kept (a reply is split several times while it is
    judged): the list returned is shared, and must not be changed.
    """
    return _units(folded)


@lru_cache(maxsize=16)
def _units(folded: str) -> list[_Unit]:
    return list(_split(folded))


def _split(folded: str) -> Iterator[_Unit]:
    """The units of ``folded`` one by one: each line's once the next line with words begins (its tail known)."""
    new = tuple.__new__
    ascii_text = folded.isascii()
    # Sentence ends never hold a line break: one scan of the text, each line taking its own.
    ends = _BOUNDARY.finditer(folded)
    end_match = next(ends, None)
    pending: list[list[int]] = []  # [start, end, tail, clause] of the last line's units; the last tail may grow
    for line in _LINE.finditer(folded):
        lstart, lend_all = line.span()
        if lstart == lend_all:
            continue
        content_end = lstart + len(line.group().rstrip("\n"))
        if not folded[lstart:content_end].strip():
            if pending:
                pending[-1][2] = lend_all
            continue
        for u in pending:
            yield new(_Unit, u)
        pending = []
        s = lstart
        while end_match is not None and end_match.start() < content_end:
            m_start, m_end = end_match.span()
            punct = end_match.group()
            end_match = next(ends, None)
            if punct[0] == "." and _abbreviation(folded, lstart, m_start + 1):
                continue
            punct_end = m_start + len(punct.rstrip(" \t"))
            if punct_end > s:
                pending.append([s, punct_end, m_end, s])
                s = m_end
        if s < content_end:
            pending.append([s, content_end, lend_all, s])
        else:  # the line ends with a sentence end: its unit was added above
            pending[-1][2] = lend_all
        first = pending[0]
        start, end = first[0], first[1]
        plain = folded.find(":", start, end) < 0 and folded.find("[", start, end) < 0
        if plain and not ascii_text:
            plain = folded.find("：", start, end) < 0
        if not plain or folded[start] in _MARKER_FIRST or folded[start].isdigit():  # else no marker (the usual)
            first[3] = (_PLAIN_MARKER if plain else _MARKER).match(folded, start, end).end()  # type: ignore[union-attr]
    for u in pending:
        yield new(_Unit, u)


#: Texts whose useful words a :class:`Cutter` remembers.
_MEMO_SIZE = 16

_CONDITIONAL = re.compile(
    "|".join(
        re.escape(w) + ("" if is_cjk(w[0]) else r"(?!\w)")
        for w in sorted(catalog.CONDITIONAL_OPENINGS, key=len, reverse=True)
    )
)


#: An offer inside a conditional sentence: "If your goal is Y, I can help with ...".
_OFFER = re.compile(
    r"\bi (?:can|could|'d be happy to|would be happy to|'m happy to|am happy to|'d be glad to|'m glad to)"
    r" (?:help|assist|suggest|show|explain|walk|offer|give|share|point|summari[sz]e|outline|write|recommend|provide)"
    r"|\b(?:puedo|posso|je peux|kann ich|ich kann|我可以)"
)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)


class Cutter:
    """Removes the sentences or clauses that hold hits, and judges what is left."""

    def __init__(self, filler: re.Pattern[str] | None, justification: Matcher | None, min_words: int) -> None:
        self.filler = filler
        self.justification = justification
        self.min_words = min_words
        # useful_words of the last texts judged: a reply cut for a deflection check is
        # judged again when the same cut is made.
        self._useful_memo: dict[str, float] = {}

    def cut(self, text: str, folded: str, index: list[int] | None, hits: list[Hit]) -> tuple[str, list[dict[str, Any]]]:
        """``text`` without the parts holding ``hits``; and what was removed, by hit."""

        def orig(pos: int) -> int:
            return index[pos] if index is not None else pos

        def matched(h: Hit) -> str:
            return text[orig(h.start) : orig(h.end)]

        removed: list[dict[str, Any]] = []
        platform = [h for h in hits if h.category == "platform"]
        sentence_hits = [h for h in hits if h.category != "platform"]
        spans: list[tuple[int, int]] = []  # folded spans removed for platform artifacts
        for h in platform:
            ls = folded.rfind("\n", 0, h.start) + 1
            le = folded.find("\n", h.end)
            le = len(folded) if le < 0 else le
            rest = folded[ls : h.start] + folded[h.end : le]
            if word_count(rest) <= 3:
                spans.append((ls, le))
                removed.append(_entry(h, text[orig(h.start) : orig(h.end)], text[orig(ls) : orig(le)].strip()))
            else:
                spans.append((h.start, h.end))
                removed.append(_entry(h, text[orig(h.start) : orig(h.end)], text[orig(h.start) : orig(h.end)]))
        us = units(folded)
        cut_units: set[int] = set()  # units removed whole
        keep_froms: dict[int, int] = {}  # unit -> where the part kept begins
        for n, u in enumerate(us):
            inside = [h for h in sentence_hits if u.start <= h.start < u.tail]
            if not inside:
                continue
            keep_from = self._keep_from(folded, u, inside)
            if (
                keep_from is not None
                and self.filler is not None
                and self.filler.match(folded, keep_from)
                and word_count(folded[keep_from : u.end]) <= 8
            ):
                keep_from = None  # what is left of the sentence is a short offer or pleasantry
            if keep_from is None or keep_from >= u.end:
                cut_units.add(n)
                removed.append(_entry(inside[0], matched(inside[0]), text[orig(u.start) : orig(u.end)].strip(), inside))
            else:
                keep_froms[n] = keep_from
                removed.append(
                    _entry(inside[0], matched(inside[0]), text[orig(u.clause) : orig(keep_from)].strip(), inside)
                )
        # Rebuild from the original text.
        pieces: list[str] = []
        pending_ws = ""
        after_cut = False
        for n, u in enumerate(us):
            if n in cut_units:
                pending_ws = _stronger(pending_ws, text[orig(u.end) : orig(u.tail)])
                after_cut = True
                continue
            seg_spans = [(s, e) for s, e in spans if s < u.tail and e > u.start]
            keep_from = keep_froms.get(n)
            if keep_from is not None or after_cut:
                marker = text[orig(u.start) : orig(u.clause)]
                body_from = keep_from if keep_from is not None else u.clause
                piece = marker + _tidy_start(_apply_spans(text, orig, body_from, u.end, seg_spans))
            else:
                piece = _apply_spans(text, orig, u.start, u.end, seg_spans)
            trailing = text[orig(u.end) : orig(u.tail)]
            touched = bool(seg_spans) or keep_from is not None
            if not piece.strip() or (touched and not any(c.isalnum() for c in piece)):
                pending_ws = _stronger(pending_ws, trailing)
                continue
            if pieces:
                pieces.append(pending_ws)
            pieces.append(piece)
            pending_ws = trailing
            after_cut = False
        new = "".join(pieces).strip()
        new = re.sub(r"\n{3,}", "\n\n", new)
        return new, removed

    def _keep_from(self, folded: str, u: _Unit, inside: list[Hit]) -> int | None:
        pos = u.clause
        while True:
            pending = [h for h in inside if h.start >= pos]
            if not pending:
                return pos
            h = pending[0]
            nxt = None
            near_start = h.start <= pos + 2
            matched = folded[h.start : h.end]
            if near_start and h.category in _PREFIX_CATEGORIES and _OPENER.match(folded, h.start):
                comma = folded.find(",", h.start, h.end)
                if comma >= 0:  # "as a helpful assistant, i": the clause ends at the comma
                    nxt = comma + 1
                else:
                    comma = folded.find(",", h.end, min(u.end, h.end + 80))
                    if comma >= 0 and not _CLAUSE_BREAK.match(folded, comma):
                        nxt = comma + 1
            if nxt is None and _SUBORDINATE.match(folded, pos) and "," not in folded[pos : h.start]:
                comma = folded.find(",", h.end, u.end)
                if comma >= 0 and not _CLAUSE_BREAK.match(folded, comma):
                    nxt = comma + 1
            if nxt is None:
                # The phrase may have taken the comma of ", but" (``I don't have preferences,``).
                brk = _CLAUSE_BREAK.search(folded, h.end - 1 if matched.endswith(",") else h.end, u.end)
                if brk is not None:
                    nxt = brk.end()
            if nxt is None:
                return None
            while nxt < u.end and folded[nxt] in " \t":
                nxt += 1
            pos = nxt

    def useful_words(self, text: str) -> float:
        """Words of ``text`` outside filler sentences, offers, questions back to the user and reasoning traces.

        An offer that ends with a colon ("If the goal is to rebuild trust, I can help with:")
        takes the list that follows it along; a ``<think>`` block is the model's reasoning, not
        its answer.
        """
        memo = self._useful_memo
        words = memo.get(text)
        if words is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            words = memo[text] = self._useful_words(text)
        return words

    def _useful_words(self, text: str, enough: float | None = None) -> float:
        """:meth:`useful_words`; with ``enough``, a sum that stops once it is at least ``enough`` and above 0."""
        folded, _ = fold(text)
        if "<think>" in folded:
            folded = _THINK.sub(lambda m: " " * len(m.group()), folded)
        total = 0.0
        offer_list = False
        for u in units(folded) if enough is None else _split(folded):
            body = folded[u.clause : u.end]
            if offer_list and u.clause > u.start:
                continue  # an item of the list an offer introduced
            offer_list = False
            if not body.strip() or body.rstrip().endswith("?"):
                continue  # a question back to the user
            offer = self.filler is not None and self.filler.match(folded, u.clause) is not None
            words = word_count(body)
            if not offer and _CONDITIONAL.match(folded, u.clause):
                offer = words <= 20 or _OFFER.search(body) is not None  # "If you paste the text, I can summarise it."
            if offer:
                offer_list = body.rstrip().endswith(":")
                continue  # an offer of more help, a referral, a pleasantry
            if words <= 30 and self.justification is not None and self.justification.find(body):
                continue  # "Accessing someone else's account is illegal."
            total += words
            if enough is not None and total >= enough and total > 0:
                break  # the words of the units left can only add to it
        return total

    def useful(self, text: str) -> bool:
        """Whether ``text`` still answers: enough words outside filler (and at least one)."""
        words = self._useful_memo.get(text)
        if words is None:  # counted only until there are enough
            words = self._useful_words(text, enough=self.min_words)
        return words > 0 and words >= self.min_words


def _entry(h: Hit, matched: str, removed: str, inside: list[Hit] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"category": h.category, "phrase": matched, "rule": h.rule, "removed": removed}
    if inside and len(inside) > 1:
        out["rules"] = [x.rule for x in inside]
    return out


def _stronger(a: str, b: str) -> str:
    return max(a, b, key=lambda s: (s.count("\n"), len(s)))


def _apply_spans(text: str, orig: Any, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text[orig(start) : orig(end)]
    out = []
    pos = start
    for s, e in sorted(spans):
        s, e = max(s, start), min(e, end)
        if s > pos:
            out.append(text[orig(pos) : orig(s)])
        pos = max(pos, e)
    if pos < end:
        out.append(text[orig(pos) : orig(end)])
    return re.sub(r"[ \t]{2,}", " ", "".join(out))


def _tidy_start(piece: str) -> str:
    """Drop a leading connective ("However, ...") and capitalise the first letter."""
    stripped = piece.lstrip()
    folded, _ = fold(stripped)
    m = _CONNECTIVE.match(folded)
    if m and m.end() < len(folded):
        stripped = stripped[m.end() :] if len(folded) == len(stripped) else stripped
    stripped = stripped.lstrip(" ,;:")
    if stripped[:1].islower():
        stripped = stripped[0].upper() + stripped[1:]
    return stripped
