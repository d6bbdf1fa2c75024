"""``Pipeline``: the Python API of a build. The CLI is a thin layer over it.

From a config file::

    from curate import Pipeline
    result = Pipeline.from_config("curate.toml").run()

Or fluently::

    result = (
        Pipeline()
        .source("exports/faq.csv", input_column="question", output_column="answer")
        .source("scraped/")
        .format("messages")
        .split(val_ratio=0.02, seed=1)
        .run("out")
    )
    print(result.counts["train"], result.paths["train"])
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curate.config import BuildConfig, SourceSpec, load_config
from curate.errors import ConfigError, EmptyBuild
from curate.ledger import MANIFEST, OUTPUT_FILES, ErrorEntry, Ledger
from curate.plan import NullReporter, Plan, Reporter, build_plan
from curate.registry import get_registry
from curate.tokens import token_report
from curate.writer import SplitWriter

REPORT = "report.html"


@dataclass
class BuildResult:
    """What a build did: counts, where the outputs are, the bad inputs it met."""

    output: Path
    manifest: dict[str, Any]
    errors: list[ErrorEntry] = field(default_factory=list)
    train_result: Any = None

    @property
    def counts(self) -> dict[str, Any]:
        """``read``, ``train``, ``val``, ``rejected`` and ``rejected_by[stage][reason]``."""
        return self.manifest["counts"]

    @property
    def paths(self) -> dict[str, Path]:
        """``train``, ``val``, ``rejects``, ``manifest`` (and ``report``) output paths."""
        names = self.manifest.get("outputs") or OUTPUT_FILES
        out = {name.rsplit(".", 1)[0]: self.output / name for name in names if name != REPORT}
        out["manifest"] = self.output / MANIFEST
        if (self.output / REPORT).exists():
            out["report"] = self.output / REPORT
        return out


class Pipeline:
    """A build: sources -> stages -> phases -> split -> writers, described once.

    Every method that configures returns the pipeline, so calls chain; ``run`` builds.
    """

    def __init__(self, config: BuildConfig | None = None) -> None:
        self.config = copy.deepcopy(config) if config is not None else BuildConfig()

    @classmethod
    def from_config(cls, path: str | Path) -> Pipeline:
        """A pipeline described by a ``curate.toml`` file."""
        return cls(load_config(path))

    # -- configuring ---------------------------------------------------------------

    def source(self, path: str | Path, *, importer: str | None = None, **options: Any) -> Pipeline:
        """Add a file or folder; ``options`` go to the importers that accept them."""
        self.config.sources.append(SourceSpec(str(path), importer=importer, options=options))
        return self

    def format(self, name: str, *, system_prompt: str | None = None, template: Any = None) -> Pipeline:
        """The output format (``messages``, ``input-output``...), a system prompt, a prompt template."""
        self.config.format = name
        if system_prompt is not None:
            self.config.system_prompt = system_prompt
        if template is not None:
            self.config.prompt_template = template
        return self

    def split(self, *, val_ratio: float | None = None, seed: int | None = None) -> Pipeline:
        """The validation ratio and the seed of the split."""
        if val_ratio is not None:
            self.config.val_ratio = val_ratio
        if seed is not None:
            self.config.seed = seed
        return self

    def filters(self, *names: str, **options: dict[str, Any]) -> Pipeline:
        """Run exactly these filters (none when called with no names); ``options`` per filter name."""
        self.config.filters = list(names)
        self.config.filter_options.update(options)
        return self

    def semantic(self, **table: Any) -> Pipeline:
        """Turn on the semantic stage with these ``[semantic]`` settings (``threshold=0.9``...)."""
        self.config.semantic = {"enabled": True, **table}
        return self

    def exclude_like(self, *paths: str | Path, semantic: float | None = None, **options: Any) -> Pipeline:
        """Reject records that match these evaluation sets (reason ``contaminated``).

        ``paths`` are files or folders in any format curate imports; ``semantic`` (a cosine
        similarity, needs the embed extra) adds paraphrase matching; ``options`` are the
        ``decontaminate`` filter's (``ngram=13``, ``common_items=10``, ``min_coverage``...).
        """
        self.config.exclude_like = [str(p) for p in paths]
        self.config.exclude_like_semantic = semantic
        if options:
            self.config.filter_options.setdefault("decontaminate", {}).update(options)
        return self

    def train(self, preset: str | None = None, **settings: Any) -> Pipeline:
        """Fine-tune after the build, from a preset and overrides (needs ``curate[train]``)."""
        table = dict(settings)
        if preset is not None:
            table["preset"] = preset
        self.config.train = table
        return self

    def engine(self, name: str, *, address: str | None = None) -> Pipeline:
        """Run on ``"local"`` (default) or ``"ray"``; ``address`` names a Ray cluster (none starts one)."""
        self.config.engine = name  # type: ignore[assignment]
        self.config.ray_address = address
        return self

    def set(self, **settings: Any) -> Pipeline:
        """Set any :class:`~curate.config.BuildConfig` field by name."""
        names = {f.name for f in dataclasses.fields(BuildConfig)}
        for key, value in settings.items():
            if key not in names:
                raise ConfigError(f"unknown build setting {key!r}", hint=f"settings: {', '.join(sorted(names))}")
            setattr(self.config, key, value)
        return self

    # -- running -------------------------------------------------------------------

    def plan(self) -> Plan:
        """Check the configuration against the loaded plugins and build the stages."""
        return build_plan(self.config, get_registry())

    def run(
        self, output: str | Path | None = None, *, reporter: Reporter | None = None, debug: bool = False
    ) -> BuildResult:
        """Build into ``output`` (or the configured output folder) and return what happened.

        Raises :class:`~curate.errors.ConfigError` before anything is written when a
        source path does not exist; :class:`~curate.errors.BuildFailed` on bad input with
        ``strict``, and :class:`EmptyBuild` when no record reaches train or val (unless
        ``allow_empty``). The previous outputs in the folder are then untouched.
        """
        out = output if output is not None else self.config.output
        if out is None:
            raise ConfigError("no output folder", hint='pass -o OUT (or output = "..." under [build])')
        self.config.output = str(out)
        plan = self.plan()
        check_paths(self.config.sources, out, references=self.config.reference_paths)
        reporter = reporter or NullReporter()
        with Ledger(out) as ledger:
            if self.config.engine == "ray":
                from curate.engines import ray

                writer, reports = ray.run(plan, ledger, reporter, debug=debug)
            else:
                from curate.engines import local

                writer, reports = local.run(plan, ledger, reporter, debug=debug)
            manifest: dict[str, Any] = {
                "format": self.config.format,
                "config": self.config.to_dict(),
                "stages": plan.stage_names + [p.name for p in plan.phases],
            }
            manifest.update(reports)
            manifest.update(stage_reports(plan, ledger))
            if self.config.output_type == "parquet":
                from curate.parquet_output import jsonl_to_parquet

                for side in ("train", "val"):
                    ledger.convert(f"{side}.jsonl", f"{side}.parquet", jsonl_to_parquet)
            extra = _write_consumer_configs(ledger, plan, writer)
            if plan.tokens is not None:
                manifest["token_lengths"] = token_report(plan.tokens, writer.token_lengths)
            if not self.config.allow_empty:
                check_not_empty(ledger)
            if self.config.report:
                extra.append(_write_report(ledger, manifest, writer, plan, reports))
            manifest = ledger.commit(manifest, extra_files=extra)
        result = BuildResult(Path(out), manifest, list(ledger.errors))
        if self.config.train is not None:
            from curate.train import train_from_build

            result.train_result = train_from_build(Path(out), self.config.train)
        return result


def check_paths(
    sources: Sequence[SourceSpec], output: str | os.PathLike[str], *, references: Sequence[str] = ()
) -> None:
    """Raise :class:`ConfigError` for a source path that does not exist (a typo must not replace a build),
    one that is the output folder or inside it, or one that is a reference set or inside one."""
    missing = [spec.path for spec in sources if not os.path.lexists(spec.path)]
    if missing:
        raise ConfigError(
            f"source path(s) not found: {', '.join(map(repr, missing))}",
            hint="check the spelling; nothing was written and the previous outputs are untouched",
        )
    out = Path(output).resolve()
    for spec in sources:
        src = Path(spec.path).resolve()
        if src == out or out in src.parents:
            raise ConfigError(
                f"source {spec.path!r} is the output folder {str(output)!r} or inside it",
                hint="build into another folder with -o (an output folder inside a source folder is fine)",
            )
        for ref in map(Path, references):
            ref = ref.resolve()
            if src == ref or ref in src.parents:
                raise ConfigError(
                    f"source {spec.path!r} is the reference set {str(ref)!r} of --exclude-like, or inside it",
                    hint="an evaluation set is never built from; a reference inside a source folder is skipped",
                )


def stage_reports(plan: Plan, ledger: Ledger) -> dict[str, Any]:
    """Manifest sections of the stages that have one (``manifest_section(counts)`` gives ``(key, section)``)."""
    out: dict[str, Any] = {}
    for stage in plan.stages:
        section = getattr(stage, "manifest_section", None)
        if callable(section):
            key, value = section(ledger.counts)
            out[key] = value
    return out


def check_not_empty(ledger: Ledger) -> None:
    """Raise :class:`EmptyBuild`, saying why, when no record reached train or val."""
    counts = ledger.counts
    if counts.train + counts.val:
        return
    if counts.read == 0:
        files, problems = len(ledger.inputs), len(ledger.errors)
        if files == 0:
            why = "no input file was recognised" if problems else "the sources hold no files"
        else:
            why = f"{files} file(s) were read but gave no record"
        if problems:
            why += f" ({problems} input problem(s), e.g. {ledger.errors[0]})"
    else:
        top = [
            f"{stage}: {reason} {n:,}"
            for stage, reasons in counts.rejected_by.items()
            for reason, n in reasons.most_common(3)
        ]
        why = f"all {counts.read:,} records read were rejected ({'; '.join(top)})"
    raise EmptyBuild(
        f"the build made no training record: {why}",
        hint="nothing was written and the previous outputs are untouched; "
        "pass --allow-empty (allow_empty = true) to write the outputs anyway, rejects.jsonl included",
    )


def _write_consumer_configs(ledger: Ledger, plan: Plan, writer: SplitWriter) -> list[str]:
    """Write LLaMA-Factory's ``dataset_info.json``, ``axolotl.yaml`` and a dataset card into the staging folder."""
    from curate.consumers import consumer_configs

    files = {}
    for side in ("train", "val"):
        name = next(n for n in ledger.outputs if n.startswith(f"{side}."))
        if side == "train" or getattr(ledger.counts, side):
            files[side] = name
    configs = consumer_configs(
        plan.fmt,
        files,
        name=Path(plan.config.output or "curate").name or "curate",
        include_ids=plan.config.include_ids,
        tool_calls=writer.tool_calls,
    )
    for name, text in configs.items():
        ledger.staged(name).write_text(text, encoding="utf-8")
    return list(configs)


def _write_report(
    ledger: Ledger, manifest: dict[str, Any], writer: SplitWriter, plan: Plan, reports: dict[str, Any]
) -> str:
    """Write ``report.html`` into the staging folder, with a section from each phase that draws one."""
    from curate.report import write_report

    drawn = (phase.report_section(reports[phase.name]) for phase in plan.phases if reports.get(phase.name))
    sections = [section for section in drawn if section]
    snapshot = dict(manifest)
    snapshot["counts"] = ledger.counts.to_dict()
    snapshot["inputs"] = [asdict(i) for i in ledger.inputs]
    snapshot["errors"] = [asdict(e) for e in ledger.errors]
    tokens = writer.token_lengths if "token_lengths" in manifest else None
    write_report(ledger.staged(REPORT), snapshot, writer.lengths, sections, token_lengths=tokens)
    return REPORT
