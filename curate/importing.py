"""What an importer (a source plugin) is, and how files find their importer.

An importer subclasses :class:`Importer`, declares its ``name``, the file ``suffixes`` it
claims, an optional content sniffer and an ``Options`` dataclass, and implements
:meth:`Importer.read`, a generator that streams :class:`~curate.records.Record` objects
(and :class:`Problem` objects for input it cannot read) from one :class:`InputFile`.
Importers know file formats and nothing else.

Reading is defensive: :meth:`InputFile.open` streams compressed files in bounded memory and
raises :class:`CompressedDataError` for content that is not what the name says;
:func:`open_text` decodes block by block and counts replaced bytes; :func:`walk` never opens
a FIFO, follows each folder once (link loops end) and skips curate output folders
(:class:`Skipped`).

An importer may also cut a large file into :class:`Shard` objects that workers read in
parallel (:meth:`Importer.shards` and :meth:`Importer.read_shard`, optional);
:func:`line_shards` and :func:`open_shard_text` do the work for line-based text formats.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import hashlib
import io
import json
import lzma
import os
import stat
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Generic, TypeVar

from curate.errors import MissingDependency, SourceError
from curate.options import NoOptions, parse_options
from curate.records import Record, Source

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}


def _decompression_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [EOFError, zlib.error, lzma.LZMAError, OSError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


#: What reading a truncated or corrupt compressed file raises.
DECOMPRESSION_ERRORS = _decompression_errors()
SNIFF_BYTES = 64 * 1024
#: The largest window a zstd frame may ask for (``zstd --long=31`` asks for 2 GiB). The
#: decoder allocates up to this much memory for such a frame; a larger one is a problem.
ZSTD_MAX_WINDOW = 1 << 31
#: Raw bytes read from disk at a time.
RAW_CHUNK = 1 << 17


class CompressedDataError(OSError):
    """A compressed file whose content is not what its name says, or cannot be decoded at all.

    An :class:`OSError`, so that every importer's handling of damaged files applies; the
    message says what is wrong and what to do.
    """


OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class Problem:
    """Input an importer could not turn into a record, and where it was.

    ``raw`` holds the offending content when there is some (a malformed row, a bad
    line): the build then writes it to ``rejects.jsonl`` so that nothing is lost.
    ``warning`` marks something worth saying that lost nothing (a guessed encoding):
    it is listed under ``warnings`` in the manifest and does not fail a strict build.
    """

    locator: str | None
    message: str
    raw: str | None = None
    warning: bool = False


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


class _Decompressed(io.RawIOBase):
    """A decompressing stream over a raw file, closing both; errors say what is wrong with the file.

    Nothing decompressed before the first error: the content is not what the name says (or
    is damaged from the start), a :class:`CompressedDataError`. A zstd frame over
    :data:`ZSTD_MAX_WINDOW`: a :class:`CompressedDataError` naming the limit. Later errors
    pass as they are (the importers report a file damaged part way).
    """

    def __init__(self, inner: Any, raw: IO[bytes], kind: str, suffix: str) -> None:
        super().__init__()
        self._inner = inner
        self._raw = raw
        self._kind = kind
        self._suffix = suffix
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            # read1: what the decompressor has is returned before it meets damage further on
            data = self._inner.read1(len(view))
        except DECOMPRESSION_ERRORS as exc:
            raise self._explain(exc) from exc
        self._started = True
        view[: len(data)] = data
        return len(data)

    def _explain(self, exc: BaseException) -> BaseException:
        detail = str(exc) or type(exc).__name__
        if self._kind == "zstd" and "too much memory" in detail:
            limit = ZSTD_MAX_WINDOW >> 20
            return CompressedDataError(
                f"a zstd frame needs a window larger than the {limit} MiB limit (made with zstd --long=N for N "
                f"over {ZSTD_MAX_WINDOW.bit_length() - 1}?); decompress it with `zstd -d --long=31` and recompress "
                "it with a smaller --long"
            )
        if self._started or isinstance(exc, CompressedDataError):
            return exc
        return CompressedDataError(
            f"cannot decompress: not {self._kind} data, or damaged from the start ({type(exc).__name__}: {detail}); "
            f"if the file is not {self._kind}-compressed, rename it without {self._suffix}"
        )

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._raw.close()
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
        try:
            inner: Any
            if kind == "gzip":
                inner = gzip.GzipFile(fileobj=raw, mode="rb")
            elif kind == "bz2":
                inner = bz2.BZ2File(raw, "rb")
            elif kind == "xz":
                inner = lzma.LZMAFile(raw, "rb")
            else:
                try:
                    import zstandard
                except ImportError as exc:  # pragma: no cover - zstandard is a core dependency
                    raise MissingDependency("zstandard", extra="zstd", purpose="Reading .zst files") from exc
                inner = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).stream_reader(
                    raw, read_size=RAW_CHUNK, read_across_frames=True, closefd=False
                )
        except BaseException:
            raw.close()
            raise
        return io.BufferedReader(_Decompressed(inner, raw, kind, self.path.suffix), buffer_size=1 << 16)  # type: ignore[arg-type]

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


class Importer(Generic[OptionsT]):
    """Base class of source plugins. Subclass it and register the class.

    Class attributes:

    ``name``
        Unique importer name, used in configs (``importer = "csv"``) and ``--importer``.
    ``suffixes``
        File suffixes the importer claims, lower case with the dot (``(".csv", ".tsv")``).
    ``Options``
        A dataclass of the options the importer accepts; unknown keys are errors.
    ``description``
        One line for ``curate plugins``.
    """

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type] = NoOptions
    description: ClassVar[str] = ""

    def __init__(self, options: OptionsT) -> None:
        self.options = options

    @classmethod
    def from_options(cls, values: dict | None = None) -> Importer:
        """Validate ``values`` against :attr:`Options` and build the importer."""
        return cls(parse_options(cls.Options, values, owner=f"importer {cls.name!r}"))

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """Return True if ``head`` (the first bytes of ``file``) looks like this format.

        Called only for files whose suffix no importer claims. The default claims nothing.
        """
        return False

    @classmethod
    def companion(cls, file: InputFile) -> bool:
        """Return True if ``file`` describes data this importer reads but holds none itself.

        A ``datasets`` folder's ``state.json``, a hub snapshot's ``README.md`` card: when a
        folder is walked, a file that any importer calls a companion is not read (by the
        importer its suffix names) and gives no records. A file named on its own is always
        read. Called for every file of a walked folder: look at ``file.path.name`` first
        and stay cheap. The default calls nothing a companion.
        """
        return False

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        """Stream the records in ``file``; yield a :class:`Problem` for each bad part.

        Must not load a large file into memory at once. Raising :class:`SourceError`
        (or an ``OSError``) abandons the rest of the file; records yielded before stay.
        Read through :meth:`InputFile.open` or :func:`open_text` (not ``file.path``
        directly): the manifest's size and SHA-256 are then those of the bytes read, and
        bytes the decoding replaced are counted and reported.
        """
        raise NotImplementedError

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """Cut ``file`` into pieces of about ``target_bytes`` that :meth:`read_shard` reads apart.

        Optional: the default returns ``None``, and the file is read whole by :meth:`read`.
        The Ray engine asks, for each uncompressed file larger than ``target_bytes``
        (``[build] shard_mb``), and reads each shard in a task of its own; the local
        engine never asks. The contract:

        - The shards cover the file: see :class:`Shard` and :func:`check_shards`.
        - :meth:`read_shard` over the shards, in order, yields exactly what :meth:`read`
          yields: the same records (same ids, so the same locators) and the same problems,
          in the same order. What ``read`` yields once per file (an encoding warning, say)
          comes from shard 0.
        - Return ``None`` whenever that cannot be promised: a compressed file (never
          split), a layout in which a record may span a cut (a JSON array, a CSV field
          with line breaks), an encoding in which a line feed byte can be part of another
          character (UTF-16, UTF-32), a file that cannot be read.
        - Stay much cheaper than :meth:`read`: one pass over the bytes without parsing.
          :func:`line_shards` is that pass for formats that can be cut after any line (or
          any empty line).

        An importer that raises here, or returns shards that do not cover the file, gets
        its file read whole: the outputs stay the same, only the parallelism is lost. If
        reading a shard fails, the rest of that shard is lost but the following shards
        are read, where :meth:`read` would stop at the failure. Test an implementation
        with :func:`read_in_shards`: its result must equal ``list(importer.read(file))``.
        """
        return None

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """Stream the records in one shard of ``file`` (one that :meth:`shards` returned).

        The rules of :meth:`read` apply. Called only for shards this importer made.
        """
        raise NotImplementedError(f"importer {self.name!r} cuts files into shards but cannot read one")


# ---------------------------------------------------------------------------------------
# Text decoding shared by importers of text formats.

# The BOM-aware codecs: decoding with them strips the byte-order mark.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Guess the encoding of a file from its first bytes.

    Order: byte-order mark, then ``declared`` (an HTML meta charset, say) if Python
    knows it, then UTF-16 without BOM (NUL in every other byte), then UTF-8, then
    cp1252 with a warning. Returns ``(encoding, warning or None)``.

    A few bad bytes do not make a UTF-8 file cp1252: when the bytes that are not UTF-8
    are at most a quarter of the non-ASCII bytes (the rest being valid multi-byte
    characters), the answer is UTF-8, and :func:`open_text` replaces and counts them.

    >>> detect_encoding("héllo".encode("utf-8"))
    ('utf-8', None)
    >>> detect_encoding("héllo".encode("latin-1"))[0]
    'cp1252'
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, None
    if declared:
        try:
            return codecs.lookup(declared).name, None
        except LookupError:
            pass
    sample = head[:4096]
    if len(sample) >= 4:
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.1 * half:
            return "utf-16-le", None
        if even_nuls > 0.4 * half and odd_nuls < 0.1 * half:
            return "utf-16-be", None
    bad = invalid_utf8_bytes(head)
    if bad == 0:
        return "utf-8", None
    if bad * 4 <= len(head.translate(None, _ASCII)):
        # Mostly UTF-8 with a few bad bytes: they are replaced, and open_text counts them.
        return "utf-8", None
    return "cp1252", "not valid UTF-8; decoded as cp1252 (Windows Latin-1), check the accents"


_ASCII = bytes(range(128))


def invalid_utf8_bytes(data: bytes) -> int:
    """How many bytes of ``data`` are not part of a valid UTF-8 character.

    A character cut by the end of ``data`` is not counted (``data`` is often a sample).

    >>> invalid_utf8_bytes("naïve".encode()), invalid_utf8_bytes(b"na\\xefve"), invalid_utf8_bytes(b"\\xe2\\x82")
    (0, 1, 0)
    """
    view = memoryview(data)
    bad = pos = 0
    while pos < len(view):
        try:
            codecs.utf_8_decode(view[pos:], "strict", False)
            break
        except UnicodeDecodeError as exc:
            bad += exc.end - exc.start
            pos += exc.end
    return bad


def open_text(
    file: InputFile, declared: str | None = None, newline: str | None = None
) -> tuple[IO[str], str, str | None]:
    """Open ``file`` as text with :func:`detect_encoding`; undecodable bytes become U+FFFD.

    Returns ``(stream, encoding, warning)``. With ``newline=None`` CR-only and CRLF line
    ends read as ``\\n``. The text is decoded as it streams, a block at a time; the bytes
    the decoding replaces are counted, and once the stream is closed the file's
    :class:`ReadMeter` has a warning saying how many and where the first one was
    (:func:`curate.sources.read_file` yields it after the importer's items).
    """
    encoding, warning = detect_encoding(file.head(), declared)
    raw = file.open()
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined; latin-1 maps everything, so nothing is replaced.
        return io.TextIOWrapper(raw, encoding=encoding, errors="latin1_fallback", newline=newline), encoding, warning
    checked = _Decoded(raw, encoding, file.meter)
    return io.TextIOWrapper(checked, encoding=encoding, errors="replace", newline=newline), encoding, warning  # type: ignore[type-var]


class _Decoded(io.BufferedIOBase):
    """Bytes on their way to a text decoder, checked by a decoder of their own.

    Counts the bytes that do not decode (``bad``: what ``errors="replace"`` turns into
    U+FFFD) and where the first one is (byte offset, and line for encodings where a line
    feed is the byte 0x0A); tells the file's meter when closed.
    """

    def __init__(self, inner: IO[bytes], encoding: str, meter: ReadMeter) -> None:
        super().__init__()
        self._inner = inner
        self._meter = meter
        self._decoder: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder(encoding)("strict")
        self.encoding = encoding
        self._count_lines = codecs.lookup(encoding).name in _LINE_SAFE_ENCODINGS
        self.seen = 0  # bytes passed through
        self.bad = 0  # bytes the decoding replaces
        self.first: int | None = None  # offset of the first of them
        self.first_line: int | None = None
        self._lines = 0  # line feeds before ``seen``, while no bad byte was met
        self._ended = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._inner.read(-1 if size is None else size)
        self._check(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._inner.read1(size)  # type: ignore[attr-defined]
        self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        if not data:
            if not self._ended:
                self._ended = True
                self._feed(b"", final=True)
            return
        self._feed(data, final=False)
        if self.first is None and self._count_lines:
            self._lines += data.count(b"\n")
        self.seen += len(data)

    def _feed(self, data: bytes, *, final: bool) -> None:
        if self._decoder is None:
            return
        end = self.seen + len(data)  # the stream offset where ``data`` ends
        chunk = data
        while True:
            try:
                self._decoder.decode(chunk, final)
                return
            except UnicodeDecodeError as exc:
                obj = exc.object  # what the decoder held back, then the rest of ``data``
                self.bad += exc.end - exc.start
                if self.first is None:
                    self.first = at = end - len(obj) + exc.start
                    if self._count_lines:
                        self.first_line = self._lines + data[: max(0, at - self.seen)].count(b"\n") + 1
                # drop what it held back (it is in ``obj``), keep the rest of its state (a byte order)
                self._decoder.setstate((b"", self._decoder.getstate()[1]))
                chunk = bytes(obj[exc.end :])
            except Exception:  # a codec that cannot go on at all: stop counting rather than fail the read
                self._decoder = None
                return

    def problem(self) -> Problem:
        """The warning that says how many bytes were replaced, and where the first was."""
        where = f"line {self.first_line}, byte {self.first}" if self.first_line else f"byte {self.first}"
        return Problem(
            f"line {self.first_line}" if self.first_line else None,
            f"{self.bad} byte(s) not valid {self.encoding} were replaced by U+FFFD, the first at {where}; "
            "re-encode the file as UTF-8 to keep those characters",
            warning=True,
        )

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._meter._decoding_closed(self)
        super().close()


#: Encodings in which every byte 0x0A is a line feed and nothing else: a file in one of
#: them can be cut after any line end and each piece decoded on its own.
_LINE_SAFE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp1252", "iso8859-1", "ascii"})
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


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bytes(bad).decode("latin-1"), exc.end


codecs.register_error("latin1_fallback", _latin1_fallback)


def is_probably_binary(head: bytes) -> bool:
    """True when ``head`` looks like binary data rather than text in any common encoding."""
    if not head:
        return False
    for bom, _ in _BOMS:
        if head.startswith(bom):
            return False
    sample = head[:4096]
    enc, _ = detect_encoding(sample)
    if enc.startswith("utf-16"):
        return False
    if b"\0" in sample and sample.count(0) > len(sample) // 100:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > len(sample) * 0.05


# ---------------------------------------------------------------------------------------
# Walking sources.


class Skipped(SourceError):
    """A file or folder the walk leaves out on purpose: a warning, not an error.

    Yielded by :func:`walk` for a folder holding a curate build's outputs (or excluded by
    the caller), a symbolic link back to a folder being read (a loop), and a folder or
    file reached a second time through links (each is read once). ``warning`` is always
    True; a caller that handles :class:`~curate.errors.SourceError` items should list a
    ``Skipped`` one as a warning and not fail a strict build over it.
    """

    warning: ClassVar[bool] = True


#: The folder under which a curate output folder keeps its state (see :mod:`curate.outdir`).
OUTPUT_STATE = ".curate"
#: A ``manifest.json`` larger than this is not a curate manifest (and is not read to find out).
_MANIFEST_MAX_BYTES = 64 << 20


def is_curate_output(folder: Path) -> bool:
    """True when ``folder`` holds the outputs of a curate build.

    That is: it has a ``.curate`` sub-folder, or a ``manifest.json`` (a regular file) that
    parses as a JSON object with the keys ``"counts"`` and ``"outputs"``. Never raises.
    """
    try:
        if (folder / OUTPUT_STATE).is_dir():
            return True
        manifest = folder / "manifest.json"
        st = manifest.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MANIFEST_MAX_BYTES:
            return False  # a FIFO named manifest.json would block the read
        with open(manifest, "rb") as fh:
            data = json.loads(fh.read(_MANIFEST_MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "counts" in data and "outputs" in data


def walk(
    path: str | os.PathLike[str], exclude: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[InputFile | SourceError]:
    """The files under ``path`` in a deterministic (sorted, depth-first) order.

    Hidden files and folders (``.name``) are skipped inside directories. Problems come
    back as :class:`SourceError` items, never raised: missing paths, broken links,
    unreadable files and folders, and named pipes, sockets and devices (never opened:
    opening a FIFO waits for a writer).

    Folders are followed through symbolic links, each once: a folder or file met again
    (by device and inode) is a :class:`Skipped` item, so a link loop ends and no file is
    read twice. Files and folders in ``exclude`` (the build's output folder, its reference
    sets) and folders holding a curate build's outputs (:func:`is_curate_output`) are skipped too, each
    reported once as a :class:`Skipped` item, even when ``path`` itself is one.
    """
    root = Path(path)
    display = str(path)
    excluded = _identities(exclude)
    try:
        st = root.stat()
    except FileNotFoundError:
        yield SourceError(display, None, "broken symbolic link" if root.is_symlink() else "no such file or directory")
        return
    except OSError as exc:
        yield SourceError(display, None, _os_reason(exc))
        return
    if stat.S_ISREG(st.st_mode):
        if (st.st_dev, st.st_ino) in excluded:
            yield Skipped(display, None, _EXCLUDED)
            return
        yield InputFile(root, display)
        return
    if not stat.S_ISDIR(st.st_mode):
        yield SourceError(display, None, _not_regular(st.st_mode))
        return
    identity = (st.st_dev, st.st_ino)
    skipped = _skip_folder(root, display, identity, excluded)
    if skipped is not None:
        yield skipped
        return
    yield from _walk_dir(root, display, identity, excluded)


def _walk_dir(
    root: Path, display: str, identity: tuple[int, int], excluded: frozenset[tuple[int, int]]
) -> Iterator[InputFile | SourceError]:
    """Depth-first over sorted entries, with an explicit stack (deep trees do not hit the recursion limit)."""
    folders: dict[tuple[int, int], str] = {identity: display}  # every folder read, by (device, inode)
    files: dict[tuple[int, int], str] = {}
    open_folders = [identity]  # the folders being read, outermost first: a link to one is a loop
    listing = _list(root, display)
    if isinstance(listing, SourceError):
        yield listing
        return
    stack = [(iter(listing), display)]
    while stack:
        entries, where = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            open_folders.pop()
            continue
        if entry.name.startswith("."):
            continue
        child_display = f"{where.rstrip('/')}/{entry.name}"
        try:
            st = entry.stat()  # follows links
        except FileNotFoundError:
            if entry.is_symlink() and os.path.lexists(entry.path):
                yield SourceError(child_display, None, "broken symbolic link")
            else:
                yield SourceError(child_display, None, "no longer exists (deleted or moved while the build ran)")
            continue
        except OSError as exc:
            yield SourceError(child_display, None, _os_reason(exc))
            continue
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key in folders:
                if key in open_folders:
                    reason = f"a symbolic link back to {folders[key]} (a loop); not followed"
                else:
                    reason = f"the same folder as {folders[key]}, already read; not read twice"
                yield Skipped(child_display, None, reason)
                continue
            folders[key] = child_display
            skipped = _skip_folder(Path(entry.path), child_display, key, excluded)
            if skipped is not None:
                yield skipped
                continue
            listing = _list(Path(entry.path), child_display)
            if isinstance(listing, SourceError):
                yield listing
                continue
            stack.append((iter(listing), child_display))
            open_folders.append(key)
        elif stat.S_ISREG(st.st_mode):
            if key in files:
                yield Skipped(child_display, None, f"the same file as {files[key]} (a link), already read; read once")
                continue
            files[key] = child_display
            if key in excluded:
                yield Skipped(child_display, None, _EXCLUDED)
                continue
            if not os.access(entry.path, os.R_OK):
                if os.path.exists(entry.path):
                    yield SourceError(child_display, None, "permission denied", hint="make it readable, or move it out")
                else:
                    yield SourceError(child_display, None, "no longer exists (deleted or moved while the build ran)")
                continue
            yield InputFile(Path(entry.path), child_display)
        else:
            yield SourceError(child_display, None, _not_regular(st.st_mode))


def _list(folder: Path, display: str) -> list[os.DirEntry[str]] | SourceError:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        return SourceError(display, None, "no longer exists (deleted or moved while the build ran)")
    except OSError as exc:
        return SourceError(display, None, f"cannot list directory: {_os_reason(exc)}")


#: Why the walk skips a path the caller excluded.
_EXCLUDED = "the build's output folder or a reference set (--exclude-like); not read as a source"


def _skip_folder(
    folder: Path, display: str, identity: tuple[int, int], excluded: frozenset[tuple[int, int]]
) -> Skipped | None:
    if identity in excluded:
        return Skipped(display, None, _EXCLUDED)
    if is_curate_output(folder):
        return Skipped(
            display,
            None,
            "holds the outputs of a curate build; not read as a source",
            hint="point the source at the raw files; to import a build's outputs, name the files themselves",
        )
    return None


def _identities(paths: Iterable[str | os.PathLike[str]]) -> frozenset[tuple[int, int]]:
    """``(device, inode)`` of each existing path (a missing one cannot be met in a walk)."""
    out = set()
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        out.add((st.st_dev, st.st_ino))
    return frozenset(out)


def _not_regular(mode: int) -> str:
    """Why a path that is neither a file nor a folder is not read."""
    if stat.S_ISFIFO(mode):
        what = "a named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    elif stat.S_ISCHR(mode):
        what = "a character device"
    elif stat.S_ISBLK(mode):
        what = "a block device"
    else:
        what = "not a regular file"
    return f"{what}, not a file; not read (copy its content into a file to import it)"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
