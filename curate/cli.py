"""The ``curate`` command line: a thin layer over :class:`curate.Pipeline`.

Exit codes: 0 the build succeeded; 1 the build failed (``--strict`` and bad input, no
training record, another build holding the output folder, a full disk, a plugin error);
2 a usage or configuration mistake; 130 interrupted (Ctrl-C or SIGTERM).

Every string that comes from data, paths or plugins is escaped before rich prints it.
"""

from __future__ import annotations

import errno
import json
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from curate.config import BuildConfig, SourceSpec, load_config, read_toml
from curate.errors import BuildFailed, ConfigError, CurateError
from curate.formats import FORMATS
from curate.ledger import ErrorEntry
from curate.options import describe_options
from curate.outdir import describe_os_error
from curate.sources import FileTask

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class CurateGroup(click.Group):
    """Turns curate's errors into one message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with sigterm_as_interrupt():
                return super().invoke(ctx)
        except ConfigError as exc:
            _print_error(exc)
            sys.exit(2)
        except CurateError as exc:
            _print_error(exc)
            sys.exit(1)
        except KeyboardInterrupt:
            err.print("interrupted; the previous outputs are untouched", markup=False, highlight=False)
            sys.exit(130)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the build's staging folder is removed on the way out."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` (a ``KeyboardInterrupt``) while the body runs."""

    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_error(exc: CurateError) -> None:
    err.print(f"[bold red]error:[/] {escape(exc.message)}", markup=True, highlight=False)
    if exc.hint:
        err.print(f"  [dim]hint:[/] {escape(exc.hint)}", highlight=False)


#: ``-O``, for ``build`` and ``inspect`` (see :func:`parse_options_flags`).
importer_options = click.option(
    "-O",
    "--option",
    "options",
    multiple=True,
    metavar="[IMPORTER.]KEY=VALUE",
    help="An importer option, JSON value (repeatable); IMPORTER.KEY gives it to that importer only.",
)


@click.group(cls=CurateGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="curate")
def cli() -> None:
    """Turn raw text sources into clean, deduplicated fine-tuning datasets."""


# ---------------------------------------------------------------------------------------
# build


