"""The output folder: owned by one build at a time, and switched to a new build in one step.

Layout of an output folder ``out/``::

    out/train.jsonl   -> .curate/current/train.jsonl    (and val, rejects, manifest...)
    out/.curate/lock                                      held by the build writing here
    out/.curate/current -> gen-20261205T130501-4f2a       the complete set users see
    out/.curate/gen-20261205T130501-4f2a/                 one complete build's outputs
    out/.curate/staging-*/                                a build in progress

A build writes everything into its staging folder, renames it to a generation folder,
and then replaces the one symbolic link ``.curate/current`` (``os.replace``: atomic on
POSIX file systems). The names users read (``out/train.jsonl``...) are links through
``current``, so they switch together: a ``kill -9`` at any instant leaves either the
complete old set or the complete new set, never a mix (see ``docs/guarantees.md``).

The lock is an ``fcntl.flock`` on ``.curate/lock``: the kernel drops it when its
process dies, so a killed build never blocks the next one, and anything under
``.curate/`` that is not the current generation belongs to a dead build and is removed
by the next build that takes the lock. The lock file holds who took it (pid, host,
start time, command line) so that a second build can name the first.

Where symbolic links cannot be made (some Windows and network file systems) the
outputs are moved into place one file at a time, as before, and the manifest is moved
last; a kill during that step can then leave a mix, which ``docs/guarantees.md`` says.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from curate.errors import OutputBusy, OutputUnusable

STATE = ".curate"
LOCK = "lock"
CURRENT = "current"
GEN_PREFIX = "gen-"
STAGING_PREFIX = "staging-"
#: Staging folders of curate versions before the generation layout.
_LEGACY_STAGING_PREFIX = ".curate-staging-"

try:  # POSIX; elsewhere the lock is a plain exclusive-create file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The descriptors of the locks this process holds. A forked child (a stage worker) closes its
#: copies at once: a flock lasts while any copy is open, and a worker outliving a killed build
#: must not keep the folder locked.
_HELD: set[int] = set()


def _close_held_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


def describe_os_error(exc: OSError) -> str:
    """``exc`` as one line a user can act on: the path and the system's reason."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return reason


