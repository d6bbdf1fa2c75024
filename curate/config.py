"""The build configuration: one object that the TOML file, the CLI and the Python API fill in.

A ``curate.toml``::

    [build]
    output = "out"
    format = "messages"          # text, input-output, prompt-generation, messages, alpaca, sharegpt
    val_ratio = 0.01
    seed = 0

    [[sources]]
    path = "data/exports"
    options = { text_column = "body" }   # given to every importer that has these options
    csv = { delimiter = ";" }            # options for one importer only

    [filters]
    select = ["refusal", "quality"]      # leave out for the recommended set; [] for none
    refusal = { fields = "all" }         # options of one filter

    [semantic]                           # near-duplicates and clusters (needs curate[embed])
    enabled = true
    threshold = 0.9

    [train]                              # fine-tune after the build (needs curate[train])
    preset = "lora"

Relative paths in the file (sources, output, and filter options whose names end in
``_file`` or ``_files``) are resolved against the file's folder.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from curate.errors import ConfigError
from curate.formats import FORMATS
from curate.options import parse_options

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class SourceSpec:
    """One input: a file, a directory (walked recursively) or a glob's match.

    ``importer`` forces an importer (else suffix, then sniffing). ``options`` go to every
    importer that accepts them (all must be accepted when ``importer`` is set);
    ``importer_options`` maps an importer name to options for that importer only.
    """

    path: str
    importer: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    importer_options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class BuildConfig:
    """Everything a build does. See the module docstring for the TOML layout."""

    sources: list[SourceSpec] = field(default_factory=list)
    output: str | None = None
    format: str = "messages"
    val_ratio: float = 0.01
    seed: int = 0
    strict: bool = False
    system_prompt: str | None = None
    prompt_template: str | dict[str, str] | None = None
    text_records: Literal["reject", "keep"] = "reject"
    #: ``prompt-completion``: prompt and completion as lists of messages (TRL's conversational form).
    conversational: bool = False
    include_ids: bool = False
    normalise: bool = True
    exact_dedup: bool = True
    filters: list[str] | None = None
    filter_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    semantic: dict[str, Any] | None = None
    train: dict[str, Any] | None = None
    engine: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    batch_size: int = 1024
    #: Local engine: processes running the stages before exact dedup; ``None`` uses every
    #: core this process may use, 1 runs everything in one process. Outputs do not depend on it.
    workers: int | None = None
    #: The largest unit of reading, in MiB (small files grouped, or a shard of a larger file
    #: its importer can cut: JSON Lines; text split by paragraph); 0 never cuts. Ray engine:
    #: units of about a quarter of a CPU's share of the input, 1 MiB at least, this at most.
    #: The local engine's workers read units of at most 1 MiB, or of this size when smaller
    #: (0: the engine's process reads every file and the workers only decide its records).
    shard_mb: float = 128
    report: bool = True
    #: Publish the outputs even when no record reaches train or val (else the build fails
    #: and the previous outputs stay).
    allow_empty: bool = False
    #: A local tokenizer or model folder: token-length statistics in the manifest and report
    #: (default: the model of [train], when it is a local folder).
    tokenizer: str | None = None
    #: Records over this many tokens are rejected (``too_long``) or truncated (``over_max_tokens``).
    max_tokens: int | None = None
    over_max_tokens: Literal["reject", "truncate"] = "reject"
    #: ``jsonl`` or ``parquet`` (train.parquet and val.parquet; rejects stay JSON Lines).
    output_type: Literal["jsonl", "parquet"] = "jsonl"
    #: Evaluation sets (files or folders in any importable format): records that match one
    #: of their items are rejected as ``contaminated`` (the ``decontaminate`` filter).
    exclude_like: list[str] = field(default_factory=list)
    #: With ``exclude_like``: also reject records whose text has at least this cosine
    #: similarity to a reference text (needs the embed extra); ``None``: exact and n-gram only.
    exclude_like_semantic: float | None = None

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values that cannot work."""
        if self.format not in FORMATS:
            raise ConfigError(f"unknown format {self.format!r}", hint=f"use one of: {', '.join(FORMATS)}")
        if not 0 <= self.val_ratio < 1:
            raise ConfigError(f"val_ratio must be at least 0 and below 1, got {self.val_ratio}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be positive, got {self.max_tokens}")
        if self.over_max_tokens not in ("reject", "truncate"):
            raise ConfigError(f"over_max_tokens must be 'reject' or 'truncate', got {self.over_max_tokens!r}")
        if self.workers is not None and (isinstance(self.workers, bool) or self.workers < 1):
            raise ConfigError(f"workers must be 1 or more, got {self.workers!r}", hint="1 runs in one process")
        if self.output_type not in ("jsonl", "parquet"):
            raise ConfigError(f"unknown output_type {self.output_type!r}", hint="use 'jsonl' or 'parquet'")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be positive, got {self.batch_size}")
        if self.exclude_like_semantic is not None and not self.exclude_like:
            raise ConfigError("exclude_like_semantic needs a reference set", hint="pass --exclude-like PATH as well")
        if self.engine not in ("local", "ray"):
            raise ConfigError(f"unknown engine {self.engine!r}", hint="use 'local' or 'ray'")
        mb = self.shard_mb
        if isinstance(mb, bool) or not isinstance(mb, (int, float)) or not math.isfinite(mb) or mb < 0:
            raise ConfigError(
                f"shard_mb must be a number of MiB, 0 or more, got {mb!r}", hint="0 reads every file whole"
            )

    @property
    def shard_bytes(self) -> int:
        """``shard_mb`` in bytes (at least 1 unless it is 0: never cut files)."""
        return 0 if self.shard_mb == 0 else max(1, round(self.shard_mb * (1 << 20)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (recorded in the manifest)."""
        return dataclasses.asdict(self)

    @property
    def reference_paths(self) -> list[str]:
        """The evaluation sets of the ``decontaminate`` filter: never read as sources."""
        own = self.filter_options.get(DECONTAMINATE, {}).get("reference_files") or []
        return list(dict.fromkeys([*self.exclude_like, *(p for p in own if isinstance(p, str))]))

    def filter_names(self, names: list[str]) -> list[str]:
        """``names`` (the selected or recommended filters), with ``decontaminate`` when ``exclude_like`` asks."""
        if self.exclude_like and DECONTAMINATE not in names:
            return [*names, DECONTAMINATE]
        return names

    def options_of(self, filter_name: str) -> dict[str, Any]:
        """The options of one filter: its ``[filters.NAME]`` table, plus ``exclude_like`` for ``decontaminate``."""
        options = dict(self.filter_options.get(filter_name, {}))
        if filter_name == DECONTAMINATE:
            if self.exclude_like:
                options["reference_files"] = self.reference_paths
            if self.exclude_like_semantic is not None:
                options["semantic"] = self.exclude_like_semantic
            options.setdefault("normalise", self.normalise)
            options.setdefault("base_dir", os.getcwd())  # Ray workers do not share the build's cwd
        return options


#: The filter that ``exclude_like`` turns on.
DECONTAMINATE = "decontaminate"

#: BuildConfig fields that have tables of their own rather than keys under [build].
_OWN_TABLES = {"sources", "normalise", "exact_dedup", "filters", "filter_options", "semantic", "train"}


@dataclass
class _StagesTable:
    normalise: bool = True
    exact_dedup: bool = True


def read_toml(path: str | Path, *, what: str = "config file", error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """Parse a TOML file; a missing file or bad TOML raises ``error`` naming ``what`` and the path."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise error(f"{what} {str(path)!r} not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}): is it really a TOML file?") from None
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def load_config(path: str | Path) -> BuildConfig:
    """Read a ``curate.toml`` file into a validated :class:`BuildConfig`."""
    path = Path(path)
    return config_from_mapping(read_toml(path), base_dir=path.parent, where=str(path))


