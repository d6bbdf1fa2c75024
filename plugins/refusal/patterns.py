"""The phrase language of the ``refusal`` filter: parsing, rendering as regexes, literal heads.

The language is described in :mod:`curate.plugins.refusal.catalog`. A phrase is parsed
into a sequence of nodes; :func:`render` turns a sequence into a regular expression,
:func:`heads` lists the literal strings its first characters can read as (what the
matcher's automaton looks for), and :func:`factor` merges several sequences into one
regex shaped as a trie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from curate.plugin_api import ConfigError
from curate.plugins.refusal import catalog
from curate.plugins.refusal.folding import fold_phrase
from curate.plugins.text_stats import CJK

_GAP = r"[^.!?。\n]{0,60}?"
_WS = r"\s+"
#: Not preceded by a letter, a digit or a hyphen (for phrases that start with a letter or digit).
WORD_START = r"(?<![^\W_])(?<!-)"
#: When the phrase ends with a Latin letter or digit, the next character must not continue the word.
#: (Character classes beyond U+00FF cost milliseconds each to compile, so the class stays small.)
WORD_END = r"(?!(?<=[a-z0-9\xc0-\xff])(?:\w|-\w))"

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
    """Parse one phrase of the pattern language (see :mod:`curate.plugins.refusal.catalog`).

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


def first_split(seq: Seq) -> list[tuple[Node | None, Seq]]:
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
            out.extend(first_split(tail))
            continue
        for tok, rest in first_split(option):
            if tok is None:
                out.append((None, rest + tail))
            else:
                grouped.setdefault(tok, []).append(rest)
    if node[2]:
        out.extend(first_split(tail))
    for tok, rests in grouped.items():
        rests = sorted(set(rests), key=lambda r: (not r, r))
        if len(rests) == 1:
            out.append((tok, rests[0] + tail))
        else:
            out.append((tok, (("alt", tuple(rests), False), *tail)))
    return out


def is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{CJK}]", ch))


def latin_start(seq: Seq) -> bool:
    firsts = [tok for tok, _ in first_split(seq)]
    return all(t is not None and t[0] == "c" and re.match(r"\w", t[1]) and not is_cjk(t[1]) for t in firsts)


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
            for tok, r in first_split(rest):
                if tok is None:
                    done.add(head)
                else:
                    todo.append((head + (tok[1] if tok[0] == "c" else " "), r))
        if not todo and "" not in done:
            return sorted(done)
    return None


_Entry = tuple  # (seq, end regex)


def factor(entries: list[_Entry], depth: int, ws: str = _WS) -> str:
    """One regex for several sequences, factored on their first ``depth`` tokens (a trie)."""
    groups: dict[Node, list[_Entry]] = {}
    plain: dict[str, None] = {}
    ends: dict[str, None] = {}
    for seq, end in entries:
        if not seq:
            ends[end] = None
            continue
        splits = first_split(seq) if depth > 0 else []
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
        (re.escape(tok[1]) if tok[0] == "c" else ws) + factor(group, depth - 1, ws) for tok, group in groups.items()
    ]
    parts.extend(plain)
    parts.extend(e for e in ends if e)
    if "" in ends:
        parts.append("")
    if len(parts) == 1:
        return parts[0]
    return "(?:" + "|".join(parts) + ")"


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
def builtin_phrases(category: str, languages: tuple[str, ...]) -> tuple[Phrase, ...]:
    return tuple(
        parse_phrase(p, category, f"{category}/{lang}/{n}")
        for lang, patterns in catalog.PHRASES.get(category, {}).items()
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
        return next((pattern for name, pattern, _ in catalog.REGEXES.get(parts[0], ()) if name == parts[2]), None)
    if len(parts) == 3 and parts[2].isdigit():
        patterns = catalog.PHRASES.get(parts[0], {}).get(parts[1], ())
        n = int(parts[2])
        return patterns[n - 1] if 0 < n <= len(patterns) else None
    return None
