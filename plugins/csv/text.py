"""Decoded text in blocks of whole lines, repaired as it is read, handed to the csv reader line by line.

The blocks that still hold lines of the row being parsed are kept so that a bad row's text
can be given back as it was read (:meth:`Text.raw`); what was repaired (NUL bytes, bytes that
were not UTF-8) and a read error are reported once per file by :meth:`Text.summary`.
"""

from __future__ import annotations

import io
import itertools
import lzma
import re
from collections.abc import Callable, Iterator, Sequence

from curate.plugin_api import Problem

from . import limits

_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes that were not UTF-8, after surrogateescape
_SHOWN = 5  # line numbers listed in a per-file message


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a (possibly compressed) file may raise once open: damaged or cut archives."""
    errors: list[type[BaseException]] = [OSError, EOFError, lzma.LZMAError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover - zstandard is a core dependency
        pass
    return tuple(errors)


#: What reading an open (possibly compressed) file may raise.
STREAM_ERRORS = _stream_errors()
READ_ERRORS: tuple[type[BaseException], ...] = (*STREAM_ERRORS, UnicodeError)  # and codecs that cannot cope


class Block:
    """Decoded text of whole lines ``first``..``last`` (1-based)."""

    __slots__ = ("_offsets", "first", "last", "text")

    def __init__(self, first: int, last: int, text: str) -> None:
        self.first, self.last, self.text = first, last, text
        self._offsets: list[int] | None = None

    def lines(self, start: int, end: int) -> str:
        """The text of lines ``start``..``end``, clipped to this block."""
        if self._offsets is None:
            self._offsets = [0, *(m.end() for m in re.finditer("\n", self.text))]
        offsets = self._offsets
        lo = offsets[max(start, self.first) - self.first]
        hi = min(end, self.last) - self.first + 1
        return self.text[lo : offsets[hi] if hi < len(offsets) else len(self.text)]


class Text:
    """A decoded stream as lines for the csv reader, through C iterators only.

    Blocks are repaired as they are read (BOM, NUL bytes, stray non-UTF-8 bytes) and kept
    while they hold lines of the row being parsed, so that :meth:`raw` can give a bad row's
    text. The reader counts the lines it takes (``line_num``); ``done`` is set by the
    caller to the last line of the last row it took, and ``exhausted`` turns true when the
    reader asks for a line after the last: past a row, that is the end of the file; inside
    one, a quote left open.
    """

    def __init__(self, stream: io.TextIOBase, *, recode: bool) -> None:
        self._stream = stream
        self._recode = recode
        self._next_line = 1
        self.blocks: list[Block] = []
        self.done = 0
        self.exhausted = False
        self.error: BaseException | None = None  # what stopped the reading, if the file is damaged
        self.lost = ""  # the partial line read before the error
        self.nul_lines: list[int] = []
        self.nul_bytes = 0
        self.recoded_lines: list[int] = []

    def lines(self) -> Iterator[str]:
        """The file's lines, each ending in ``\\n`` but maybe the last, for the csv reader."""
        return itertools.chain.from_iterable(map(io.StringIO, self._blocks()))

    def _blocks(self) -> Iterator[str]:
        parts: list[str] = []
        try:
            while chunk := self._stream.read(limits.BLOCK_CHARS):
                parts.append(chunk)
                if "\n" not in chunk:
                    continue
                joined = "".join(parts)
                cut = joined.rfind("\n") + 1
                parts = [joined[cut:]] if cut < len(joined) else []
                yield self._add(joined[:cut])
        except READ_ERRORS as exc:  # a damaged archive, a failing codec: keep what came before
            self.error = exc
            self.lost = "".join(parts)
            parts = []
        rest = "".join(parts)
        if rest:
            yield self._add(rest)
        self.exhausted = True

    def _add(self, text: str) -> str:
        first = self._next_line
        if first == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a BOM the decoder kept (encoding="utf-8" given for a UTF-8-BOM file)
        if "\0" in text:
            self.nul_lines += _lines_with(text, first, lambda line: "\0" in line)
            self.nul_bytes += text.count("\0")
            text = text.replace("\0", "")
        if self._recode and not text.isascii() and _ESCAPED.search(text):
            self.recoded_lines += _lines_with(text, first, _ESCAPED.search)
            text = _ESCAPED.sub(_cp1252, text)
        newlines = text.count("\n")
        self._next_line = first + newlines
        last = first + newlines - (1 if text.endswith("\n") else 0)
        self.blocks = [b for b in self.blocks if b.last > self.done]
        self.blocks.append(Block(first, last, text))
        return text

    def raw(self, start: int, end: int) -> str:
        """The text of lines ``start``..``end`` (those of the last row taken, or the one after it)."""
        return "".join(b.lines(start, end) for b in self.blocks if b.first <= end and b.last >= start)

    def summary(self) -> Iterator[Problem]:
        """A Problem for a read error, and one per kind of repair, after the last row."""
        if self.error is not None:
            last = self._next_line - 1
            yield Problem(
                f"line {last + 1}",
                f"cannot read the file after line {last} ({self.error}): the rest is lost; "
                "check that the file is complete",
                raw=self.lost or None,
            )
        if self.nul_lines:
            yield Problem(
                f"line {self.nul_lines[0]}",
                f"stripped {self.nul_bytes} NUL byte(s) on {lines_list(self.nul_lines)}; the rows were imported "
                "without them (if the file is UTF-16 without a BOM, pass encoding='utf-16-le')",
                warning=True,
            )
        if self.recoded_lines:
            yield Problem(
                f"line {self.recoded_lines[0]}",
                f"bytes that are not UTF-8 on {lines_list(self.recoded_lines)} were decoded as cp1252; "
                "check the accents, or pass encoding=... if the whole file uses another encoding",
                warning=True,
            )


def _lines_with(text: str, first: int, test: Callable[[str], object]) -> list[int]:
    """The numbers of the lines of ``text`` (its first being line ``first``) that pass ``test``."""
    return [first + i for i, line in enumerate(text.split("\n")) if test(line)]


def _cp1252(match: re.Match[str]) -> str:
    return match.group().encode("utf-8", "surrogateescape").decode("cp1252", "latin1_fallback")


def lines_list(numbers: Sequence[int]) -> str:
    """``line 3`` or ``lines 3, 5, 8, 13, 21 and 4 more``, for a per-file message."""
    shown = ", ".join(map(str, numbers[:_SHOWN]))
    more = f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"
