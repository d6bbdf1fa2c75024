"""Which layout a JSON file has (JSON Lines, an array, objects one after another, or nothing), from its start."""

from __future__ import annotations

from curate.plugin_api import DECOMPRESSION_ERRORS, InputFile, open_text

from . import limits
from .scanner import DECODER, WS

#: Suffixes that mean JSON Lines (content still decides; they break ties).
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")


def detect_layout(file: InputFile) -> tuple[str, str | None]:
    """``("lines" | "array" | "values" | "empty", newline)`` from the first characters of ``file``.

    ``newline`` is what :func:`open_text` should use: ``"\\n"`` so that JSON Lines split only
    on LF (a raw CR inside a record stays inside it), ``None`` for CR-only files and the
    other layouts.
    """
    stream, _, _ = open_text(file, newline="")
    parts: list[str] = []
    size = 0
    with stream:
        while size < limits.SNIFF_CHARS:
            try:
                part = stream.read(min(limits.CHUNK, limits.SNIFF_CHARS - size))
            except DECOMPRESSION_ERRORS:  # damaged compression: decide from what was read, report it later
                break
            if not part:
                break
            parts.append(part)
            size += len(part)
    prefix = "".join(parts)
    at_eof = len(prefix) < limits.SNIFF_CHARS
    start = WS.match(prefix).end()  # type: ignore[union-attr] # (a * pattern always matches)
    if start == len(prefix):
        return ("empty" if at_eof else "lines"), "\n"
    cr_only = "\r" in prefix and "\n" not in prefix
    newline = None if cr_only else "\n"
    sep = "\r" if cr_only else "\n"
    end = prefix.find(sep, start)
    first = prefix[start:end] if end >= 0 else (prefix[start:] if at_eof else None)
    more = end >= 0 and bool(prefix[end:].strip())
    c = prefix[start]
    if first is not None:
        try:
            value = DECODER.decode(first)
        except (ValueError, RecursionError):
            pass
        else:
            if more or not at_eof or (isinstance(value, dict) and file.suffix in JSONL_SUFFIXES):
                return "lines", newline
            return ("array" if isinstance(value, list) else "values"), None
    if c not in "[{":
        return "lines", newline
    # An array or object not closed on its first line: pretty-printed JSON, or JSON Lines whose
    # first line is broken. Most lines of JSON Lines are objects of their own; few of JSON's are.
    lines = [ln for ln in prefix[end + 1 :].split(sep)[:-1] if ln.strip()][:20] if end >= 0 else []
    good = 0
    for ln in lines:
        if ln.startswith("{"):
            try:
                good += isinstance(DECODER.decode(ln), dict)
            except (ValueError, RecursionError):
                pass
    if lines and good * 2 > len(lines):
        return "lines", newline
    if file.suffix in JSONL_SUFFIXES and (c == "{" or good):
        return "lines", newline
    return ("array", None) if c == "[" else ("values", None)
