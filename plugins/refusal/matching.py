"""The compiled matcher of the ``refusal`` filter: every phrase of a configuration found in one pass.

The phrases of the enabled categories (:mod:`curate.plugins.refusal.catalog`, plus the
user's files) are compiled once per process. Each phrase is reduced to its *heads*, the
literal strings its first dozen characters can read as; one Aho-Corasick automaton
(pyahocorasick) finds all heads in a single pass over a folded text
(:mod:`curate.plugins.refusal.folding`), and only where one occurs is the phrase
checked, by a regex anchored there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from curate.plugins.refusal import catalog
from curate.plugins.refusal.patterns import (
    WORD_END,
    WORD_START,
    Phrase,
    builtin_phrases,
    factor,
    heads,
    is_cjk,
    latin_start,
    parse_phrase,
    read_phrase_file,
    render,
)
from curate.plugins.text_stats import CJK


@dataclass(frozen=True)
class Hit:
    """One phrase found in one text (positions in the folded text)."""

    start: int
    end: int
    category: str
    rule: str


def _automaton(keys: Iterable[str]) -> Any:
    """An Aho-Corasick automaton over ``keys`` (pyahocorasick), or None when it is not installed."""
    try:
        import ahocorasick
    except ImportError:
        return None
    automaton = ahocorasick.Automaton()
    for key in keys:
        automaton.add_word(key, key)
    automaton.make_automaton()
    return automaton


#: Characters that can precede a word, made spaces in the copy of the text the automaton
#: scans: every key of the automaton then starts with a space. (At each step from its root
#: the automaton searches its keys' first characters in a linear list; one character keeps
#: that search short, and the scan twice as fast as with a dozen.) The apostrophe becomes a
#: space only after a space: elsewhere it is part of a word such as "i'm".
_SPACE_CHARS = '\t\n\r"([{*_>/|:])}¿¡“«「『（【—–'
_SPACE_ASCII = bytes.maketrans(b'\t\n\r"([{*_>/|:])}', b" " * 16)


def _spaced(folded: str) -> str:
    """``" " + folded`` with every character that can precede a word made a space (same positions, plus one)."""
    text = " " + folded
    if text.isascii():
        text = text.encode("ascii").translate(_SPACE_ASCII).decode("ascii")
    else:
        for ch in _SPACE_CHARS:
            if ch in text:
                text = text.replace(ch, " ")
    if " '" in text:  # after a space, "'" opens a quote (inside a word it is an apostrophe)
        text = text.replace(" '", "  ")
    return text


_HAS_CJK = re.compile(f"[{CJK}]")


class _Heads:
    """Heads to find, with an automaton (or a regex when pyahocorasick is missing)."""

    def __init__(self, table: dict[str, list[tuple[int, int]]]) -> None:
        self.table = table  # key -> (phrase index, offset of the phrase in the key)
        self.automaton = _automaton(table) if table else None
        self.regex = None
        if table and self.automaton is None:
            # The regex finds the longest key at each position: let it stand for the shorter
            # keys that start there too, as the automaton would report them all.
            self.table = {key: [entry for k in table if key.startswith(k) for entry in table[k]] for key in table}
            trie = factor([(tuple(("c", ch) for ch in key), "") for key in table], 64)
            self.regex = re.compile(f"(?=({trie}))")

    def ends(self, text: str) -> Iterable[tuple[int, str]]:
        """(end position, key) of each key found in ``text``."""
        if self.automaton is not None:
            return self.automaton.iter(text)  # type: ignore[no-any-return]
        if self.regex is None:
            return ()
        return ((m.start() + len(m.group(1)) - 1, m.group(1)) for m in self.regex.finditer(text))


class Matcher:
    """Phrases compiled once: ``find`` returns the hits in a folded text.

    Every phrase is reduced to its *heads*, the literal strings its first dozen
    characters can read as ("i'm sorry, b", "as an ai lan"...). One Aho-Corasick
    automaton finds the heads of phrases that start a word (each behind a space, in a
    copy of the text where quotes, brackets and line breaks are spaces) in a single pass;
    a second one, run only on texts with CJK characters, finds the others. Only where a
    head occurs is the phrase itself checked, with a regex anchored there, so clean text
    costs one pass of the automaton. Without pyahocorasick a regex over all heads does the
    same job at about half the speed. Regular expressions (built-in artifacts, user
    ``re:`` lines) run on every text that holds their needle.
    """

    def __init__(
        self,
        items: Sequence[Phrase],
        raw: Sequence[tuple[str, str, str, str]] = (),
        user_raw: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.phrases = list(items)
        words: dict[str, list[tuple[int, int]]] = {}
        others: dict[str, list[tuple[int, int]]] = {}
        self.headless: list[int] = []
        for i, p in enumerate(self.phrases):
            found = heads(p.seq)
            if found is None:
                self.headless.append(i)
            elif p.start_boundary and latin_start(p.seq):
                for head in found:
                    words.setdefault(" " + head, []).append((i, 1))
            else:
                for head in found:
                    others.setdefault(head, []).append((i, 0))
        self.words = _Heads(words)
        self.others = _Heads(others)
        self.others_cjk_only = all(is_cjk(key[0]) for key in others)
        self._regexes: dict[int, re.Pattern[str]] = {}
        self.headless_regex = (
            re.compile("|".join(f"(?P<h{i}>{self._source(i)})" for i in self.headless)) if self.headless else None
        )
        # (category, name, regex, needle): the regex runs only on texts that hold the needle.
        self.raw = [(category, name, re.compile(pattern), needle) for category, name, pattern, needle in raw]
        # User regexes may be many: one alternation with a named group each.
        self.user_raw = list(user_raw)
        self.user_regex = (
            re.compile("|".join(f"(?P<u{i}>{pattern})" for i, (_, _, pattern) in enumerate(self.user_raw)))
            if self.user_raw
            else None
        )

    @property
    def uses_automaton(self) -> bool:
        """Whether pyahocorasick does the scanning (else a slower regex does)."""
        return self.words.regex is None and self.others.regex is None

    def _source(self, i: int) -> str:
        p = self.phrases[i]
        start = WORD_START if p.start_boundary and latin_start(p.seq) else ""
        return start + render(p.seq) + (WORD_END if p.end_boundary else "")

    def _regex(self, i: int) -> re.Pattern[str]:
        regex = self._regexes.get(i)
        if regex is None:  # compiled on first use: most phrases never occur in a given dataset
            regex = self._regexes[i] = re.compile(self._source(i))
        return regex

    def _check(self, heads: _Heads, text: str, shift: int, folded: str, hits: list[Hit]) -> None:
        """Verify each head found in ``text`` (``folded`` with ``shift`` characters prepended).

        Where several phrases match at one position, the longest wins (the first listed on a tie).
        """
        best: dict[int, tuple[int, int]] = {}  # start -> (end, phrase)
        for end, key in heads.ends(text):
            start = end - len(key) + 1 - shift
            for i, offset in heads.table[key]:
                m = self._regex(i).match(folded, start + offset)
                if m is not None:
                    at = start + offset
                    current = best.get(at)
                    if current is None or (m.end(), -i) > (current[0], -current[1]):
                        best[at] = (m.end(), i)
        for at, (end, i) in best.items():
            p = self.phrases[i]
            hits.append(Hit(at, end, p.category, p.rule))

    def find(self, folded: str) -> list[Hit]:
        """Every phrase in ``folded`` (a text passed through :func:`fold`), in reading order."""
        hits: list[Hit] = []
        if self.words.table:
            self._check(self.words, _spaced(folded), 1, folded, hits)
        if self.others.table and (
            not self.others_cjk_only or (not folded.isascii() and _HAS_CJK.search(folded) is not None)
        ):
            self._check(self.others, folded, 0, folded, hits)
        if self.headless_regex is not None:
            for m in self.headless_regex.finditer(folded):
                p = self.phrases[int((m.lastgroup or "h0")[1:])]
                hits.append(Hit(m.start(), m.end(), p.category, p.rule))
        for category, rule, regex, needle in self.raw:
            if needle in folded:
                for m in regex.finditer(folded):
                    hits.append(Hit(m.start(), m.end(), category, rule))
        if self.user_regex is not None:
            for m in self.user_regex.finditer(folded):
                category, rule, _ = self.user_raw[int((m.lastgroup or "u0")[1:])]
                hits.append(Hit(m.start(), m.end(), category, rule))
        if len(hits) > 1:
            hits.sort(key=lambda h: (h.start, -h.end))
            hits = [h for i, h in enumerate(hits) if i == 0 or h.start >= hits[i - 1].end]
        return hits


@lru_cache(maxsize=16)
def compiled(
    languages: tuple[str, ...],
    categories: tuple[str, ...],
    user: tuple[tuple[str, str, bool], ...],
    replaced: tuple[str, ...],
) -> tuple[Matcher, re.Pattern[str] | None, Matcher | None]:
    """The matcher, the filler regex and the justification matcher for one configuration (compiled once)."""
    items: list[Phrase] = []
    raw: list[tuple[str, str, str, str]] = []
    for category in categories:
        if category in replaced:
            continue
        items.extend(builtin_phrases(category, languages))
        raw.extend(
            (category, f"{category}/regex/{name}", pattern, needle)
            for name, pattern, needle in catalog.REGEXES.get(category, ())
        )
    user_raw: list[tuple[str, str, str]] = []
    for category, path, regex in user:
        if category in categories:
            lit, rx = read_phrase_file(path, category, regex=regex)
            items.extend(lit)
            user_raw.extend(rx)
    matcher = Matcher(items, raw, user_raw)
    filler_items = [parse_phrase(p, "filler") for lang in languages for p in catalog.FILLER.get(lang, ())]
    filler = re.compile(factor([(p.seq, "") for p in filler_items], 6)) if filler_items else None
    justification_items = [
        parse_phrase(p, "justification") for lang in languages for p in catalog.JUSTIFICATIONS.get(lang, ())
    ]
    justification = Matcher(justification_items) if justification_items else None
    return matcher, filler, justification
