"""The Ray Data engine: the local engine's plan, spread over a Ray cluster.

``curate build ... --engine ray [--ray-address auto|ray://HOST:PORT]`` (or
``engine = "ray"`` under ``[build]``, or ``Pipeline().set(engine="ray")``). Without
an address Ray starts a local cluster for the build and stops it afterwards; when
Ray is already initialised in the process, the build uses that connection.

How a build runs:

1. The driver resolves the sources exactly as the local engine does and numbers the
   files. Files larger than ``[build] shard_mb`` whose importer can cut them
   (:meth:`~curate.importing.Importer.shards`: JSON Lines, say) are cut into shards,
   by one task per such file, in parallel. Each shard, and each other file, is one
   read task (``map_batches`` over a dataset of descriptors, one block each): the
   worker streams what the importer yields as Arrow rows, each with a global
   position (see :data:`FILE_SHIFT`), and the task of a file's first (or only) piece
   hashes the file for its summary.
2. Normalisation and the filters (every stage before exact dedup) run as
   ``map_batches`` tasks, fused with the reads; each worker process builds the
   stages once from the plan's stage factories. Each record leaves as a row saying
   kept, or rejected by stage *i* (with the rejection). When nothing follows the
   stages (no phase, no stage after exact dedup), a kept record's row also carries
   its output, rendered by :func:`curate.writer.render` as the local writer would.
3. Exact dedup shuffles only a narrow table (position, 64-bit key, id) of the kept
   records: grouped by key, every record but the one with the smallest position is
   a duplicate of that one, which is the record the local engine keeps.
4. The driver streams the rows in position order (``preserve_order``, checked) next
   to the duplicates sorted by position, and replays them through the local
   engine's loop (:mod:`curate.engines.replay`): the same batches, the same
   ledger calls, the same writer (which only appends rows rendered on the workers).
   ``train.jsonl``, ``val.jsonl`` and ``rejects.jsonl`` are therefore byte for byte
   the local engine's.
5. Phases run after that pass, as in the local engine, over a spill on the driver.
   A phase that has a ``run_ray(dataset, records) -> PhaseResult`` method gets, next
   to the usual ``records`` callable (the spill), a Ray dataset of the same records
   (see :func:`phase_records`), so that it can do its heavy work on the cluster
   (the semantic phase embeds, assigns and compares there:
   :mod:`curate.engines.ray_semantic`). Its decisions are applied on the driver, in
   order, like any phase's.

Stages other than exact dedup must decide each record on its own (the stage
contract): the engine batches differently from the local one. Stages after exact
dedup, if a plan has any, run on the driver on the local engine's batches.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import pickle
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from curate.engines.local import run_phases
from curate.engines.replay import FileSummary, Kept, Outcome, Rejected, Replay, StageCounts
from curate.errors import BuildFailed, MissingDependency, SourceError
from curate.importing import Problem, Shard
from curate.ledger import Ledger, Spill, sha256_file
from curate.plan import Plan, Reporter
from curate.records import Record, Source
from curate.sources import FileTask, plan_shards, read_file, read_shard, resolve_sources, splittable
from curate.stages.base import Phase, PhaseResult, Rejection, Stage, apply_phase, run_stages
from curate.stages.dedup import ExactDedup, dedup_key
from curate.writer import Rendered, SplitWriter
from curate.writer import render as render_row

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

#: A ``ray.data.Dataset``, typed loosely: Ray's annotations reject keyword-only UDFs.
Dataset = Any

#: Row kinds: a file's summary, an import problem, a record before the stages, a
#: record the stages kept, one they rejected, and a batch's stage counters.
FILE, PROBLEM, RECORD, KEPT, REJECTED, COUNTS = range(6)
#: A row's place in the canonical order, one non-negative int64:
#: ``pos = file << FILE_SHIFT | shard << ITEM_BITS | item``, which orders rows by file
#: (its index in the resolved sources), then shard, then item (the index of a record or
#: problem in what its shard yields, from 1; item 0 of shard 0 is the file's summary).
#: A file read whole is shard 0, whose items may use all ``FILE_SHIFT`` bits.
FILE_SHIFT = 39
#: Bits of the item index within a shard of a file that was cut.
ITEM_BITS = 26
#: At most this many files in one build (24 bits: 16,777,216).
MAX_FILES = 1 << (63 - FILE_SHIFT)
#: At most this many shards a file (13 bits: 8,192); a larger file gets larger shards.
MAX_SHARDS = 1 << (FILE_SHIFT - ITEM_BITS)
#: At most this many read blocks; beyond, a block holds several read tasks, read in order.
MAX_READ_BLOCKS = 4096
#: Rows per partition aimed at when shuffling the narrow dedup table.
ROWS_PER_PARTITION = 2_000_000

COLUMNS = ("pos", "kind", "data", "dkey", "id", "rendered")


def run(plan: Plan, ledger: Ledger, reporter: Reporter, *, debug: bool = False) -> tuple[SplitWriter, dict[str, Any]]:
    """Run ``plan`` on Ray into ``ledger``; returns the writer (for lengths) and the phases' reports."""
    ray = _import_ray()
    config = plan.config
    tasks = list(resolve_sources(config.sources, plan.registry, exclude=plan.exclude))
    files = [(i, t) for i, t in enumerate(tasks) if isinstance(t, FileTask)]
    factories = list(plan.stage_factories) or [_copier(s) for s in plan.stages]
    dedup_at = next((i for i, s in enumerate(plan.stages) if isinstance(s, ExactDedup)), None)
    pre = factories if dedup_at is None else factories[:dedup_at]
    post = [] if dedup_at is None else [f() for f in factories[dedup_at + 1 :]]
    ray_phases = not post and any(_ray_path(p) is not None for p in plan.phases)
    # With nothing between the stages and the writer, workers render the rows too.
    render = not plan.phases and not post

    writer = SplitWriter(
        ledger,
        plan.fmt,
        val_ratio=config.val_ratio,
        seed=config.seed,
        include_ids=config.include_ids,
        tokens=plan.tokens,
    )
    spill = Spill(ledger, ".spill-0.jsonl") if plan.phases else None
    reports: dict[str, Any] = {}
    with _connected(ray, config.ray_address), _data_context(ray):
        staged = _staged(plan, files, pre, keys=dedup_at is not None, render=render, debug=debug) if files else None
        if staged is not None and (dedup_at is not None or ray_phases):
            staged = staged.materialize()
        duplicates = None
        if staged is not None and dedup_at is not None and not _doomed(plan, tasks, staged):
            duplicates = _duplicates(staged).materialize()
        replay = Replay(
            plan,
            ledger,
            reporter,
            writer.accept if render else writer.write if spill is None else spill.write,
            dedup=ExactDedup() if dedup_at is not None else None,
            dedup_index=len(pre),
            post_stages=post,
        )
        replay.run(tasks, _by_file(_ordered(staged, duplicates)))
        if spill is not None:
            decide = _PhaseDecider(staged if ray_phases else None, duplicates)
            reports = run_phases(plan, ledger, reporter, writer, spill, decide=decide)
    writer.finish()
    return writer, reports


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # the data extra, not only ray core
    except ImportError as exc:
        raise MissingDependency("ray", extra="ray", purpose="The ray engine") from exc
    return ray