def config_from_mapping(data: Mapping[str, Any], *, base_dir: Path | None = None, where: str = "config") -> BuildConfig:
    """Build a :class:`BuildConfig` from parsed TOML; unknown keys are errors."""
    known = {"build", "sources", "stages", "filters", "semantic", "train"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown table(s) {', '.join(unknown)}", hint=f"known tables: {', '.join(sorted(known))}"
        )
    for name in ("build", "stages", "filters", "semantic", "train"):
        if name in data and not isinstance(data[name], Mapping):
            raise ConfigError(
                f"{where}: [{name}] must be a table, got {_kind(data[name])}",
                hint=f"write it as [{name}] with keys under it",
            )
    if "sources" in data and not isinstance(data["sources"], list):
        raise ConfigError(f"{where}: sources must be a list of tables", hint='write [[sources]] then path = "..."')
    build = dict(data.get("build") or {})
    misplaced = sorted(set(build) & _OWN_TABLES)
    if misplaced:
        raise ConfigError(f"{where} [build]: {', '.join(misplaced)} belong in tables of their own", hint=__doc__)
    config = parse_options(BuildConfig, build, owner=f"{where} [build]")
    stages = parse_options(_StagesTable, data.get("stages"), owner=f"{where} [stages]")
    config.normalise, config.exact_dedup = stages.normalise, stages.exact_dedup
    if config.output is not None and base_dir is not None:
        config.output = str(_resolve(config.output, base_dir))
    if base_dir is not None:
        config.exclude_like = [str(_resolve(p, base_dir)) for p in config.exclude_like]
    config.sources = [_source(s, i, base_dir, where) for i, s in enumerate(data.get("sources") or [])]
    filters = dict(data.get("filters") or {})
    select = filters.pop("select", None)
    if select is not None and not (isinstance(select, list) and all(isinstance(s, str) for s in select)):
        raise ConfigError(f"{where} [filters] select must be a list of filter names")
    for name, table in filters.items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} [filters.{name}] must be a table of that filter's options")
    config.filters = select
    config.filter_options = {name: _resolve_files(dict(table), base_dir) for name, table in filters.items()}
    semantic = data.get("semantic")
    if semantic is not None:
        config.semantic = dict(semantic)
    train = data.get("train")
    if train is not None:
        config.train = dict(train)
        if base_dir is not None:
            config.train.setdefault("_base_dir", str(base_dir))
    config.validate()
    return config


