"""Whether a reply was cut off: a generation that stopped at its token limit, mid-sentence or mid-word.

:func:`truncated` is the quality filter's ``truncated`` rule. It reads the end of one reply
(Markdown as chat models write it) and says why it looks unfinished, or None; complete
replies that end without a full stop (a list without punctuation, verse, a sign-off, a code
block, a URL, a number, an emoji) pass.

>>> truncated("To make tea, boil the water and pour it over the")
"ends on 'the'"
"""

from __future__ import annotations

import re
import unicodedata

from curate.plugins.text_stats import unclosed_fence, word_count

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
    on "the"/"and"/"of", on an operator or a currency sign ("= 3 * $"), on a heading,
    inside a table row, on an empty list marker or the bare number of the next item
    ("...\\n\\n4"), inside brackets or a quotation it opened, on a possessive
    apostrophe; a list item without the closing punctuation all its siblings have, the
    only item of a list that a colon announced, or an item far shorter than its siblings;
    a line of prose with no closing punctuation at all, or a short last paragraph with a
    comma in it after paragraphs that all close theirs. Short replies, verse, sign-offs
    ("Best,\\nAna"), lists without punctuation, results ("... = 42"), URLs and replies
    ending on an emoji pass.

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
    if (last.count("[") > last.count("]") or last.count("{") > last.count("}")) and last[-1] not in _FULL_STOPS:
        return "unclosed bracket"
    if last.isdigit() and len(last) <= 3 and _next_number(lines) == int(last):
        return "ends on an empty list item"  # "5. Milk\n6": the marker of the next item, cut before its dot
    if _DANGLING_OPERATOR.search(last[-2:]):  # the pattern spans two characters
        return "ends on an operator"  # "= 3 * $", "4z^": the operand never came
    why = _open_quote(last)
    if why:
        return why
    if _closed(last):
        return _mid_word(stripped, last) if _ends_on_result(last) else None
    m = _LAST_WORD.search(last.rsplit(None, 1)[-1])  # the word lies in the last token: search only that
    if m is not None and m.group().lower() in DANGLING and (word_count(last) >= 2 or _LIST_ITEM.match(last)):
        return f"ends on {m.group().lower()!r}"
    why = _cut_list_item(lines) if _LIST_ITEM.match(last) else _cut_prose(lines)
    return why or _mid_word(stripped, last)


_FULL_STOPS = frozenset(".!?。！？")
#: An operator or a currency sign at the end of a line, after a space ("x =", "3 * $") or a power ("4z^").
_DANGLING_OPERATOR = re.compile(r"(?:\s[-+*/×÷=<>$€£¥]|[\w)]\^)$")
#: Opening and closing quotation marks and brackets of the scripts the filters cover (ASCII aside).
_PAIRS = (("“", "”"), ("«", "»"), ("「", "」"), ("『", "』"), ("（", "）"), ("《", "》"), ("【", "】"))


def _next_number(lines: list[str]) -> int | None:
    """The number the next item of the last numbered list would take ("3. Eggs" -> 4), or None."""
    for line in reversed(lines[-40:-1]):
        m = _NUMBERED.match(line)
        if m is not None:
            return int(m.group(1)) + 1
    return None


def _open_quote(line: str) -> str | None:
    """A quotation or bracket the line opened and never closed, or an apostrophe that lost its "s"."""
    if not line.isascii():
        for opening, closing in _PAIRS:
            if opening in line and line.rfind(opening) > line.rfind(closing):
                return "unclosed quotation"
    if line.count('"') % 2 == 1:
        at = line.rfind('"')
        if (at == 0 or line[at - 1] in " \t([") and at < len(line) - 1:
            return "unclosed quotation"  # the last '"' opens a quote that runs to the end
    if line[-1] == "’" and len(line) > 1 and line[-2].isalpha() and "‘" not in line:
        return "ends on an apostrophe"  # "the State Department’" (cut before the s)
    return None


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
        return _short_item(lines)  # a list of items without punctuation
    if siblings or word_count(last) >= 8:
        return "list item cut off"
    intro = next((ln.strip() for ln in reversed(lines[:-1]) if ln.strip()), "")
    if intro.endswith((":", "：")) and word_count(last) >= 2:
        return "list item cut off"  # "This program:\n\n- Gets all files": a list of one item
    return None


def _short_item(lines: list[str]) -> str | None:
    """A last item of a list without punctuation, far shorter than every one of its siblings."""
    last = lines[-1].strip()
    siblings = [word_count(ln) for ln in lines[-30:-1] if _LIST_ITEM.match(ln)]
    if len(siblings) >= 2 and min(siblings) >= 7 and word_count(last) <= 0.4 * min(siblings):
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
        if words <= 6 and (prev.endswith(",") or _SIGN_OFF.search(last)):
            return None  # "Best,\nAna Lima", "Warm wishes, and see you soon"
        if words <= 10 and _verse(_paragraph_before(before)):
            return None  # a last stanza of one line
        if words < 4:
            # "Remember, the best": a clause, not a title, after paragraphs that all close theirs
            if _CLAUSE.search(last) and _closed(prev):
                return "no closing punctuation"
            return None
        return "no closing punctuation"
    if block[0].endswith(",") and words <= 6:
        return None  # "Best regards,\nAna Lima"
    if _verse(block):
        return None  # verse, lyrics, an address: short lines without punctuation
    if words < 3 and _closed(block[0]):
        return None
    return "no closing punctuation"


#: A comma, then a word in lower case: a clause ("Remember, the best"), not a title or a name.
_CLAUSE = re.compile(r"\w,\s+[^\W\d_A-Z]")
#: Closing words of a letter or a message, which often stand alone without punctuation.
_SIGN_OFF = re.compile(
    r"\b(?:regards|wishes|sincerely|cheers|thanks|thank you|yours|love|cordially|respectfully|all the best|saludos"
    r"|cordialement|grüße|atenciosamente|abraços|un saludo|bises)\b",
    re.IGNORECASE,
)


def _paragraph_before(before: list[str]) -> list[str]:
    """The last paragraph of ``before`` (stripped lines, the blank ones after it left out), last line first."""
    out: list[str] = []
    for ln in reversed(before):
        if ln:
            out.append(ln)
        elif out:
            break
    return out


def _verse(block: list[str]) -> bool:
    """Two lines or more, half of them or more without closing punctuation: verse, lyrics, an address."""
    return len(block) >= 2 and sum(not _closed(ln) for ln in block) >= len(block) / 2


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
