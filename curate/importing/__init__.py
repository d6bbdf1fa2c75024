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
:func:`line_shards` and :func:`open_shard_text` do the work for line-based text formats,
:func:`start_shard` opens one with the problems its reading starts with, and
:func:`read_through` gives what reading the whole file ends with (digest, decoding warning).

The pieces live in modules of their own, one concept each, and are all importable from
here: :mod:`~curate.importing.importer` (the base class), :mod:`~curate.importing.problem`,
:mod:`~curate.importing.files` (:class:`InputFile`, :class:`ReadMeter`),
:mod:`~curate.importing.compression`, :mod:`~curate.importing.decoding`,
:mod:`~curate.importing.shards` and :mod:`~curate.importing.walk`.
"""

from __future__ import annotations

from curate.importing.compression import (
    COMPRESSIONS,
    DECOMPRESSION_ERRORS,
    RAW_CHUNK,
    ZSTD_MAX_WINDOW,
    CompressedDataError,
    decompress,
)
from curate.importing.decoding import (
    decode_bytes,
    detect_encoding,
    has_control_bytes,
    invalid_utf8_bytes,
    is_probably_binary,
    known_encoding,
    open_text,
)
from curate.importing.files import SNIFF_BYTES, InputFile, ReadMeter
from curate.importing.importer import Importer, OptionsT
from curate.importing.problem import Problem
from curate.importing.shards import (
    SHARD_SCAN_BYTES,
    Shard,
    check_shards,
    line_shards,
    open_shard_text,
    read_in_shards,
    read_through,
    shardable_head,
    start_shard,
)
from curate.importing.walk import OUTPUT_STATE, Skipped, is_curate_output, walk

__all__ = [
    "COMPRESSIONS",
    "DECOMPRESSION_ERRORS",
    "OUTPUT_STATE",
    "RAW_CHUNK",
    "SHARD_SCAN_BYTES",
    "SNIFF_BYTES",
    "ZSTD_MAX_WINDOW",
    "CompressedDataError",
    "Importer",
    "InputFile",
    "OptionsT",
    "Problem",
    "ReadMeter",
    "Shard",
    "Skipped",
    "check_shards",
    "decode_bytes",
    "decompress",
    "detect_encoding",
    "has_control_bytes",
    "invalid_utf8_bytes",
    "is_curate_output",
    "is_probably_binary",
    "known_encoding",
    "line_shards",
    "open_shard_text",
    "open_text",
    "read_in_shards",
    "read_through",
    "shardable_head",
    "start_shard",
    "walk",
]
