"""Shared fixtures. The whole test session runs offline."""

from __future__ import annotations

import os
import tempfile

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_var] = "1"
os.environ.setdefault("CURATE_CACHE_DIR", tempfile.mkdtemp(prefix="curate-test-cache-"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import types  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner, Result  # noqa: E402

from curate.registry import get_registry  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    """tests/data."""
    return DATA


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., None]]:
    """Register plugin objects (modules or namespaces with hookimpls); all are unregistered afterwards."""
    registry = get_registry()
    names: list[str] = []

    def register(plugin: object, name: str) -> None:
        registry.register(plugin, name)
        names.append(name)

    yield register
    for name in names:
        registry.unregister(name)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the curate CLI in-process: ``cli("build", "data", "-o", "out")``."""
    from curate.cli import cli as command

    runner = CliRunner()

    def invoke(*args: str, ok: bool | None = True) -> Result:
        result = runner.invoke(command, list(args), catch_exceptions=False)
        if ok is True:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def plugin_namespace(**hooks: Callable[..., None]) -> types.SimpleNamespace:
    """A plugin object whose attributes are hook implementations."""
    import curate

    return types.SimpleNamespace(**{name: curate.hookimpl(fn) for name, fn in hooks.items()})


#: Fixtures that take seconds to set up whatever the test does with them (a local Ray cluster starts in 5-10 s on
#: 2 cores): every test that uses one is marked ``slow``, so ``pytest -m "not slow"`` never starts them.
SLOW_FIXTURES = frozenset({"ray_cluster"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` the tests that use a fixture of :data:`SLOW_FIXTURES`."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
