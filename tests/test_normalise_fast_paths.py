"""The fast paths of normalisation and exact dedup change nothing: same text, same counts, same keys.

``normalise_text`` skips regular expressions that a substring test or one combined search
shows cannot apply; ``collapse_spaces`` avoids splitting into words. Each is checked here
against the plain, unguarded computation on text drawn from the characters they treat.
"""

from __future__ import annotations

import html
import unicodedata
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from curate.stages import normalise
from curate.stages.dedup import collapse_spaces
from curate.stages.normalise import normalise_text

ODD = (
    " \t\n\r\x0b\x0c\x1c\x1f\x00\x08\x7f\x80\x85\x9f\xa0\xad\u1680\u2000\u200a\u200b\u200d\u2028\u2029"
    "\u202f\u205f\u2060\u3000\ufeff&;#`éeE\u0301\U0001f600ab"
)
texts = st.text(alphabet=st.sampled_from(ODD), max_size=40) | st.sampled_from(
    ["a &amp; b", "x &#233; `&lt;` y", "caf\u0065\u0301\r\n\r\n\r\n ok \t\n", "\n \n\n\n x", "plain ascii text"]
)


def reference_normalise(text: str, counts: Counter[str]) -> str:
    """normalise_text without its shortcuts: every step applied to every text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        counts["line_ends"] += 1
    if "&" in text and normalise._ENTITY.search(text):
        unescaped = normalise._unescape_outside_code(text)
        if unescaped != text:
            text = unescaped
            counts["html_entities"] += 1
    if not text.isascii():
        steps = (
            ("unicode_nfc", lambda t: unicodedata.normalize("NFC", t)),
            ("zero_width", lambda t: normalise._ZERO_WIDTH.sub("", t)),
            ("odd_spaces", lambda t: normalise._ODD_SPACE.sub(" ", t)),
        )
        for name, step in steps:
            new = step(text)
            if new != text:
                counts[name] += 1
                text = new
    cleaned = normalise._CONTROL.sub("", text)
    if cleaned != text:
        counts["control_characters"] += 1
        text = cleaned
    return normalise._BLANK_RUNS.sub("\n\n", normalise._TRAILING.sub("\n", text)).strip()


@settings(max_examples=600, deadline=None)
@given(texts)
def test_normalise_text_equals_the_unguarded_steps(text):
    fast, slow = Counter(), Counter()
    assert normalise_text(text, fast) == reference_normalise(text, slow)
    assert fast == slow


def test_normalise_text_examples():
    counts: Counter[str] = Counter()
    assert normalise_text("caf\u0065\u0301\u200b\u00a0x \n\n\n\ny\x85", counts) == "café x\n\ny"
    assert counts == {"unicode_nfc": 1, "zero_width": 1, "odd_spaces": 1, "control_characters": 1}
    assert normalise_text("é \t\nb\n\n\n\nc  ") == "é\nb\n\nc"
    assert html.unescape("&amp;") == "&"


@settings(max_examples=600, deadline=None)
@given(texts)
def test_collapse_spaces_equals_split_and_join(text):
    assert collapse_spaces(text) == " ".join(text.split())
    assert collapse_spaces(normalise_text(text)) == " ".join(normalise_text(text).split())
