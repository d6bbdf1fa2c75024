"""Quoted phrases: a refusal quoted inside a sentence or spoken by a character is not the model's own."""

from __future__ import annotations

import re

from curate.plugins.refusal.matching import Hit

#: Opening quotes and the closing quote that ends each.
_QUOTE_PAIRS = {"'": "'", '"': '"', "“": "”", "«": "»", "「": "」", "『": "』", "‘": "’"}


#: An opening quote at the text's start or after a space, line break or bracket.
_OPENING = re.compile(r"(?:(?<=[ \t\n(\[])|(?<![\s\S]))[" + "".join(_QUOTE_PAIRS) + "]")

#: A speech tag after a closing quote or a dialogue dash: the quote is a character's line.
_SPEECH_TAG = re.compile(
    r"(?<!\w)(?:said|says|asked|asks|replied|answered|whispered|murmured|shouted|muttered|added|snapped|sighed"
    r"|dijo|respondió|preguntó|susurró|murmuró|gritó|disse|respondeu|perguntou|sussurrou|dit|répondit|murmura"
    r"|demanda|souffla|sagte|antwortete|fragte|flüsterte|rief)(?!\w)|(?:说|道|问|答)"
)
_DIALOGUE_DASHES = "—―–"


def quoted(folded: str, h: Hit) -> bool:
    """Whether the phrase is quoted: inside a sentence ("the phrase 'As an AI language model' became ..."),
    or as a character's line ("'I can't help you,' Mara said"; "—No puedo ayudarte —dijo la anciana").

    An opening quote (at a line start or after a space or bracket) before the phrase on its
    line, and the matching closing quote (before a space or punctuation) after the phrase,
    both within 150 characters. A reply that is quoted as a whole does not count, unless a
    speech tag follows the closing quote. A line that opens with a dialogue dash counts when
    a second dash or a speech tag follows the phrase.
    """
    line_start = folded.rfind("\n", 0, h.start) + 1
    line_end = folded.find("\n", h.end)
    line_end = len(folded) if line_end < 0 else line_end
    lead = folded[line_start : h.start].strip(" \t¡¿")
    if lead and lead[0] in _DIALOGUE_DASHES and len(lead) <= 2:
        rest = folded[h.end : min(line_end, h.end + 150)]
        if any(d in rest for d in _DIALOGUE_DASHES) or _SPEECH_TAG.search(rest[:80]):
            return True
    last = None  # the nearest opening quote before the phrase
    for last in _OPENING.finditer(folded, max(line_start, h.start - 150), h.start):  # noqa: B007
        pass
    if last is not None:
        i = last.start()
        closing = _QUOTE_PAIRS[folded[i]]
        window = folded[h.end : min(h.end + 150, line_end)]
        for j, ch in enumerate(window):
            if ch == closing and (j + 1 == len(window) or not window[j + 1].isalnum()):
                if not folded[:i].strip():  # the whole reply starts with this quote
                    return _SPEECH_TAG.search(window[j + 1 : j + 60]) is not None
                return True
        return False
    return False
