"""Walking sources: the files under a path in a deterministic order.

Each file once, never a FIFO, never a curate output folder.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

from curate.errors import SourceError
from curate.importing.files import InputFile


class Skipped(SourceError):
    """A file or folder the walk leaves out on purpose: a warning, not an error.

    Yielded by :func:`walk` for a folder holding a curate build's outputs (or excluded by
    the caller), a symbolic link back to a folder being read (a loop), and a folder or
    file reached a second time through links (each is read once). ``warning`` is always
    True; a caller that handles :class:`~curate.errors.SourceError` items should list a
    ``Skipped`` one as a warning and not fail a strict build over it.
    """

    warning: ClassVar[bool] = True


#: The folder under which a curate output folder keeps its state (see :mod:`curate.outdir`).
OUTPUT_STATE = ".curate"
#: A ``manifest.json`` larger than this is not a curate manifest (and is not read to find out).
_MANIFEST_MAX_BYTES = 64 << 20


def is_curate_output(folder: Path) -> bool:
    """True when ``folder`` holds the outputs of a curate build.

    That is: it has a ``.curate`` sub-folder, or a ``manifest.json`` (a regular file) that
    parses as a JSON object with the keys ``"counts"`` and ``"outputs"``. Never raises.
    """
    try:
        if (folder / OUTPUT_STATE).is_dir():
            return True
        manifest = folder / "manifest.json"
        st = manifest.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MANIFEST_MAX_BYTES:
            return False  # a FIFO named manifest.json would block the read
        with open(manifest, "rb") as fh:
            data = json.loads(fh.read(_MANIFEST_MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "counts" in data and "outputs" in data


def walk(
    path: str | os.PathLike[str], exclude: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[InputFile | SourceError]:
    """The files under ``path`` in a deterministic (sorted, depth-first) order.

    Hidden files and folders (``.name``) are skipped inside directories. Problems come
    back as :class:`SourceError` items, never raised: missing paths, broken links,
    unreadable files and folders, and named pipes, sockets and devices (never opened:
    opening a FIFO waits for a writer).

    Folders are followed through symbolic links, each once: a folder or file met again
    (by device and inode) is a :class:`Skipped` item, so a link loop ends and no file is
    read twice. Files and folders in ``exclude`` (the build's output folder, its reference
    sets) and folders holding a curate build's outputs (:func:`is_curate_output`) are skipped too, each
    reported once as a :class:`Skipped` item, even when ``path`` itself is one.
    """
    root = Path(path)
    display = str(path)
    excluded = _identities(exclude)
    try:
        st = root.stat()
    except FileNotFoundError:
        yield SourceError(display, None, "broken symbolic link" if root.is_symlink() else "no such file or directory")
        return
    except OSError as exc:
        yield SourceError(display, None, _os_reason(exc))
        return
    if stat.S_ISREG(st.st_mode):
        if (st.st_dev, st.st_ino) in excluded:
            yield Skipped(display, None, _EXCLUDED)
            return
        yield InputFile(root, display)
        return
    if not stat.S_ISDIR(st.st_mode):
        yield SourceError(display, None, _not_regular(st.st_mode))
        return
    identity = (st.st_dev, st.st_ino)
    skipped = _skip_folder(root, display, identity, excluded)
    if skipped is not None:
        yield skipped
        return
    yield from _walk_dir(root, display, identity, excluded)


def _walk_dir(
    root: Path, display: str, identity: tuple[int, int], excluded: frozenset[tuple[int, int]]
) -> Iterator[InputFile | SourceError]:
    """Depth-first over sorted entries, with an explicit stack (deep trees do not hit the recursion limit)."""
    folders: dict[tuple[int, int], str] = {identity: display}  # every folder read, by (device, inode)
    files: dict[tuple[int, int], str] = {}
    open_folders = [identity]  # the folders being read, outermost first: a link to one is a loop
    listing = _list(root, display)
    if isinstance(listing, SourceError):
        yield listing
        return
    stack = [(iter(listing), display)]
    while stack:
        entries, where = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            open_folders.pop()
            continue
        if entry.name.startswith("."):
            continue
        child_display = f"{where.rstrip('/')}/{entry.name}"
        try:
            st = entry.stat()  # follows links
        except FileNotFoundError:
            if entry.is_symlink() and os.path.lexists(entry.path):
                yield SourceError(child_display, None, "broken symbolic link")
            else:
                yield SourceError(child_display, None, "no longer exists (deleted or moved while the build ran)")
            continue
        except OSError as exc:
            yield SourceError(child_display, None, _os_reason(exc))
            continue
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key in folders:
                if key in open_folders:
                    reason = f"a symbolic link back to {folders[key]} (a loop); not followed"
                else:
                    reason = f"the same folder as {folders[key]}, already read; not read twice"
                yield Skipped(child_display, None, reason)
                continue
            folders[key] = child_display
            skipped = _skip_folder(Path(entry.path), child_display, key, excluded)
            if skipped is not None:
                yield skipped
                continue
            listing = _list(Path(entry.path), child_display)
            if isinstance(listing, SourceError):
                yield listing
                continue
            stack.append((iter(listing), child_display))
            open_folders.append(key)
        elif stat.S_ISREG(st.st_mode):
            if key in files:
                yield Skipped(child_display, None, f"the same file as {files[key]} (a link), already read; read once")
                continue
            files[key] = child_display
            if key in excluded:
                yield Skipped(child_display, None, _EXCLUDED)
                continue
            if not os.access(entry.path, os.R_OK):
                if os.path.exists(entry.path):
                    yield SourceError(child_display, None, "permission denied", hint="make it readable, or move it out")
                else:
                    yield SourceError(child_display, None, "no longer exists (deleted or moved while the build ran)")
                continue
            yield InputFile(Path(entry.path), child_display)
        else:
            yield SourceError(child_display, None, _not_regular(st.st_mode))


def _list(folder: Path, display: str) -> list[os.DirEntry[str]] | SourceError:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        return SourceError(display, None, "no longer exists (deleted or moved while the build ran)")
    except OSError as exc:
        return SourceError(display, None, f"cannot list directory: {_os_reason(exc)}")


#: Why the walk skips a path the caller excluded.
_EXCLUDED = "the build's output folder or a reference set (--exclude-like); not read as a source"


def _skip_folder(
    folder: Path, display: str, identity: tuple[int, int], excluded: frozenset[tuple[int, int]]
) -> Skipped | None:
    if identity in excluded:
        return Skipped(display, None, _EXCLUDED)
    if is_curate_output(folder):
        return Skipped(
            display,
            None,
            "holds the outputs of a curate build; not read as a source",
            hint="point the source at the raw files; to import a build's outputs, name the files themselves",
        )
    return None


def _identities(paths: Iterable[str | os.PathLike[str]]) -> frozenset[tuple[int, int]]:
    """``(device, inode)`` of each existing path (a missing one cannot be met in a walk)."""
    out = set()
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        out.add((st.st_dev, st.st_ino))
    return frozenset(out)


def _not_regular(mode: int) -> str:
    """Why a path that is neither a file nor a folder is not read."""
    if stat.S_ISFIFO(mode):
        what = "a named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    elif stat.S_ISCHR(mode):
        what = "a character device"
    elif stat.S_ISBLK(mode):
        what = "a block device"
    else:
        what = "not a regular file"
    return f"{what}, not a file; not read (copy its content into a file to import it)"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
