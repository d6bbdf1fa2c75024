"""The ``refusal`` filter: refusals, AI self-references, disclaimers and chat artifacts.

Finding. The phrases of the enabled categories (:mod:`curate.plugins.refusal_phrases`,
plus the user's files) are compiled once per process. Each phrase is reduced to its
*heads*, the literal strings its first dozen characters can read as; one Aho-Corasick
automaton (pyahocorasick) finds all heads in a single pass over a text, and only where
one occurs is the phrase checked, by a regex anchored there. Text is folded first (NFKC,
lower case, one kind of apostrophe) with an index back to the original, so that cuts
apply to the text as written. Matches inside Markdown code and phrases quoted inside a
sentence are ignored by default.

Acting. Per category: ``drop`` rejects the record; ``cut`` removes the sentence (or
the clause: "As an AI, I don't have opinions, but many people ..." keeps "Many people
...") and keeps the rest when it is still a useful answer, else rejects the record (a
full refusal); ``flag`` keeps the record and notes the match in ``meta["curate"]``;
``off`` ignores the category. In a conversation, a refused assistant turn is cut with
the user turn that drew it and everything after.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import curate
from curate.errors import ConfigError
from curate.plugins import refusal_phrases as phrases
from curate.plugins.text_stats import CJK, code_spans, in_spans, word_count
from curate.records import Record
from curate.stages.base import BatchResult, Filter, Rejection

ACTIONS = ("drop", "cut", "flag", "off")

# -- options ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RefusalOptions:
    fields: Literal["model", "all"] = field(
        default="model", metadata={"help": "look at the model's side only (output, assistant turns) or at every field"}
    )
    actions: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "help": "action per category: drop, cut, flag or off, e.g. {refusal = 'drop'}; "
            "categories not named keep their default (cut)"
        },
    )
    languages: list[str] = field(
        default_factory=lambda: list(phrases.LANGUAGES),
        metadata={"help": f"built-in phrase languages to use: {', '.join(phrases.LANGUAGES)}"},
    )
    phrase_files: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "help": "category -> file of extra phrases, one per line ('#' comments, 're:' prefix for a regex); "
            "a new category name adds a category"
        },
    )
    replace: list[str] = field(
        default_factory=list,
        metadata={"help": "categories whose built-in phrases are replaced by their phrase_files entry"},
    )
    regex: bool = field(default=False, metadata={"help": "read every line of the phrase files as a regular expression"})
    min_words_left: int = field(
        default=8,
        metadata={
            "help": "after a cut, keep the answer only if at least this many words remain outside filler "
            "(offers of more help, referrals, questions back); else drop the record"
        },
    )
    turns: Literal["truncate", "drop"] = field(
        default="truncate",
        metadata={
            "help": "when an assistant turn is a full refusal: keep the conversation before it (truncate) "
            "or drop the record"
        },
    )
    skip_code: bool = field(
        default=True, metadata={"help": "ignore matches inside Markdown code (platform artifacts are still found)"}
    )
    skip_quoted: bool = field(
        default=True,
        metadata={"help": "ignore a phrase quoted inside a sentence (\"the phrase 'As an AI language model' ...\")"},
    )

    def __post_init__(self) -> None:
        unknown_langs = sorted(set(self.languages) - set(phrases.LANGUAGES))
        if unknown_langs:
            raise ConfigError(
                f"filter 'refusal': unknown language{'s' if len(unknown_langs) > 1 else ''} {', '.join(unknown_langs)}",
                hint=f"built-in phrase languages: {', '.join(phrases.LANGUAGES)}",
            )
        known = set(phrases.CATEGORIES) | set(self.phrase_files)
        for name, action in self.actions.items():
            if name not in known:
                raise ConfigError(
                    f"filter 'refusal': option 'actions' names an unknown category {name!r}",
                    hint=f"categories: {', '.join(sorted(known))} (or add one with phrase_files)",
                )
            if action not in ACTIONS:
                raise ConfigError(
                    f"filter 'refusal': action {action!r} for category {name!r} is not one of {', '.join(ACTIONS)}"
                )
        for name in self.replace:
            if name not in self.phrase_files:
                raise ConfigError(
                    f"filter 'refusal': option 'replace' names {name!r}, which has no phrase_files entry",
                    hint=f"add phrase_files = {{{name} = 'my_phrases.txt'}}",
                )
        if self.min_words_left < 0:
            raise ConfigError("filter 'refusal': min_words_left must be 0 or more")

    def action(self, category: str) -> str:
        """The action for ``category``: the configured one, else the category's default."""
        if category in self.actions:
            return self.actions[category]
        builtin = phrases.CATEGORIES.get(category)
        return builtin.action if builtin else "cut"


