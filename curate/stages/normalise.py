"""Text normalisation: Unicode NFC, line ends, control characters, odd spaces, entities.

Applied to every piece of text in a record by the ``normalise`` stage before anything
compares or hashes content. Indentation is kept (code stays code); trailing spaces,
runs of blank lines, zero-width characters and C0/C1 control characters go.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

from curate.records import Record
from curate.stages.base import Drop, Stage, Verdict

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ODD_SPACE = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_TRAILING = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: The ASCII that needs no work: printable characters, tab, line feed (not \r, not the other controls).
_ASCII_ALLOWED = bytes(range(0x20, 0x7F)) + b"\t\n"
#: Markdown code (fenced blocks, inline spans): entities there are meant literally.
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)
#: Any character of _CONTROL, _ZERO_WIDTH or _ODD_SPACE (disjoint classes: one search tells if any sub applies).
_ANY_ODD = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u200d\u2060\ufeff\u00ad"
    r"\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
)


def normalise_text(text: str, counts: Counter[str] | None = None) -> str:
    """Return ``text`` normalised; ``counts`` (if given) counts each kind of change.

    >>> normalise_text("caf\\u0065\\u0301 &amp; tea\\r\\n\\r\\n\\r\\n\\x00ok  \\n")
    'café & tea\\n\\nok'
    """
    if text.isascii() and not _needs_work(text):
        return text.strip()  # the common case: clean ASCII text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        _count(counts, "line_ends")
    if "&" in text and _ENTITY.search(text):
        unescaped = _unescape_outside_code(text)
        if unescaped != text:
            text = unescaped
            _count(counts, "html_entities")
    if not text.isascii():
        nfc = unicodedata.normalize("NFC", text)
        if nfc != text:
            _count(counts, "unicode_nfc")
            text = nfc
        if _ANY_ODD.search(text):  # one scan for the three classes below, rarely found
            stripped = _ZERO_WIDTH.sub("", text)
            if stripped != text:
                _count(counts, "zero_width")
                text = stripped
            spaced = _ODD_SPACE.sub(" ", text)
            if spaced != text:
                _count(counts, "odd_spaces")
                text = spaced
            text = _drop_controls(text, counts)
    else:
        text = _drop_controls(text, counts)
    # Substring tests first: each is a fast scan, the regular expressions are not.
    if " \n" in text or "\t\n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def _drop_controls(text: str, counts: Counter[str] | None) -> str:
    cleaned = _CONTROL.sub("", text)
    if cleaned != text:
        _count(counts, "control_characters")
    return cleaned


def _needs_work(text: str) -> bool:
    """Whether ASCII ``text`` holds anything :func:`normalise_text` changes beyond its ends."""
    # Deleting every byte allowed leaves the control characters (and \r): five times faster than a search.
    controls = text.encode("ascii").translate(None, _ASCII_ALLOWED)
    return bool(controls or "&" in text or " \n" in text or "\t\n" in text or "\n\n\n" in text)


def _unescape_outside_code(text: str) -> str:
    """``html.unescape`` everywhere but inside Markdown code.

    >>> _unescape_outside_code("a &amp; b `x &amp; y`")
    'a & b `x &amp; y`'
    """
    if "`" not in text:
        return html.unescape(text)
    parts = []
    pos = 0
    for match in _CODE.finditer(text):
        parts.append(html.unescape(text[pos : match.start()]))
        parts.append(match.group())
        pos = match.end()
    parts.append(html.unescape(text[pos:]))
    return "".join(parts)


def _count(counts: Counter[str] | None, key: str) -> None:
    if counts is not None:
        counts[key] += 1


class Normalise(Stage):
    """The ``normalise`` stage: :func:`normalise_text` on every field; empty records are rejected."""

    name = "normalise"
    cheap = True

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        changed = False
        if record.messages is not None:
            turns = []
            for turn in record.messages:
                content = normalise_text(turn["content"], counts)
                changed = changed or content != turn["content"]
                turns.append({**turn, "content": content})  # tool-call keys ride along
            record.messages = turns
        elif record.output is not None:
            new_input = normalise_text(record.input or "", counts)
            new_output = normalise_text(record.output, counts)
            changed = new_input != record.input or new_output != record.output
            record.input, record.output = new_input, new_output
        else:
            text = normalise_text(record.text or "", counts)
            changed = text != record.text
            record.text = text
        if changed:
            counts["records_changed"] += 1
        empty = _empty_reason(record)
        return Drop(empty) if empty else None


def _empty_reason(record: Record) -> str | None:
    if record.messages is not None:
        if all(not t["content"] for t in record.messages):
            return "empty"
        if any(t["role"] == "assistant" for t in record.messages) and not any(
            t["content"] or t.get("tool_calls") for t in record.messages if t["role"] == "assistant"
        ):
            return "empty_output"
        return None
    if record.output is not None:
        return "empty_output" if not record.output else None
    return "empty" if not record.text else None
