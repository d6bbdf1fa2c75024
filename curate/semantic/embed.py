"""Embedders and the on-disk embedding cache.

An embedder turns texts into L2-normalised vectors. Embedders are plugins: a plugin
calls ``register(EmbedderClass)`` from its ``register_embedders`` hook, and the
``[semantic]`` table names one with ``embedder = "NAME"``, ``"NAME:MODEL"`` or just
``"MODEL"`` (a local path or a model name, given to the default embedder).

The :class:`EmbeddingCache` keeps every vector computed, keyed by the embedder's
:attr:`Embedder.model_id` and a hash of the exact text embedded, as float16 shards
that are memory-mapped when read: a re-run after adding sources embeds only the new
texts, and a million vectors never need to sit in memory at once.

:meth:`EmbeddingCache.fill` embeds what the cache lacks and commits the vectors to disk
every :data:`COMMIT_ROWS` texts or :data:`COMMIT_SECONDS` seconds, whichever comes
first, so a build killed while embedding keeps every committed chunk: the next run
finds those texts in the cache (they count as ``cached``) and embeds only the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from curate.errors import ConfigError, CurateError
from curate.records import Record
from curate.semantic.calibration import ThresholdMap

#: Which part of a record is embedded; see :func:`embedding_text`.
Field = Literal["auto", "input", "output", "input+output", "conversation"]
FIELDS: tuple[str, ...] = ("auto", "input", "output", "input+output", "conversation")

DEFAULT_EMBEDDER = "sentence-transformers"

#: :meth:`EmbeddingCache.fill` commits a chunk to disk after this many new vectors...
COMMIT_ROWS = 2048
#: ... or after this many seconds of embedding, whichever comes first.
COMMIT_SECONDS = 30.0
#: Small shards one cache object wrote are merged into one once there are this many.
MERGE_AFTER = 8
#: Shards of at least this many rows are left alone by that merge.
MERGE_ROWS = 65536
#: A temporary file (or a shard's vectors without their keys) older than this is litter
#: of a killed run; one left by a process that no longer exists is litter after a minute.
STALE_SECONDS = 3600.0


class EmbedderError(CurateError):
    """An embedder could not be loaded or returned unusable vectors."""


class Embedder:
    """Base class of embedders. Subclasses set :attr:`name` and implement :meth:`encode`.

    ``model`` is whatever the embedder understands as a model (a path, a name; ``None``
    for its default); ``device`` is ``None`` for automatic choice (CUDA when present);
    ``batch_size`` and ``max_seq_length`` (``None``: the model's own limit) tune the
    encoder. Constructing an embedder should be cheap: load the model lazily, on the
    first :meth:`encode`, so that a fully cached re-run never loads it.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        max_seq_length: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"embedder {self.name!r}: batch_size must be at least 1, got {batch_size}")
        if max_seq_length is not None and max_seq_length < 1:
            raise ConfigError(f"embedder {self.name!r}: max_seq_length must be at least 1, got {max_seq_length}")
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length

    @property
    def model_id(self) -> str:
        """A stable identity of the model and every setting that changes its vectors.

        Two embedders with the same ``model_id`` must give the same vector for the same
        text: the cache relies on it. Include a version or content fingerprint of the
        weights when you can; never include a machine-specific path alone.
        """
        return f"{self.name}:{self.model or 'default'}:len={self.max_seq_length or 'model'}"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``: a float array of shape ``(len(texts), dim)``."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the report says about this embedder."""
        return {"name": self.name, "model": self.model, "model_id": self.model_id, "device": self.device}

    def threshold_map(self) -> ThresholdMap | None:
        """How the default embedder's similarity thresholds read on this embedder's scale; ``None``: as they are.

        The semantic phase applies it to the user's thresholds (``calibrate = true``, the
        default). An embedder that scores the same texts on a different scale than the
        default model (the static embedder) returns a map fitted for its
        :attr:`model_id`; see :mod:`curate.semantic.calibration`.
        """
        return None

    def embed(self, texts: list[str]) -> np.ndarray:
        """:meth:`encode`, checked and L2-normalised, as float32."""
        if not texts:
            raise EmbedderError(f"embedder {self.name!r} was asked to embed nothing")
        vectors = np.asarray(self.encode(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise EmbedderError(
                f"embedder {self.name!r} returned an array of shape {vectors.shape} for {len(texts)} texts",
                hint="encode() must return one row per text",
            )
        if not np.isfinite(vectors).all():
            raise EmbedderError(f"embedder {self.name!r} returned NaN or infinite values")
        return normalise(vectors)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), in place when already float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, np.maximum(norms, 1e-12), out=vectors)
    return vectors