# -- folding: the form of text that phrases are matched against ---------------------------

#: Apostrophes that become ``'``. (Replaced one by one where present: ``str.translate`` on a
#: non-ASCII string goes through a dict per character and is many times slower.)
_APOSTROPHES = ("\u2019", "\u2018", "\u02bc", "\uff07", "\u00b4", "\u2032")
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
_SPACE_CHARS = '\t\n\r"([{*_>/|¿¡“«「『（【'
_SPACE_ASCII = bytes.maketrans(b'\t\n\r"([{*_>/|', b" " * 12)


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


# -- cutting -----------------------------------------------------------------------------------

_LINE = re.compile(r"[^\n]*\n*")
_BOUNDARY = re.compile(rf"[.!?…]+[\"')\]」』]*(?:[ \t]+|(?=[{CJK}]))|[。]+[\"')\]」』]*[ \t]*|[!?]+(?=[{CJK}])")
_ABBREVIATION = re.compile(
    r"(?:(?<![\w.])(?:e\.g|i\.e|etc|mr|mrs|ms|dr|prof|vs|st|fig|approx|u\.s|inc|ltd|jr|sr|cf|al|a\.m|p\.m|sra?|dra?)"
    r"|(?<![\w.])[a-z]|^[ \t]*\d{1,3})\.$",
    re.MULTILINE,
)
_MARKER = re.compile(
    r"[ \t]*(?:[-*•+>]+[ \t]+|\d{1,3}[.)][ \t]+|#{1,6}[ \t]+)?(?:\*\*|__|\*|_)?"
    r"(?:(?:note|nb|n\.b\.|disclaimer|ps|p\.s\.|nota|remarque|hinweis|注意|注|请注意)[ \t]*[:：][ \t]*(?:\*\*)?[ \t]*)?"
)
_OPENER = re.compile(
    r"(?:as|being|since|given|while|although|though|because|at the time|up to|following|como|al ser|por ser|siendo"
    r"|sendo|por|en tant|als|da|stand|seit|nach|bis|hasta|según|a partir|até|desde|de acordo|selon|d'après"
    r"|à la date|depuis|作为|截至|截止|根据|按照|基于|由于|因为)(?![^\W" + CJK + r"])"
)
_PREFIX_CATEGORIES = frozenset({"ai_identity", "knowledge_cutoff", "vendor"})
_SUBORDINATE = re.compile(
    r"(?:" + "|".join(re.escape(w) for w in phrases.SUBORDINATE_OPENINGS) + r")(?![^\W" + CJK + r"])"
)
_CLAUSE_BREAK = re.compile("|".join(re.escape(b) for b in phrases.CLAUSE_BREAKS))
_CONNECTIVE = re.compile(
    r"(?:" + "|".join(re.escape(c) for c in sorted(phrases.CONNECTIVES, key=len, reverse=True)) + r")"
    r"(?![^\W" + CJK + r"])[ \t]*"
)


@dataclass
class _Unit:
    """A sentence (or line) of a text: content [start, end), then whitespace up to ``tail``."""

    start: int
    end: int
    tail: int
    clause: int  # where the words begin, after a list marker or "Note:"
    keep_from: int | None = None  # set when only the end of the unit is kept
    removed: bool = False


