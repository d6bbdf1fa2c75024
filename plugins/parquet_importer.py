"""Parquet and Arrow files, and the ``datasets``/Hugging Face folders made of them: one record per row.

Two importers share the options and the mapping of :mod:`curate.plugins.table_rows`:

``parquet`` (``.parquet``, ``.pq``, ``.parq``; or content starting with ``PAR1``)
    Read a row group at a time, and only the columns the mapping needs (plus small scalar
    columns for ``meta["fields"]``), in batches of ``1024`` rows: memory holds one row
    group's needed columns, not the file. A row group that cannot be read is one problem;
    the others are read. A large file is cut into runs of whole row groups that the Ray
    engine reads in parallel (:meth:`ParquetImporter.shards`).
``arrow`` (``.arrow``, ``.feather``, ``.ipc``, ``.arrows``; or content starting with ``ARROW1``)
    Arrow IPC files (Feather v2) and IPC streams (what ``datasets.save_to_disk`` writes),
    memory-mapped and read a record batch at a time. A stream that breaks off keeps every
    row before the break. A stream must end in its end-of-stream marker with nothing after
    it: bytes left after the marker (a damaged length or marker made the reader stop
    early) and an uncompressed stream cut off where a batch ends are errors, not a
    shorter file.

Folders
    ``curate build folder/`` on a ``datasets.save_to_disk`` folder (a ``Dataset`` or a
    ``DatasetDict``) or on a hub snapshot reads every Parquet and Arrow file in it; each
    record's ``meta["split"]`` names its split (:func:`curate.plugins.dataset_folders.split_of`),
    and the metadata files (``dataset_dict.json``, ``state.json``, ``dataset_info.json``,
    the ``README.md`` card) are not read as data (:meth:`TableImporter.companion`).

Locators
    ``row group G, row R`` (Parquet) and ``batch B, row R`` (Arrow), counted from 0 as
    pyarrow and ``datasets`` count them: ``ParquetFile(path).read_row_group(G)`` holds the
    row, and ``R`` is the row's index in the file (``Dataset.from_file(path)[R]``).

Problems (never silent)
    A row that does not fit the mapping (a null ``messages`` list, a list where text should
    be, an empty answer) is a problem carrying the row as JSON; the file goes on. A file that
    is not Parquet/Arrow (or is cut short), a mapping that does not fit the columns, and a
    compressed Parquet or Arrow IPC file (they need random access: decompress them first) are
    one problem each; a file without rows is a warning. Every batch is validated before its
    values are read: Arrow trusts the offsets stored in a file, and a damaged one could
    otherwise crash the process instead of giving a problem.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any

from curate.plugin_api import Importer, InputFile, Problem, Record, Shard, Source, hookimpl, requires
from curate.plugins.dataset_folders import is_companion, split_of
from curate.plugins.table_rows import Kind, RowMapping, TableOptions, raw_row, resolve

#: Rows converted to Python objects at a time.
BATCH_ROWS = 1024

#: A piece of a file: ``(locator prefix, index of its first row in the file, record batch)``.
Piece = tuple[str, int, Any]

#: How an Arrow IPC stream ends (a continuation marker and a zero length); streams written
#: before Arrow 0.15 start without the marker and end in the zero length only.
STREAM_CONTINUATION = b"\xff\xff\xff\xff"
STREAM_END = STREAM_CONTINUATION + b"\0\0\0\0"


class TableImporter(Importer[TableOptions]):
    """What the Parquet and Arrow importers share: options, mapping, rows to records."""

    Options = TableOptions
    #: What the file is called in messages.
    kind: str = "table"

    def __init__(self, options: TableOptions) -> None:
        super().__init__(options)
        self.pa = _pyarrow(self.kind)

    @classmethod
    def companion(cls, file: InputFile) -> bool:
        """The metadata files of ``datasets`` and hub folders (:func:`~curate.plugins.dataset_folders.is_companion`)."""
        return is_companion(file.path)

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        yield from self._read(file)

    def _read(self, file: InputFile, shard: Shard | None = None) -> Iterator[Record | Problem]:
        """The file's records, or those of one shard's row groups (what concerns the whole file: shard 0)."""
        whole = shard is None or shard.index == 0
        try:
            if file.path.stat().st_size == 0:
                yield Problem(None, "empty file: no schema and no rows", warning=True)
                return
        except OSError as exc:
            yield Problem(None, f"cannot read the file: {exc.strerror or exc}")
            return
        opened = self.open(file)
        if isinstance(opened, Problem):
            if whole:
                yield opened
            return
        with opened as table:
            try:
                kinds = column_kinds(self.pa, table.schema)
            except (self.pa.ArrowException, ValueError) as exc:  # UnicodeDecodeError: names that are not UTF-8
                if whole:
                    yield Problem(None, f"the file's schema is damaged ({exc}): check that the file is complete")
                return
            mapping = resolve(self.options, kinds, meta=_split_meta(file))
            if isinstance(mapping, str):
                if whole:
                    yield Problem(None, mapping)
                return
            rows = 0
            damaged = False
            pieces = table.pieces(mapping.columns) if shard is None else table.shard_pieces(mapping.columns, shard)
            for piece in pieces:
                if isinstance(piece, Problem):
                    damaged = damaged or not piece.warning
                    yield piece
                    continue
                rows += piece[2].num_rows
                yield from self._records(file, mapping, piece)
        if rows == 0 and shard is None and not damaged:
            yield Problem(None, f"no rows: the {self.kind} file holds a schema only", warning=True)

    def open(self, file: InputFile) -> _Table | Problem:
        """The file's schema and batches, or why it cannot be read."""
        raise NotImplementedError

    def _records(self, file: InputFile, mapping: RowMapping, piece: Piece) -> Iterator[Record | Problem]:
        label, first, batch = piece
        try:
            # Arrow trusts the offsets in a file: converting a damaged batch unchecked can crash
            # the process (measured: a few bytes changed in an IPC stream end in a segfault).
            batch.validate(full=True)
        except (self.pa.ArrowException, ValueError) as exc:
            yield Problem(
                f"{label}, row {first}",
                f"{label} is damaged ({exc}): its rows {first}-{first + batch.num_rows - 1} are not imported; "
                "check that the file is complete, or export it again",
            )
            return
        for offset in range(0, batch.num_rows, BATCH_ROWS):
            start = first + offset
            try:
                rows = batch.slice(offset, BATCH_ROWS).to_pylist()
            except (self.pa.ArrowException, ValueError, TypeError, OverflowError, SystemError) as exc:
                end = start + min(BATCH_ROWS, batch.num_rows - offset) - 1
                yield Problem(
                    f"{label}, row {start}",
                    f"rows {start}-{end} cannot be converted to Python values ({type(exc).__name__}: {exc}); "
                    "map other columns, or convert these columns' types",
                )
                continue
            for n, row in enumerate(rows, start):
                locator = f"{label}, row {n}"
                made = mapping.record(row, Source(self.name, file.display, locator))
                if isinstance(made, str):
                    yield Problem(locator, made, raw=raw_row(row))
                else:
                    yield made


