"""Errors raised by curate.train.

They subclass the core's :mod:`curate.errors` classes (``curate.train`` is part of the
``curate`` package), so the CLI's single error handler shows them like any other curate error.
"""

from __future__ import annotations

from curate.errors import ConfigError as _CoreConfigError
from curate.errors import CurateError as _CoreCurateError
from curate.errors import MissingDependency as _CoreMissingDependency

INSTALL_HINT = "pip install 'curate[train]'"


class TrainError(_CoreCurateError):
    """A training run could not start or finish."""


class TrainConfigError(_CoreConfigError):
    """A training setting is unknown or has an invalid value."""


class TrainDataError(TrainError):
    """A train/val file could not be read or tokenised."""


class GradientCheckError(TrainError):
    """Some trainable parameters received no gradient."""


class TrainMissingDependency(_CoreMissingDependency):
    """A package needed for training is not installed."""

    def __init__(self, message: str, *, hint: str | None = INSTALL_HINT) -> None:
        _CoreCurateError.__init__(self, message, hint=hint)


def require(module: str, what: str = "training", hint: str = INSTALL_HINT):
    """Import `module` or raise TrainMissingDependency with the install line."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise TrainMissingDependency(
            f"{what} needs the Python package {module.split('.')[0]!r}, which is not installed ({exc})",
            hint=hint,
        ) from exc
