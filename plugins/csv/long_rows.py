"""A field over the csv module's limit: one rejected row, then reading goes on.

The csv reader drops what it had of the row with its error; :func:`skip_long_row` takes the
rest of the row from the reader's own line iterator, following the quotes as the reader
would, so that the reader goes on with the next row and memory stays bounded however long
the field runs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import limits
from .text import Text

_START, _IN_FIELD, _QUOTED, _AFTER_QUOTE = range(4)


class _RowEnd:
    """Follows the csv reader's parse of one row, to find the line it ends on.

    The same rules as ``csv.reader(delimiter=..., quotechar='"', doublequote=True,
    strict=False)`` on lines ending in ``\n``: a quote opens a quoted field only at the
    start of a field, a doubled quote inside one is a quote, anything after a closing
    quote joins the field. Fields are skipped with ``str.find`` and a regex, so a field of
    many megabytes costs a few calls. It keeps nothing but counts: which field is the
    longest, and how long.
    """

    def __init__(self, delimiter: str) -> None:
        self._plain = re.compile(f"[{re.escape(delimiter)}\n]")
        self.state = _START
        self.field = 0  # the field being read (0-based)
        self.length = 0  # its length so far
        self.longest = (0, 0)  # (length, field) of the longest field seen

    def feed(self, text: str) -> bool:
        """Read ``text`` (whole lines); True once the row has ended (at the end of ``text``)."""
        i, n = 0, len(text)
        while i < n:
            state = self.state
            if state == _QUOTED:
                j = text.find('"', i)
                if j < 0:
                    self.length += n - i
                    return False
                self.length += j - i
                i, self.state = j + 1, _AFTER_QUOTE
                continue
            if state == _AFTER_QUOTE and text[i] == '"':  # a doubled quote
                self.length += 1
                i, self.state = i + 1, _QUOTED
                continue
            if state == _START and text[i] == '"':
                i, self.state = i + 1, _QUOTED
                continue
            m = self._plain.search(text, i)
            j = m.start() if m else n
            self.length += j - i
            self.state = _IN_FIELD
            if m is None:
                break
            self._end_field()
            i = j + 1
            if text[j] == "\n":
                return True
            self.state = _START
        return False

    def _end_field(self) -> None:
        self.longest = max(self.longest, (self.length, self.field))
        self.field += 1
        self.length = 0


@dataclass
class LongRow:
    """A row the csv reader gave up on, a field being over its limit: where the row ends, what to say."""

    start: int  # its first line
    end: int  # its last line; where the file ended if ``closed`` is false
    field: int  # the longest field, 0-based
    length: int  # that field's length in characters
    closed: bool  # false when the file ends inside a quoted field
    raw: str  # the row's first ``limits.RAW_KEEP`` characters
    cut: int  # characters of the row left out of ``raw``
    read_error: bool  # reading the file failed inside the row (the summary says why)

    def message(self, what: str, columns: list[str] | None) -> str:
        """What happened to the row called ``what`` ("row 12", "the header row"), and what to do."""
        limit = csv.field_size_limit()
        size = f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit:,} characters"
        kept = f"; the rejects keep its first {limits.RAW_KEEP:,} characters" if self.cut else ""
        header = what == "the header row"
        if self.read_error:
            return (
                f"{what} has a field over {size} and reading the file stopped inside it (see the problem "
                f"after the last row); the row is not imported{kept}"
            )
        if not self.closed:
            return (
                f"{what} opens a quoted field that never closes: the file ends inside it, over {size} and "
                f"{self.end - self.start + 1:,} lines later (a truncated file, or a stray '\"'); "
                f"the row is not imported{kept}"
            )
        lines = f"line {self.start}" if self.end == self.start else f"lines {self.start}-{self.end}"
        name = f" ({columns[self.field]!r})" if columns and self.field < len(columns) else ""
        then = (
            "no row can be read without the column names"
            if header
            else "the row is not imported, reading goes on with the next row"
        )
        return (
            f"{what} ({lines}): field {self.field + 1}{name} is over {size} ({self.length:,} characters; a field "
            f"may hold {limit:,}); {then}. If the field should not be that long, look for a stray '\"' where it "
            f"starts{kept}"
        )


def skip_long_row(text: Text, lines: Iterator[str], start: int, end: int, delimiter: str) -> LongRow:
    """Read past the row starting on line ``start`` whose field the csv reader refused on line ``end``.

    The reader has taken lines ``start``..``end`` (what it had of the field is dropped with
    the error); the rest of the row is taken from ``lines``, the reader's own iterator, so
    the reader goes on with the next row. Memory holds one block and the kept start of
    the row, however long the field runs.
    """
    scan = _RowEnd(delimiter)
    head = text.raw(start, end)
    closed = scan.feed(head)
    raw, cut = head[: limits.RAW_KEEP], max(0, len(head) - limits.RAW_KEEP)
    del head
    text.done = end
    while not closed:
        line = next(lines, None)
        if line is None:
            break
        end += 1
        text.done = end  # the blocks behind can go
        closed = scan.feed(line)
        room = limits.RAW_KEEP - len(raw)
        raw, cut = raw + line[: max(0, room)], cut + max(0, len(line) - max(0, room))
    closed = closed or scan.state != _QUOTED  # the file may end a row, not a quoted field
    length, field = max(scan.longest, (scan.length, scan.field))
    return LongRow(start, end, field, length, closed, raw, cut, text.error is not None)
