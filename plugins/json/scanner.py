"""A window over a text stream from which JSON values are parsed one at a time, in bounded memory."""

from __future__ import annotations

import json
import re
from typing import IO, Any

from . import limits

WS = re.compile("[ \t\n\r\ufeff]*")  # JSON whitespace, and byte-order marks (UTF-16 keeps its BOM)
#: Lenient on raw control characters (tabs) inside strings, as many writers produce them.
DECODER = json.JSONDecoder(strict=False)


class TooLarge(Exception):
    """A line, item or document beyond ``limits.MAX_VALUE_CHARS``."""


class Scanner:
    """A window over a text stream from which JSON values are parsed one at a time.

    ``buf[pos:]`` is the unread text. The window grows only while one value is being read
    (doubling, so a value costs linear time), and :meth:`compact` drops what was read.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 0  # line ends in the text dropped from the window

    def fill(self, at_least: int = 0) -> bool:
        """Read ``at_least`` more characters (at least ``limits.CHUNK``) into the window; False at the end."""
        if self.eof:
            return False
        chunk = self.stream.read(max(at_least, limits.CHUNK))
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def compact(self) -> None:
        """Drop the text already read from the window, once it is a chunk long."""
        if self.pos >= limits.CHUNK:
            self.lines_before += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0

    def peek(self) -> str:
        """The next non-whitespace character (moving past whitespace), or ``""`` at the end."""
        while True:
            self.pos = WS.match(self.buf, self.pos).end()  # type: ignore[union-attr] # (always matches)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def value(self) -> Any:
        """Parse the value at ``pos``, reading more while it may be incomplete."""
        start = self.pos
        while True:
            try:
                obj, end = DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                # An error at the window's end, or an open string, may just mean "read more".
                if not self.eof and (exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 32):
                    self._grow(start)
                    continue
                raise
            if end >= len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)):
                self._grow(start)  # a number or literal may go on in the next chunk
                continue
            if end - start > limits.MAX_VALUE_CHARS:
                raise TooLarge
            self.pos = end
            return obj

    def _grow(self, start: int) -> None:
        if len(self.buf) - start > limits.MAX_VALUE_CHARS:
            raise TooLarge
        self.fill(len(self.buf) - start)

    def line(self, pos: int) -> int:
        """The line number of a position in the window."""
        return self.lines_before + self.buf.count("\n", 0, pos) + 1

    def where(self, pos: int) -> str:
        """``line L, column C`` of a position in the window."""
        pos = min(pos, len(self.buf))
        return f"line {self.line(pos)}, column {pos - self.buf.rfind(chr(10), 0, pos)}"