def resolve_embedder(spec: str | None, embedders: dict[str, type[Embedder]]) -> tuple[type[Embedder], str | None]:
    """The embedder class and model named by ``spec``.

    ``spec`` is ``NAME`` (a registered embedder, its default model), ``NAME:MODEL``, or a
    model (a path or name) for the default embedder.

    >>> class E(Embedder):
    ...     name = "e"
    >>> resolve_embedder("e:small", {"e": E, "sentence-transformers": E})
    (<class 'curate.semantic.embed.E'>, 'small')
    >>> resolve_embedder("models/my-model", {"sentence-transformers": E})[1]
    'models/my-model'
    """
    if spec in (None, ""):
        name, model = DEFAULT_EMBEDDER, None
    elif spec in embedders:
        name, model = spec, None
    else:
        prefix, sep, rest = spec.partition(":")
        if sep and prefix in embedders:
            name, model = prefix, rest or None
        else:
            name, model = DEFAULT_EMBEDDER, spec
    if name not in embedders:
        known = ", ".join(sorted(embedders)) or "none loaded"
        raise ConfigError(
            f"no embedder named {name!r} is registered (known: {known})",
            hint="pip install 'curate[embed]' for the default sentence-transformers embedder",
        )
    return embedders[name], model


def embedding_text(record: Record, field: str) -> str:
    """The text of ``record`` that is embedded.

    ``auto``: the whole record (the text; input and output; every turn). ``input``: the
    prompt side (the input, the user and system turns). ``output``: the model side (the
    output, the assistant turns). ``input+output``: both, without roles.
    ``conversation``: every turn prefixed by its role. A text record always gives its text.

    >>> from curate.records import Source
    >>> r = Record.create(Source("t", "f", "1"), input="Hi?", output="Hello.")
    >>> embedding_text(r, "output"), embedding_text(r, "conversation")
    ('Hello.', 'user: Hi?\\nassistant: Hello.')
    """
    if record.messages is not None:
        turns = record.messages
        if field == "input":
            return "\n".join(t["content"] for t in turns if t["role"] != "assistant")
        if field == "output":
            return "\n".join(t["content"] for t in turns if t["role"] == "assistant")
        if field == "input+output":
            return "\n".join(t["content"] for t in turns)
        return "\n".join(f"{t['role']}: {t['content']}" for t in turns)
    if record.output is not None:
        if field == "input":
            return record.input or ""
        if field == "output":
            return record.output
        if field == "conversation":
            return f"user: {record.input or ''}\nassistant: {record.output}"
        return f"{record.input or ''}\n{record.output}".strip("\n")
    return record.text or ""


def text_key(text: str) -> int:
    """The 64-bit cache key of one text (its blake2b hash)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def text_keys(texts: Iterable[str]) -> np.ndarray:
    """:func:`text_key` of each text, as a uint64 array."""
    return np.fromiter((text_key(t) for t in texts), dtype=np.uint64)


@dataclass
class _Segment:
    """Sorted keys of some shards, with where each key's vector lives."""

    keys: np.ndarray  # uint64, sorted
    shard: np.ndarray  # int32 index into EmbeddingCache.shards
    row: np.ndarray  # int64 row inside the shard


