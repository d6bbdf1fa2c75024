"""Where curate keeps what it can compute again (embeddings, distilled models)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where curate caches embeddings: ``$CURATE_CACHE_DIR`` or ``~/.cache/curate``.

    >>> import os
    >>> os.environ["CURATE_CACHE_DIR"] = "/tmp/c"
    >>> str(cache_dir())
    '/tmp/c'
    >>> del os.environ["CURATE_CACHE_DIR"]
    """
    return Path(os.environ.get("CURATE_CACHE_DIR") or Path.home() / ".cache" / "curate")
