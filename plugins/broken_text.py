"""Signs of a broken generation in one reply: junk tokens, runaway lists, looping code, repeated blocks.

Each function takes the text of one reply (Markdown as chat models write it) and returns
why it looks broken, as a short phrase, or None. They are the quality filter's ``junk``
and ``runaway_list`` rules and part of its ``repetition`` rule; code blocks are judged as
code (:func:`looping_code`), never as prose. A reply cut off by the token limit is
:mod:`curate.plugins.cut_off`'s to judge.

>>> junk_token("Done. " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpams=" * 2) is not None
True
"""

from __future__ import annotations

import re
from collections import Counter

from curate.plugins.text_stats import CJK, code_spans

# -- junk tokens ---------------------------------------------------------------------------------

#: Scripts written without spaces: a long run of them is a sentence, not a junk token.
_NO_SPACE_SCRIPTS = re.compile(f"[{CJK}\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_LONG_RUN = re.compile(r"\S{64,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{64,}={0,2}")
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{72,}")
_LATEX = re.compile(r"\\[a-zA-Z]{2,}|\$")
_DNA = re.compile(r"^[ACGTUN]+$", re.IGNORECASE)
_LINK = re.compile(r"\]\(|://|^<|^www\.|^data:image/svg")


def junk_token(text: str, *, min_length: int = 120) -> str | None:
    """A description of the first junk token in ``text``'s prose, or None.

    Junk: a base64 blob (64+ characters mixing upper case, lower case and digits), a hex
    blob (72+ hex digits, longer than a SHA-256 digest), or any run of ``min_length``
    characters without a space. Code blocks and inline code, URLs and Markdown links,
    LaTeX, DNA sequences and text in scripts written without spaces (CJK, Thai...) pass.

    >>> junk_token("The hash is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.") is None
    True
    """
    # str.split() and \S agree on what a space is: no token of 64 characters, no long run
    if len(text) < 64 or max(map(len, text.split()), default=0) < 64:
        return None
    spans = code_spans(text)
    if spans:
        text = "".join(text[a:b] for a, b in _gaps(spans, len(text)))
    for m in _LONG_RUN.finditer(text):
        token = m.group().strip("()[]{}<>\"'*_.,;:!?“”‘’")
        if len(token) < 64 or _LINK.search(token) or _NO_SPACE_SCRIPTS.search(token) or _LATEX.search(token):
            continue
        if _DNA.match(token):
            continue
        alnum = sum(c.isalnum() for c in token)
        if alnum < 0.5 * len(token):
            continue  # a rule of "=====" or "-----", for the symbol rules to judge
        if _HEX.fullmatch(token) and any(c.isdigit() for c in token) and any(c.isalpha() for c in token[2:]):
            return f"hex blob of {len(token)} characters"
        b64 = _BASE64.search(token)
        if b64 is not None and _looks_random(b64.group()):
            return f"base64 blob of {len(token)} characters"
        if len(token) >= min_length:
            return f"{len(token)} characters without a space"
    return None


def _looks_random(token: str) -> bool:
    """Upper case, lower case and digits all well represented, as in base64 (not in identifiers)."""
    n = len(token)
    upper = sum(c.isupper() for c in token)
    lower = sum(c.islower() for c in token)
    digits = sum(c.isdigit() for c in token)
    return upper >= 0.15 * n and lower >= 0.15 * n and digits >= 0.04 * n


def _gaps(spans: list[tuple[int, int]], end: int) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for a, b in spans:
        out.append((pos, a))
        pos = max(pos, b)
    out.append((pos, end))
    return out


# -- runaway lists and looping code --------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_ITEM_START = re.compile(r"^\s*(?:[-*+•]|\d{1,4}[.):]|(?:step|item) \d+[.:]?)\s+", re.IGNORECASE)


def runaway_list(text: str, *, min_items: int = 20, max_alike: float = 0.5) -> str | None:
    """A list that goes on with items cut from one pattern ("Step 41: add salt", "Step 42: add salt").

    Items are compared on their first three words with numbers blanked out; a list of
    ``min_items`` or more where one pattern makes more than ``max_alike`` of the items
    is a generation that would not stop. A long list of different things (100 names)
    passes.

    >>> runaway_list("\\n".join(f"{i}. Add {i} grams of salt and stir." for i in range(1, 40)))
    '39 list items, 39 alike: "add # grams"'
    """
    if text.count("\n") < min_items:
        return None
    lists: list[list[str]] = []
    items: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue  # blank lines between items do not end a list
        m = _ITEM_START.match(line)
        if m is not None:
            items.append(line[m.end() :])
        elif items and not line.startswith((" ", "\t")):
            lists.append(items)  # a line of prose ends the list; an indented one continues an item
            items = []
    lists.append(items)
    for found in lists:
        if len(found) >= min_items:
            keys = Counter(" ".join(_DIGITS.sub("#", item.lower()).split()[:3]) for item in found)
            key, count = keys.most_common(1)[0]
            if count > max_alike * len(found):
                return f'{len(found)} list items, {count} alike: "{key}"'
    return None


_FENCED = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)


def looping_code(text: str, *, max_run: int = 12) -> str | None:
    """A code block in which one line repeats more than ``max_run`` times in a row.

    Code repeats short lines ("}", "end", "</div>") and similar ones, never the same
    statement a dozen times over: that is a generation stuck in a loop.

    >>> looping_code("```python\\n" + "x = compute(x)\\n" * 20 + "```")
    '20 identical lines in a row in a code block: "x = compute(x)"'
    """
    if "```" not in text and "~~~" not in text:
        return None
    for m in _FENCED.finditer(text):
        best = run = 0
        previous = line = worst = ""
        for raw in m.group(2).split("\n"):
            line = raw.strip()
            run = run + 1 if line == previous else 1
            previous = line
            if run > best and len(line) >= 6 and sum(c.isalnum() for c in line) >= 3:
                best, worst = run, line
        if best > max_run:
            return f'{best} identical lines in a row in a code block: "{worst[:60]}"'
    return None


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def repeated_block(text: str, *, min_words: int = 5) -> str | None:
    """A paragraph (prose or code) that comes twice in a row, or three times in all.

    A reply that says the same paragraph again at once, or a third time, is a generation
    stuck in a loop, however short: the Gopher statistics only judge replies of 50
    words or more, and let a repeated paragraph pass in a long reply.

    >>> repeated_block("Boil the water for five minutes.\\n\\nBoil the water for five minutes.")
    'the same paragraph twice in a row: "Boil the water for five minutes."'
    """
    if "\n" not in text:
        return None
    paragraphs = [para.strip() for para in _PARAGRAPH_BREAK.split(text)]
    if len(set(paragraphs)) == len(paragraphs):
        return None  # no paragraph comes twice
    seen: Counter[str] = Counter()
    previous = ""
    for para in paragraphs:
        if len(para) < 24 or len(para.split()) < min_words:
            previous = para
            continue
        seen[para] += 1
        if para == previous:
            return f'the same paragraph twice in a row: "{para[:60]}"'
        if seen[para] >= 3:
            return f'the same paragraph three times: "{para[:60]}"'
        previous = para
    return None
