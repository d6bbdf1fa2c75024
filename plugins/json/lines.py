"""JSON Lines: one record per line, a problem for each line that gives none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from curate.plugin_api import DECOMPRESSION_ERRORS, InputFile, Problem, Record, loads

from . import limits
from .problems import json_error, read_failure
from .records import RecordMaker


def read_lines(
    records: RecordMaker, file: InputFile, stream: IO[str], first_line: int = 1
) -> Iterator[Record | Problem]:
    """The records of a JSON Lines stream, lines numbered from ``first_line``, and a problem per bad line."""
    readline = stream.readline
    n = first_line - 1
    while True:
        try:
            line = readline(limits.MAX_VALUE_CHARS)
        except DECOMPRESSION_ERRORS as exc:
            yield read_failure(f"line {n + 1}", exc, n)
            return
        if not line:
            return
        n += 1
        locator = f"line {n}"
        if len(line) == limits.MAX_VALUE_CHARS and not line.endswith("\n"):
            try:
                while True:  # skip the rest of the line
                    rest = readline(limits.MAX_VALUE_CHARS)
                    if not rest or rest.endswith("\n"):
                        break
            except DECOMPRESSION_ERRORS as exc:
                yield read_failure(locator, exc, n - 1)
                return
            yield Problem(
                locator,
                f"line longer than {limits.MAX_VALUE_CHARS} characters, skipped (only its start is kept here); "
                "is this really JSON Lines? split the record or pass a smaller file",
                raw=line[: limits.RAW_LIMIT],
            )
            continue
        try:
            obj = loads(line, strict=False)  # json.loads' values and errors, faster with msgspec
        except (ValueError, RecursionError) as exc:
            if not line.strip():
                continue  # blank line
            if line.startswith("\ufeff"):  # a BOM left by concatenating files
                try:
                    obj = loads(line.lstrip("\ufeff"), strict=False)
                except (ValueError, RecursionError):
                    pass
                else:
                    yield records.emit(file, locator, obj, line, "line")
                    continue
            truncated = not line.endswith("\n")
            yield Problem(locator, json_error(exc, truncated=truncated), raw=line.rstrip("\r\n"))
            continue
        yield records.emit(file, locator, obj, line, "line")
