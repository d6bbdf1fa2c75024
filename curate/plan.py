"""A build plan: the configuration turned into objects an engine can run.

The plan holds the stages (streaming, batch by batch), the phases (which need every
record) and the output format. Engines receive a plan and a ledger; they never decide
what a stage does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from curate.cache import cache_dir
from curate.config import BuildConfig
from curate.errors import ConfigError
from curate.formats import FormatOptions, PromptTemplate
from curate.ledger import ErrorEntry
from curate.registry import Registry
from curate.semantic.phase import SemanticPhase
from curate.sources import FileTask, check_sources
from curate.stages.base import Filter, Phase, Stage
from curate.stages.dedup import ExactDedup
from curate.stages.normalise import Normalise
from curate.tokens import TokenCounter, TokenLimit


class Reporter(Protocol):
    """Receives progress events from an engine (the CLI draws rich progress bars)."""

    def file_started(self, task: FileTask) -> None: ...
    def records_read(self, n: int) -> None: ...
    def problem(self, entry: ErrorEntry) -> None: ...
    def phase_started(self, name: str) -> None: ...


class NullReporter:
    """A reporter that says nothing."""

    def file_started(self, task: FileTask) -> None:
        pass

    def records_read(self, n: int) -> None:
        pass

    def problem(self, entry: ErrorEntry) -> None:
        pass

    def phase_started(self, name: str) -> None:
        pass


@dataclass
class Plan:
    """What an engine runs."""

    config: BuildConfig
    registry: Registry
    stages: list[Stage]
    phases: list[Phase]
    fmt: FormatOptions
    #: Factories that rebuild the stages in another process (Ray workers).
    stage_factories: list[Callable[[], Stage]] = field(default_factory=list)
    #: Counts each kept record's tokens for the manifest's ``token_lengths`` (``--tokenizer``).
    tokens: TokenCounter | None = None

    @property
    def exclude(self) -> tuple[str, ...]:
        """Paths never read as sources: the build's output folder and its reference (evaluation) sets."""
        return ((self.config.output,) if self.config.output else ()) + tuple(self.config.reference_paths)

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]


def filter_classes(config: BuildConfig, registry: Registry) -> list[type[Filter]]:
    """The filters that run, in their fixed order: the selection, or the recommended set."""
    for name in config.filter_options:
        registry.filter(name)  # unknown names in [filters.NAME] are errors
    if config.filters is None:
        names = [name for name, cls in registry.filters.items() if cls.default]
    else:
        names = list(dict.fromkeys(config.filters))
    names = config.filter_names(names)  # --exclude-like adds decontaminate
    classes = [registry.filter(n) for n in names]
    return sorted(classes, key=lambda c: (c.order, c.name))


def build_plan(config: BuildConfig, registry: Registry) -> Plan:
    """Validate ``config`` against the loaded plugins and build the stages and phases."""
    config.validate()
    if not config.sources:
        raise ConfigError("no sources to build from", hint="pass files or folders: curate build data/ -o out")
    check_sources(config.sources, registry)
    fmt = FormatOptions(
        format=config.format,
        system_prompt=config.system_prompt,
        template=PromptTemplate.from_config(config.prompt_template),
        text_records=config.text_records,
        conversational=config.conversational,
    )
    factories: list[Callable[[], Stage]] = []
    filters = filter_classes(config, registry)
    # Filters with a negative ``order`` (text repair) see the text before normalisation.
    for cls in filters:
        if config.normalise and cls.order >= 0 and Normalise not in factories:
            factories.append(Normalise)
        options = config.options_of(cls.name)
        cls.from_options(options)  # validate now, in this process
        factories.append(_filter_factory(cls, options))
    if config.normalise and Normalise not in factories:
        factories.append(Normalise)
    if config.exact_dedup:
        factories.append(ExactDedup)
    tokens = token_counter(config)
    if config.max_tokens is not None:
        if tokens is None:
            raise ConfigError(
                "max_tokens needs a tokenizer to count with",
                hint="pass --tokenizer PATH (a local tokenizer or model folder), or --train with a model",
            )
        factories.append(partial(TokenLimit, tokens, config.max_tokens, config.over_max_tokens))
    phases: list[Phase] = []
    if config.semantic is not None and config.semantic.get("enabled", True):
        phases.append(_semantic_phase(config.semantic))
    return Plan(config, registry, [f() for f in factories], phases, fmt, factories, tokens)


def token_counter(config: BuildConfig) -> TokenCounter | None:
    """The counter for ``config.tokenizer``, else for the model of ``[train]``; ``None`` without either."""
    path = config.tokenizer
    if path is None and config.train:
        model = config.train.get("model")
        base = config.train.get("_base_dir")
        if isinstance(model, str) and model:
            local = Path(base, model) if base and not Path(model).is_absolute() else Path(model)
            path = str(local) if local.is_dir() else None
    return TokenCounter.checked(path, format=config.format) if path else None


def _filter_factory(cls: Any, options: dict[str, Any]) -> Callable[[], Stage]:
    """A picklable factory (worker processes and Ray rebuild the stage from it)."""
    return partial(cls.from_options, options)


def _semantic_phase(table: dict[str, Any]) -> Phase:
    return SemanticPhase.from_config(table, cache_dir=cache_dir())
