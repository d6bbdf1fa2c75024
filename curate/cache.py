"""Where curate keeps what it can compute again (embeddings, distilled models)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where curate caches embeddings and distilled models: ``$CURATE_CACHE_DIR`` or ``~/.cache/curate``."""
    return Path(os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate")