def _copier(stage: Stage) -> Callable[[], Stage]:
    """A factory for a plan built by hand without stage factories: a copy of the stage."""
    import copy

    def make() -> Stage:
        return copy.deepcopy(stage)

    return make


def _ray_path(phase: Phase) -> Callable[[Dataset, Callable[[], Iterator[Record]]], PhaseResult] | None:
    run_ray = getattr(phase, "run_ray", None)
    return run_ray if callable(run_ray) else None


# -- the cluster ---------------------------------------------------------------------


@contextlib.contextmanager
def _connected(ray: Any, address: str | None) -> Iterator[None]:
    """Use the process's Ray connection, or connect (or start a local cluster) for the build."""
    if ray.is_initialized():
        yield
        return
    # curate runs offline unless told otherwise: no usage report from a cluster it starts.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


class _QuietProgressNotice(logging.Filter):
    """Ray Data says that progress bars are off when we turn them off; the CLI draws its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Progress bars disabled")


@contextlib.contextmanager
def _data_context(ray: Any) -> Iterator[None]:
    """Ray Data settings for one build, restored afterwards."""
    from ray.data.context import ShuffleStrategy

    ctx = ray.data.DataContext.get_current()
    saved = (
        ctx.enable_progress_bars,
        ctx.print_on_execution_start,
        ctx.execution_options.preserve_order,
        ctx.shuffle_strategy,
    )
    logger = logging.getLogger("ray.data")
    level = logger.level
    quiet = _QuietProgressNotice()
    logger.setLevel(logging.WARNING)
    for handler in [*logger.handlers, *logging.getLogger("ray").handlers]:
        handler.addFilter(quiet)
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    # Blocks come out in input order: the driver streams them in canonical order.
    ctx.execution_options.preserve_order = True
    # Shuffles (dedup keys, sorting them) by tasks, not by long-lived aggregator actors.
    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    try:
        yield
    finally:
        (
            ctx.enable_progress_bars,
            ctx.print_on_execution_start,
            ctx.execution_options.preserve_order,
            ctx.shuffle_strategy,
        ) = saved
        logger.setLevel(level)
        for handler in [*logger.handlers, *logging.getLogger("ray").handlers]:
            handler.removeFilter(quiet)


# -- rows ----------------------------------------------------------------------------


def _schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("pos", pa.int64()),
            ("kind", pa.int8()),
            ("data", pa.large_binary()),
            ("dkey", pa.int64()),
            ("id", pa.string()),
            ("rendered", pa.large_binary()),
        ]
    )


class _Rows:
    """Rows being gathered into one Arrow table; ``data`` holds a pickled outcome.

    ``rendered`` holds a kept record's output (:func:`encode_rendered`) when the
    workers render rows, else nothing.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["pos"])

    def add(self, pos: int, kind: int, data: bytes, dkey: int = 0, rid: str = "", rendered: bytes = b"") -> None:
        cols = self.columns
        cols["pos"].append(pos)
        cols["kind"].append(kind)
        cols["data"].append(data)
        cols["dkey"].append(dkey)
        cols["id"].append(rid)
        cols["rendered"].append(rendered)

    def take(self) -> pa.Table:
        import pyarrow as pa

        table = pa.table(self.columns, schema=_schema())
        self.columns = {name: [] for name in COLUMNS}
        return table


