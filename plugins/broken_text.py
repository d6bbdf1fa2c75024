"""Signs of a broken generation in one reply: cut off, junk tokens, runaway lists, looping code.

Each function takes the text of one reply (Markdown as chat models write it) and returns
why it looks broken, as a short phrase, or None. They are the quality filter's
``truncated``, ``junk`` and ``runaway_list`` rules; code blocks are judged as code
(:func:`looping_code`), never as prose.

>>> truncated("To make tea, boil the water and pour it over the")
"ends on 'the'"
>>> junk_token("Done. " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpams=" * 2) is not None
True
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from curate.plugins.text_stats import CJK, code_spans, unclosed_fence, word_count

# -- cut off mid-sentence or mid-word -------------------------------------------------------------

#: Words a sentence does not end on, in the six languages the filters cover.
DANGLING = frozenset(
    """
    the a an and or of to in with for that which is are was were be by on at from as but if than their its his her
    your my our this these those into about such unless because although though whether whereas until while when
    where how what who whom whose can could would should will shall may might must has have had been being each
    every either neither nor per via between through upon onto toward towards against among within
    el la los las de del y o que en con por para un una su sus
    le les des du et ou à au aux avec pour dans sur un une
    der die das den dem des und oder mit für von zu im ein eine einen dass
    os as do da dos das e em com um uma seu sua
    """.split()
)
#: What a finished line may end on: sentence punctuation, closing brackets and quotes (ASCII,
#: typographic and CJK), Markdown emphasis and code, and a few symbols.
_CLOSERS = frozenset(".!?:)]}>\"'`*_~|…”’»›」』】）〕〉》。！？｡．：；)%°$€£¥")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|[a-zA-Z][.)])\s+")
_BARE_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s*$")
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_QUOTE_OR_INDENT = re.compile(r"^(?:\s*>|    |\t)")
_LAST_WORD = re.compile(r"(?<![\w'’-])[^\W\d_][\w'’-]*$")
_URLISH = re.compile(r"://|^www\.|\S+@\S+\.\w+$")
#: A line that ends on a result: a number or an amount ("... is $12,000"), or an equation ("x - y = 2z").
_RESULT = re.compile(
    r"(?:^|\s)[-+]?[$€£¥]?\d[\d,.]*%?$|(?:^|\s)=\s*[-+]?\(?[\w^*/.]{1,8}\)?(?:\s*[-+*/]\s*\(?[\w^*/.]{1,8}\)?){0,3}$"
)
_CONTINUE = re.compile(
    r"^\W*(?:please\s+)?(?:continue|go on|keep going|more|next|carry on|finish(?: it)?|resume|continua|continúa|sigue"
    r"|continuez?|continuer|weiter(?:machen)?|mach weiter|继续|請繼續|继续写|続けて)\W*$",
    re.IGNORECASE,
)


def asks_to_continue(prompt: str) -> bool:
    """Whether a user turn only asks the model to go on ("continue", "go on", "继续").

    >>> asks_to_continue("Continue."), asks_to_continue("Continue with the second chapter, in French")
    (True, False)
    """
    return len(prompt) < 40 and _CONTINUE.match(prompt.strip()) is not None


def truncated(text: str) -> str | None:
    """Why a reply looks cut off (a generation that hit its token limit), or None.

    Signs: an unclosed code block or inline code span; a last line that ends on a comma,
    on "the"/"and"/"of", on a heading, inside a table row, on an empty list marker; a
    list item without the closing punctuation all its siblings have; a line of prose
    with no closing punctuation at all. Short replies, verse, sign-offs ("Best,\\nAna"),
    lists without punctuation, URLs and replies ending on an emoji pass.

    >>> truncated("Here is the code:\\n```python\\nprint(1)")
    'unclosed code block'
    >>> truncated("Boil the water for five minutes, then let the leaves steep for thr")
    'no closing punctuation'
    >>> truncated("Paris") is None, truncated("- a list item") is None
    (True, True)
    """
    if unclosed_fence(text):
        return "unclosed code block"
    stripped = text.rstrip()
    if not stripped or (len(stripped) < 200 and word_count(stripped) < 8):
        return None
    lines = stripped.split("\n")
    last = lines[-1].strip()
    if last.startswith("```") or _QUOTE_OR_INDENT.match(lines[-1]):
        return None  # a closed code block or an indented or quoted line
    if last.count("`") % 2 == 1:
        return "unclosed inline code"
    if last.count("\\[") > last.count("\\]") or last.count("\\(") > last.count("\\)"):
        return "unclosed formula"
    if _HEADING.match(last):
        return "ends on a heading"
    if _BARE_MARKER.match(last):
        return "ends on an empty list item"
    before = lines[-2].strip() if len(lines) > 1 else ""
    if last.startswith("|") and before.startswith("|"):
        return "ends inside a table row" if before.endswith("|") and not last.endswith("|") else None
    if _URLISH.search(last.rsplit(None, 1)[-1]):
        return None
    if last[-1] in ",;:：" and word_count(last) >= 2:
        return f"ends on {last[-1]!r}"  # a colon announces what never came
    if last.count("(") > last.count(")"):
        return "unclosed bracket"
    numbered = _NUMBERED.match(before)
    if last.isdigit() and numbered is not None and int(numbered.group(1)) + 1 == int(last):
        return "ends on an empty list item"  # "5. Milk\n6": the marker of the next item, cut before its dot
    if _closed(last):
        return _mid_word(stripped, last) if _ends_on_result(last) else None
    m = _LAST_WORD.search(last.rsplit(None, 1)[-1])  # the word lies in the last token: search only that
    if m is not None and m.group().lower() in DANGLING and (word_count(last) >= 2 or _LIST_ITEM.match(last)):
        return f"ends on {m.group().lower()!r}"
    why = _cut_list_item(lines) if _LIST_ITEM.match(last) else _cut_prose(lines)
    return why or _mid_word(stripped, last)


#: The first half of :data:`_RESULT`, for the last token of a line: a number or an amount.
_NUMBER_TOKEN = re.compile(r"[-+]?[$€£¥]?\d[\d,.]*%?")


def _ends_on_result(line: str) -> bool:
    """``_RESULT.search(line)`` for a stripped line, without scanning the whole line.

    A number ends the line when its last token is one; an equation needs an "=".
    """
    return _NUMBER_TOKEN.fullmatch(line.rsplit(None, 1)[-1]) is not None or (
        "=" in line and _RESULT.search(line) is not None
    )


def _closed(line: str) -> bool:
    """Whether ``line`` ends on closing punctuation, a result, a symbol or an emoji (bold balanced)."""
    if line.count("**") % 2 == 1:
        return False  # "**Networ": bold opened, never closed
    end = line[-1]
    if end in _CLOSERS or _ends_on_result(line):
        return True
    category = unicodedata.category(end)
    return category in ("So", "Sk", "Sm", "Mn", "Cf") or "\ufe00" <= end <= "\ufe0f"


def _cut_list_item(lines: list[str]) -> str | None:
    """A last list item that reads as a sentence, in a list whose items all close theirs."""
    last = lines[-1].strip()
    siblings = [ln.strip() for ln in lines[-30:-1] if _LIST_ITEM.match(ln)]
    if any(not _closed(s) for s in siblings):
        return None  # a list of items without punctuation
    if siblings or word_count(last) >= 8:
        return "list item cut off"
    return None


def _cut_prose(lines: list[str]) -> str | None:
    """A last line of prose with no closing punctuation, unless it is verse or a sign-off."""
    last = lines[-1].strip()
    words = word_count(last)
    before = [ln.strip() for ln in lines[:-1]]
    block: list[str] = []
    for ln in reversed(before):
        if not ln:
            break
        block.append(ln)
    if not block:
        # a line of its own: a title, a name, a sign-off ("Cheers" / "Ana") when short
        prev = next((ln for ln in reversed(before) if ln), "")
        if words < 4 or (words <= 6 and prev.endswith(",")):
            return None
        return "no closing punctuation"
    if block[0].endswith(",") and words <= 6:
        return None  # "Best regards,\nAna Lima"
    if len(block) >= 2 and sum(not _closed(ln) for ln in block) >= len(block) / 2:
        return None  # verse, lyrics, an address: short lines without punctuation
    if words < 3 and _closed(block[0]):
        return None
    return "no closing punctuation"


_WORDS = re.compile(r"[^\W\d_][\w'’-]*|\d[\d,.]*\d|\d")
_LAST_TOKEN = re.compile(r"(?:(?<![\w'’-])[^\W\d_][\w'’-]*|(?<![\w,.])\d[\d,.]*)$")


def _mid_word(text: str, last: str) -> str | None:
    """A last word or number found nowhere else, that begins a longer one of the text ("thei" for "their")."""
    m = _LAST_TOKEN.search(last)
    if m is None or len(m.group()) < 2:
        return None
    word = m.group().lower()
    vocabulary = {w.lower() for w in _WORDS.findall(text[: -len(word)])}
    if word in vocabulary:
        return None
    if any(len(w) > len(word) and w.startswith(word) for w in vocabulary):
        return "ends mid-word"
    return None


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