class ParquetImporter(TableImporter):
    name = "parquet"
    kind = "Parquet"
    suffixes = (".parquet", ".pq", ".parq")
    description = "Parquet files (hub datasets): one record per row; messages, ShareGPT, alpaca, prompt/completion."

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """Parquet's magic bytes ``PAR1``."""
        return head.startswith(b"PAR1")

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """Runs of whole row groups of about ``target_bytes``, cut where a row group's data starts.

        ``None`` (read whole) for compressed files, files not larger than ``target_bytes``,
        files of one row group or none, and files whose footer cannot be read or lists row
        groups out of file order.
        """
        if file.compression or target_bytes < 1:
            return None
        try:
            size = file.path.stat().st_size
            if size <= target_bytes:
                return None
            starts = _group_starts(file)
        except (self.pa.ArrowException, OSError, ValueError):
            return None  # read() says what is wrong with the file
        if starts is None or len(starts) < 2:
            return None
        cuts = [0]
        for start in starts[1:]:
            if start - cuts[-1] >= target_bytes:
                cuts.append(start)
        if len(cuts) < 2:
            return None
        return [Shard(n, at, end) for n, (at, end) in enumerate(zip(cuts, [*cuts[1:], size], strict=True))]

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """The records of the row groups whose data starts inside ``shard``."""
        yield from self._read(file, shard)

    def open(self, file: InputFile) -> _Table | Problem:
        if file.compression:
            return _compressed(file, "Parquet file")
        pq = requires("pyarrow.parquet", extra="parquet", purpose="Reading Parquet files", package="pyarrow")
        try:
            parquet = pq.ParquetFile(str(file.path))
            schema = parquet.schema_arrow
        except (self.pa.ArrowException, OSError, ValueError) as exc:
            return Problem(
                None,
                f"not a readable Parquet file ({exc}); check that it is complete: "
                "a download cut short loses the footer, which Parquet reads first",
            )
        return _ParquetTable(self.pa, parquet, schema)