def _dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


# Rows carry plain tuples, not dataclasses: pickling builtins runs in C, several
# times faster than a slotted dataclass's pure-Python state functions.


def pack(record: Record) -> tuple[Any, ...]:
    """A record as a tuple of builtins (see :func:`unpack`)."""
    src = record.source
    return (
        record.id,
        src.plugin,
        src.path,
        src.locator,
        record.text,
        record.input,
        record.output,
        record.messages,
        record.meta,
        record.tools,
    )


def unpack(fields: tuple[Any, ...]) -> Record:
    """The record :func:`pack` took apart, as it was (no validation, the id kept)."""
    rid, plugin, path, locator, text, input_, output, messages, meta, tools = fields
    return Record(rid, Source(plugin, path, locator), text, input_, output, messages, meta, tools)


def encode(kind: int, outcome: Any) -> bytes:
    """The ``data`` of a row of ``kind``."""
    if kind in (RECORD, KEPT):
        record = outcome.record if isinstance(outcome, Kept) else outcome
        if record is None:
            raise ValueError("a kept outcome without its record cannot be encoded")
        return _dumps(pack(record))
    if kind == REJECTED:
        rej = outcome.rejection
        return _dumps((outcome.stage, rej.stage, rej.reason, rej.details, pack(rej.record)))
    if kind == PROBLEM:
        return _dumps((outcome.locator, outcome.message, outcome.raw, outcome.warning))
    if kind == FILE:
        return _dumps((outcome.size, outcome.sha256))
    return _dumps(outcome.counts)


