"""What an importer (a source plugin) is, and how files find their importer.

An importer subclasses :class:`Importer`, declares its ``name``, the file ``suffixes`` it
claims, an optional content sniffer and an ``Options`` dataclass, and implements
:meth:`Importer.read`, a generator that streams :class:`~curate.records.Record` objects
(and :class:`Problem` objects for input it cannot read) from one :class:`InputFile`.
Importers know file formats and nothing else.

An importer may also cut a large file into :class:`Shard` objects that workers read in
parallel (:meth:`Importer.shards` and :meth:`Importer.read_shard`, optional);
:func:`line_shards` and :func:`open_shard_text` do the work for line-based text formats.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, ClassVar, Generic, TypeVar

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


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to import: its ``path`` on disk and the ``display`` name used in records."""

    path: Path
    display: str

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
        """Open for reading bytes, decompressing transparently."""
        kind = self.compression
        if kind == "gzip":
            return gzip.open(self.path, "rb")  # type: ignore[return-value]  # a GzipFile is a binary IO
        if kind == "bz2":
            return bz2.open(self.path, "rb")
        if kind == "xz":
            return lzma.open(self.path, "rb")
        if kind == "zstd":
            try:
                import zstandard
            except ImportError as exc:  # pragma: no cover - zstandard is a core dependency
                raise MissingDependency("zstandard", extra="zstd", purpose="Reading .zst files") from exc
            return zstandard.ZstdDecompressor().stream_reader(open(self.path, "rb"), closefd=True)
        return open(self.path, "rb")

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

        A damaged compressed file gives what could be decompressed before the damage.
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
                pass
            return bytes(data)

    def source(self, plugin: str, locator: str) -> Source:
        """The :class:`Source` of a record read from this file."""
        return Source(plugin, self.display, locator)

    def error(self, locator: str | None, message: str) -> SourceError:
        """A :class:`SourceError` naming this file."""
        return SourceError(self.display, locator, message)


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

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        """Stream the records in ``file``; yield a :class:`Problem` for each bad part.

        Must not load a large file into memory at once. Raising :class:`SourceError`
        (or an ``OSError``) abandons the rest of the file; records yielded before stay.
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
    try:
        head.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason in ("unexpected end of data", "invalid continuation byte"):
            return "utf-8", None  # a character cut by the end of the sample
    return "cp1252", "not valid UTF-8; decoded as cp1252 (Windows Latin-1), check the accents"


def open_text(
    file: InputFile, declared: str | None = None, newline: str | None = None
) -> tuple[IO[str], str, str | None]:
    """Open ``file`` as text with :func:`detect_encoding`; undecodable bytes become U+FFFD.

    Returns ``(stream, encoding, warning)``. With ``newline=None`` CR-only and CRLF line
    ends read as ``\\n``.
    """
    encoding, warning = detect_encoding(file.head(), declared)
    errors = "replace"
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined; latin-1 maps everything.
        encoding = "cp1252"
        errors = "latin1_fallback"
    stream = io.TextIOWrapper(file.open(), encoding=encoding, errors=errors, newline=newline)
    return stream, encoding, warning


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


def walk(path: str | os.PathLike[str]) -> Iterator[InputFile | SourceError]:
    """The files under ``path`` in a deterministic (sorted) order.

    Hidden files and folders (``.name``) are skipped inside directories. Broken links,
    unreadable files and missing paths come back as :class:`SourceError`, never raised.
    """
    root = Path(path)
    display_root = str(path)
    if not root.exists() and not root.is_symlink():
        yield SourceError(display_root, None, "no such file or directory")
        return
    if root.is_file():
        yield InputFile(root, display_root)
        return
    if root.is_symlink() and not root.exists():
        yield SourceError(display_root, None, "broken symbolic link")
        return
    yield from _walk_dir(root, display_root)


def _walk_dir(folder: Path, display: str) -> Iterator[InputFile | SourceError]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield SourceError(display, None, f"cannot list directory: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        child = Path(entry.path)
        child_display = f"{display.rstrip('/')}/{entry.name}"
        try:
            if entry.is_dir():
                yield from _walk_dir(child, child_display)
            elif entry.is_file():
                if not os.access(child, os.R_OK):
                    yield SourceError(child_display, None, "permission denied")
                else:
                    yield InputFile(child, child_display)
            elif entry.is_symlink():
                yield SourceError(child_display, None, "broken symbolic link")
        except OSError as exc:
            yield SourceError(child_display, None, str(exc))
