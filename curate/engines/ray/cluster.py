"""Connecting to Ray for a build, and Ray Data's settings while it runs."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from curate.errors import MissingDependency


def import_ray() -> Any:
    """The ``ray`` module with Ray Data, or a :class:`~curate.errors.MissingDependency` saying what to install."""
    try:
        import ray
        import ray.data  # the data extra, not only ray core
    except ImportError as exc:
        raise MissingDependency("ray", extra="ray", purpose="The ray engine") from exc
    return ray


@contextlib.contextmanager
def connected(ray: Any, address: str | None) -> Iterator[None]:
    """Use the process's Ray connection, or connect (or start a local cluster) for the build."""
    if ray.is_initialized():
        yield
        return
    # curate runs offline unless told otherwise: no usage report from a cluster it starts.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


def _quiet(record: logging.LogRecord) -> bool:
    """Ray Data says that progress bars are off when we turn them off; the CLI draws its own."""
    return not record.getMessage().startswith("Progress bars disabled")


@contextlib.contextmanager
def data_context(ray: Any) -> Iterator[None]:
    """Ray Data settings for one build, restored afterwards."""
    from ray.data.context import ShuffleStrategy

    ctx = ray.data.DataContext.get_current()
    options = ctx.execution_options
    saved = (ctx.enable_progress_bars, ctx.print_on_execution_start, options.preserve_order, ctx.shuffle_strategy)
    logger = logging.getLogger("ray.data")
    level = logger.level
    handlers = [*logger.handlers, *logging.getLogger("ray").handlers]
    logger.setLevel(logging.WARNING)
    for handler in handlers:
        handler.addFilter(_quiet)
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    # Blocks come out in input order: the driver consumes the outcome stream in order.
    options.preserve_order = True
    # Shuffles (the semantic phase's groups) by tasks, not by long-lived aggregator actors.
    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    try:
        yield
    finally:
        ctx.enable_progress_bars, ctx.print_on_execution_start, options.preserve_order, ctx.shuffle_strategy = saved
        logger.setLevel(level)
        for handler in handlers:
            handler.removeFilter(_quiet)