def encode_rendered(rendered: Rendered) -> bytes:
    """A :class:`~curate.writer.Rendered` as the ``rendered`` of a row (see :func:`decode_rendered`)."""
    rej = rendered.rejection
    rejection = None if rej is None else (rej.stage, rej.reason, rej.details, pack(rej.record))
    r = rendered
    return _dumps((r.side, r.line, r.key, r.point, r.length, r.changes, rejection, r.tokens, r.uses_tools))


def decode_rendered(data: bytes) -> Rendered:
    side, line, key, point, length, changes, rejection, tokens, uses_tools = pickle.loads(data)
    if rejection is not None:
        stage, reason, details, fields = rejection
        rejection = Rejection(unpack(fields), stage, reason, details)
    return Rendered(side, line, key, point, length, changes, rejection, tokens, uses_tools)


def _render_with(plan: Plan) -> Callable[[Record], Rendered]:
    """:func:`~curate.writer.render` with the writer's settings, for the workers."""
    config = plan.config
    return partial(
        render_row,
        fmt=plan.fmt,
        val_ratio=config.val_ratio,
        seed=config.seed,
        include_ids=config.include_ids,
        tokens=plan.tokens,
    )


def decode(kind: int, data: bytes) -> Any:
    """The outcome (a record for ``RECORD`` rows) that :func:`encode` stored."""
    value = pickle.loads(data)
    if kind == RECORD:
        return unpack(value)
    if kind == KEPT:
        return Kept(unpack(value))
    if kind == REJECTED:
        index, stage, reason, details, fields = value
        return Rejected(index, Rejection(unpack(fields), stage, reason, details))
    if kind == PROBLEM:
        return Problem(*value)
    if kind == FILE:
        return FileSummary(*value)
    return StageCounts(value)


def in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_array`` (ascending): a boolean mask, by binary search."""
    import numpy as np

    if not len(sorted_array):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return sorted_array[at] == values


def signed64(key: int) -> int:
    """A 64-bit unsigned key as an Arrow int64."""
    return key - (1 << 64) if key >= 1 << 63 else key


# -- reading and the streaming stages (on the workers) --------------------------------

#: What one read task reads: a file's index, the file, and a shard of it (``None``: all of it).
ReadUnit = tuple[int, FileTask, Shard | None]


def _staged(
    plan: Plan,
    files: list[tuple[int, FileTask]],
    pre: list[Callable[[], Stage]],
    *,
    keys: bool,
    render: bool,
    debug: bool,
) -> Dataset:
    """The dataset of every file's outcomes after the stages before exact dedup."""
    import ray.cloudpickle
    import ray.data

    units = read_units(files, plan.config.shard_bytes)
    items = [{"index": i, "task": ray.cloudpickle.dumps((t, shard))} for i, t, shard in units]
    size = plan.config.batch_size
    ds: Dataset = ray.data.from_items(items, override_num_blocks=min(len(items), MAX_READ_BLOCKS))
    ds = ds.map_batches(read_files, batch_size=1, batch_format="pyarrow", fn_kwargs={"chunk": size, "debug": debug})
    # batch_size=None: each table a read task yields (``size`` items) is one batch, and
    # the stages fuse with the read, one task per file or shard (a batch size would bundle them).
    return ds.map_batches(
        run_stage_batch,
        batch_size=None,
        batch_format="pyarrow",
        fn_kwargs={
            "build": uuid.uuid4().hex,
            "factories": pre,
            "keys": keys,
            "render": _render_with(plan) if render else None,
        },
    )


