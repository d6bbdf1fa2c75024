"""What the engines' workers read: the input cut into units of about the same size.

A worker (a process of the local engine's pool, a Ray task) reads a unit itself (parsing is
half the work of a build), decides its records and sends the outcomes back; the engine's
process only consumes them in input order (the sink).
:func:`plan_jobs` turns the resolved sources into jobs, in input order:

* :class:`Unit`: small files read whole (several at once, up to the target size), or one
  shard of a large file its importer cuts (:meth:`~curate.importing.Importer.shards`);
* :class:`Tail`: after the last shard of a file, what reading it whole ends with: the
  warning about bytes its decoding replaced, and its size and digest (a pass of its own);
* :class:`Local`: a large file that cannot be cut (compressed, CSV, a JSON array, HTML...):
  the local engine's process reads it, chunk by chunk, and the workers decide the chunks
  (the Ray engine reads it whole in a task, as a unit of its own);
* a :class:`~curate.errors.SourceError` (a file that could not be read), passed on.

Reading in units yields what reading each file whole yields, item for item (the importers'
shard contract), so outputs do not depend on the number of workers or on the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from curate.errors import SourceError
from curate.importing import Importer, InputFile, Shard, read_through
from curate.sources import FileTask, plan_shards, read_shard
from curate.stream import FileDigest, Item, read_whole

#: The size of a unit a worker reads: small enough that a unit's outcomes, held at once,
#: stay small (a few units are in flight), large enough that a unit outweighs its messages.
UNIT_BYTES = 1 << 20
#: A compressed file is read whole by a worker only when it is this many times smaller than a
#: unit (what it expands to is held at once); a larger one is read by the engine's process.
COMPRESSED_RATIO = 32
#: At most this many small files in one unit.
MAX_FILES_PER_UNIT = 64


@dataclass(frozen=True, slots=True)
class Part:
    """A file read whole (``shard`` ``None``) or one shard of it.

    Pickled with its importer's class and options, not the importer: an importer may hold
    what does not pickle (a module, a compiled parser); the worker builds its own, once.
    """

    task: FileTask
    shard: Shard | None = None

    @property
    def starts_file(self) -> bool:
        """Whether the file's items start with this part (its task goes before them)."""
        return self.shard is None or self.shard.index == 0

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        importer = self.task.importer
        return _part, (self.task.file, type(importer), importer.options, self.shard)


#: The importers a worker built, by class and options.
_IMPORTERS: dict[tuple[type[Importer], Any], Importer] = {}


def _part(file: InputFile, cls: type[Importer], options: Any, shard: Shard | None) -> Part:
    """The inverse of :meth:`Part.__reduce__`."""
    try:
        importer = _IMPORTERS.get((cls, options))
        if importer is None:
            importer = _IMPORTERS[cls, options] = cls(options)
    except TypeError:  # options that cannot be a key
        importer = cls(options)
    return Part(FileTask(file, importer), shard)


@dataclass(frozen=True, slots=True)
class Unit:
    """Parts a worker reads one after the other."""

    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of a file read in shards: its decoding's warning and its digest (``encoding`` of its text)."""

    file: InputFile
    encoding: str | None


@dataclass(frozen=True, slots=True)
class Local:
    """A file the engine's process reads (it cannot be cut and is too large to read whole in a worker)."""

    task: FileTask


Job = Unit | Tail | Local | SourceError
#: What cuts a file: ``cut(task, shard_bytes)``, the shards or ``None`` (:func:`~curate.sources.plan_shards`).
Cut = Callable[[FileTask, int], list[Shard] | None]


def plan_jobs(
    tasks: Iterable[FileTask | SourceError], target_bytes: int = UNIT_BYTES, cut: Cut = plan_shards
) -> Iterator[Job]:
    """The jobs that read ``tasks`` (from :func:`~curate.sources.resolve_sources`), in input order.

    Small files are grouped into units of up to ``target_bytes``; larger ones are cut into
    shards of about ``target_bytes`` by ``cut`` where their importer can. Cutting a file is a
    pass over its bytes, made by default here when the file's turn comes (the Ray engine
    cuts in tasks of its own). ``target_bytes`` 0: every file is :class:`Local`.
    """
    group: list[Part] = []
    size = 0
    for task in tasks:
        if isinstance(task, SourceError):
            if group:
                yield Unit(tuple(group))
                group, size = [], 0
            yield task
            continue
        if target_bytes < 1:
            yield Local(task)
            continue
        nbytes = file_size(task)
        whole = nbytes * COMPRESSED_RATIO if task.file.compression else nbytes
        if whole <= target_bytes:
            if group and (size + whole > target_bytes or len(group) >= MAX_FILES_PER_UNIT):
                yield Unit(tuple(group))
                group, size = [], 0
            group.append(Part(task))
            size += whole
            continue
        if group:
            yield Unit(tuple(group))
            group, size = [], 0
        shards = cut(task, shard_bytes(nbytes, target_bytes))
        if shards is None:
            yield Local(task)
            continue
        for shard in shards:
            yield Unit((Part(task, shard),))
        yield Tail(task.file, shards[0].encoding)
    if group:
        yield Unit(tuple(group))


def shard_bytes(size: int, target_bytes: int) -> int:
    """The shard size for a file of ``size`` bytes: ``target_bytes``, down to a quarter of it so that the file
    gives about 16 shards (the last units of a build then keep every worker busy). It depends on the file alone,
    never on the number of workers."""
    return min(target_bytes, max(target_bytes // 4, size // 16, 1))


def file_size(task: FileTask) -> int:
    """The size of ``task``'s file; 0 when it cannot be read (reading it says what is wrong)."""
    try:
        return task.file.path.stat().st_size
    except OSError:
        return 0


def part_items(part: Part, *, debug: bool = False) -> Iterator[Item]:
    """A part's items in file order; a file read whole ends with its digest, as in the engine's own reading."""
    if part.shard is not None:
        return read_shard(part.task, part.shard, debug=debug)
    return read_whole(part.task, debug=debug)


def tail_items(tail: Tail) -> list[Item]:
    """What reading ``tail``'s file whole ends with: the decoding's warning, if any, then the digest."""
    file = tail.file
    problems = read_through(file, tail.encoding)
    return [*problems, FileDigest.of(file)]
