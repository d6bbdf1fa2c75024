"""The phrase language of the ``refusal`` filter and its compiled matcher.

The phrases of the enabled categories (:mod:`curate.plugins.refusal_phrases`, plus the
user's files) are compiled once per process. Each phrase is reduced to its *heads*, the
literal strings its first dozen characters can read as; one Aho-Corasick automaton
(pyahocorasick) finds all heads in a single pass over a text, and only where one occurs
is the phrase checked, by a regex anchored there. Text is folded first (NFKC, lower case,
one kind of apostrophe) with an index back to the original, so that cuts apply to the
text as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from curate.errors import ConfigError
from curate.plugins import refusal_phrases as phrases
from curate.plugins.text_stats import CJK

# -- folding: the form of text that phrases are matched against ---------------------------

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


# -- the phrase language ------------------------------------------------------------------

_GAP = r"[^.!?。\n]{0,60}?"
_WS = r"\s+"
#: Not preceded by a letter, a digit or a hyphen (for phrases that start with a letter or digit).
_START = r"(?<![^\W_])(?<!-)"
#: When the phrase ends with a Latin letter or digit, the next character must not continue the word.
#: (Character classes beyond U+00FF cost milliseconds each to compile, so the class stays small.)
_END = r"(?!(?<=[a-z0-9\xc0-\xff])(?:\w|-\w))"

Node = tuple  # ("c", char) | ("ws",) | ("gap",) | ("alt", tuple[Seq, ...], optional)
Seq = tuple


@dataclass(frozen=True)
class Phrase:
    """One phrase: its category, its source text (as shown in meta and rejects), its parse."""

    category: str
    text: str
    seq: Seq
    start_boundary: bool = True
    end_boundary: bool = True
    rule: str = ""  # where the phrase comes from: "refusal/en/3", "mine/phrases.txt:12"


class PhraseSyntaxError(ValueError):
    """A phrase of the pattern language is malformed."""


def parse_phrase(pattern: str, category: str, rule: str = "") -> Phrase:
    """Parse one phrase of the pattern language (see :mod:`curate.plugins.refusal_phrases`).

    >>> parse_phrase("I (can't|cannot)", "refusal").seq[:2]
    (('c', 'i'), ('ws',))
    """
    src = pattern
    start_b = not src.startswith("*")
    end_b = not src.endswith("*")
    body = fold_phrase(src.strip("*"))
    pos = 0

    def seq(stops: str) -> Seq:
        nonlocal pos
        nodes: list[Node] = []
        while pos < len(body) and body[pos] not in stops:
            ch = body[pos]
            if ch == "(":
                pos += 1
                options = []
                while True:
                    options.append(seq("|)"))
                    if pos >= len(body):
                        raise PhraseSyntaxError(f"unclosed '(' in phrase {pattern!r}")
                    closing = body[pos]
                    pos += 1
                    if closing == ")":
                        break
                optional = pos < len(body) and body[pos] == "?"
                if optional:
                    pos += 1
                nodes.append(("alt", tuple(options), optional))
                continue
            if ch in ")|":
                raise PhraseSyntaxError(f"unexpected {ch!r} in phrase {pattern!r}")
            if ch == "?" and nodes and nodes[-1][0] in ("c", "ws"):
                nodes[-1] = ("alt", ((nodes[-1],),), True)
                pos += 1
                continue
            if ch.isspace():
                while pos < len(body) and body[pos].isspace():
                    pos += 1
                if not nodes or nodes[-1] != ("ws",):
                    nodes.append(("ws",))
                continue
            nodes.append(("gap",) if ch == "~" else ("c", ch))
            pos += 1
        return tuple(nodes)

    parsed = seq("")
    if pos != len(body):
        raise PhraseSyntaxError(f"unexpected {body[pos]!r} in phrase {pattern!r}")
    if not parsed:
        raise PhraseSyntaxError("empty phrase")
    return Phrase(category, src, parsed, start_b, end_b, rule)


def literal_phrase(text: str, category: str, rule: str = "") -> Phrase:
    """A user's literal phrase: every character literal, whitespace matching any whitespace."""
    nodes: list[Node] = []
    for ch in fold_phrase(text.strip()):
        if ch.isspace():
            if nodes and nodes[-1] != ("ws",):
                nodes.append(("ws",))
        else:
            nodes.append(("c", ch))
    if not nodes:
        raise PhraseSyntaxError("empty phrase")
    return Phrase(category, text.strip(), tuple(nodes), rule=rule)


