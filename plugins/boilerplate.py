"""Lines of cookie, legal or navigation text in a page or a reply (the quality filter's ``boilerplate`` rule)."""

from __future__ import annotations

import re

_BOILERPLATE = re.compile(
    "|".join(
        (
            r"\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b",
            r"\baccept (?:all )?cookies\b",
            r"\bcookie (?:policy|settings|preferences|consent|banner)\b",
            r"\bmanage (?:your )?cookies\b",
            r"\ball rights reserved\b",
            r"(?:©|\(c\)|\bcopyright\b)\s*(?:©\s*)?(?:19|20)\d\d",
            r"^\s*(?:privacy policy|terms of (?:use|service)|terms (?:and|&) conditions|cookie policy|imprint|impressum"
            r"|legal notice|sitemap|site map|contact us|about us|accessibility|careers|press|faq|help center)\s*$",
            r"\bskip to (?:main )?content\b",
            r"\bback to top\b",
            r"^\s*(?:home|menu|search|log ?in|sign ?in|sign ?up|register|subscribe|share|tweet|print|email this"
            r"|next|previous|prev|more|read more|load more|show more)\s*$",
            r"\byou are here\s*:",
            r"\b(?:share (?:this|on)|follow us on|like us on)\b.{0,40}\b(?:facebook|twitter|instagram|linkedin"
            r"|pinterest|whatsapp|youtube)\b",
            r"\b(?:subscribe|sign up) (?:to|for) (?:our|the) newsletter\b",
            r"\bclick here to\b",
            r"\b(?:please )?enable javascript\b|\bjavascript (?:is )?(?:disabled|required)\b",
            r"^\s*advertisement\s*$",
            # a navigation bar: three or more short items between | · • » separators
            r"^\s*(?:[a-z][a-z &'-]{0,24}\s*[|·•»]\s*){2,}[a-z][a-z &'-]{0,24}\s*$",
        )
    ),
    re.IGNORECASE,
)


def boilerplate_lines(text: str) -> list[int]:
    """Indexes of the lines of ``text`` (code blocks aside) that are cookie, legal or navigation text.

    >>> boilerplate_lines("Home | About | Contact\\nPasta needs salt.\\n© 2024 Foo Inc. All rights reserved.")
    [0, 2]
    """
    out = []
    in_code = False
    # Without one of the keywords in the text, only a short line (a menu item, "Privacy Policy")
    # or a navigation bar can match; lines of prose are not searched.
    low = text.lower()
    keyword = any(w in low for w in _BOILERPLATE_KEYWORDS) or (
        not text.isascii() and any(c in text for c in _FOLDS_TO_ASCII)
    )
    fences, separators = "```" in text, _has_separator(text)
    for i, line in enumerate(text.split("\n")):
        if fences and line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or (
            not keyword
            and len(line) > _LONGEST_MENU_LINE
            and len(line.strip()) > _LONGEST_MENU_LINE
            and not (separators and _has_separator(line))
        ):
            continue
        if len(line.split()) > 15:
            continue
        if _BOILERPLATE.search(line):
            out.append(i)
    return out


#: One of these (lower-cased) is in every match of :data:`_BOILERPLATE` but the whole-line ones.
_BOILERPLATE_KEYWORDS = (
    "cookie", "rights reserved", "©", "(c)", "copyright", "skip to", "back to top", "you are here", "facebook",
    "twitter", "instagram", "linkedin", "pinterest", "whatsapp", "youtube", "newsletter", "click here to",
    "javascript",
)  # fmt: skip
#: The longest whole-line match of :data:`_BOILERPLATE` without a separator: "terms and conditions".
_LONGEST_MENU_LINE = 20
#: The characters besides ASCII letters that the case-blind :data:`_BOILERPLATE` takes for ASCII
#: letters (İ ı ſ and the Kelvin sign); ``str.lower`` does not map them all to one.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _has_separator(line: str) -> bool:
    return "|" in line or "·" in line or "•" in line or "»" in line
