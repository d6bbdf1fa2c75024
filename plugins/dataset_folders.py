"""Hugging Face dataset folders: which split a data file belongs to, and which files are not data.

Two layouts are read as they are:

``datasets.save_to_disk``
    A ``DatasetDict`` folder holds ``dataset_dict.json`` (``{"splits": ["train", "test"]}``)
    and one sub-folder per split; a ``Dataset`` folder (or a split's sub-folder) holds
    ``data-00000-of-00001.arrow`` files (Arrow IPC streams), ``state.json`` (which lists
    them, and ``_split``) and ``dataset_info.json`` (the features).

A hub snapshot (``huggingface-cli download --repo-type dataset``, ``snapshot_download``)
    ``README.md`` (the dataset card, YAML front matter first), ``.gitattributes``, and data
    files under ``data/`` or elsewhere: ``data/train-00000-of-00001.parquet``,
    ``test.parquet``, ``validation/0000.parquet``...

:func:`split_of` names a data file's split as ``datasets.load_dataset`` would, and
:func:`is_companion` tells the metadata files (never records) from data.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

#: Data files of the two layouts (other data files, JSON Lines or CSV, have importers of their own).
DATA_SUFFIXES = (".parquet", ".arrow")
#: ``datasets``' split keywords, in its order (``datasets.data_files.SPLIT_KEYWORDS``).
SPLIT_KEYWORDS = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "dev", "val"),
    "test": ("test", "testing", "eval", "evaluation"),
}
_SEP = r"[-._ 0-9]"  # what may stand next to a keyword in a name (datasets' NON_WORDS_CHARS)
_KEYWORD_IN_NAME = {
    split: re.compile(rf"(?:^|{_SEP})(?:{'|'.join(words)})(?:{_SEP}|$)") for split, words in SPLIT_KEYWORDS.items()
}
_SHARDED = re.compile(r"^(?P<split>\w+(?:\.\w+)*)-\d{5}-of-\d{5}")  # data/{split}-00000-of-00001*.*
_SPLIT_NAME = re.compile(r"^\w+(?:\.\w+)*$")
#: Keys of a dataset card's YAML header that only dataset cards have.
_CARD_KEYS = re.compile(
    r"^(?:configs|dataset_info|task_categories|task_ids|size_categories|pretty_name|annotations_creators|"
    r"language_creators|source_datasets|multilinguality|paperswithcode_id|viewer):",
    re.MULTILINE,
)
_MAX_METADATA_BYTES = 16 << 20


def split_of(path: Path) -> str | None:
    """The split of the data file at ``path``, or ``None`` when its place does not say.

    In order: the split sub-folder of a ``save_to_disk`` ``DatasetDict`` (listed in the
    ``dataset_dict.json`` above it); the ``_split`` of the ``state.json`` beside it; the
    hub's sharded name ``data/{split}-00000-of-00001.parquet`` (any split name); a split
    keyword as the name of its folder, or in its file name set off by ``-``, ``_``, ``.``,
    a space or a digit (``train``/``training``; ``validation``/``valid``/``dev``/``val``;
    ``test``/``testing``/``eval``/``evaluation``), named as ``datasets`` names it.
    Unlike ``datasets``, which looks at folders inside the dataset only, a folder counts
    only when its whole name is a keyword: the folders above a file may be the user's own
    (``eval_runs/``), and saying nothing beats a wrong split.

    >>> split_of(Path("snap/data/train_sft-00000-of-00003.parquet"))
    'train_sft'
    >>> split_of(Path("snap/dev/0000.parquet")), split_of(Path("snap/my-test.parquet"))
    ('validation', 'test')
    """
    parent = path.parent
    listed = _json_object(parent.parent / "dataset_dict.json")
    if listed is not None and parent.name in (listed.get("splits") or ()):
        return parent.name
    state = _json_object(parent / "state.json")
    if state is not None and isinstance(state.get("_split"), str) and _lists(state, path.name):
        return state["_split"]
    match = _SHARDED.match(path.name)
    if match and parent.name == "data" and _SPLIT_NAME.match(match["split"]):
        return match["split"]
    folder = parent.name.lower()
    for split, words in SPLIT_KEYWORDS.items():
        if folder in words:
            return split
    name = path.name.lower()
    for split, pattern in _KEYWORD_IN_NAME.items():
        if pattern.search(name):
            return split
    return None


def is_companion(path: Path) -> bool:
    """True for the metadata files of a dataset folder, which are never records.

    ``state.json``, ``dataset_info.json``, ``dataset_infos.json`` and ``dataset_dict.json``
    holding what ``datasets`` writes there, and a ``README.md`` that is a dataset card (a
    YAML header with keys only cards have, such as ``configs`` or ``task_categories``) or
    sits above Parquet/Arrow data (beside it, in ``data/`` or one folder down). Other
    files with these names are data like any other. Cheap for every other name.
    """
    name = path.name
    if name == "state.json":
        obj = _json_object(path)
        return obj is not None and "_data_files" in obj
    if name in ("dataset_info.json", "dataset_infos.json"):
        obj = _json_object(path)
        if obj is None:
            return False
        infos = [obj] if name == "dataset_info.json" else [v for v in obj.values() if isinstance(v, dict)]
        return bool(infos) and all({"features", "builder_name", "dataset_name", "splits"} & set(i) for i in infos)
    if name == "dataset_dict.json":
        obj = _json_object(path)
        return obj is not None and isinstance(obj.get("splits"), list)
    if name.lower() == "readme.md":
        return _is_card(path) or _holds_data(path.parent)
    return False


def _json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in a small file at ``path``, or None (missing, large, not an object)."""
    try:
        if path.stat().st_size > _MAX_METADATA_BYTES:
            return None
        obj = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _lists(state: dict[str, Any], filename: str) -> bool:
    files = state.get("_data_files")
    return isinstance(files, list) and any(isinstance(f, dict) and f.get("filename") == filename for f in files)


def _is_card(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 << 10).decode("utf-8", "replace")
    except OSError:
        return False
    head = head.lstrip("\ufeff")
    if not head.startswith("---"):
        return False
    end = head.find("\n---", 3)
    return bool(_CARD_KEYS.search(head[: end if end > 0 else len(head)]))


def _holds_data(folder: Path, depth: int = 2) -> bool:
    """Whether ``folder`` (or a non-hidden folder under it, ``depth`` levels down) holds Parquet/Arrow files."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    if any(e.name.lower().endswith(DATA_SUFFIXES) and _is_file(e) for e in entries):
        return True
    if depth <= 1:
        return False
    return any(not e.name.startswith(".") and _is_dir(e) and _holds_data(Path(e.path), depth - 1) for e in entries)


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