def render(seq: Seq, ws: str = _WS) -> str:
    """The regular expression for a parsed sequence."""
    out = []
    for node in seq:
        kind = node[0]
        if kind == "c":
            out.append(re.escape(node[1]))
        elif kind == "ws":
            out.append(ws)
        elif kind == "gap":
            out.append(_GAP)
        else:
            out.append("(?:" + "|".join(render(o, ws) for o in node[1]) + ")" + ("?" if node[2] else ""))
    return "".join(out)


def _first_split(seq: Seq) -> list[tuple[Node | None, Seq]]:
    """``seq`` as (first token, rest) pairs; choices that begin with the same token are merged.

    A pair with token None could not be split (the sequence starts with a gap).
    """
    if not seq:
        return []
    node, tail = seq[0], seq[1:]
    if node[0] in ("c", "ws"):
        return [(node, tail)]
    if node[0] == "gap":
        return [(None, seq)]
    grouped: dict[Node, list[Seq]] = {}
    out: list[tuple[Node | None, Seq]] = []
    for option in node[1]:
        if not option:
            out.extend(_first_split(tail))
            continue
        for tok, rest in _first_split(option):
            if tok is None:
                out.append((None, rest + tail))
            else:
                grouped.setdefault(tok, []).append(rest)
    if node[2]:
        out.extend(_first_split(tail))
    for tok, rests in grouped.items():
        rests = sorted(set(rests), key=lambda r: (not r, r))
        if len(rests) == 1:
            out.append((tok, rests[0] + tail))
        else:
            out.append((tok, (("alt", tuple(rests), False), *tail)))
    return out


def _is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{CJK}]", ch))


def _latin_start(seq: Seq) -> bool:
    firsts = [tok for tok, _ in _first_split(seq)]
    return all(t is not None and t[0] == "c" and re.match(r"\w", t[1]) and not _is_cjk(t[1]) for t in firsts)


def heads(seq: Seq, length: int = 12, limit: int = 400) -> list[str] | None:
    """The literal beginnings of a phrase: every way to read its first ``length`` characters.

    A space in the phrase reads as one space. Reading stops early at a gap or at the end
    of the phrase. None when the phrase starts with a gap, or when there would be more
    than ``limit`` readings even at a shorter length.
    """
    for size in (length, 8, 5, 3):
        done: set[str] = set()
        todo: list[tuple[str, Seq]] = [("", seq)]
        while todo and len(done) + len(todo) <= limit:
            head, rest = todo.pop()
            if len(head) >= size or not rest:
                done.add(head)
                continue
            for tok, r in _first_split(rest):
                if tok is None:
                    done.add(head)
                else:
                    todo.append((head + (tok[1] if tok[0] == "c" else " "), r))
        if not todo and "" not in done:
            return sorted(done)
    return None


_Entry = tuple  # (seq, end regex)


def _factor(entries: list[_Entry], depth: int, ws: str = _WS) -> str:
    """One regex for several sequences, factored on their first ``depth`` tokens (a trie)."""
    groups: dict[Node, list[_Entry]] = {}
    plain: dict[str, None] = {}
    ends: dict[str, None] = {}
    for seq, end in entries:
        if not seq:
            ends[end] = None
            continue
        splits = _first_split(seq) if depth > 0 else []
        # Merging choices copies what follows them once per distinct first token: stop
        # factoring a phrase where that would blow the pattern up.
        if not splits or (len(splits) > 1 and sum(len(render(r)) for _, r in splits) > 2 * len(render(seq)) + 100):
            plain[render(seq, ws) + end] = None
            continue
        for tok, rest in splits:
            if tok is None:
                plain[render(rest, ws) + end] = None
            else:
                groups.setdefault(tok, []).append((rest, end))
    parts = [
        (re.escape(tok[1]) if tok[0] == "c" else ws) + _factor(group, depth - 1, ws) for tok, group in groups.items()
    ]
    parts.extend(plain)
    parts.extend(e for e in ends if e)
    if "" in ends:
        parts.append("")
    if len(parts) == 1:
        return parts[0]
    return "(?:" + "|".join(parts) + ")"


