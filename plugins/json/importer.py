"""The JSON importer: sniffing, the layout's reader, and cutting JSON Lines into shards."""

from __future__ import annotations

from collections.abc import Iterator

from curate.plugin_api import (
    DECOMPRESSION_ERRORS,
    Importer,
    InputFile,
    Problem,
    Record,
    Shard,
    detect_encoding,
    is_probably_binary,
    line_shards,
    open_text,
    shardable_head,
    start_shard,
)

from .layout import JSONL_SUFFIXES, detect_layout
from .lines import read_lines
from .options import JsonOptions
from .problems import describe, read_failure
from .records import RecordMaker
from .values import read_values


class JsonImporter(Importer[JsonOptions]):
    """JSON Lines, JSON arrays and objects, one record per line, item or object: see :mod:`curate.plugins.json`."""

    name = "json"
    suffixes = (".json", *JSONL_SUFFIXES)
    Options = JsonOptions
    description = "JSON Lines, JSON arrays and objects; text, input/output, alpaca, messages and ShareGPT rows."

    def __init__(self, options: JsonOptions) -> None:
        super().__init__(options)
        self._records = RecordMaker(options, self.name)

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """Text whose first non-space character is ``{`` followed by ``"`` or ``}``, or ``[`` and a JSON value."""
        if is_probably_binary(head):
            return False
        encoding, _ = detect_encoding(head)
        text = head[:4096].decode(encoding.replace("cp1252", "latin-1"), errors="replace").lstrip(" \t\r\n\ufeff")
        if text.startswith("{"):
            return text[1:].lstrip()[:1] in ('"', "}")
        if text.startswith("["):
            return text[1:].lstrip()[:1] in ("{", "[", '"', "]", "-", "t", "f", "n", *"0123456789")
        return False

    # -- reading --------------------------------------------------------------------

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        try:
            head = file.head()
        except DECOMPRESSION_ERRORS as exc:
            yield Problem(None, f"cannot read the file: {describe(exc)}; check that it is not damaged")
            return
        if is_probably_binary(head):
            yield Problem(
                None,
                "binary content, not JSON text; if it is compressed, name it .gz, .bz2, .xz or .zst",
            )
            return
        try:
            layout, newline = detect_layout(file)
            stream, _, warning = open_text(file, newline=newline)
        except DECOMPRESSION_ERRORS as exc:
            yield read_failure(None, exc, 0)
            return
        if layout == "empty":
            stream.close()
            return
        if warning:
            yield Problem(None, warning, warning=True)
        with stream:
            if layout == "lines":
                yield from read_lines(self._records, file, stream)
            else:
                yield from read_values(self._records, file, stream, array=layout == "array")

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """JSON Lines only: cut after line ends (:func:`~curate.importing.line_shards`).

        ``None`` (read whole) for compressed files, files not larger than ``target_bytes``,
        binary content, the other layouts, CR-only line ends (read with universal
        newlines) and encodings other than UTF-8 and cp1252 (with or without BOM).
        """
        head = shardable_head(file, target_bytes)
        if head is None:
            return None
        try:
            layout, newline = detect_layout(file)
            if layout != "lines" or newline != "\n":
                return None
            return line_shards(file, target_bytes, detect_encoding(head)[0])
        except DECOMPRESSION_ERRORS:
            return None  # read() says what is wrong with the file

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """The lines of one shard that :meth:`shards` made, numbered from its ``first_line``."""
        problems, stream = start_shard(file, shard, newline="\n")
        yield from problems
        if stream is None:
            return
        with stream:
            yield from read_lines(self._records, file, stream, first_line=shard.first_line)
