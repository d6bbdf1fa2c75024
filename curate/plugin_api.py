"""The public API for plugin authors: everything a plugin may import from curate, in one module.

A plugin imports from here and from nothing else in ``curate``; the built-in plugins of
``curate.plugins`` do the same (a test checks it). What is not named here is internal and
may change in any release. ::

    from curate.plugin_api import Importer, InputFile, Problem, Record, hookimpl, open_text

Registering
    :data:`hookimpl` marks the hook functions of a plugin module (``register_importers``,
    ``register_filters``, ``register_embedders``: see :mod:`curate.hookspecs`).

Records
    :class:`Record` (text, or input/output, or messages; a stable id; where it came from),
    :class:`Source` (plugin, file, locator) and :class:`RecordError` (a record that cannot
    be made: catch it and yield a :class:`Problem` instead).

Importers
    :class:`Importer` (the base class: ``name``, ``suffixes``, ``Options``, ``sniff``,
    ``read``, optional ``shards`` / ``read_shard``), :class:`InputFile` (``open()``
    decompresses and hashes, ``head()`` for sniffing, ``source()`` and ``error()``),
    :class:`Problem` (input that did not become a record, kept in ``rejects.jsonl``).

    Reading text: :func:`open_text` (streams with :func:`detect_encoding`, the one encoding
    detector of curate; replaced bytes are counted and reported), :func:`decode_bytes` for
    a buffer already in memory, :func:`known_encoding`, :func:`is_probably_binary` and
    :func:`has_control_bytes`. :data:`SNIFF_BYTES` is how much :meth:`InputFile.head` reads;
    :data:`DECOMPRESSION_ERRORS` is what a damaged compressed file raises as it is read
    (:class:`CompressedDataError` when it is not what its name says).

    Large files in parallel: :class:`Shard`, :func:`shardable_head`, :func:`line_shards`,
    :func:`open_shard_text`, :func:`start_shard`, and for tests :func:`check_shards` and :func:`read_in_shards`.

Columns and rows (tables, JSON)
    :class:`ColumnMapping` (a dataclass of options to subclass: ``text_column``,
    ``input_column``/``output_column``, ``template``...), :func:`parse_template`, and the
    column names guessed when none are given (:data:`TEXT_NAMES`, :data:`PROMPT_NAMES`,
    :data:`ANSWER_NAMES`, :data:`SYSTEM_NAMES`). A row already in a trainer format:
    :func:`detect_row_format` and :func:`fields_from_row` (with :data:`FORMATS`, the formats
    curate knows), :func:`drop_nulls`, :func:`is_small_scalar`; tool calls in a turn:
    :func:`tools_from`, :func:`turn_text`. :func:`loads` parses JSON as curate's writers
    expect.

Filters and stages
    :class:`Filter` (a :class:`Stage` that keeps or drops), :class:`BatchResult`,
    :class:`Rejection`, :class:`Phase` and :class:`PhaseResult` (stages that need every
    record first; ``Phase.run(records, compute)`` gets the engine's :class:`Compute` for
    its heavy steps: :meth:`Compute.embed` ahead of its read, :meth:`Compute.vectors`
    for the passes over vectors, results in :class:`Embedded`, records read by a
    :data:`RecordText`). ``Filter.check(record, counts)`` returns a :data:`Verdict`: ``None``
    (keep), a :class:`Record` (keep this one instead) or a :class:`Drop` (reason, details).
    A filter's optional ``manifest_section(counts)`` receives the build's :class:`Counts`.

Embeddings (filters that compare texts by meaning)
    :class:`Embedder` (the base class of the ``register_embedders`` hook; loading fails
    with :class:`EmbedderError`), :func:`auto_device`; :func:`load_embedder` builds the
    embedder a filter's options name (:class:`EmbedderOptions`: ``embedder``, ``device``,
    ``batch_size``, ``max_seq_length``; names as the ``[semantic]`` table takes them), once per process, and
    :func:`embedding_cache` gives its :class:`EmbeddingCache`, shared with the semantic
    phase, under :func:`cache_dir` (``$CURATE_CACHE_DIR`` or ``~/.cache/curate``), where a
    plugin may keep other things it can compute again. An embedder whose similarities sit on
    another scale than the default model's returns a :class:`ThresholdMap` from
    ``threshold_map()`` (the static embedder does); the semantic phase reads thresholds through it.

Evaluation sets (decontamination)
    :func:`read_references` reads reference paths with curate's importers into a
    :class:`ReferenceSet` (:func:`record_parts` gives a record's texts as they are
    compared; :func:`fingerprint` is a cheap key of the paths for a per-process cache);
    :class:`ContaminationIndex` finds a text's n-gram and exact matches (a :class:`Match`),
    with :func:`words` as its word tokens.

Options
    A plugin's ``Options`` is a dataclass; :func:`parse_options` validates a mapping against
    one (unknown keys and wrong types are :class:`ConfigError`), :class:`NoOptions` accepts
    none.

Errors
    :class:`CurateError` and its kinds: :class:`ConfigError` (a bad option or config),
    :class:`SourceError` (one input, with file and locator), :class:`PluginError`,
    :class:`MissingDependency`; :func:`requires` imports an optional dependency or raises
    :class:`MissingDependency` with the ``pip install`` line.
"""