def read_units(files: list[tuple[int, FileTask]], shard_bytes: int) -> list[ReadUnit]:
    """The read tasks of a build, in canonical order: each file whole, or each of its shards.

    The files worth asking (:func:`_shard_target`) are cut by their importers in Ray
    tasks, one a file, all at once: finding line ends is a pass over the whole file.
    """
    import ray

    if files and files[-1][0] >= MAX_FILES:
        raise BuildFailed(
            f"{files[-1][0] + 1} input files: the ray engine reads at most {MAX_FILES} files in one build",
            hint="build the sources in several parts, or with the local engine",
        )
    portable = [(i, _portable(t)) for i, t in files]
    asks = {i: (t, target) for i, t in portable if (target := _shard_target(t, shard_bytes)) is not None}
    planned: dict[int, list[Shard] | None] = {}
    if asks:
        cut = ray.remote(num_cpus=1)(plan_shards)
        refs = {i: cut.remote(t, target) for i, (t, target) in asks.items()}
        planned = dict(zip(refs, ray.get(list(refs.values())), strict=True))
    units: list[ReadUnit] = []
    for i, task in portable:
        shards = planned.get(i)
        if shards is not None and len(shards) > MAX_SHARDS:
            raise BuildFailed(
                f"{task.file.display}: importer {task.importer.name!r} cut the file into {len(shards)} shards; "
                f"the ray engine reads at most {MAX_SHARDS} shards of a file",
                hint="raise [build] shard_mb, or set it to 0 to read every file whole",
            )
        units.extend([(i, task, None)] if shards is None else [(i, task, shard) for shard in shards])
    return units


