"""Cutting a large uncompressed file into :class:`Shard` objects that workers read apart, and reading them back."""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from curate.errors import SourceError
from curate.importing.compression import DECOMPRESSION_ERRORS
from curate.importing.decoding import _LINE_SAFE_ENCODINGS, _Decoded, detect_encoding, is_probably_binary
from curate.importing.files import InputFile
from curate.importing.problem import Problem
from curate.records import Record

if TYPE_CHECKING:
    from curate.importing.importer import Importer


@dataclass(frozen=True, slots=True)
class Shard:
    """A piece of an uncompressed file that a worker reads on its own (see :meth:`Importer.shards`).

    ``index``
        The shard's place in the file, from 0.
    ``start``, ``end``
        Byte offsets in the file on disk; ``end`` is excluded. Shard 0 starts at 0, each
        next one where the previous one ended, the last one ends at the file's size.
    ``first_line``
        The number (from 1) of the line that starts at ``start``, for importers whose
        locators count lines.
    ``encoding``
        The text encoding the importer chose for the whole file (from its first bytes),
        so that a shard in the middle decodes as the whole file would; ``None`` for
        binary formats.
    """

    index: int
    start: int
    end: int
    first_line: int = 1
    encoding: str | None = None


def check_shards(shards: Sequence[Shard], size: int) -> None:
    """Raise :class:`ValueError` unless ``shards`` cut a file of ``size`` bytes into consecutive pieces."""
    if not shards:
        raise ValueError("no shards")
    at = 0
    for n, shard in enumerate(shards):
        if shard.index != n:
            raise ValueError(f"shard {n} has index {shard.index}")
        if shard.start != at or shard.end <= shard.start:
            raise ValueError(f"shard {n} spans bytes {shard.start}-{shard.end}; expected a non-empty span from {at}")
        at = shard.end
    if at != size:
        raise ValueError(f"the shards end at byte {at}, the file at {size}")


#: How much :func:`line_shards` reads at a time.
SHARD_SCAN_BYTES = 8 << 20


def shardable_head(file: InputFile, target_bytes: int) -> bytes | None:
    """The first bytes of ``file`` when it is worth cutting: uncompressed, larger than ``target_bytes``, not binary.

    ``None`` otherwise, and when the file cannot be read (its ``read`` says why). The
    common first check of an importer's :meth:`Importer.shards`; the head then tells the
    layout and the encoding.
    """
    if file.compression:
        return None
    try:
        if file.path.stat().st_size <= target_bytes:
            return None
        head = file.head()
    except DECOMPRESSION_ERRORS:
        return None
    return None if is_probably_binary(head) else head


