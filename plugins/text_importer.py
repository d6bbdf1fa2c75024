"""Plain text and Markdown: one record per file, per blank-line paragraph, or per chunk.

``split="paragraph"`` and ``split="length"`` stream the file, a line or a block at a time;
``split="file"`` reads it whole (it is one record). Memory stays bounded whatever the file's
size: a file (``split="file"``) or a paragraph longer than ``max_record_chars`` is not
imported but reported as a problem (read past without holding it), with the hint to split it.
Locators: ``file``; ``line N`` (the paragraph's first line); ``chunk N``.

With ``split="paragraph"``, a large uncompressed file in UTF-8 or cp1252 with LF line ends can be
cut after empty lines into shards read in parallel (:meth:`TextImporter.shards`, used by the Ray
engine). The other modes are never cut: a file is one record, and a chunk's end depends on
everything before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Literal

from curate.plugin_api import (
    DECOMPRESSION_ERRORS,
    CompressedDataError,
    Importer,
    InputFile,
    Problem,
    Record,
    Shard,
    detect_encoding,
    hookimpl,
    is_probably_binary,
    line_shards,
    open_text,
    shardable_head,
    start_shard,
)

_CHUNK = 1 << 16
#: Characters read at a time from a line (a line may be longer than memory allows).
_LINE_CHUNK = 1 << 20
#: The last whitespace character in a string (a cut there does not split a word).
_LAST_SPACE = re.compile(r"\s\S*\Z")
_SPACES = re.compile(r"\s*")


@dataclass(frozen=True)
class TextOptions:
    split: Literal["file", "paragraph", "length"] = field(
        default="file", metadata={"help": "one record per file, per blank-line paragraph, or per max_chars chunk"}
    )
    max_chars: int = field(
        default=4000, metadata={"help": "chunk size for split='length' (cut at paragraph, line or word ends)"}
    )
    min_chars: int = field(default=1, metadata={"help": "skip pieces shorter than this (reported as problems)"})
    max_record_chars: int = field(
        default=32 << 20,
        metadata={
            "help": "a file (split='file') or paragraph longer than this is not imported but reported; "
            "memory use grows with it"
        },
    )

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {self.max_chars}")
        if self.max_record_chars < 1:
            raise ValueError(f"max_record_chars must be at least 1, got {self.max_record_chars}")
        if self.min_chars < 0:
            raise ValueError(f"min_chars must be 0 or more, got {self.min_chars}")


class TextImporter(Importer[TextOptions]):
    name = "text"
    suffixes = (".txt", ".md", ".markdown", ".rst")
    Options = TextOptions
    description = "Plain text and Markdown files: one record per file, paragraph or chunk."

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except DECOMPRESSION_ERRORS as exc:
            if isinstance(exc, CompressedDataError):
                yield Problem(None, str(exc))
            else:
                yield Problem(None, f"cannot read the file ({type(exc).__name__}: {exc}): it is truncated or damaged")
            return
        if is_probably_binary(head):
            yield Problem(
                None,
                "binary content, not text; if it is compressed, name it .gz, .bz2, .xz or .zst; "
                "if it is text in an unusual encoding, convert it to UTF-8",
            )
            return
        stream, _, warning = open_text(file)
        if warning:
            yield Problem(None, warning, warning=True)
        with stream:
            limit = self.options.max_record_chars
            if self.options.split == "file":
                pieces: Iterator[tuple[str, str] | _TooLong] = _whole(stream, limit)
            elif self.options.split == "paragraph":
                pieces = _paragraphs(stream, max_chars=limit)
            else:
                pieces = _chunks(stream, self.options.max_chars)
            yield from self._records(file, pieces)

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """``split="paragraph"`` only: cut after empty lines (:func:`~curate.importing.line_shards`).

        ``None`` (read whole) for the other modes, compressed files, files not larger than
        ``target_bytes``, binary content, files holding a CR (read with universal
        newlines), and encodings other than UTF-8 and cp1252 (with or without BOM).
        """
        head = shardable_head(file, target_bytes) if self.options.split == "paragraph" else None
        if head is None:
            return None
        try:
            encoding = detect_encoding(head)[0]
            return line_shards(file, target_bytes, encoding, separator=b"\n\n", universal_newlines=True)
        except DECOMPRESSION_ERRORS:
            return None  # read() says what is wrong with the file

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """The paragraphs of one shard that :meth:`shards` made, lines numbered from its ``first_line``."""
        problems, stream = start_shard(file, shard)
        yield from problems
        if stream is None:
            return
        with stream:
            pieces = _paragraphs(stream, first_line=shard.first_line, max_chars=self.options.max_record_chars)
            yield from self._records(file, pieces)

    def _records(self, file: InputFile, pieces: Iterator[tuple[str, str] | _TooLong]) -> Iterator[Record | Problem]:
        """A record for each piece long enough, a problem for each other non-blank one."""
        n = 0
        try:
            for piece in pieces:
                n += 1
                if isinstance(piece, _TooLong):
                    yield Problem(piece.locator, piece.message(self.options.max_record_chars))
                    continue
                text, locator = piece
                stripped = text.strip()
                if len(stripped) < self.options.min_chars:
                    if stripped:
                        yield Problem(locator, f"shorter than min_chars={self.options.min_chars}", raw=text)
                    continue
                yield Record.create(file.source(self.name, locator), text=stripped)
        except DECOMPRESSION_ERRORS as exc:
            yield Problem(
                None,
                f"cannot read on after piece {n} ({type(exc).__name__}: {exc}): the file is truncated "
                "or its compression is damaged; the pieces before were read",
            )


@dataclass(frozen=True, slots=True)
class _TooLong:
    """A piece over ``max_record_chars``, read past without being held: ``chars`` long (at least)."""

    locator: str
    chars: int
    whole: bool = False  # the whole file (split="file"), read only up to the limit

    def message(self, limit: int) -> str:
        what = (
            f"the file is over max_record_chars={limit}"
            if self.whole
            else (f"the paragraph is {self.chars} characters, over max_record_chars={limit}")
        )
        other = "split='paragraph' or 'length'" if self.whole else "split='length'"
        return (
            f"{what}: not imported (one record that long would not fit the memory a build may use); "
            f"use {other}, or raise max_record_chars"
        )


def _whole(stream: IO[str], max_chars: int) -> Iterator[tuple[str, str] | _TooLong]:
    text = stream.read(max_chars + 1)
    if len(text) > max_chars:
        yield _TooLong("file", len(text), whole=True)
        return
    yield text.lstrip("\ufeff"), "file"  # a UTF-16 byte-order mark survives decoding


def _paragraphs(
    stream: IO[str], first_line: int = 1, max_chars: int = 32 << 20
) -> Iterator[tuple[str, str] | _TooLong]:
    """Blank-line separated paragraphs, each with the number of its first line (the stream's is ``first_line``).

    Lines are read a block at a time, so a huge line never sits in memory whole; a
    paragraph over ``max_chars`` is read past and comes out as a :class:`_TooLong`.
    """
    lines: list[str] = []  # the paragraph so far
    size = 0  # its characters
    too_long = False
    first = 0
    n = first_line - 1
    partial = False  # the last block read ended inside a line
    blank: list[str] = []  # the blocks of the current line while it is only whitespace (up to max_chars)
    blank_size = 0
    line_blank = True
    while block := stream.readline(_LINE_CHUNK):
        if not partial:  # a new line starts
            n += 1
            if n == 1:
                block = block.lstrip("\ufeff")
            blank, blank_size, line_blank = [], 0, True
        partial = not block.endswith("\n")
        parts = [block]
        if line_blank:
            if not block.strip():
                if partial:  # a blank line so far: it may still hold text further on
                    blank_size += len(block)
                    if blank_size <= max_chars:
                        blank.append(block)
                    continue
                if too_long:  # a blank line ends the paragraph
                    yield _TooLong(f"line {first}", size)
                elif lines:
                    yield "".join(lines), f"line {first}"
                lines, size, too_long = [], 0, False
                continue
            line_blank = False
            if not lines and not too_long:
                first = n
            size += blank_size
            parts = [*blank, block]
        size += len(block)
        if too_long:
            continue
        if size > max_chars:
            lines, too_long = [], True
            continue
        lines.extend(parts)
    if too_long:
        yield _TooLong(f"line {first}", size)
    elif lines:
        yield "".join(lines), f"line {first}"


def _chunks(stream: IO[str], max_chars: int) -> Iterator[tuple[str, str]]:
    """Pieces of at most ``max_chars`` characters, cut at the last paragraph break, else line
    break, else whitespace before the limit; mid-word only when a piece has no whitespace."""
    buf = ""
    pos = 0
    eof = False
    fresh = True
    n = 0
    while True:
        if not eof and len(buf) - pos <= max_chars:  # need one character past the window
            if pos:
                buf, pos = buf[pos:], 0
            data = stream.read(max(_CHUNK, max_chars + 1))
            eof = not data
            if fresh:  # a UTF-16 byte-order mark survives decoding
                data, fresh = data.lstrip("\ufeff"), not data
            buf += data
            continue
        start = _SPACES.match(buf, pos).end()  # type: ignore[union-attr] # (a * pattern always matches)
        if start == len(buf):
            pos = start
            if eof:
                return
            continue
        if start != pos:
            pos = start
            continue  # top the window up again after the skipped whitespace
        window = buf[pos : pos + max_chars + 1]
        if len(window) <= max_chars:
            cut = len(window)
        else:
            cut = window.rfind("\n\n")
            if cut <= 0:
                cut = window.rfind("\n")
            if cut <= 0:
                match = _LAST_SPACE.search(window)
                cut = match.start() if match else 0
            if cut <= 0:
                cut = max_chars
        n += 1
        yield window[:cut], f"chunk {n}"
        pos += cut


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(TextImporter)
