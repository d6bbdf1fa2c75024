"""Compressed input: which suffix means which compression, and a decompressing stream
whose errors say what is wrong with the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from typing import IO, Any

from curate.errors import MissingDependency

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


def decompress(raw: IO[bytes], kind: str, suffix: str) -> IO[bytes]:
    """A stream of the ``kind`` (``gzip``, ``bz2``, ``xz``, ``zstd``) decompression of ``raw``, closing it.

    ``suffix`` (the file's, as ``.gz``) names the file in error messages. ``raw`` is closed if
    the decompressor cannot be made.
    """
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
    return io.BufferedReader(_Decompressed(inner, raw, kind, suffix), buffer_size=1 << 16)  # type: ignore[arg-type]