def line_shards(
    file: InputFile, target_bytes: int, encoding: str, *, separator: bytes = b"\n", universal_newlines: bool = False
) -> list[Shard] | None:
    """Cut an uncompressed text file just after separators into shards of about ``target_bytes``.

    Each cut falls right after the first ``separator`` that ends ``target_bytes`` or more
    past the start of its shard (``b"\n"``: after any line; ``b"\n\n"``: after an empty
    line), so every shard but the last is at least ``target_bytes`` long. Each shard
    knows the number of its first line, counting ``b"\n"`` bytes, and carries
    ``encoding`` (what :func:`detect_encoding` said of the file) for
    :func:`open_shard_text`. One pass over the file, reading ``SHARD_SCAN_BYTES`` at a
    time, with no decoding.

    ``universal_newlines=True`` is for readers that open the text with ``newline=None``
    (CR and CRLF read as line ends): a file holding any CR byte is then not cut, since
    its lines are not the ``b"\n"``-separated ones counted here.

    Returns ``None`` when the file is compressed, is not larger than ``target_bytes``,
    yields a single shard, or is in an encoding where a line feed byte can belong to
    another character (UTF-16, UTF-32).
    """
    if target_bytes < 1:
        raise ValueError(f"target_bytes must be at least 1, got {target_bytes}")
    if not separator.endswith(b"\n"):
        raise ValueError("the separator must end with a line feed")
    if file.compression or codecs.lookup(encoding).name not in _LINE_SAFE_ENCODINGS:
        return None
    with open(file.path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size <= target_bytes:
            return None
        spans = _cut_after(fh, target_bytes, separator, refuse=b"\r" if universal_newlines else None)
    if spans is None or len(spans) < 2:
        return None
    return [Shard(n, start, end, line, encoding) for n, (start, end, line) in enumerate(spans)]


def _cut_after(
    fh: IO[bytes], target: int, sep: bytes, refuse: bytes | None = None
) -> list[tuple[int, int, int]] | None:
    """``(start, end, first line)`` of each piece of ``fh``, cut as :func:`line_shards` says.

    ``None`` if the byte ``refuse`` occurs in the file.
    """
    spans: list[tuple[int, int, int]] = []
    start, first_line = 0, 1
    lines = 0  # line feeds before offset base + counted
    base = 0  # the file offset of buf[0]
    buf = b""
    keep = len(sep) - 1  # bytes carried over, so that a separator across two reads is found
    while True:
        data = fh.read(SHARD_SCAN_BYTES)
        if not data:
            break
        if refuse is not None and refuse in data:
            return None
        carried = buf[len(buf) - keep :] if keep else b""
        base += len(buf) - len(carried)
        buf = carried + data
        counted = len(carried)  # the carried bytes were counted with the previous read
        while True:
            # the separator must lie in the shard and end at least ``target`` past its start
            at = buf.find(sep, max(start + target - len(sep) - base, start - base, 0))
            if at < 0:
                break
            end = at + len(sep)
            lines += buf.count(b"\n", counted, end)
            counted = end
            spans.append((start, base + end, first_line))
            start, first_line = base + end, lines + 1
        lines += buf.count(b"\n", counted)
    size = base + len(buf)
    if start < size:
        spans.append((start, size, first_line))
    return spans


def open_shard_text(file: InputFile, shard: Shard, newline: str | None = None) -> IO[str]:
    """The text of ``shard``, decoded as :func:`open_text` decodes the whole file.

    The shard's ``encoding``, undecodable bytes as U+FFFD (cp1252's undefined bytes as
    latin-1); a UTF-8 byte-order mark is removed only at the start of the file, as
    decoding the whole file removes it. ``newline`` as for :func:`open_text`.
    """
    if shard.encoding is None:
        raise ValueError("the shard has no text encoding")
    encoding = codecs.lookup(shard.encoding).name
    errors = "latin1_fallback" if encoding == "cp1252" else "replace"
    if encoding == "utf-8-sig" and shard.start > 0:
        encoding = "utf-8"
    return io.TextIOWrapper(file.open_range(shard.start, shard.end), encoding=encoding, errors=errors, newline=newline)


def start_shard(file: InputFile, shard: Shard, newline: str | None = None) -> tuple[list[Problem], IO[str] | None]:
    """The problems a shard's reading starts with, and its text (:func:`open_shard_text`; ``None``: read nothing).

    Shard 0 says once what reading the whole file says of its encoding (a warning for a
    guessed cp1252); bytes that cannot be read are an error and leave nothing to read.
    """
    problems = []
    try:
        if shard.index == 0:
            warning = detect_encoding(file.head())[1]
            if warning:
                problems.append(Problem(None, warning, warning=True))
        return problems, open_shard_text(file, shard, newline=newline)
    except DECOMPRESSION_ERRORS as exc:
        locator = None if shard.index == 0 else f"line {shard.first_line}"
        problems.append(Problem(locator, f"cannot read on from here ({type(exc).__name__}: {exc})"))
        return problems, None


def read_through(file: InputFile, encoding: str | None) -> list[Problem]:
    """Read ``file`` whole once, as :func:`open_text` would decode it, for its :class:`ReadMeter` alone.

    For a file read in shards: afterwards ``file.meter.finish(file.path)`` gives the size and
    digest, and the returned list the warning about replaced bytes, that reading the file
    whole gives (``encoding``: the shards' text encoding; ``None``, a binary format, only
    hashes). Nothing is parsed; a read that fails stops the pass, which the shards report.
    """
    file.meter.reset()
    name = codecs.lookup(encoding).name if encoding is not None else None
    try:
        with file.open() as raw:
            checked = name not in (None, "cp1252")  # cp1252 maps every byte: nothing to count
            stream: IO[bytes] | _Decoded = _Decoded(raw, encoding or "", file.meter) if checked else raw
            with stream:
                while stream.read(SHARD_SCAN_BYTES):
                    pass
    except SourceError:
        pass
    except DECOMPRESSION_ERRORS:
        pass
    return file.meter.problems()


def read_in_shards(importer: Importer, file: InputFile, target_bytes: int) -> list[Record | Problem] | None:
    """Everything ``importer`` yields for ``file`` read shard by shard, or ``None`` if it does not cut it.

    For testing an importer's :meth:`~Importer.shards`: the result must equal
    ``list(importer.read(file))``. Raises :class:`ValueError` for shards that do not
    cover the file.
    """
    shards = importer.shards(file, target_bytes)
    if shards is None:
        return None
    check_shards(shards, file.path.stat().st_size)
    return [item for shard in shards for item in importer.read_shard(file, shard)]
