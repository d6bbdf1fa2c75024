"""The ledger: where every record ends, and the build's outputs, written atomically.

The ledger takes the output folder for its build (:class:`~curate.outdir.OutputFolder`:
one build at a time), writes every output into a staging folder, and publishes the
whole set in one atomic step only when the build succeeds. A failed, interrupted or
killed build leaves the previous outputs as they were.

The invariant the manifest states and the tests check::

    read == train + val + rejected
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from curate.counts import Counts
from curate.jsonl import dumps, loads
from curate.outdir import OutputFolder
from curate.records import Record
from curate.stages.base import Rejection

OUTPUT_FILES = ("train.jsonl", "val.jsonl", "rejects.jsonl", "changes.jsonl")
MANIFEST = "manifest.json"
#: How the output files encode what UTF-8 cannot: a lone surrogate from the input (JSON's
#: ``"\ud800"``) is written back as the same JSON escape, which only occurs inside strings.
JSON_ESCAPES = "backslashreplace"
_VERSIONED = (
    "pluggy",
    "pandas",
    "lxml",
    "beautifulsoup4",
    "sqlparse",
    "ftfy",
    "numpy",
    "torch",
    "sentence-transformers",
    "transformers",
    "peft",
    "ray",
)


@dataclass(slots=True)
class InputEntry:
    """What the manifest says of one input file."""

    path: str
    size: int
    sha256: str
    importer: str | None
    records: int = 0
    problems: int = 0


@dataclass(slots=True)
class ErrorEntry:
    """One bad input: where, and what was wrong."""

    path: str
    locator: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.locator}: {self.message}" if self.locator else f"{self.path}: {self.message}"


class Ledger:
    """Writes train, val and rejects into a staging folder and keeps the counts.

    Use as a context manager: it holds the output folder's lock until it is left;
    leaving it with an exception removes the staging folder; :meth:`commit` publishes
    the outputs. Raises :class:`~curate.outdir.OutputBusy` when another build holds the
    folder.
    """

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out_dir = Path(out_dir)
        self.folder = OutputFolder.open(self.out_dir)
        self.counts = Counts()
        self.inputs: list[InputEntry] = []
        self.errors: list[ErrorEntry] = []
        self.warnings: list[ErrorEntry] = []
        self._scratch: list[IO[str]] = []
        self._files: dict[str, IO[str]] = {}
        try:
            self.staging = self.folder.new_staging()
            try:  # an interrupt here (Ctrl-C, SIGTERM) leaves no staging folder behind either
                for name in OUTPUT_FILES:
                    self._files[name] = open(
                        self.staging / name, "w", encoding="utf-8", errors=JSON_ESCAPES, newline="\n"
                    )
            except BaseException:
                self.abort()
                raise
        except BaseException:
            self.folder.release()
            raise
        #: The files :meth:`commit` publishes (besides the manifest and ``extra_files``).
        self.outputs: list[str] = list(OUTPUT_FILES)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is not None:
                self.abort()
        finally:
            self.folder.release()

    # -- records -------------------------------------------------------------------

    def read(self, n: int = 1) -> None:
        """Count ``n`` records read from the inputs."""
        self.counts.read += n

    def reject(self, rejection: Rejection) -> None:
        """Write one rejected record, with its stage and reason, to rejects.jsonl."""
        self.reject_line(rejection.stage, rejection.reason, dumps(rejection.to_dict()))

    def reject_line(self, stage: str, reason: str, line: str) -> None:
        """Write one rejection already serialised by :func:`dumps` (``line``, without its newline)."""
        self.counts.rejected_by[stage][reason] += 1
        self._files["rejects.jsonl"].write(line + "\n")

    def reject_all(self, rejections: Iterable[Rejection]) -> None:
        for rejection in rejections:
            self.reject(rejection)

    def write(self, side: str, row: dict[str, Any]) -> None:
        """Write one output row to ``train`` or ``val``."""
        self.write_line(side, dumps(row))

    def write_line(self, side: str, line: str) -> None:
        """Write one output row, already serialised by :func:`dumps`, to ``train`` or ``val``."""
        self._files[f"{side}.jsonl"].write(line + "\n")
        if side == "train":
            self.counts.train += 1
        else:
            self.counts.val += 1

    def changed_line(self, line: str) -> None:
        """Note a kept record that a stage changed or flagged in changes.jsonl (a line made by the writer)."""
        self._files["changes.jsonl"].write(line + "\n")

    def count(self, stage: str, events: Counter[str] | dict[str, int]) -> None:
        """Add a stage's event counters (repairs, changes...) to the manifest."""
        for key, n in events.items():
            if n:
                self.counts.stages[stage][key] += n

    def error(self, path: str, locator: str | None, message: str, *, warning: bool = False) -> ErrorEntry:
        """Record one bad input (or, with ``warning``, a notice that lost nothing) in the manifest."""
        entry = ErrorEntry(path, locator, message)
        (self.warnings if warning else self.errors).append(entry)
        return entry

    def scratch(self, name: str) -> IO[str]:
        """A temporary file in the staging folder, closed and removed with it."""
        fh = open(self.staging / name, "w", encoding="utf-8", errors=JSON_ESCAPES, newline="\n")
        self._scratch.append(fh)
        return fh

    def staged(self, name: str) -> Path:
        """The staging path of an output (for writers that rewrite a file)."""
        return self.staging / name

    def reopen(self, name: str) -> IO[str]:
        """Close and return a fresh append handle for a staged output after a rewrite."""
        self._files[name].close()
        self._files[name] = open(self.staging / name, "a", encoding="utf-8", errors=JSON_ESCAPES, newline="\n")
        return self._files[name]

    def flush(self, name: str) -> None:
        self._files[name].flush()

    def convert(self, name: str, new_name: str, convert: Callable[[Path, Path], object]) -> None:
        """Publish ``new_name`` instead of the output ``name``: ``convert(staged name, staged new_name)`` makes it."""
        self._files[name].close()
        convert(self.staging / name, self.staging / new_name)
        (self.staging / name).unlink()
        self.outputs[self.outputs.index(name)] = new_name

    # -- finishing -----------------------------------------------------------------

    def commit(self, manifest: dict[str, Any], extra_files: Iterable[str] = ()) -> dict[str, Any]:
        """Close the outputs, write the manifest, and publish the whole set at once.

        ``extra_files`` names other files already written into :attr:`staging`
        (``report.html``...). Returns the manifest as written.
        """
        self._close()
        names = [*self.outputs, *extra_files]
        manifest = dict(manifest)
        manifest["counts"] = self.counts.to_dict()
        manifest["inputs"] = [asdict(i) for i in self.inputs]
        manifest["errors"] = [asdict(e) for e in self.errors]
        manifest["warnings"] = [asdict(e) for e in self.warnings]
        manifest["outputs"] = {name: _file_entry(self.staging / name) for name in names}
        manifest["versions"] = versions()
        with open(self.staging / MANIFEST, "w", encoding="utf-8") as fh:  # streamed: it lists every input
            json.dump(manifest, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        self.folder.publish(self.staging, [*names, MANIFEST])
        return manifest

    def abort(self) -> None:
        """Drop the staging folder; previous outputs stay untouched.

        Closing a file can fail (its buffer cannot be flushed on a full disk): the staging
        folder is removed all the same, which is what gives the space back.
        """
        for fh in [*self._files.values(), *self._scratch]:
            with contextlib.suppress(OSError):
                fh.close()
        shutil.rmtree(self.staging, ignore_errors=True)

    def _close(self) -> None:
        for fh in [*self._files.values(), *self._scratch]:
            fh.close()


def _file_entry(path: Path) -> dict[str, Any]:
    if path.suffix == ".parquet":
        from curate.parquet_output import parquet_rows

        return {"sha256": sha256_file(path)[0], "records": parquet_rows(path)}
    digest, lines = sha256_file(path, count_lines=True)
    return {"sha256": digest, "records": lines}


def sha256_file(path: str | os.PathLike[str], count_lines: bool = False) -> tuple[str, int]:
    """The SHA-256 hex digest of a file, and its number of lines when asked."""
    h = hashlib.sha256()
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            if count_lines:
                lines += chunk.count(b"\n")
    return h.hexdigest(), lines


def versions() -> dict[str, str]:
    """Python, curate and the installed versions of the libraries that shape the output."""
    out = {"python": platform.python_version()}
    for name in ("curate", *_VERSIONED):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file written by curate."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield loads(line)


class Spill:
    """Records written to a temporary JSONL file and read back, for phases that need them all."""

    def __init__(self, ledger: Ledger, name: str) -> None:
        self.path = ledger.staged(name)
        self._fh: IO[str] | None = ledger.scratch(name)
        self.count = 0

    def write(self, records: Iterable[Record]) -> None:
        assert self._fh is not None, "spill already closed"
        for record in records:
            self._fh.write(dumps(record.to_dict()) + "\n")
            self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self) -> Iterator[Record]:
        self.close()
        for row in iter_jsonl(self.path):
            yield Record.from_dict(row)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