class EmbeddingCache:
    """Vectors of one model, on disk under ``root / <model slug>``, as float16 shards.

    Each shard is a pair of ``.npy`` files: ``<name>.vecs.npy`` (float16, one row per
    text) then ``<name>.keys.npy`` (the uint64 text keys), each written to a temporary
    name and renamed, keys last, so that a shard is visible only when complete and runs
    sharing a cache never see half a shard. Vectors are memory-mapped when read.

    A kill at any instant leaves complete shards plus, at worst, a temporary file or a
    ``.vecs.npy`` without its keys; opening the cache removes such litter once it is
    stale (its writer is gone, or it is older than :data:`STALE_SECONDS`).
    """

    def __init__(self, root: Path, model_id: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:60].strip("_") or "model"
        digest = hashlib.blake2b(model_id.encode(), digest_size=6).hexdigest()
        #: The folder of every model's cache (``dir`` is this model's, inside it).
        self.root = Path(root)
        self.dir = self.root / f"{slug}-{digest}"
        self.model_id = model_id
        self.dim: int | None = None
        self.shards: list[np.ndarray] = []
        self.shard_names: list[str] = []
        self._segments: list[_Segment] = []
        #: Indexes of the small shards this object wrote (merged by :meth:`_merge_own`).
        self._own: list[int] = []
        #: Counters of this object's work: ``committed`` chunks, ``litter`` files removed.
        self.stats: dict[str, int] = {"committed": 0, "merged": 0, "litter": 0}
        self._load()

    def _load(self) -> None:
        info = self.dir / "info.json"
        if info.exists():
            try:
                data = json.loads(info.read_text(encoding="utf-8"))
                self.dim = int(data["dim"])
            except (ValueError, KeyError, TypeError) as exc:
                raise EmbedderError(
                    f"embedding cache {self.dir} has an unreadable info.json: {exc}",
                    hint=f"delete {self.dir} to rebuild it",
                ) from exc
        self._sweep()
        for _attempt in range(5):
            try:
                self._read_shards()
                return
            except FileNotFoundError:
                # Another run merged shards away between our listing and our reading:
                # list again (their vectors are in the merged shard).
                self.shards, self.shard_names, self._segments = [], [], []
        raise EmbedderError(
            f"the embedding cache {self.dir} kept changing while it was read",
            hint="another build is compacting it: run again when it is done",
        )

    def _read_shards(self) -> None:
        keys, shards, rows = [], [], []
        for keys_path in sorted(self.dir.glob("*.keys.npy")):
            name = keys_path.name[: -len(".keys.npy")]
            vecs_path = self.dir / f"{name}.vecs.npy"
            try:
                shard_keys = np.load(keys_path)
                vecs = np.load(vecs_path, mmap_mode="r")
            except FileNotFoundError:
                raise
            except (OSError, ValueError) as exc:
                raise EmbedderError(
                    f"embedding cache shard {keys_path} is damaged: {exc}", hint=f"delete {self.dir} to rebuild it"
                ) from exc
            if vecs.ndim != 2 or len(vecs) != len(shard_keys) or (self.dim is not None and vecs.shape[1] != self.dim):
                raise EmbedderError(
                    f"embedding cache shard {vecs_path} does not match its keys or the model's dimension",
                    hint=f"delete {self.dir} to rebuild it",
                )
            index = len(self.shards)
            self.shards.append(vecs)
            self.shard_names.append(name)
            keys.append(shard_keys.astype(np.uint64, copy=False))
            shards.append(np.full(len(shard_keys), index, dtype=np.int32))
            rows.append(np.arange(len(shard_keys), dtype=np.int64))
        if keys:
            self._add_segment(np.concatenate(keys), np.concatenate(shards), np.concatenate(rows))

    def _sweep(self) -> None:
        """Remove what killed writers left: temporary files, vectors whose keys never came."""
        if not self.dir.is_dir():
            return
        now = time.time()
        litter = list(self.dir.glob("*.tmp"))
        litter += [
            v
            for v in self.dir.glob("*.vecs.npy")
            if not v.with_name(v.name[: -len(".vecs.npy")] + ".keys.npy").exists()
        ]
        for path in litter:
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue  # its writer finished (or another run swept it) meanwhile
            if age > STALE_SECONDS or (age > 60 and not _writer_alive(path.name)):
                path.unlink(missing_ok=True)
                self.stats["litter"] += 1

    def _add_segment(self, keys: np.ndarray, shards: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._segments.append(_Segment(keys[order], shards[order], rows[order]))

    def __len__(self) -> int:
        return sum(len(s.keys) for s in self._segments)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shard index and row of each key; shard -1 where the key is not cached."""
        keys = np.asarray(keys, dtype=np.uint64)
        shard = np.full(len(keys), -1, dtype=np.int32)
        row = np.zeros(len(keys), dtype=np.int64)
        for seg in self._segments:
            missing = np.flatnonzero(shard < 0)
            if not len(missing) or not len(seg.keys):
                continue
            wanted = keys[missing]
            pos = np.minimum(np.searchsorted(seg.keys, wanted), len(seg.keys) - 1)
            found = seg.keys[pos] == wanted
            shard[missing[found]] = seg.shard[pos[found]]
            row[missing[found]] = seg.row[pos[found]]
        return shard, row

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> str:
        """Store ``vectors`` (one row per key) as a new shard, committed when this returns; its name."""
        keys = np.asarray(keys, dtype=np.uint64)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(vectors) != len(keys):
            raise EmbedderError(f"cannot cache {vectors.shape} vectors for {len(keys)} keys")
        if self.dim is None:
            self.dim = int(vectors.shape[1])
            self.dir.mkdir(parents=True, exist_ok=True)
            _atomic_write_text(self.dir / "info.json", json.dumps({"model_id": self.model_id, "dim": self.dim}))
        elif vectors.shape[1] != self.dim:
            raise EmbedderError(
                f"the embedder returned {vectors.shape[1]}-dimensional vectors; its cache holds {self.dim}",
                hint="give each model its own model_id",
            )
        name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        _atomic_save(self.dir / f"{name}.vecs.npy", vectors.astype(np.float16))
        _atomic_save(self.dir / f"{name}.keys.npy", keys)
        index = len(self.shards)
        self.shards.append(np.load(self.dir / f"{name}.vecs.npy", mmap_mode="r"))
        self.shard_names.append(name)
        self._add_segment(keys, np.full(len(keys), index, dtype=np.int32), np.arange(len(keys), dtype=np.int64))
        return name

    def fill(
        self,
        embedder: Embedder,
        keys: np.ndarray,
        texts: list[str],
        *,
        commit_rows: int | None = None,
        commit_seconds: float | None = None,
    ) -> int:
        """Embed the texts whose key the cache lacks, committing as it goes; how many it embedded.

        ``keys[i]`` is :func:`text_key` of ``texts[i]``; repeated keys are embedded once.
        Vectors are committed to disk (see :meth:`add`) every ``commit_rows`` texts or
        ``commit_seconds`` seconds of embedding (default :data:`COMMIT_ROWS` and
        :data:`COMMIT_SECONDS`), whichever comes first: when the embedder
        fails or the process is killed, every chunk committed before stays in the cache
        and the next run finds it. Small shards written this way are merged as they
        accumulate (see :data:`MERGE_AFTER`), so the number of files stays small.
        """
        commit_rows = COMMIT_ROWS if commit_rows is None else commit_rows
        commit_seconds = COMMIT_SECONDS if commit_seconds is None else commit_seconds
        if commit_rows < 1:
            raise EmbedderError(f"commit_rows must be at least 1, got {commit_rows}")
        keys = np.asarray(keys, dtype=np.uint64)
        if len(keys) != len(texts):
            raise EmbedderError(f"fill() got {len(keys)} keys for {len(texts)} texts")
        shard, _ = self.lookup(keys)
        missing = np.flatnonzero(shard < 0)
        if not len(missing):
            return 0
        unique, first = np.unique(keys[missing], return_index=True)
        todo = missing[first]
        piece = max(1, min(commit_rows, embedder.batch_size * 4))
        done = 0
        pending_keys: list[np.ndarray] = []
        pending_vecs: list[np.ndarray] = []
        started = time.perf_counter()
        for start in range(0, len(todo), piece):
            part = todo[start : start + piece]
            pending_vecs.append(embedder.embed([texts[i] for i in part]))
            pending_keys.append(unique[start : start + piece])
            rows = sum(len(k) for k in pending_keys)
            last = start + piece >= len(todo)
            if last or rows >= commit_rows or time.perf_counter() - started >= commit_seconds:
                self._commit(np.concatenate(pending_keys), np.concatenate(pending_vecs))
                done += rows
                pending_keys.clear()
                pending_vecs.clear()
                started = time.perf_counter()
        return done

    def _commit(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """One chunk of :meth:`fill`: a new shard, then the merge of small ones if due."""
        self.add(keys, vectors)
        self.stats["committed"] += 1
        if len(keys) < MERGE_ROWS:
            self._own.append(len(self.shards) - 1)
        if len(self._own) >= MERGE_AFTER:
            self._merge_own()

    def _merge_own(self) -> None:
        """Rewrite the small shards this object wrote as one, then delete them.

        The merged shard is committed before the small ones are removed: a kill in
        between leaves some vectors twice, which :meth:`lookup` and :meth:`compact` allow.
        """
        merged = set(self._own)
        indexes = sorted(merged)
        keys = np.concatenate([np.load(self.dir / f"{self.shard_names[i]}.keys.npy") for i in indexes])
        vectors = np.concatenate([np.asarray(self.shards[i]) for i in indexes])
        self._own = []
        old_names = [self.shard_names[i] for i in indexes]
        for seg_index, seg in enumerate(self._segments):
            keep = ~np.isin(seg.shard, indexes)
            if not keep.all():
                self._segments[seg_index] = _Segment(seg.keys[keep], seg.shard[keep], seg.row[keep])
        self.add(keys.astype(np.uint64, copy=False), vectors)
        self.stats["merged"] += 1
        if len(keys) < MERGE_ROWS:
            self._own.append(len(self.shards) - 1)  # merged again with the next small ones
        for i, name in zip(indexes, old_names, strict=True):
            self.shards[i] = np.zeros((0, self.dim or 0), dtype=np.float16)  # keeps later indexes valid
            _remove_shard(self.dir, name)

    def vectors(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` in order, embedding only those not cached yet (float32)."""
        keys = text_keys(texts)
        self.fill(embedder, keys, texts)
        out = np.empty((len(texts), self.dim or 1), dtype=np.float32)
        self.gather(*self.lookup(keys), out)
        return out

    def gather(self, shard: np.ndarray, row: np.ndarray, out: np.ndarray, *, chunk: int = 65536) -> None:
        """Copy the vectors at ``(shard, row)`` into ``out`` (any float dtype, e.g. a memmap), in order."""
        if (shard < 0).any():
            raise EmbedderError("internal error: gathering vectors that are not cached")
        for start in range(0, len(shard), chunk):
            s, r = shard[start : start + chunk], row[start : start + chunk]
            block = np.empty((len(s), self.dim or out.shape[1]), dtype=np.float32)
            for index in np.unique(s):
                sel = np.flatnonzero(s == index)
                block[sel] = self.shards[index][r[sel]]
            out[start : start + len(s)] = block

    def compact(self) -> None:
        """Merge every shard into one (fewer files to open on the next run)."""
        if len(self.shards) < 2 or self.dim is None:
            return
        seg_keys = np.concatenate([s.keys for s in self._segments])
        keys, first = np.unique(seg_keys, return_index=True)
        shard = np.concatenate([s.shard for s in self._segments])[first]
        row = np.concatenate([s.row for s in self._segments])[first]
        vectors = np.empty((len(keys), self.dim), dtype=np.float16)
        self.gather(shard, row, vectors)
        old = list(self.shard_names)
        self.shards, self.shard_names, self._segments, self._own = [], [], [], []
        self.add(keys, vectors)
        for name in old:
            _remove_shard(self.dir, name)


def _remove_shard(folder: Path, name: str) -> None:
    """Delete a shard whose vectors live on in another, keys first (a kill in between leaves litter)."""
    for suffix in (".keys.npy", ".vecs.npy"):
        try:
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        except OSError:  # e.g. still memory-mapped on Windows: a duplicate, harmless
            return


def _tmp_name(path: Path) -> Path:
    """A temporary name beside ``path`` that says which process writes it."""
    return path.with_name(path.name + f".{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _writer_alive(name: str) -> bool:
    """Whether the process whose id a cache file name carries still runs (unknown: yes)."""
    match = re.search(r"(?:^|\.)(\d+)-[0-9a-f]{8,12}(?:\.|$)", name)
    if match is None:
        return True
    pid = int(match.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _tmp_name(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def auto_device() -> str:
    """``"cuda"`` when torch sees a GPU, else ``"cpu"`` (torch is imported only here)."""
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