def _source(table: Any, index: int, base_dir: Path | None, where: str) -> SourceSpec:
    if isinstance(table, str):
        table = {"path": table}
    if not isinstance(table, Mapping) or "path" not in table:
        raise ConfigError(f"{where}: sources[{index}] needs a path")
    table = dict(table)
    path = table.pop("path")
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{where}: sources[{index}].path must be a file or folder name, got {_kind(path)}")
    importer = table.pop("importer", None)
    if importer is not None and not isinstance(importer, str):
        raise ConfigError(f"{where}: sources[{index}].importer must be an importer name, got {_kind(importer)}")
    options = table.pop("options", {}) or {}
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where}: sources[{index}].options must be a table")
    per_importer = {}
    for key, value in table.items():
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"{where}: sources[{index}] has unknown key {key!r}",
                hint="a source takes path, importer, options, and tables named after importers (csv = {...})",
            )
        per_importer[key] = dict(value)
    if base_dir is not None:
        path = str(_resolve(path, base_dir))
    return SourceSpec(path=path, importer=importer, options=dict(options), importer_options=per_importer)


def _kind(value: Any) -> str:
    """``value`` described for a message: its TOML type and a short repr."""
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def _resolve_files(options: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Resolve option values naming files (keys ending in ``_file`` or ``_files``) against ``base_dir``."""
    if base_dir is None:
        return options
    for key, value in options.items():
        if key.endswith("_file") and isinstance(value, str):
            options[key] = str(_resolve(value, base_dir))
        elif key.endswith("_files") and isinstance(value, list):
            options[key] = [str(_resolve(v, base_dir)) if isinstance(v, str) else v for v in value]
        elif key.endswith("_files") and isinstance(value, dict):
            options[key] = {k: str(_resolve(v, base_dir)) if isinstance(v, str) else v for k, v in value.items()}
    return options


def _resolve(path: str, base_dir: Path) -> Path:
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    resolved = Path(os.path.normpath(base_dir / p))
    try:
        return resolved.relative_to(Path.cwd())
    except ValueError:
        return resolved