# -- the compiled matcher ---------------------------------------------------------------------


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
            trie = _factor([(tuple(("c", ch) for ch in key), "") for key in table], 64)
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
            elif p.start_boundary and _latin_start(p.seq):
                for head in found:
                    words.setdefault(" " + head, []).append((i, 1))
            else:
                for head in found:
                    others.setdefault(head, []).append((i, 0))
        self.words = _Heads(words)
        self.others = _Heads(others)
        self.others_cjk_only = all(_is_cjk(key[0]) for key in others)
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
        start = _START if p.start_boundary and _latin_start(p.seq) else ""
        return start + render(p.seq) + (_END if p.end_boundary else "")

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


def read_phrase_file(path: str, category: str, *, regex: bool) -> tuple[list[Phrase], list[tuple[str, str, str]]]:
    """The phrases of a user file: one per line, ``#`` comments, ``re:`` for a regular expression."""
    file = Path(path).expanduser()
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(
            f"filter 'refusal': phrase file {str(file)!r} for category {category!r} does not exist",
            hint="relative paths are read from the directory curate runs in",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"filter 'refusal': cannot read phrase file {str(file)!r}: {exc}") from None
    literal: list[Phrase] = []
    raw: list[tuple[str, str, str]] = []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        is_regex = regex or text.startswith("re:")
        if text.startswith("re:"):
            text = text[3:].strip()
        if is_regex:
            try:
                re.compile(text)
            except re.error as exc:
                raise ConfigError(f"filter 'refusal': {file}:{n}: invalid regular expression {text!r}: {exc}") from None
            raw.append((category, f"{category}/{file.name}:{n}", f"(?i:{text})"))
        else:
            literal.append(literal_phrase(text, category, f"{category}/{file.name}:{n}"))
    return literal, raw


@lru_cache(maxsize=32)
def _builtin_phrases(category: str, languages: tuple[str, ...]) -> tuple[Phrase, ...]:
    return tuple(
        parse_phrase(p, category, f"{category}/{lang}/{n}")
        for lang, patterns in phrases.PHRASES.get(category, {}).items()
        if lang == "any" or lang in languages
        for n, p in enumerate(patterns, 1)
    )


def rule_pattern(rule: str) -> str | None:
    """The built-in phrase or regex a rule id names (``"refusal/en/3"``), for ``curate explain``.

    >>> rule_pattern("refusal/en/1")[:20]
    "(I'm|I am) (so |very"
    """
    parts = rule.split("/")
    if len(parts) == 3 and parts[1] == "regex":
        return next((pattern for name, pattern, _ in phrases.REGEXES.get(parts[0], ()) if name == parts[2]), None)
    if len(parts) == 3 and parts[2].isdigit():
        patterns = phrases.PHRASES.get(parts[0], {}).get(parts[1], ())
        n = int(parts[2])
        return patterns[n - 1] if 0 < n <= len(patterns) else None
    return None


@lru_cache(maxsize=16)
def _compiled(
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
        items.extend(_builtin_phrases(category, languages))
        raw.extend(
            (category, f"{category}/regex/{name}", pattern, needle)
            for name, pattern, needle in phrases.REGEXES.get(category, ())
        )
    user_raw: list[tuple[str, str, str]] = []
    for category, path, regex in user:
        if category in categories:
            lit, rx = read_phrase_file(path, category, regex=regex)
            items.extend(lit)
            user_raw.extend(rx)
    matcher = Matcher(items, raw, user_raw)
    filler_items = [parse_phrase(p, "filler") for lang in languages for p in phrases.FILLER.get(lang, ())]
    filler = re.compile(_factor([(p.seq, "") for p in filler_items], 6)) if filler_items else None
    justification_items = [
        parse_phrase(p, "justification") for lang in languages for p in phrases.JUSTIFICATIONS.get(lang, ())
    ]
    justification = Matcher(justification_items) if justification_items else None
    return matcher, filler, justification
