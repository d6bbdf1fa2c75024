"""Reference sets: the evaluation data a build must not train on (``--exclude-like``).

A reference path is a file or a folder in any format curate imports (JSON Lines, JSON,
CSV, Parquet, text, a ``datasets`` folder...): it is read with the very importers a build
uses, and its text is normalised as the build normalises records. Reference files are
never build sources (the walk skips them inside source folders) and their content is
never written to the outputs: the manifest lists each file's path, SHA-256 and item
count only.

Reading is strict: a path that does not exist, a file no importer recognises or that
fails to read, and a path that gives no record are :class:`~curate.errors.ConfigError`
(exit 2), naming the path. An evaluation set read in part would let contamination through.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from curate.config import SourceSpec
from curate.errors import ConfigError, SourceError
from curate.importing import Problem, Skipped
from curate.records import Record
from curate.stages.normalise import normalise_text

HINT = "check the path given to --exclude-like (exclude_like in [build]): an evaluation set curate can read"


@dataclass(frozen=True)
class ReferenceFile:
    """One file of a reference set, as the manifest lists it."""

    path: str
    sha256: str
    size: int
    items: int
    importer: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReferenceSet:
    """Every item of the reference paths: where each one is, and its texts (normalised)."""

    files: list[ReferenceFile] = field(default_factory=list)
    #: ``path:locator`` of each item (``evals/mmlu.jsonl:line 12``).
    locators: list[str] = field(default_factory=list)
    #: The texts of each item, as ``(field, text)`` pairs (see :func:`record_parts`).
    parts: list[list[tuple[str, str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.locators)


def record_parts(record: Record) -> list[tuple[str, str]]:
    """The texts of ``record`` that are compared with a reference set, as ``(field, text)``.

    ``text``; ``input`` and ``output``; or each non-system turn of a conversation
    (``messages[3]``). System prompts are left out: they are shared boilerplate, not content.

    >>> from curate.records import Source
    >>> r = Record.create(Source("t", "f", "1"), messages=[
    ...     {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    >>> record_parts(r)
    [('messages[1]', 'Hi')]
    """
    if record.messages is not None:
        return [
            (f"messages[{i}]", turn["content"])
            for i, turn in enumerate(record.messages)
            if turn["role"] != "system" and turn["content"]
        ]
    if record.output is not None:
        return [(name, text) for name, text in (("input", record.input), ("output", record.output)) if text]
    return [("text", record.text)] if record.text else []


def read_references(
    paths: Sequence[str],
    *,
    normalise: bool = True,
    base_dir: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> ReferenceSet:
    """Read every reference path with curate's importers (see the module docstring for errors).

    ``options`` go to the importers as a source's options do (``{"text_column": "question"}``
    for an evaluation set of questions only).

    Relative paths are read from ``base_dir`` (the build's working folder, which a Ray
    worker does not share) but named as given, in locators and in the manifest.
    """
    from curate.registry import get_registry
    from curate.sources import read_file, resolve_sources

    registry = get_registry()
    refs = ReferenceSet()
    for path in paths:
        where = os.path.join(base_dir, path) if base_dir else path
        if not os.path.lexists(where):
            raise ConfigError(f"reference set {path!r} not found", hint=HINT)
        before = len(refs)

        def named(display: str, where: str = where, path: str = path) -> str:
            return path + display[len(where) :] if display.startswith(where) else display

        for task in resolve_sources([SourceSpec(where, options=dict(options or {}))], registry):
            if isinstance(task, Skipped):
                continue
            if isinstance(task, SourceError):
                raise ConfigError(f"reference set {path!r}: {named(task.message)}", hint=task.hint or HINT)
            items = 0
            for item in read_file(task):
                if isinstance(item, Problem):
                    if item.warning:
                        continue
                    at = named(task.file.display) + (f":{item.locator}" if item.locator else "")
                    raise ConfigError(
                        f"reference set {path!r}: {at}: {item.message}",
                        hint="fix the file, or map its columns with reference_options under "
                        "[filters.decontaminate] (an evaluation set read in part would let contamination through)",
                    )
                parts = record_parts(item)
                if normalise:
                    parts = [(name, normalise_text(text)) for name, text in parts]
                parts = [(name, text) for name, text in parts if text]
                if not parts:
                    continue
                locator = item.source.locator
                refs.locators.append(f"{named(item.source.path)}:{locator}" if locator else named(item.source.path))
                refs.parts.append(parts)
                items += 1
            size, digest = task.file.meter.finish(task.file.path)
            refs.files.append(ReferenceFile(named(task.file.display), digest, size, items, task.importer.name))
        if len(refs) == before:
            raise ConfigError(f"reference set {path!r} holds no record with text", hint=HINT)
    return refs


def fingerprint(paths: Iterable[str], base_dir: str | None = None) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every file under ``paths``: a cheap key for a cache of indexes."""
    out: list[tuple[str, int, int]] = []
    for given in paths:
        path = os.path.join(base_dir, given) if base_dir else given
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    out.append(_stat(os.path.join(root, name)))
        else:
            out.append(_stat(path))
    return tuple(out)


def _stat(path: str) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, st.st_size, st.st_mtime_ns)