def units(folded: str) -> list[_Unit]:
    """Split a folded text into sentences, never across lines."""
    out: list[_Unit] = []
    for line in _LINE.finditer(folded):
        lstart, lend_all = line.span()
        if lstart == lend_all:
            continue
        content_end = lstart + len(line.group().rstrip("\n"))
        if not folded[lstart:content_end].strip():
            if out:
                out[-1].tail = lend_all
            continue
        s = lstart
        line_first = len(out)
        for m in _BOUNDARY.finditer(folded, lstart, content_end):
            punct_end = m.start() + len(m.group().rstrip(" \t"))
            if folded[m.start()] == "." and _ABBREVIATION.search(folded, lstart, m.start() + 1):
                continue
            if punct_end > s:
                out.append(_Unit(s, punct_end, m.end(), s))
                s = m.end()
        if s < content_end:
            out.append(_Unit(s, content_end, lend_all, s))
        elif out:
            out[-1].tail = lend_all
        first = out[line_first] if len(out) > line_first else None
        if first is not None:
            mk = _MARKER.match(folded, first.start, first.end)
            if mk:
                first.clause = mk.end()
    return out


_CONDITIONAL = re.compile(
    "|".join(
        re.escape(w) + ("" if _is_cjk(w[0]) else r"(?!\w)")
        for w in sorted(phrases.CONDITIONAL_OPENINGS, key=len, reverse=True)
    )
)


class Cutter:
    """Removes the sentences or clauses that hold hits, and judges what is left."""

    def __init__(self, filler: re.Pattern[str] | None, justification: Matcher | None, min_words: int) -> None:
        self.filler = filler
        self.justification = justification
        self.min_words = min_words

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
        for u in us:
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
                u.removed = True
                removed.append(_entry(inside[0], matched(inside[0]), text[orig(u.start) : orig(u.end)].strip(), inside))
            else:
                u.keep_from = keep_from
                removed.append(
                    _entry(inside[0], matched(inside[0]), text[orig(u.clause) : orig(keep_from)].strip(), inside)
                )
        # Rebuild from the original text.
        pieces: list[str] = []
        pending_ws = ""
        after_cut = False
        for u in us:
            if u.removed:
                pending_ws = _stronger(pending_ws, text[orig(u.end) : orig(u.tail)])
                after_cut = True
                continue
            seg_spans = [(s, e) for s, e in spans if s < u.tail and e > u.start]
            if u.keep_from is not None or after_cut:
                marker = text[orig(u.start) : orig(u.clause)]
                body_from = u.keep_from if u.keep_from is not None else u.clause
                piece = marker + _tidy_start(_apply_spans(text, orig, body_from, u.end, seg_spans))
            else:
                piece = _apply_spans(text, orig, u.start, u.end, seg_spans)
            trailing = text[orig(u.end) : orig(u.tail)]
            touched = bool(seg_spans) or u.keep_from is not None
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
        """Words of ``text`` outside filler sentences and questions back to the user."""
        folded, _ = fold(text)
        total = 0.0
        for u in units(folded):
            body = folded[u.clause : u.end]
            if not body.strip() or body.rstrip().endswith("?"):
                continue  # a question back to the user
            if self.filler is not None and self.filler.match(folded, u.clause):
                continue  # an offer of more help, a referral, a pleasantry
            words = word_count(body)
            if words <= 20 and _CONDITIONAL.match(folded, u.clause):
                continue  # "If you paste the text here, I can summarise it."
            if words <= 30 and self.justification is not None and self.justification.find(body):
                continue  # "Accessing someone else's account is illegal."
            total += words
        return total

    def useful(self, text: str) -> bool:
        """Whether ``text`` still answers: enough words outside filler (and at least one)."""
        words = self.useful_words(text)
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


# -- the filter --------------------------------------------------------------------------------


