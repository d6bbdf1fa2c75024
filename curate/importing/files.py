"""One file to import (:class:`InputFile`) and what reading it saw.

:class:`ReadMeter` keeps the raw size and SHA-256 for the manifest, and what the text
decoding replaced.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from curate.errors import SourceError
from curate.importing.compression import COMPRESSIONS, DECOMPRESSION_ERRORS, RAW_CHUNK, decompress
from curate.importing.problem import Problem
from curate.records import Source

if TYPE_CHECKING:
    from curate.importing.decoding import _Decoded


SNIFF_BYTES = 64 * 1024


class ReadMeter:
    """What reading one :class:`InputFile` saw: the raw bytes (size, SHA-256) and the text decoding.

    Every stream :meth:`InputFile.open` returns hashes the raw bytes it reads from disk
    (compressed bytes for a compressed file) and reports to the file's meter when it is
    closed; :func:`open_text` streams report how many bytes their decoding replaced. An
    importer may open a file several times (a sniff of its head, then the whole): the
    meter keeps the stream that read the most. The engine calls :meth:`reset` before an
    importer reads the file and :meth:`finish` after, for the manifest's ``size`` and
    ``sha256``; :func:`curate.sources.read_file` adds :meth:`problems` to what the
    importer yields.
    """

    __slots__ = ("_decoded", "_raw", "bytes_read")

    def __init__(self) -> None:
        self._raw: _RawRead | None = None
        self._decoded: _Decoded | None = None
        #: Raw bytes read so far by the stream that read the most (for progress bars).
        self.bytes_read = 0

    def __reduce__(self) -> tuple[type[ReadMeter], tuple[()]]:
        return ReadMeter, ()  # a copy sent to another process starts afresh

    def reset(self) -> None:
        """Forget earlier reads (before the importer reads the file for the build)."""
        self._raw = None
        self._decoded = None
        self.bytes_read = 0

    def _raw_closed(self, read: _RawRead) -> None:
        if self._raw is None or read.size >= self._raw.size:
            self._raw = read

    def _decoding_closed(self, decoded: _Decoded) -> None:
        if self._decoded is None or decoded.seen >= self._decoded.seen:
            self._decoded = decoded

    def finish(self, path: Path) -> tuple[int, str]:
        """``(size, sha256 hex digest)`` of the raw bytes read from the file at ``path``.

        The bytes of the longest read; when the importer stopped before the end of the
        file (a damaged archive, a file over a size limit), the rest of the same file
        (same device and inode) is hashed too, so that the digest is the file's. When the
        importer never read through :meth:`InputFile.open` (a plugin reading the path
        itself), the file is hashed now. A file that cannot be read gives ``(0, digest
        of nothing)``.
        """
        read = self._raw
        if read is None:
            read = _RawRead(0, hashlib.sha256(), None)
        h = read.digest.copy()
        size = read.size
        try:
            with open(path, "rb", buffering=0) as fh:
                st = os.fstat(fh.fileno())
                if read.identity is not None and read.identity != (st.st_dev, st.st_ino):
                    return size, h.hexdigest()  # replaced since: what was read is what counts
                if size < st.st_size and (read.identity is not None or size == 0):
                    fh.seek(size)
                    while chunk := fh.read(1 << 20):
                        h.update(chunk)
                        size += len(chunk)
        except OSError:
            pass
        return size, h.hexdigest()

    def problems(self) -> list[Problem]:
        """A warning when the text decoding replaced bytes: how many, and where the first was."""
        decoded = self._decoded
        if decoded is None or not decoded.bad:
            return []
        return [decoded.problem()]


@dataclass(frozen=True, slots=True)
class _RawRead:
    """What one raw stream read: ``size`` bytes hashing to ``digest``, from the file ``identity`` (dev, ino)."""

    size: int
    digest: Any  # a hashlib object
    identity: tuple[int, int] | None


class _HashingReader(io.RawIOBase):
    """The raw bytes of a file on disk, hashed as they are read; tells the meter on close."""

    def __init__(self, fh: io.FileIO, meter: ReadMeter) -> None:
        super().__init__()
        self._fh = fh
        self._meter = meter
        self._hash = hashlib.sha256()
        self._size = 0
        st = os.fstat(fh.fileno())
        self._identity = (st.st_dev, st.st_ino)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        got = self._fh.readinto(buffer) or 0
        if got:
            self._hash.update(memoryview(buffer)[:got])
            self._size += got
            if self._size > self._meter.bytes_read:
                self._meter.bytes_read = self._size
        return got

    def close(self) -> None:
        if not self.closed:
            try:
                self._fh.close()
            finally:
                self._meter._raw_closed(_RawRead(self._size, self._hash, self._identity))
        super().close()


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to import: its ``path`` on disk and the ``display`` name used in records.

    ``meter`` records what reading it saw (:class:`ReadMeter`); it takes no part in
    comparisons.
    """

    path: Path
    display: str
    meter: ReadMeter = field(default_factory=ReadMeter, compare=False, repr=False)

    @property
    def compression(self) -> str | None:
        """``gzip``, ``bz2``, ``xz``, ``zstd`` or ``None``, from the file name."""
        return COMPRESSIONS.get(self.path.suffix.lower())

    @property
    def inner_name(self) -> str:
        """The file name without its compression suffix (``a.csv.gz`` -> ``a.csv``)."""
        name = self.path.name
        return name[: -len(self.path.suffix)] if self.compression else name

    @property
    def suffix(self) -> str:
        """The format suffix, lower case, compression removed (``.csv`` for ``a.CSV.gz``)."""
        return Path(self.inner_name).suffix.lower()

    def open(self) -> IO[bytes]:
        """Open for reading bytes, decompressing transparently, in bounded memory.

        The raw bytes read are hashed for the manifest (see :class:`ReadMeter`). A file
        that vanished or cannot be read raises :class:`SourceError` saying which; content
        that does not decompress raises :class:`CompressedDataError` on the first read.
        """
        try:
            fh = open(self.path, "rb", buffering=0)
        except FileNotFoundError:
            raise self.error(None, "no longer exists (deleted or moved while the build ran)") from None
        except PermissionError:
            raise self.error(None, "permission denied", hint="make the file readable, or leave it out") from None
        except IsADirectoryError:
            raise self.error(None, "is a folder, not a file") from None
        raw: IO[bytes] = io.BufferedReader(_HashingReader(fh, self.meter), buffer_size=RAW_CHUNK)  # type: ignore[arg-type]
        kind = self.compression
        if kind is None:
            return raw
        return decompress(raw, kind, self.path.suffix)

    def open_range(self, start: int, end: int) -> IO[bytes]:
        """Open bytes ``start`` to ``end`` (excluded) of an uncompressed file, buffered.

        Reading stops at ``end`` as at the end of a file. A compressed file has no byte
        offsets to start from: :class:`ValueError`.
        """
        if self.compression:
            raise ValueError(f"{self.display}: a {self.compression} file cannot be read from a byte offset")
        if not 0 <= start <= end:
            raise ValueError(f"bad byte range {start}-{end}")
        raw = open(self.path, "rb", buffering=0)  # closed with the range
        try:
            raw.seek(start)
        except BaseException:
            raw.close()
            raise
        return io.BufferedReader(_ByteRange(raw, end - start), buffer_size=1 << 16)

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        """The first ``size`` bytes after decompression (for sniffing).

        A compressed file damaged part way gives what could be decompressed before the
        damage; one that gives nothing at all raises (:class:`CompressedDataError`), so
        that it is never taken for an empty file.
        """
        with self.open() as fh:
            data = bytearray()
            try:
                while len(data) < size:
                    chunk = fh.read(size - len(data))
                    if not chunk:
                        break
                    data += chunk
            except DECOMPRESSION_ERRORS:
                if not data:
                    raise
            return bytes(data)

    def source(self, plugin: str, locator: str) -> Source:
        """The :class:`Source` of a record read from this file."""
        return Source(plugin, self.display, locator)

    def error(self, locator: str | None, message: str, *, hint: str | None = None) -> SourceError:
        """A :class:`SourceError` naming this file."""
        return SourceError(self.display, locator, message, hint=hint)


class _ByteRange(io.RawIOBase):
    """The next ``size`` bytes of an unbuffered binary file, as a raw stream of their own."""

    def __init__(self, raw: io.FileIO, size: int) -> None:
        super().__init__()
        self._raw = raw
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer).cast("B")
        got = self._raw.readinto(view[: min(len(view), self._left)]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        self._raw.close()
        super().close()