class RichReporter:
    """Progress bars per file (bytes read of the file's size, records/s, time left) and per phase.

    Problems are printed as they happen (the first 20 unless ``verbose``).
    """

    def __init__(self, console: Console, *, verbose: bool, quiet: bool) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=None),
            DownloadColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
        )
        self._task: Any = None
        self._file: Any = None
        self._started = 0.0
        self._count = 0
        self.problems = 0

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def file_started(self, task: FileTask) -> None:
        if self._task is not None:
            self.progress.remove_task(self._task)
        self._started = time.perf_counter()
        self._count = 0
        self._file = task.file
        try:
            size: int | None = task.file.path.stat().st_size or None
        except OSError:
            size = None
        description = escape(f"{task.importer.name:>5} {task.file.display}")
        self._task = self.progress.add_task(description, total=size, rate="")
        if self.verbose:
            self.console.print(f"reading {task.file.display} with {task.importer.name}", markup=False, highlight=False)

    def records_read(self, n: int) -> None:
        self._count += n
        if self._task is not None:
            elapsed = max(time.perf_counter() - self._started, 1e-9)
            done = self._file.meter.bytes_read if self._file is not None else None
            rate = f"{self._count:,} records, {self._count / elapsed:,.0f}/s"
            self.progress.update(self._task, completed=done, rate=rate)

    def problem(self, entry: ErrorEntry) -> None:
        self.problems += 1
        if not self.quiet and (self.verbose or self.problems <= 20):
            self.console.print(f"[yellow]warning:[/] {escape(str(entry))}", markup=True, highlight=False)
        elif not self.quiet and self.problems == 21:
            self.console.print("[yellow]warning:[/] more bad input; all of it is listed in manifest.json", markup=True)

    def phase_started(self, name: str) -> None:
        """A phase starts, or a phase's next step (``"semantic: assigning..."``)."""
        if self._task is not None:
            self.progress.remove_task(self._task)
        self._file = None
        self._task = self.progress.add_task(escape(f"phase {name}"), total=None, rate="")
        if self.verbose:
            self.console.print(f"phase {name}", markup=False, highlight=False)


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=str), help="Output folder.")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=str), help="A curate.toml.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format [default: messages].")
@click.option(
    "--output-type",
    type=click.Choice(["jsonl", "parquet"]),
    help="train/val as JSON Lines or Parquet (rejects stay JSONL) [default: jsonl].",
)
@click.option(
    "--conversational",
    is_flag=True,
    default=None,
    help="prompt-completion: prompt and completion as lists of messages (TRL's conversational form).",
)
@click.option("--val-ratio", type=float, help="Share of groups in validation [default: 0.01].")
@click.option("--seed", type=int, help="Seed of the split [default: 0].")
@click.option("--strict", is_flag=True, default=None, help="Fail on the first bad input.")
@click.option(
    "--allow-empty", is_flag=True, default=None, help="Publish the outputs even if no record reaches train or val."
)
@click.option("--importer", help="Force this importer for the SOURCES given here.")
@click.option("--text-column", help="Column (or key) holding the text.")
@click.option("--input-column", help="Column (or key) holding the prompt.")
@click.option("--output-column", help="Column (or key) holding the answer.")
@click.option("--sql-table", "sql_tables", multiple=True, help="SQL table(s) to import (repeatable).")
@importer_options
@click.option("--system-prompt", help="System prompt added to conversations without one.")
@click.option("--filter", "filters", multiple=True, help="Run exactly these filters (repeatable).")
@click.option("--no-filters", is_flag=True, help="Run no filters.")
@click.option(
    "--exclude-like",
    "exclude_like",
    multiple=True,
    metavar="PATH",
    help="Reject records matching this evaluation set (any importable format; repeatable): exact and 13-gram.",
)
@click.option(
    "--exclude-like-semantic",
    type=float,
    metavar="SIMILARITY",
    help="With --exclude-like: also reject paraphrases above this cosine similarity (needs curate[embed]).",
)
@click.option(
    "--semantic-dedup", type=float, metavar="SIMILARITY", help="Remove near-duplicates above this cosine similarity."
)
@click.option("--clusters", type=int, help="Number of K-means clusters [default: from N].")
@click.option("--kmeans-backend", help="K-means backend: torch, keops, sklearn, faiss.")
@click.option(
    "--embedder", help="Embedder: static (fast on CPU), NAME:MODEL, or a local path / sentence-transformers name."
)
@click.option(
    "--confirm",
    metavar="EMBEDDER",
    help="Confirm the --embedder's near-duplicate candidates with this embedder: the cascade, e.g. "
    "--embedder static --confirm sentence-transformers (docs/semantic.md).",
)
@click.option(
    "--audit",
    type=click.IntRange(min=0),
    metavar="N",
    help="With --embedder static: the default model checks N of its removals and N kept records [default: 50; 0: off].",
)
@click.option("--dedup-dry-run", is_flag=True, help="Report what several thresholds would remove; remove nothing.")
@click.option(
    "--train", "train", metavar="PRESET|FILE", help="Fine-tune afterwards: a preset (full, lora, qlora) or a TOML file."
)
@click.option(
    "--tokenizer",
    metavar="PATH",
    help="Local tokenizer or model folder: token-length statistics [default: the --train model].",
)
@click.option("--max-tokens", type=click.IntRange(min=1), help="Records over N tokens are rejected or truncated.")
@click.option(
    "--over-max-tokens",
    type=click.Choice(["reject", "truncate"]),
    help="What --max-tokens does to a longer record [default: reject].",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes for the stages [default: the cores this process may use]."
)
@click.option("--engine", type=click.Choice(["local", "ray"]), help="Execution engine [default: local].")
@click.option("--ray-address", help="Ray cluster address (auto, ray://HOST:PORT); none starts a local one.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Say more, and show tracebacks of failing plugins.")
def build(sources: tuple[str, ...], output: str | None, config_path: str | None, **flags: Any) -> None:
    """Build train.jsonl and val.jsonl from SOURCES (files or folders).

    OUT receives train.jsonl, val.jsonl, rejects.jsonl (every dropped record, with its
    stage and reason), manifest.json and report.html.
    """
    from curate.engines.workers import available_cores
    from curate.pipeline import Pipeline

    quiet, verbose = flags.pop("quiet"), flags.pop("verbose")
    config = load_config(config_path) if config_path else BuildConfig()
    apply_flags(config, sources, output, flags)
    console = err
    pipeline = Pipeline(config)
    plan = pipeline.plan()
    if not quiet:
        stages = ", ".join(plan.stage_names + [p.name for p in plan.phases]) or "none"
        console.print(f"importers: {', '.join(sorted(plan.registry.importers))}", markup=False, highlight=False)
        console.print(f"stages: {stages}; format: {config.format}", markup=False, highlight=False)
    cores = available_cores()
    if config.workers is not None and config.workers > cores:
        console.print(
            f"[yellow]warning:[/] --workers {config.workers} on {cores} usable core{'s' if cores > 1 else ''}: the"
            " processes beyond them only add overhead; leave --workers out to use them all",
            markup=True,
            highlight=False,
        )
    try:
        with RichReporter(console, verbose=verbose, quiet=quiet) as reporter:
            result = pipeline.run(reporter=reporter, debug=verbose)
    except BuildFailed as exc:
        _print_error(exc)
        console.print("build failed; previous outputs left untouched", markup=False)
        sys.exit(1)
    except OSError as exc:  # writing the outputs: a full disk, a folder made read-only mid-build...
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        what = "the disk is full" if full else "cannot write the outputs"
        err.print(f"[bold red]error:[/] {what}: {escape(describe_os_error(exc))}", markup=True, highlight=False)
        hint = "free some space (or build into another folder with -o)" if full else "check the output folder"
        err.print(
            f"  hint: {hint}; the staging folder was removed and the previous outputs are untouched", markup=False
        )
        sys.exit(1)
    if not quiet:
        print_funnel(console, result.manifest)
        for phase in plan.phases:
            report = result.manifest.get(phase.name)
            for line in phase.summary_lines(report) if report else []:
                console.print(line, markup=False, highlight=False)
        names = ", ".join(p.name for p in result.paths.values())
        console.print(f"outputs in {result.output}/: {names}", markup=False, highlight=False)
    if result.train_result is not None:
        trained = result.train_result
        out.print(f"model: {trained.model_dir}", markup=False, highlight=False)
        if trained.curves_png is not None:
            out.print(f"learning curves: {trained.curves_png}", markup=False, highlight=False)
        if trained.diagnosis is not None:
            out.print(f"diagnosis: {trained.diagnosis}", highlight=False, markup=False)