class RefusalFilter(Filter):
    """Finds refusals and alignment boilerplate; drops, cuts or flags them per category."""

    name = "refusal"
    Options = RefusalOptions
    description = "refusals, AI self-references, disclaimers, knowledge-cutoff notes, vendor names, chat artifacts"
    default = True
    order: ClassVar[int] = 20

    def __init__(self, options: RefusalOptions) -> None:
        super().__init__(options)
        categories = [c for c in (*phrases.CATEGORIES, *options.phrase_files) if options.action(c) != "off"]
        categories = list(dict.fromkeys(categories))
        user = tuple(
            (c, str(Path(p).expanduser().resolve()), options.regex) for c, p in sorted(options.phrase_files.items())
        )
        self.matcher, filler, justification = _compiled(
            tuple(sorted(options.languages)), tuple(categories), user, tuple(sorted(options.replace))
        )
        self.cutter = Cutter(filler, justification, options.min_words_left)

    # -- finding -------------------------------------------------------------------------

    def find(self, text: str) -> tuple[str, list[int] | None, list[Hit]]:
        """The folded text, its index and the hits in it that count (code and quotes skipped)."""
        folded, index = fold(text)
        hits = self.matcher.find(folded)
        if not hits:
            return folded, index, hits
        spans = code_spans(folded) if self.options.skip_code else []
        kept = []
        for h in hits:
            if spans and h.category != "platform" and in_spans(h.start, spans):
                continue
            if self.options.skip_quoted and _quoted(folded, h):
                continue
            kept.append(h)
        return folded, index, kept

    # -- processing ----------------------------------------------------------------------

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            rejection = self._process_record(record, result.counts)
            if rejection is not None:
                result.rejected.append(rejection)
            else:
                result.kept.append(record)
        return result

    def _fields(self, record: Record) -> list[tuple[str, str, bool]]:
        """(label, text, is model side) for each field to look at."""
        return record.fields(model_only=self.options.fields == "model")

    def _process_record(self, record: Record, counts: Counter[str]) -> Rejection | None:
        found = []
        for label, text, is_model in self._fields(record):
            if text:
                folded, index, hits = self.find(text)
                if hits:
                    found.append(_Found(label, text, is_model, folded, index, hits))
        if not found:
            return None
        for f in found:
            counts.update(f"matches:{h.category}" for h in f.hits)
        for f in found:  # a drop anywhere decides
            for h in f.hits:
                if self.options.action(h.category) == "drop":
                    counts[f"dropped:{h.category}"] += 1
                    return self.reject(
                        record,
                        h.category,
                        action="drop",
                        field=f.label,
                        phrase=f.original(h),
                        rule=h.rule,
                        **f.more(f.hits),
                    )
        entries: list[dict[str, Any]] = []
        changes: dict[str, str] = {}
        for f in found:
            for h in f.hits:
                if self.options.action(h.category) == "flag":
                    counts[f"flagged:{h.category}"] += 1
                    entries.append(self._entry("flag", h.category, f.original(h), h.rule, f.label))
            cut_hits = [h for h in f.hits if self.options.action(h.category) == "cut"]
            if not cut_hits:
                continue
            new, removed = self.cutter.cut(f.text, f.folded, f.index, cut_hits)
            if self.cutter.useful(new) if f.is_model else new.strip():
                changes[f.label] = new
                for r in removed:
                    counts[f"cut:{r['category']}"] += 1
                    entries.append(self._entry("cut", r.pop("category"), r.pop("phrase"), r.pop("rule"), f.label, **r))
                continue
            first = cut_hits[0]
            turn = _turn_index(f.label)
            if turn is not None and f.is_model and self.options.turns == "truncate":
                return self._truncate(record, turn, f, first, changes, entries, counts)
            counts[f"dropped:{first.category}"] += 1
            return self.reject(
                record,
                first.category,
                action="cut",
                why="nothing useful left after the cut" if f.is_model else f"{f.label} is empty after the cut",
                field=f.label,
                phrase=f.original(first),
                rule=first.rule,
                remaining=new[:500],
                **f.more(cut_hits),
            )
        record.replace_fields(changes)
        self._note(record, entries, counts, cut=bool(changes))
        return None

    def _truncate(
        self,
        record: Record,
        turn: int,
        f: _Found,
        first: Hit,
        changes: dict[str, str],
        entries: list[dict[str, Any]],
        counts: Counter[str],
    ) -> Rejection | None:
        """Keep the conversation up to the user turn that drew the refused assistant turn."""
        assert record.messages is not None
        keep = turn - 1 if turn > 0 and record.messages[turn - 1]["role"] == "user" else turn
        kept = [
            {"role": t["role"], "content": changes.get(f"messages[{i}]", t["content"])}
            for i, t in enumerate(record.messages[:keep])
        ]
        if not any(t["role"] == "assistant" and t["content"] for t in kept):
            counts[f"dropped:{first.category}"] += 1
            return self.reject(
                record,
                first.category,
                action="cut",
                why="nothing useful left: the refused turn is the first answer of the conversation",
                field=f.label,
                phrase=f.original(first),
                rule=first.rule,
            )
        counts[f"cut:{first.category}"] += 1
        counts["conversations_truncated"] += 1
        entries.append(
            self._entry(
                "cut",
                first.category,
                f.original(first),
                first.rule,
                f.label,
                removed=f.text,
                turns_removed=len(record.messages) - keep,
            )
        )
        record.messages = kept
        self._note(record, entries, counts, cut=True)
        return None

    def _entry(self, action: str, category: str, phrase: str, rule: str, label: str, **more: Any) -> dict[str, Any]:
        """A ``meta["curate"]`` entry: what this filter did to the record, and why."""
        return {
            "filter": self.name,
            "action": action,
            "category": category,
            "phrase": phrase,
            "rule": rule,
            "field": label,
            **more,
        }

    def _note(self, record: Record, entries: list[dict[str, Any]], counts: Counter[str], *, cut: bool) -> None:
        if cut:
            counts["records_cut"] += 1
        elif entries:
            counts["records_flagged"] += 1
        if entries:
            record.meta.setdefault("curate", []).extend(entries)