class ArrowImporter(TableImporter):
    name = "arrow"
    kind = "Arrow"
    suffixes = (".arrow", ".feather", ".ipc", ".arrows")
    description = "Arrow IPC files and streams, datasets.save_to_disk folders: one record per row."

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """The Arrow IPC file format's magic bytes ``ARROW1``."""
        return head.startswith(b"ARROW1")

    def open(self, file: InputFile) -> _Table | Problem:
        pa = self.pa
        head = file.head(8)
        if head.startswith(b"FEA1"):
            return Problem(
                None,
                "a Feather version 1 file, which this importer does not read: convert it with "
                "pyarrow.feather.write_feather(pyarrow.feather.read_table(PATH), NEW_PATH)",
            )
        is_file = head.startswith(b"ARROW1")
        if is_file and file.compression:
            return _compressed(file, "Arrow IPC file")
        source: Any = None
        try:
            source = file.open() if file.compression else pa.memory_map(str(file.path))
            if is_file:
                reader = pa.ipc.open_file(source)
                return _ArrowFile(pa, source, reader)
            return _ArrowStream(pa, source, pa.ipc.open_stream(source))
        except (pa.ArrowException, OSError, ValueError) as exc:
            if source is not None:
                source.close()
            return Problem(
                None,
                f"not a readable Arrow IPC file or stream ({exc}); check that it is complete, "
                "and that it is Arrow IPC (Feather v2, datasets' .arrow), not another format",
            )


# ---------------------------------------------------------------------------------------
# Open files: a schema and the batches of the needed columns.


class _Table(AbstractContextManager["_Table"]):
    """An open file: its Arrow ``schema`` and :meth:`pieces`."""

    schema: Any

    def pieces(self, columns: Sequence[str]) -> Iterator[Piece | Problem]:
        """The batches of ``columns``, in order; a :class:`Problem` for a part that cannot be read."""
        raise NotImplementedError

    def shard_pieces(self, columns: Sequence[str], shard: Shard) -> Iterator[Piece | Problem]:
        """The batches of one shard (formats that make shards)."""
        raise NotImplementedError(f"{type(self).__name__} makes no shards")

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""


class _ParquetTable(_Table):
    def __init__(self, pa: ModuleType, parquet: Any, schema: Any) -> None:
        self.pa, self.parquet, self.schema = pa, parquet, schema

    def pieces(self, columns: Sequence[str]) -> Iterator[Piece | Problem]:
        yield from self._groups(columns, lambda group: True)

    def shard_pieces(self, columns: Sequence[str], shard: Shard) -> Iterator[Piece | Problem]:
        starts = _starts(self.parquet.metadata) or []
        yield from self._groups(columns, lambda group: shard.start <= starts[group] < shard.end)

    def _groups(self, columns: Sequence[str], wanted: Callable[[int], bool]) -> Iterator[Piece | Problem]:
        metadata = self.parquet.metadata
        first = 0
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if not wanted(group):
                first += size
                continue
            label = f"row group {group}"
            at = first
            try:
                for batch in self.parquet.iter_batches(
                    batch_size=BATCH_ROWS, row_groups=[group], columns=list(columns), use_threads=False
                ):
                    yield label, at, batch
                    at += batch.num_rows
            except (self.pa.ArrowException, OSError, ValueError) as exc:
                lost = f"rows {at}-{first + size - 1}" if at < first + size else "its rows"
                yield Problem(
                    f"{label}, row {at}",
                    f"cannot read row group {group} from row {at} ({exc}): {lost} are lost, "
                    "the other row groups are read; check that the file is complete",
                )
            first += size

    def close(self) -> None:
        self.parquet.close()


class _ArrowFile(_Table):
    def __init__(self, pa: ModuleType, source: Any, reader: Any) -> None:
        self.pa, self.source, self.reader, self.schema = pa, source, reader, reader.schema

    def pieces(self, columns: Sequence[str]) -> Iterator[Piece | Problem]:
        first = 0
        for index in range(self.reader.num_record_batches):
            try:
                batch = self.reader.get_batch(index).select(list(columns))
            except (self.pa.ArrowException, OSError, ValueError) as exc:
                yield Problem(
                    f"batch {index}",
                    f"cannot read record batch {index} ({exc}); the file's other batches are read, "
                    "check that it is complete",
                )
                continue  # the file format's footer says where each batch is: the next one may be fine
            yield f"batch {index}", first, batch
            first += batch.num_rows

    def close(self) -> None:
        self.source.close()