def apply_flags(config: BuildConfig, sources: tuple[str, ...], output: str | None, flags: dict[str, Any]) -> None:
    """Lay the build command's flags over a config (flags win)."""
    mapping = {
        "text_column": flags.pop("text_column"),
        "input_column": flags.pop("input_column"),
        "output_column": flags.pop("output_column"),
    }
    mapping = {k: v for k, v in mapping.items() if v is not None}
    unscoped, scoped = parse_options_flags(flags.pop("options"))
    mapping.update(unscoped)
    if "format" in scoped:  # -O format.conversational=true: a switch of the output format
        from curate.formats import format_switches

        switches = format_switches(scoped.pop("format"))
        config.conversational = switches.conversational
    tables = list(flags.pop("sql_tables"))
    importer = flags.pop("importer")
    if sources:
        config.sources = [SourceSpec(s, importer=importer) for s in sources]
    elif importer:
        raise click.UsageError("--importer applies to SOURCES given on the command line")
    if not config.sources:
        raise click.UsageError("no SOURCES given (on the command line or as [[sources]] in --config)")
    for spec in config.sources:
        spec.options.update(mapping)
        for importer_name, values in scoped.items():
            spec.importer_options.setdefault(importer_name, {}).update(values)
        if tables:
            spec.importer_options.setdefault("sql", {})["tables"] = tables
    if output is not None:
        config.output = output
    if config.output is None:
        raise click.UsageError("no output folder: pass -o OUT")
    for key, attr in (
        ("fmt", "format"),
        ("val_ratio", "val_ratio"),
        ("seed", "seed"),
        ("strict", "strict"),
        ("allow_empty", "allow_empty"),
        ("tokenizer", "tokenizer"),
        ("output_type", "output_type"),
        ("conversational", "conversational"),
        ("workers", "workers"),
        ("max_tokens", "max_tokens"),
        ("over_max_tokens", "over_max_tokens"),
        ("system_prompt", "system_prompt"),
        ("engine", "engine"),
        ("ray_address", "ray_address"),
    ):
        value = flags.pop(key)
        if value is not None:
            setattr(config, attr, value)
    filters, no_filters = flags.pop("filters"), flags.pop("no_filters")
    if filters and no_filters:
        raise click.UsageError("--filter and --no-filters contradict each other")
    if no_filters:
        config.filters = []
    elif filters:
        config.filters = list(filters)
    exclude_like = flags.pop("exclude_like")
    if exclude_like:
        config.exclude_like = list(exclude_like)
    exclude_like_semantic = flags.pop("exclude_like_semantic")
    if exclude_like_semantic is not None:
        config.exclude_like_semantic = exclude_like_semantic
    semantic = {
        "threshold": flags.pop("semantic_dedup"),
        "clusters": flags.pop("clusters"),
        "backend": flags.pop("kmeans_backend"),
        "embedder": flags.pop("embedder"),
        "confirm": flags.pop("confirm", None),
        "dry_run": flags.pop("dedup_dry_run") or None,
    }
    semantic = {k: v for k, v in semantic.items() if v is not None}
    if semantic:
        config.semantic = {**(config.semantic or {}), "enabled": True, **semantic}
    audit = flags.pop("audit")
    if audit is not None:
        if config.semantic is None:
            raise click.UsageError("--audit checks the semantic phase: add --semantic-dedup SIMILARITY (or --config)")
        config.semantic = {**config.semantic, "audit": audit}
    train = flags.pop("train")
    if train is not None:
        config.train = _train_table(train)
    assert not flags, f"unhandled flags: {flags}"


