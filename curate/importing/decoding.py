"""Text decoding shared by importers of text formats.

The one encoding detector of curate (:func:`detect_encoding`: importers and plugins use
it, never one of their own), :func:`open_text`, and a binary-data check.
"""

from __future__ import annotations

import codecs
import io
from typing import IO

from curate.importing.files import InputFile, ReadMeter
from curate.importing.problem import Problem

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


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def has_control_bytes(sample: bytes) -> bool:
    """Any control byte (NUL included) at all? Text without one cannot look binary; this is quick.

    A cheap first test before :func:`is_probably_binary`.
    """
    return len(sample.translate(None, _CONTROL_BYTES)) != len(sample)


def known_encoding(name: str) -> bool:
    """Is ``name`` a text encoding Python can decode with (not ``rot13``, ``zlib`` or ``base64``)?

    >>> known_encoding("latin-1"), known_encoding("rot13"), known_encoding("no-such")
    (True, False, False)
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    return getattr(info, "_is_text_encoding", True)


def decode_bytes(data: bytes, encoding: str) -> tuple[str, str, bool]:
    """Decode a whole buffer as :func:`open_text` decodes a stream: ``(text, encoding used, lossy)``.

    cp1252's five undefined bytes decode as Latin-1; a UTF-8 byte-order mark is removed
    (the encoding used is then ``utf-8-sig``); bytes that do not decode become U+FFFD and
    ``lossy`` is True.

    >>> decode_bytes(b"caf\\xe9", "cp1252"), decode_bytes(b"caf\\xe9", "utf-8")
    (('café', 'cp1252', False), ('caf�', 'utf-8', True))
    """
    if encoding == "cp1252":
        return data.decode("cp1252", errors="latin1_fallback"), encoding, False
    if encoding.startswith("utf-8") and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding), encoding, False
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), encoding, True
