"""curate: raw text sources in, clean, deduplicated, diverse fine-tuning datasets out.

The public API::

    from curate import Pipeline
    result = Pipeline.from_config("curate.toml").run()
"""

from __future__ import annotations

from curate.errors import ConfigError, CurateError, MissingDependency, PluginError, SourceError
from curate.hookspecs import hookimpl
from curate.importing import Importer, InputFile, Problem
from curate.records import Record, Source
from curate.stages.base import BatchResult, Filter, Phase, PhaseResult, Rejection, Stage

__version__ = "0.1.0"

__all__ = [
    "BatchResult",
    "BuildResult",
    "ConfigError",
    "CurateError",
    "Filter",
    "Importer",
    "InputFile",
    "MissingDependency",
    "Phase",
    "PhaseResult",
    "Pipeline",
    "PluginError",
    "Problem",
    "Record",
    "Rejection",
    "Source",
    "SourceError",
    "Stage",
    "hookimpl",
]


def __getattr__(name: str):
    if name in ("Pipeline", "BuildResult"):
        from curate import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'curate' has no attribute {name!r}")
