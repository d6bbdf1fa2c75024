"""Errors raised by curate.train.

They subclass the core's `curate.errors` classes when the core is importable, so the CLI's
single error handler shows them like any other curate error. The fallbacks keep
`curate.train` importable on its own (for example in a half-installed checkout).
"""

from __future__ import annotations

try:  # pragma: no cover - which branch runs depends on the install
    from curate.errors import ConfigError as _CoreConfigError
    from curate.errors import CurateError as _CoreCurateError
    from curate.errors import MissingDependency as _CoreMissingDependency
except ImportError:  # pragma: no cover

    class _CoreCurateError(Exception):  # type: ignore[no-redef]
        def __init__(self, message: str, *, hint: str | None = None) -> None:
            super().__init__(message)
            self.message = message
            self.hint = hint

        def __str__(self) -> str:
            return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"

    class _CoreConfigError(_CoreCurateError):  # type: ignore[no-redef]
        pass

    class _CoreMissingDependency(_CoreCurateError):  # type: ignore[no-redef]
        pass


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