class OutputFolder:
    """An output folder, locked for one build from :meth:`open` until :meth:`release`.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = OutputFolder.open(Path(tmp) / "out")
    ...     staging = folder.new_staging()
    ...     _ = (staging / "train.jsonl").write_text("{}\\n")
    ...     folder.publish(staging, ["train.jsonl"])
    ...     folder.release()
    ...     (Path(tmp) / "out" / "train.jsonl").read_text()
    '{}\\n'
    """

    def __init__(self, path: Path, state: Path, lock: IO[str] | None, lock_path: Path) -> None:
        self.path = path
        self.state = state
        self._lock = lock
        self._lock_path = lock_path
        #: Names :meth:`publish` left alone: plain files of the user's own (they stay reachable
        #: under ``.curate/current/``).
        self.kept_user_files: list[str] = []

    # -- taking the folder -----------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> OutputFolder:
        """Create ``path`` if needed, take its lock, and remove what dead builds left.

        Raises :class:`OutputBusy` naming the other build when one holds the folder, and
        :class:`OutputUnusable` when the folder cannot be made or written.
        """
        out = Path(path)
        if out.exists() and not out.is_dir():
            raise OutputUnusable(
                f"output {str(out)!r} exists and is not a folder", hint="pass -o a folder (it is created if missing)"
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
            state = out / STATE
            state.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputUnusable(
                f"cannot create the output folder {str(out)!r}: {exc.strerror or exc}",
                hint="choose another -o, or fix the folder's permissions",
            ) from None
        lock_path = state / LOCK
        lock = _take_lock(lock_path, out)
        folder = cls(out, state, lock, lock_path)
        folder._remove_leftovers()  # first: on a full disk this gives space back
        _say_who(lock)
        return folder

    def release(self) -> None:
        """Give the folder back (idempotent)."""
        if self._lock is None:
            return
        lock, self._lock = self._lock, None
        if fcntl is None:  # pragma: no cover - Windows
            lock.close()
            self._lock_path.unlink(missing_ok=True)
            return
        with contextlib.suppress(OSError):
            lock.seek(0)
            lock.truncate()
        _HELD.discard(lock.fileno())
        lock.close()  # closing the descriptor drops the flock

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def new_staging(self) -> Path:
        """A fresh, empty staging folder for this build."""
        staging = self.state / f"{STAGING_PREFIX}{_stamp()}"
        staging.mkdir()
        return staging

    # -- publishing ------------------------------------------------------------------

    def publish(self, staging: Path, names: Iterable[str]) -> None:
        """Make the files ``names`` in ``staging`` the folder's outputs, all at once.

        Every other file in ``staging`` (scratch files) is discarded. The switch is one
        ``os.replace`` of the ``current`` link; the previous generation is then removed.
        """
        names = list(dict.fromkeys(names))
        for name in names:
            _fsync_file(staging / name)
        for leftover in staging.iterdir():
            if leftover.name not in names:
                _remove(leftover)
        if not _symlinks_work(self.state):
            self._publish_by_file(staging, names)
            return
        self._adopt_legacy_files(names)
        # A plain file of the user's own under a name curate would publish (README.md...) stays theirs.
        self.kept_user_files = [
            n
            for n in names
            if n not in _KNOWN_OUTPUTS and (self.path / n).is_file() and not (self.path / n).is_symlink()
        ]
        generation = self.state / f"{GEN_PREFIX}{_stamp()}"
        os.rename(staging, generation)
        _fsync_dir(self.state)
        _switch_link(self.state / CURRENT, generation.name)  # the commit point
        # The user-facing names: links through `current`, made once, never changed after.
        previous = set(_published_names(self.path))
        for name in names:
            if name in self.kept_user_files:
                continue
            link = self.path / name
            target = f"{STATE}/{CURRENT}/{name}"
            if not (link.is_symlink() and os.readlink(link) == target):
                _switch_link(link, target)
        for name in previous - set(names):  # an output this build does not make (report.html...)
            (self.path / name).unlink(missing_ok=True)
        _fsync_dir(self.path)
        self._remove_leftovers()

    def _publish_by_file(self, staging: Path, names: list[str]) -> None:  # pragma: no cover - no symlinks
        manifest = [n for n in names if n == "manifest.json"]
        for name in [n for n in names if n != "manifest.json"] + manifest:
            os.replace(staging / name, self.path / name)
        shutil.rmtree(staging, ignore_errors=True)

    def _adopt_legacy_files(self, names: list[str]) -> None:
        """Turn outputs of an older curate (plain files) into a generation, without a moment of mixed state.

        Each plain file is hard-linked (or copied) into a ``gen-legacy`` folder, ``current``
        points at it, and only then is each plain file replaced by a link showing the same
        bytes. A kill at any point leaves every name showing the old content.
        """
        plain = [p for p in self.path.iterdir() if p.name in _KNOWN_OUTPUTS and p.is_file() and not p.is_symlink()]
        if not plain:
            return
        legacy = self.state / f"{GEN_PREFIX}legacy-{_stamp()}"
        legacy.mkdir()
        for p in plain:
            try:
                os.link(p, legacy / p.name)
            except OSError:
                shutil.copy2(p, legacy / p.name)
        _fsync_dir(legacy)
        _switch_link(self.state / CURRENT, legacy.name)
        for p in plain:
            _switch_link(p, f"{STATE}/{CURRENT}/{p.name}")

    # -- cleaning --------------------------------------------------------------------

    def _remove_leftovers(self) -> None:
        """Remove staging and generation folders other than the current one: they belong to dead builds."""
        current = _current_generation(self.state)
        for entry in self.state.iterdir():
            if entry.name.startswith((STAGING_PREFIX, GEN_PREFIX)) and entry.name != current:
                _remove(entry)
            elif entry.name.startswith(f"{CURRENT}.") or entry.name.startswith(".link-"):
                _remove(entry)
        for entry in self.path.iterdir():
            if entry.name.startswith((_LEGACY_STAGING_PREFIX, ".link-")):
                _remove(entry)


#: Names a build may publish, for adopting an older curate's plain files.
_KNOWN_OUTPUTS = frozenset(
    {"train.jsonl", "val.jsonl", "rejects.jsonl", "changes.jsonl", "manifest.json", "report.html"}
)


def _take_lock(lock_path: Path, out: Path) -> IO[str]:
    try:
        fh = open(lock_path, "a+", encoding="utf-8")
    except OSError as exc:
        raise OutputUnusable(
            f"cannot write in the output folder {str(out)!r}: {describe_os_error(exc)}",
            hint="choose another -o, or fix the folder's permissions",
        ) from None
    if fcntl is None:  # pragma: no cover - Windows: no advisory locks here
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            fh.close()
            raise OutputUnusable(f"cannot lock the output folder {str(out)!r}: {describe_os_error(exc)}") from None
        fh.seek(0)
        holder = _describe_holder(fh.read())
        fh.close()
        raise OutputBusy(
            f"another build is writing to {str(out)!r}: {holder}",
            hint="wait for it to finish, or build into another folder with -o",
        ) from None
    _HELD.add(fh.fileno())
    return fh


def _say_who(fh: IO[str]) -> None:
    """Write who holds the lock into it, for a second build's message (best effort: a full disk skips it)."""
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
    }
    with contextlib.suppress(OSError):
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(holder))
        fh.flush()


def _describe_holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on {info['host']}, started {info['started']} ({info['command']})"
    except (ValueError, KeyError, TypeError):
        return "a curate build (it did not say which)"


def _stamp() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


def _current_generation(state: Path) -> str | None:
    try:
        return os.readlink(state / CURRENT)
    except OSError:
        return None


def _published_names(out: Path) -> list[str]:
    prefix = f"{STATE}/{CURRENT}/"
    names = []
    for entry in out.iterdir():
        if entry.is_symlink():
            with contextlib.suppress(OSError):
                if os.readlink(entry).startswith(prefix):
                    names.append(entry.name)
    return names


def _switch_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one atomic step (a new link renamed over the old name)."""
    tmp = link.parent / f".link-{uuid.uuid4().hex[:8]}"
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _symlinks_work(folder: Path) -> bool:
    probe = folder / f".link-probe-{uuid.uuid4().hex[:8]}"
    try:
        os.symlink("probe", probe)
    except (OSError, NotImplementedError):  # pragma: no cover - no symlinks here
        return False
    probe.unlink()
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
