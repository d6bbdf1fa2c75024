"""The errors curate raises.

Every error says what was wrong, where, and what to do next. The CLI turns a
:class:`CurateError` into one message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations


class CurateError(Exception):
    """Base class of every error curate raises on purpose.

    ``hint`` tells the user what to do next; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(CurateError):
    """The configuration (TOML file, CLI flags or Python arguments) is invalid."""


class PluginError(CurateError):
    """A plugin could not be loaded, or two plugins claim the same name."""


class MissingDependency(CurateError):
    """An optional dependency of a stage or importer is not installed."""

    def __init__(self, package: str, *, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the {package!r} package, which is not installed.",
            hint=f"pip install 'curate[{extra}]'",
        )
        self.package = package
        self.extra = extra


class SourceError(CurateError):
    """One input (a file, a row, a line, a statement) could not be read.

    ``path`` and ``locator`` (``"line 12"``, ``"row 7"``, ``"byte 1043"``...) say where.
    """

    def __init__(self, path: str, locator: str | None, message: str, *, hint: str | None = None) -> None:
        where = f"{path}:{locator}" if locator else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.locator = locator
        self.reason = message


class BuildFailed(CurateError):
    """The build stopped (``--strict`` and a bad input, or an unrecoverable error)."""


class EmptyBuild(BuildFailed):
    """No record reached train or val (and ``allow_empty`` is off): nothing was published."""


class OutputBusy(CurateError):
    """Another build holds the output folder."""


class OutputUnusable(ConfigError):
    """The output folder cannot be created or written (not a folder, no permission...): a usage mistake."""


def requires(module: str, *, extra: str, purpose: str, package: str | None = None):
    """Import ``module`` or raise :class:`MissingDependency` with the ``pip install`` line.

    >>> requires("json", extra="dev", purpose="test").__name__
    'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(package or module, extra=extra, purpose=purpose) from exc
