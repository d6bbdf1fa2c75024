"""What an importer (a source plugin) is, and how files find their importer.

An importer subclasses :class:`Importer`, declares its ``name``, the file ``suffixes`` it
claims, an optional content sniffer and an ``Options`` dataclass, and implements
:meth:`Importer.read`, a generator that streams :class:`~curate.records.Record` objects
(and :class:`Problem` objects for input it cannot read) from one :class:`InputFile`.
Importers know file formats and nothing else.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterator
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
            return gzip.open(self.path, "rb")
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