@dataclass
class _Found:
    """The hits in one field of a record, with what is needed to cut them."""

    label: str
    text: str
    is_model: bool
    folded: str
    index: list[int] | None
    hits: list[Hit]

    def original(self, h: Hit) -> str:
        """The matched text as written."""
        if self.index is None:
            return self.text[h.start : h.end]
        return self.text[self.index[h.start] : self.index[h.end]]

    def more(self, hits: list[Hit]) -> dict[str, Any]:
        """Every match, for a rejection's details, when there is more than one."""
        if len(hits) < 2:
            return {}
        return {"matches": [{"category": h.category, "phrase": self.original(h), "rule": h.rule} for h in hits]}


def _turn_index(label: str) -> int | None:
    m = re.fullmatch(r"messages\[(\d+)\]", label)
    return int(m.group(1)) if m else None


#: Opening quotes and the closing quote that ends each.
_QUOTE_PAIRS = {"'": "'", '"': '"', "“": "”", "«": "»", "「": "」", "『": "』", "‘": "’"}


def _quoted(folded: str, h: Hit) -> bool:
    """Whether the phrase is quoted inside a sentence ("the phrase 'As an AI language model' became ...").

    An opening quote (after a space or bracket) before the phrase on its line, with text
    before it, and the matching closing quote (before a space or punctuation) after the
    phrase, both within 150 characters. A reply that is quoted as a whole does not count.
    """
    line_start = folded.rfind("\n", 0, h.start) + 1
    for i in range(h.start - 1, max(line_start, h.start - 150) - 1, -1):
        opening = folded[i]
        closing = _QUOTE_PAIRS.get(opening)
        if closing is None or (i > 0 and folded[i - 1] not in " \t(["):
            continue
        if not folded[:i].strip():
            return False  # the whole reply starts with this quote
        line_end = folded.find("\n", h.end)
        window = folded[h.end : min(h.end + 150, len(folded) if line_end < 0 else line_end)]
        for j, ch in enumerate(window):
            if ch == closing and (j + 1 == len(window) or not window[j + 1].isalnum()):
                return True
        return False
    return False


@curate.hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(RefusalFilter)
