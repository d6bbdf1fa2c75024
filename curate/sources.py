"""From source specs to importers reading files: the seam every engine shares.

:func:`resolve_sources` walks each source and picks each file's importer (explicit,
else by suffix, else by sniffing), with the options that apply to it.
:func:`read_file` streams one file's records and turns anything that goes wrong
inside an importer into a :class:`~curate.importing.Problem`, so one bad file never
stops a build. :func:`plan_shards` and :func:`read_shard` do the same for an engine
that reads a large file in pieces (:meth:`~curate.importing.Importer.shards`).
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from curate.config import SourceSpec
from curate.errors import BuildFailed, ConfigError, CurateError, SourceError
from curate.importing import DECOMPRESSION_ERRORS, Importer, InputFile, Problem, Shard, check_shards, walk
from curate.records import Record
from curate.registry import Registry


@dataclass(frozen=True)
class FileTask:
    """One file and the importer (with its options) that will read it."""

    file: InputFile
    importer: Importer


def check_sources(specs: list[SourceSpec], registry: Registry) -> None:
    """Fail early on options no importer accepts and on unknown importer names."""
    all_fields: set[str] = set()
    for cls in registry.importers.values():
        all_fields |= {f.name for f in dataclasses.fields(cls.Options)}
    for spec in specs:
        if spec.importer is not None:
            cls = registry.importer(spec.importer)
            cls.from_options({**spec.options, **spec.importer_options.get(cls.name, {})})
        for name, options in spec.importer_options.items():
            registry.importer(name).from_options(options)
        unknown = sorted(set(spec.options) - all_fields)
        if unknown:
            raise ConfigError(
                f"source {spec.path!r}: no importer accepts the option(s) {', '.join(map(repr, unknown))}",
                hint="`curate plugins` lists each importer's options",
            )


def importer_for(spec: SourceSpec, cls: type[Importer], cache: dict[str, Importer]) -> Importer:
    """The importer instance of class ``cls`` for ``spec``, with the options it accepts."""
    if cls.name not in cache:
        accepted = {f.name for f in dataclasses.fields(cls.Options)}
        options = {k: v for k, v in spec.options.items() if spec.importer or k in accepted}
        options.update(spec.importer_options.get(cls.name, {}))
        cache[cls.name] = cls.from_options(options)
    return cache[cls.name]


def resolve_sources(
    specs: list[SourceSpec], registry: Registry, *, exclude: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[FileTask | SourceError]:
    """Every file of every source with its importer, in a deterministic order.

    Folders in ``exclude`` (the build's output folder) are never read: the walk yields a
    :class:`~curate.importing.Skipped` warning for them instead.
    """
    for spec in specs:
        cache: dict[str, Importer] = {}
        forced = registry.importer(spec.importer) if spec.importer else None
        for item in walk(spec.path, exclude=exclude):
            if isinstance(item, SourceError):
                yield item
                continue
            if item.path != Path(spec.path) and any(c.companion(item) for c in registry.importers.values()):
                continue  # metadata of a dataset folder (Importer.companion), not data
            cls = forced or registry.importer_for(item)
            if cls is None:
                yield SourceError(
                    item.display,
                    None,
                    f"no importer recognises this file (suffix {item.suffix or 'none'!r})",
                    hint='pass --importer NAME, or set importer = "NAME" for this source; `curate plugins` lists them',
                )
                continue
            yield FileTask(item, importer_for(spec, cls, cache))


def read_file(task: FileTask, *, debug: bool = False) -> Iterator[Record | Problem]:
    """Stream ``task``'s records; an importer's failure becomes a final :class:`Problem`.

    The file's :class:`~curate.importing.ReadMeter` is reset first; at the end comes its
    warning about bytes the text decoding replaced, if any. Afterwards
    ``task.file.meter.finish(task.file.path)`` gives the size and SHA-256 of what was read.
    """
    task.file.meter.reset()
    yield from _guarded(task, lambda: task.importer.read(task.file), debug=debug)
    yield from task.file.meter.problems()


def splittable(task: FileTask) -> bool:
    """Whether ``task``'s importer may cut its file into shards: it has the hook, the file is not compressed."""
    return type(task.importer).shards is not Importer.shards and task.file.compression is None


def plan_shards(task: FileTask, target_bytes: int) -> list[Shard] | None:
    """The shards ``task``'s importer cuts its file into, or ``None`` to read it whole.

    ``None`` as well when the importer raises or returns shards that do not cover the
    file (:func:`~curate.importing.check_shards`), or a single one: reading the file
    whole with :meth:`~curate.importing.Importer.read` gives the same outputs.
    """
    if target_bytes < 1 or not splittable(task):
        return None
    try:
        size = task.file.path.stat().st_size
        if size <= target_bytes:
            return None
        shards = task.importer.shards(task.file, target_bytes)
        if shards is None or len(shards) < 2:
            return None
        check_shards(shards, size)
    except Exception:  # a bug in the hook must not end the build: the file is read whole
        return None
    return list(shards)


def read_shard(task: FileTask, shard: Shard, *, debug: bool = False) -> Iterator[Record | Problem]:
    """Stream one shard's records; an importer's failure becomes a final :class:`Problem` of the shard."""
    yield from _guarded(task, lambda: task.importer.read_shard(task.file, shard), debug=debug)


def _guarded(
    task: FileTask, items: Callable[[], Iterator[Record | Problem]], *, debug: bool
) -> Iterator[Record | Problem]:
    """What ``items()`` yields, ending with a :class:`Problem` if the importer fails."""
    try:
        yield from items()
    except CurateError as exc:
        yield Problem(getattr(exc, "locator", None), getattr(exc, "reason", None) or exc.message)
    except MemoryError as exc:  # not one bad file: the build cannot go on, and must not end "successfully"
        raise BuildFailed(
            f"{task.file.display}: ran out of memory while importer {task.importer.name!r} read it",
            hint="read it in smaller pieces (the importer's options: a text file with split = 'paragraph' or "
            "'length'), or give the build more memory",
        ) from exc
    except DECOMPRESSION_ERRORS as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        yield Problem(None, f"cannot read further (damaged or truncated file?): {detail}")
    except Exception as exc:  # a bug in an importer must not end the build; it is reported
        detail = traceback.format_exc() if debug else f"{type(exc).__name__}: {exc}"
        yield Problem(None, f"importer {task.importer.name!r} failed: {detail}")
