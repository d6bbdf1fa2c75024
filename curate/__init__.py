"""curate: raw text sources in, clean, deduplicated, diverse fine-tuning datasets out.

The public API::

    from curate import Pipeline
    result = Pipeline.from_config("curate.toml").run()

and every name of :mod:`curate.plugin_api`, the API for plugins (``curate.Record``,
``curate.hookimpl``...). Both are imported on first use: ``import curate`` alone stays
light (``curate.errors`` for a script, the ``train`` package) and pulls in neither the
engines nor numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curate.pipeline import BuildResult as BuildResult
    from curate.pipeline import Pipeline as Pipeline
    from curate.plugin_api import *  # noqa: F403

__version__ = "0.1.0"

_PIPELINE = ("BuildResult", "Pipeline")


def __getattr__(name: str) -> Any:
    """The names of :mod:`curate.plugin_api`, :class:`Pipeline` and :class:`BuildResult`, imported on first use.

    ``__all__`` is made here too, from :mod:`curate.plugin_api`'s: the package repeats no list.
    """
    if name in _PIPELINE:
        return getattr(importlib.import_module("curate.pipeline"), name)
    if name.startswith("__") and name != "__all__":
        raise AttributeError(f"module 'curate' has no attribute {name!r}")
    plugin_api = importlib.import_module("curate.plugin_api")
    if name == "__all__":
        return [*plugin_api.__all__, *_PIPELINE]
    if name in plugin_api.__all__:
        return getattr(plugin_api, name)
    raise AttributeError(f"module 'curate' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names and those of ``__all__``."""
    return sorted({*globals(), *__getattr__("__all__")})