from __future__ import annotations

from curate.cache import cache_dir
from curate.contamination import ContaminationIndex, Match
from curate.counts import Counts
from curate.errors import ConfigError, CurateError, MissingDependency, PluginError, SourceError, requires
from curate.filter_embedding import EmbedderOptions, embedding_cache, load_embedder
from curate.formats import FORMATS
from curate.hookspecs import hookimpl
from curate.importing import (
    DECOMPRESSION_ERRORS,
    SNIFF_BYTES,
    CompressedDataError,
    Importer,
    InputFile,
    Problem,
    Shard,
    check_shards,
    decode_bytes,
    detect_encoding,
    has_control_bytes,
    is_probably_binary,
    known_encoding,
    line_shards,
    open_shard_text,
    open_text,
    read_in_shards,
    shardable_head,
    start_shard,
)
from curate.jsonl import loads
from curate.mapping import ANSWER_NAMES, PROMPT_NAMES, SYSTEM_NAMES, TEXT_NAMES, ColumnMapping, parse_template
from curate.ngrams import words
from curate.options import NoOptions, parse_options
from curate.records import Record, RecordError, Source
from curate.references import ReferenceSet, fingerprint, read_references, record_parts
from curate.rows import detect_row_format, drop_nulls, fields_from_row, is_small_scalar
from curate.semantic.calibration import ThresholdMap
from curate.semantic.embed import Embedder, EmbedderError, EmbeddingCache, auto_device
from curate.stages.base import BatchResult, Drop, Filter, Phase, PhaseResult, Rejection, Stage, Verdict
from curate.stages.compute import Compute, Embedded, RecordText
from curate.toolcalls import tools_from, turn_text

__all__ = [
    "ANSWER_NAMES",
    "DECOMPRESSION_ERRORS",
    "FORMATS",
    "PROMPT_NAMES",
    "SNIFF_BYTES",
    "SYSTEM_NAMES",
    "TEXT_NAMES",
    "BatchResult",
    "ColumnMapping",
    "CompressedDataError",
    "Compute",
    "ConfigError",
    "ContaminationIndex",
    "Counts",
    "CurateError",
    "Drop",
    "Embedded",
    "Embedder",
    "EmbedderError",
    "EmbedderOptions",
    "EmbeddingCache",
    "Filter",
    "Importer",
    "InputFile",
    "Match",
    "MissingDependency",
    "NoOptions",
    "Phase",
    "PhaseResult",
    "PluginError",
    "Problem",
    "Record",
    "RecordError",
    "RecordText",
    "ReferenceSet",
    "Rejection",
    "Shard",
    "Source",
    "SourceError",
    "Stage",
    "ThresholdMap",
    "Verdict",
    "auto_device",
    "cache_dir",
    "check_shards",
    "decode_bytes",
    "detect_encoding",
    "detect_row_format",
    "drop_nulls",
    "embedding_cache",
    "fields_from_row",
    "fingerprint",
    "has_control_bytes",
    "hookimpl",
    "is_probably_binary",
    "is_small_scalar",
    "known_encoding",
    "line_shards",
    "load_embedder",
    "loads",
    "open_shard_text",
    "open_text",
    "parse_options",
    "parse_template",
    "read_in_shards",
    "read_references",
    "record_parts",
    "requires",
    "shardable_head",
    "start_shard",
    "tools_from",
    "turn_text",
    "words",
]