class _ArrowStream(_Table):
    def __init__(self, pa: ModuleType, source: Any, reader: Any) -> None:
        self.pa, self.source, self.reader, self.schema = pa, source, reader, reader.schema

    def pieces(self, columns: Sequence[str]) -> Iterator[Piece | Problem]:
        first = index = 0
        while True:
            try:
                batch = self.reader.read_next_batch()
            except StopIteration:
                wrong = self._wrong_end()
                if wrong is not None:
                    yield Problem(
                        f"batch {index}, row {first}",
                        f"the stream {wrong}, after {index} record batch(es) ({first} row(s) read): the file is "
                        "damaged and any rows after that point are lost; check that it is complete, "
                        "or export it again",
                    )
                return
            except (self.pa.ArrowException, OSError, ValueError) as exc:
                yield Problem(
                    f"batch {index}, row {first}",
                    f"the stream breaks off in record batch {index} ({exc}): the {first} row(s) before were read, "
                    "the rest is lost; check that the file is complete",
                )
                return
            yield f"batch {index}", first, batch.select(list(columns))
            first += batch.num_rows
            index += 1

    def _wrong_end(self) -> str | None:
        """What is wrong with where the reader stopped (``None``: at the end-of-stream marker, at the end of the file).

        Arrow's reader stops without a word at anything that reads as an end-of-stream
        marker: a changed length or marker early in the file makes it stop there.
        """
        at = self.source.tell()
        left = 0
        while chunk := self.source.read(1 << 20):
            left += len(chunk)
        if left:
            return f"ends at byte {at} but {left} more byte(s) follow"
        if not isinstance(self.source, self.pa.MemoryMappedFile):
            return None  # a decompressed stream cannot be read back: its last bytes are gone
        start = bytes(self.source.read_at(4, 0))
        tail = bytes(self.source.read_at(min(at, 8), max(at - 8, 0)))
        modern = start == STREAM_CONTINUATION
        if (modern and tail == STREAM_END) or (not modern and tail.endswith(b"\0\0\0\0")):
            return None
        return "ends without its end-of-stream marker (cut short, or its writer was not closed)"

    def close(self) -> None:
        self.source.close()


# ---------------------------------------------------------------------------------------
# Helpers.


def _pyarrow(kind: str) -> ModuleType:
    """pyarrow with its IPC module, or :class:`~curate.errors.MissingDependency` with the pip line."""
    purpose = f"Reading {kind} files"
    pa = requires("pyarrow", extra="parquet", purpose=purpose)
    requires("pyarrow.ipc", extra="parquet", purpose=purpose, package="pyarrow")
    return pa


def column_kinds(pa: ModuleType, schema: Any) -> dict[str, Kind]:
    """What each column of an Arrow ``schema`` holds, for :func:`~curate.plugins.table_rows.resolve`."""
    return {f.name: _kind(pa, f.type) for f in schema}


def _kind(pa: ModuleType, type_: Any) -> Kind:
    types = pa.types
    if types.is_dictionary(type_):
        type_ = type_.value_type
    if _is_list(pa, type_):
        return "list"
    if types.is_struct(type_):
        children = [type_.field(i).type for i in range(type_.num_fields)]
        return "list" if children and all(_is_list(pa, c) for c in children) else "struct"
    string_view = getattr(types, "is_string_view", lambda t: False)
    if (
        types.is_string(type_)
        or types.is_large_string(type_)
        or string_view(type_)
        or types.is_integer(type_)
        or types.is_floating(type_)
        or types.is_boolean(type_)
        or types.is_null(type_)
    ):
        return "scalar"
    return "other"


def _is_list(pa: ModuleType, type_: Any) -> bool:
    types = pa.types
    checks = ("is_list", "is_large_list", "is_fixed_size_list", "is_list_view", "is_large_list_view")
    return any(getattr(types, name, lambda t: False)(type_) for name in checks)


def _group_starts(file: InputFile) -> list[int] | None:
    """Where each row group's data starts in a Parquet file, from its footer; ``None`` for a file without rows."""
    pq = requires("pyarrow.parquet", extra="parquet", purpose="Reading Parquet files", package="pyarrow")
    metadata = pq.read_metadata(str(file.path))
    return _starts(metadata) if metadata.num_rows > 0 else None


def _starts(metadata: Any) -> list[int] | None:
    """The byte offset of each row group's first page; ``None`` unless they rise in file order."""
    starts = []
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        offsets = []
        for c in range(row_group.num_columns):
            column = row_group.column(c)
            offsets.append(column.data_page_offset)
            if column.has_dictionary_page and column.dictionary_page_offset:
                offsets.append(column.dictionary_page_offset)
        if not offsets:
            return None
        starts.append(min(offsets))
    if any(b <= a for a, b in itertools.pairwise(starts)):
        return None
    return starts


def _split_meta(file: InputFile) -> dict[str, str]:
    split = split_of(file.path)
    return {} if split is None else {"split": split}


def _compressed(file: InputFile, what: str) -> Problem:
    return Problem(
        None,
        f"a {file.compression}-compressed {what} cannot be read in place (it needs random access): "
        f"decompress it first; Parquet and Arrow compress their data themselves",
    )


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(ParquetImporter)
    register(ArrowImporter)
