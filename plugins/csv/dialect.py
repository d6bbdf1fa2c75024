"""How a CSV file is written: its encoding, whether it is text at all, and its delimiter."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter

from curate.plugin_api import SNIFF_BYTES, detect_encoding, is_probably_binary

DELIMITERS = (",", "\t", ";", "|")
TAB_SUFFIXES = (".tsv", ".tab")


def choose_encoding(option: str | None, head: bytes) -> tuple[str, str, str | None]:
    """``(encoding, errors, warning)`` for the file starting with ``head``, ``option`` being the user's encoding.

    UTF-8 keeps bad bytes (surrogateescape) so that they can be recoded as cp1252 line by line.
    """
    if option:
        encoding, warning = codecs.lookup(option).name, None
        if encoding in ("utf-8", "utf-16", "utf-32"):  # the BOM says which, and Python's utf-16 needs one
            guess, _ = detect_encoding(head)
            if guess.startswith(encoding) and guess != "utf-8":
                encoding = guess
            elif encoding != "utf-8":
                encoding += "-le"
    else:
        encoding, warning = detect_encoding(head)
    if encoding in ("utf-8", "utf-8-sig"):
        return encoding, "surrogateescape", warning
    if encoding == "cp1252":
        return encoding, "latin1_fallback", warning  # cp1252 leaves five bytes undefined
    return encoding, "replace", warning


def choose_delimiter(head: bytes, encoding: str, *, option: str | None, suffix: str, comment: str | None) -> str:
    """The delimiter: ``option`` if given, a tab for ``.tsv``/``.tab``, else sniffed from ``head``."""
    if option is not None:
        return unescape_delimiter(option)
    if suffix in TAB_SUFFIXES:
        return "\t"
    try:
        sample = head.decode(encoding, errors="replace")
    except UnicodeError:  # a codec that fails whatever the error handler (idna and the like)
        return ","
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    if len(head) >= SNIFF_BYTES and cut > 0:  # drop the last line: the sample may end inside it
        sample = sample[: cut + 1]
    return sniff_delimiter(sample, comment)


def is_binary(head: bytes) -> bool:
    """Binary even once NUL bytes are stripped (a few NULs in a small text file get repaired)."""
    if not is_probably_binary(head):
        return False
    return head.count(0) > len(head) // 10 or is_probably_binary(head.replace(b"\0", b""))


def sniff_delimiter(sample: str, comment: str | None = "#") -> str:
    """The delimiter among comma, tab, semicolon and pipe that splits ``sample`` most consistently.

    Each candidate parses the sample with the real csv reader (so quoted fields and their
    line breaks count right); the winner gives its most common number of fields (two or
    more) on the largest share of rows, earlier candidates winning ties; comma if none
    splits. (``csv.Sniffer`` guesses from regular expressions, is fooled by quoted line
    breaks and can take quadratic time on a 64 KiB sample, so it is not used.)

    >>> sniff_delimiter('id;note\\n1;"a, b"\\n2;c\\n')
    ';'
    """
    text = sample.replace("\0", "")
    if comment is not None:
        text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(comment))
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(text, newline=None), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        score = (hits / len(counts), hits)
        if width >= 2 and score > best_score:
            best, best_score = delimiter, score
    return best


def unescape_delimiter(value: str) -> str:
    """The delimiter an option names: ``\\t`` and ``tab`` for a tab, else the option itself."""
    return {"\\t": "\t", "tab": "\t"}.get(value.lower(), value)