def _shard_target(task: FileTask, shard_bytes: int) -> int | None:
    """The shard size to ask ``task``'s importer for, or ``None`` when the file is read whole anyway.

    At least ``size / MAX_SHARDS``, so that an importer keeping to it never makes too many.
    """
    if shard_bytes < 1 or not splittable(task):
        return None
    try:
        size = task.file.path.stat().st_size
    except OSError:
        return None  # the read reports it
    return max(shard_bytes, -(-size // MAX_SHARDS)) if size > shard_bytes else None


def _portable(task: FileTask) -> FileTask:
    """The task with an absolute path, so that a worker with another working folder finds the file."""
    return replace(task, file=replace(task.file, path=task.file.path.absolute()))


def read_file_rows(
    index: int, task: FileTask, *, chunk: int, debug: bool = False, shard: Shard | None = None
) -> Iterator[pa.Table]:
    """One file's (or one ``shard``'s) records and problems as tables of rows, in file order.

    The whole file, or its shard 0, starts with the file's summary (size and SHA-256). A
    file read whole ends with a second summary: the size and SHA-256 of the bytes its importer
    read (:class:`~curate.importing.ReadMeter`), which the driver keeps. A file cut into shards
    is hashed in a pass of its own, as the shards' reads cannot be chained into one digest.
    """
    import pyarrow as pa  # noqa: F401 - fail here, not half-way, when pyarrow is missing

    base = index << FILE_SHIFT | (0 if shard is None else shard.index << ITEM_BITS)
    limit = 1 << (FILE_SHIFT if shard is None else ITEM_BITS)
    rows = _Rows()
    if shard is None:
        rows.add(base, FILE, encode(FILE, FileSummary(0, "")))  # completed by the summary at the end
    elif shard.index == 0:
        digest, _ = sha256_file(task.file.path)
        rows.add(base, FILE, encode(FILE, FileSummary(task.file.path.stat().st_size, digest)))
    items = read_file(task, debug=debug) if shard is None else read_shard(task, shard, debug=debug)
    n = 0
    most = limit - 2 if shard is None else limit - 1  # a whole file keeps a position for its last summary
    for n, item in enumerate(items, start=1):
        if n > most:
            raise _too_many(task, shard, most)
        if isinstance(item, Problem):
            rows.add(base + n, PROBLEM, encode(PROBLEM, item))
        else:
            rows.add(base + n, RECORD, encode(RECORD, item))
        if len(rows) >= chunk:
            yield rows.take()
    if shard is None:
        size, digest = task.file.meter.finish(task.file.path)
        rows.add(base + n + 1, FILE, encode(FILE, FileSummary(size, digest)))
    if len(rows):
        yield rows.take()


def _too_many(task: FileTask, shard: Shard | None, most: int) -> BuildFailed:
    if shard is None:
        return BuildFailed(
            f"{task.file.display}: more than {most} records and problems in one file",
            hint="split the file, or build it with the local engine",
        )
    return BuildFailed(
        f"{task.file.display}: more than {most} records and problems in shard {shard.index} "
        f"(bytes {shard.start} to {shard.end})",
        hint="lower [build] shard_mb",
    )


def read_files(batch: pa.Table, *, chunk: int, debug: bool = False) -> Iterator[pa.Table]:
    """``map_batches`` function: read the units of ``batch`` (columns ``index``, ``task``: a pickled
    ``(FileTask, Shard | None)``)."""
    import ray.cloudpickle

    for index, blob in zip(batch.column("index").to_pylist(), batch.column("task").to_pylist(), strict=True):
        task, shard = ray.cloudpickle.loads(blob)
        yield from read_file_rows(index, task, chunk=chunk, debug=debug, shard=shard)


#: The stages of the current build, built once per worker process.
_BUILT: dict[str, list[Stage]] = {}


def run_stage_batch(
    batch: pa.Table,
    *,
    build: str,
    factories: list[Callable[[], Stage]],
    keys: bool,
    render: Callable[[Record], Rendered] | None = None,
) -> pa.Table:
    """``map_batches`` function: pass a batch's records through the stages; other rows pass through.

    Output rows are in position order, the batch's stage counters first. With
    ``render`` (:func:`~curate.writer.render` with the writer's settings), each kept
    record also carries its rendered output row.
    """
    stages = _BUILT.get(build)
    if stages is None:
        _BUILT.clear()
        stages = _BUILT[build] = [make() for make in factories]
    out: list[tuple[int, int, int, bytes, int, str, bytes]] = []  # (pos, order, kind, data, dkey, id, rendered)
    positions: list[int] = []
    records: list[Record] = []
    for pos, kind, data in zip(
        batch.column("pos").to_pylist(), batch.column("kind").to_pylist(), batch.column("data").to_pylist(), strict=True
    ):
        if kind == RECORD:
            positions.append(pos)
            records.append(decode(RECORD, data))
        else:
            out.append((pos, 1, kind, data, 0, "", b""))
    if records:
        locate = _Locator(records, positions)
        counts: dict[str, dict[str, int]] = {}
        for i, stage in enumerate(stages):
            records, rejected, stage_counts = run_stages([stage], records)
            for rejection in rejected:
                row = encode(REJECTED, Rejected(i, rejection))
                out.append((locate(rejection.record), 1, REJECTED, row, 0, "", b""))
            for name, events in stage_counts.items():
                merged = counts.setdefault(name, {})
                for event, n in events.items():
                    merged[event] = merged.get(event, 0) + n
        for record in records:
            dkey = signed64(dedup_key(record)) if keys else 0
            shown = b"" if render is None else encode_rendered(render(record))
            out.append((locate(record), 1, KEPT, encode(KEPT, Kept(record)), dkey, record.id, shown))
        if counts:
            out.append((min(positions), 0, COUNTS, encode(COUNTS, StageCounts(counts)), 0, "", b""))
    out.sort(key=lambda row: (row[0], row[1]))
    rows = _Rows()
    for pos, _, kind, data, dkey, rid, shown in out:
        rows.add(pos, kind, data, dkey, rid, shown)
    return rows.take()


class _Locator:
    """The position of a record that came out of the stages (the same object, or one with its id)."""

    def __init__(self, records: list[Record], positions: list[int]) -> None:
        self.by_object = {id(r): p for r, p in zip(records, positions, strict=True)}
        self.by_id: dict[str, list[int]] = defaultdict(list)
        for record, pos in zip(records, positions, strict=True):
            self.by_id[record.id].append(pos)
        self.used: set[int] = set()

    def __call__(self, record: Record) -> int:
        pos = self.by_object.get(id(record))
        if pos is None or pos in self.used:
            pos = next((p for p in self.by_id.get(record.id, ()) if p not in self.used), None)
        if pos is None:
            raise RuntimeError(f"a stage returned record {record.id}, which was not in its batch, or returned it twice")
        self.used.add(pos)
        return pos


# -- exact dedup ---------------------------------------------------------------------


def kept_keys(batch: pa.Table, *, partitions: int) -> pa.Table:
    """``map_batches`` function: position, dedup key, id and key partition of each kept record."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kept = batch.filter(pc.equal(batch.column("kind"), KEPT)).select(["pos", "dkey", "id"])
    keys = np.asarray(kept.column("dkey").to_numpy(), dtype=np.int64).view(np.uint64)
    return kept.append_column("part", pa.array((keys % np.uint64(partitions)).astype(np.int64)))


def later_copies(part: pa.Table) -> pa.Table:
    """``map_groups`` function: in one key partition, every record but the first of its key, naming the first."""
    import numpy as np
    import pyarrow as pa

    pos = np.asarray(part.column("pos").to_numpy(), dtype=np.int64)
    key = np.asarray(part.column("dkey").to_numpy(), dtype=np.int64)
    order = np.lexsort((pos, key))  # by key, then position
    key = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    leader = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    later = ~first
    return pa.table(
        {"pos": pa.array(pos[order][later]), "duplicate_of": part.column("id").take(order[leader[later]])},
        schema=pa.schema([("pos", pa.int64()), ("duplicate_of", pa.string())]),
    )


def _duplicates(staged: Dataset) -> Dataset:
    """``(pos, duplicate_of)`` of every later copy, sorted by position.

    The narrow key table is spread over partitions by key; each partition is solved
    in one vectorised call (one call per key would cost a Python call per record).
    """
    partitions = max(1, math.ceil(staged.count() / ROWS_PER_PARTITION))
    keys = staged.map_batches(kept_keys, batch_format="pyarrow", batch_size=None, fn_kwargs={"partitions": partitions})
    copies = keys.groupby("part", num_partitions=partitions).map_groups(later_copies, batch_format="pyarrow")
    return copies.sort("pos")


def _doomed(plan: Plan, tasks: list[FileTask | SourceError], staged: Dataset) -> bool:
    """A strict build with bad input fails in the replay; no need to shuffle for dedup first."""
    if not plan.config.strict:
        return False
    if any(isinstance(t, SourceError) for t in tasks):
        return True
    return staged.map_batches(_problems_only, batch_format="pyarrow", batch_size=None).count() > 0


def _problems_only(batch: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return batch.filter(pc.equal(batch.column("kind"), PROBLEM)).select(["pos"])


# -- the driver's ordered stream ------------------------------------------------------


def _ordered(staged: Dataset | None, duplicates: Dataset | None) -> Iterator[tuple[int, Outcome]]:
    """Every outcome in position order, later copies marked with their survivor."""
    if staged is None:
        return
    later = _duplicate_stream(duplicates)
    upcoming = next(later, None)
    last = -1
    for batch in staged.iter_batches(batch_format="pyarrow", batch_size=None):
        columns = (
            batch.column("pos").to_pylist(),
            batch.column("kind").to_pylist(),
            batch.column("data").to_pylist(),
            batch.column("rendered").to_pylist(),
        )
        for pos, kind, data, shown in zip(*columns, strict=True):
            if pos < last:
                raise RuntimeError(f"rows out of order ({pos} after {last}): this is a bug in the ray engine")
            last = pos
            if kind != KEPT:
                yield pos, decode(kind, data)
                continue
            duplicate_of = None
            if upcoming is not None:
                if upcoming[0] < pos:
                    raise RuntimeError(f"a duplicate at position {upcoming[0]} matches no kept record")
                if upcoming[0] == pos:
                    duplicate_of = upcoming[1]
                    upcoming = next(later, None)
            if shown and duplicate_of is None:  # rendered on the worker: the record itself is not needed
                yield pos, Kept(None, rendered=decode_rendered(shown))
                continue
            outcome = decode(KEPT, data)
            outcome.duplicate_of = duplicate_of
            yield pos, outcome
    if upcoming is not None:
        raise RuntimeError(f"a duplicate at position {upcoming[0]} matches no kept record")


def _duplicate_stream(duplicates: Dataset | None) -> Iterator[tuple[int, str]]:
    if duplicates is None:
        return
    for batch in duplicates.iter_batches(batch_format="pyarrow", batch_size=None):
        yield from zip(batch.column("pos").to_pylist(), batch.column("duplicate_of").to_pylist(), strict=True)


def _by_file(outcomes: Iterator[tuple[int, Outcome]]) -> Iterator[tuple[int, Iterator[Outcome]]]:
    """Outcomes grouped by file: the shards of a file form one group."""
    for index, group in itertools.groupby(outcomes, key=lambda item: item[0] >> FILE_SHIFT):
        yield index, (outcome for _, outcome in group)


# -- phases --------------------------------------------------------------------------


@dataclass
class _PhaseDecider:
    """Gives a phase with ``run_ray`` a dataset of its records; others read the driver's spill."""

    staged: Dataset | None
    duplicates: Dataset | None

    def __post_init__(self) -> None:
        self.previous: list[tuple[str, PhaseResult]] = []
        self._dup_positions: Any = None

    def __call__(self, index: int, phase: Phase, spill: Spill) -> PhaseResult:
        run_ray = _ray_path(phase)
        if run_ray is not None and self.staged is not None:
            result = run_ray(self.dataset(), lambda: iter(spill))
        else:
            result = phase.run(lambda: iter(spill))
        self.previous.append((phase.name, result))
        return result

    def dataset(self) -> Dataset:
        """The records the next phase sees: kept, not later copies, not rejected by earlier phases."""
        import numpy as np

        if self._dup_positions is None:
            chunks = [np.zeros(0, dtype=np.int64)]
            if self.duplicates is not None:
                for batch in self.duplicates.iter_batches(batch_format="numpy", batch_size=None):
                    chunks.append(np.asarray(batch["pos"], dtype=np.int64))
            self._dup_positions = np.sort(np.concatenate(chunks))
        assert self.staged is not None
        return self.staged.map_batches(
            phase_input,
            batch_format="pyarrow",
            batch_size=None,
            fn_kwargs={"duplicates": self._dup_positions, "previous": list(self.previous)},
        )


def phase_input(batch: pa.Table, *, duplicates: Any, previous: list[tuple[str, PhaseResult]]) -> pa.Table:
    """``map_batches`` function: the rows of a Ray-aware phase's input (``pos``, ``record``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kept = batch.filter(pc.equal(batch.column("kind"), KEPT))
    positions = np.asarray(kept.column("pos").to_numpy(), dtype=np.int64)
    later = in_sorted(positions, duplicates)
    out_pos: list[int] = []
    out_records: list[bytes] = []
    for pos, data, copy in zip(positions.tolist(), kept.column("data").to_pylist(), later.tolist(), strict=True):
        if copy:
            continue
        record = unpack(pickle.loads(data))
        for name, result in previous:
            survivors, _ = apply_phase(result, name, [record])
            if not survivors:
                break
        else:
            out_pos.append(pos)
            out_records.append(_dumps(pack(record)))
    return pa.table(
        {"pos": pa.array(out_pos, pa.int64()), "record": pa.array(out_records, pa.large_binary())},
    )


def phase_records(batch: Any) -> list[Record]:
    """The records in a batch of a Ray-aware phase's input dataset.

    The dataset has two columns: ``pos`` (the record's place in the canonical order:
    sort by it when a decision depends on order) and ``record`` (the record, packed
    and pickled).
    Works with ``pyarrow``, ``pandas`` and ``numpy`` batches.
    """
    column = batch["record"]
    values = column.to_pylist() if hasattr(column, "to_pylist") else list(column)
    return [unpack(pickle.loads(value)) for value in values]
