"""curate: raw text sources in, clean, deduplicated, diverse fine-tuning datasets out.

The public API::

    from curate import Pipeline
    result = Pipeline.from_config("curate.toml").run()

and every name of :mod:`curate.plugin_api`, the API for plugins (``curate.Record``,
``curate.hookimpl``...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from curate import plugin_api
from curate.plugin_api import *  # noqa: F403  (the plugin API is the package's API too)

if TYPE_CHECKING:
    from curate.pipeline import BuildResult, Pipeline

__version__ = "0.1.0"

#: Everything of :mod:`curate.plugin_api`, and the pipeline.
__all__ = [*plugin_api.__all__, "BuildResult", "Pipeline"]


def __getattr__(name: str) -> object:
    """:class:`Pipeline` and :class:`BuildResult`, imported on first use (they pull in the engines)."""
    if name in ("Pipeline", "BuildResult"):
        from curate import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'curate' has no attribute {name!r}")