def _train_table(value: str) -> dict[str, Any]:
    path = Path(value)
    if path.suffix == ".toml" or path.exists():
        data = read_toml(path, what="train config")
        table = dict(data.get("train", data))
        table.setdefault("_base_dir", str(path.parent))
        return table
    return {"preset": value}


def print_funnel(console: Console, manifest: dict[str, Any]) -> None:
    """The build's funnel: read, dropped per stage and reason, train, val."""
    counts = manifest["counts"]
    table = Table(title="build", show_header=False, box=None, pad_edge=False)
    table.add_row("read", f"{counts['read']:,}")
    for stage, reasons in counts["rejected_by"].items():
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            table.add_row(escape(f"  - {stage}: {reason}"), f"{n:,}")
    table.add_row("train", f"{counts['train']:,}")
    table.add_row("val", f"{counts['val']:,}")
    console.print(table)
    for side, stats in (manifest.get("token_lengths") or {}).items():
        if isinstance(stats, dict) and stats.get("records"):
            over = ", ".join(f"{share:.0%} over {cut}" for cut, share in stats["over"].items() if share)
            console.print(
                f"tokens ({side}): p50 {stats['p50']:,}, p90 {stats['p90']:,}, p99 {stats['p99']:,}, "
                f"max {stats['max']:,}" + (f"; {over}" if over else ""),
                markup=False,
                highlight=False,
            )
    if manifest["errors"]:
        console.print(f'[yellow]{len(manifest["errors"])} input problem(s)[/]: listed under "errors" in manifest.json')


# ---------------------------------------------------------------------------------------
# inspect, plugins, filters, explain


@cli.command()
@click.argument("source", type=click.Path(path_type=str))
@click.option("--limit", type=int, default=None, help="Stop after N records.")
@click.option("--importer", help="Force this importer.")
@importer_options
def inspect(source: str, limit: int | None, importer: str | None, options: tuple[str, ...]) -> None:
    """Print the records an importer makes of SOURCE, as JSONL (problems go to stderr)."""
    from curate.importing import Problem
    from curate.registry import get_registry
    from curate.sources import read_file, resolve_sources

    unscoped, scoped = parse_options_flags(options)
    spec = SourceSpec(source, importer=importer, options=unscoped, importer_options=scoped)
    shown = 0
    for task in resolve_sources([spec], get_registry()):
        if not isinstance(task, FileTask):
            err.print(f"[yellow]warning:[/] {escape(str(task))}", markup=True, highlight=False)
            continue
        for item in read_file(task):
            if isinstance(item, Problem):
                where = f"{task.file.display}:{item.locator}" if item.locator else task.file.display
                err.print(f"[yellow]warning:[/] {escape(f'{where}: {item.message}')}", markup=True, highlight=False)
                continue
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
            shown += 1
            if limit is not None and shown >= limit:
                return


def parse_options_flags(texts: Iterable[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``-O`` flags split into options for every importer that declares them and options for one importer.

    >>> parse_options_flags(["text_column=body", "csv.delimiter=;", "json.max_depth=5"])
    ({'text_column': 'body'}, {'csv': {'delimiter': ';'}, 'json': {'max_depth': 5}})
    """
    unscoped: dict[str, Any] = {}
    scoped: dict[str, dict[str, Any]] = {}
    for key, value in map(_parse_option, texts):
        importer, dot, name = key.rpartition(".")
        if dot:
            scoped.setdefault(importer, {})[name] = value
        else:
            unscoped[key] = value
    return unscoped, scoped


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="--option")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def plugins(as_json: bool) -> None:
    """List loaded plugins and the hooks each implements."""
    from curate.registry import get_registry

    registry = get_registry()
    rows: list[dict[str, Any]] = [
        {
            "name": info.name,
            "package": info.distribution,
            "version": info.version,
            "hooks": list(info.hooks),
            "provides": registry.provided_by(info.name),
        }
        for info in registry.plugins()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("plugin", "package", "hooks", "provides")
    for row in rows:
        cells = (
            row["name"],
            f"{row['package']} {row['version'] or ''}",
            ", ".join(row["hooks"]),
            ", ".join(row["provides"]),
        )
        table.add_row(*map(escape, cells))
    out.print(table)


@cli.command(name="filters")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def filters_command(as_json: bool) -> None:
    """List the available filters, whether they run by default, and their options."""
    from curate.registry import get_registry

    registry = get_registry()
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "default": bool(cls.default),
            "description": cls.description,
            "options": describe_options(cls.Options),
        }
        for name, cls in sorted(registry.filters.items())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        flag = " (default)" if row["default"] else ""
        out.print(f"[bold]{escape(row['name'])}[/]{flag}: {escape(row['description'])}")
        for opt in row["options"]:
            line = f"    {opt['name']} ({opt['type']}, default {opt['default']}): {opt['help']}"
            out.print(line, highlight=False, markup=False)


@cli.command()
@click.argument("output", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("record_id")
def explain(output: Path, record_id: str) -> None:
    """Show why record RECORD_ID was dropped or changed in the build in OUTPUT."""
    from curate.explain import explain_record

    text = explain_record(output, record_id)
    out.print(text, highlight=False, markup=False)


def _attach_train_commands() -> None:
    try:
        from curate.train.cli import curves_command, estimate_command, train_command
    except ImportError:  # pragma: no cover - curate.train is part of the package
        return
    for command in (train_command, estimate_command, curves_command):
        cli.add_command(command)


_attach_train_commands()


def main() -> None:
    """The console entry point."""
    cli(prog_name="curate")


if __name__ == "__main__":  # pragma: no cover
    main()
