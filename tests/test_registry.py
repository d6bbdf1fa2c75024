from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from curate import hookspecs
from curate.errors import ConfigError, PluginError
from curate.registry import Registry, get_registry
from tests.conftest import plugin_namespace
from tests.fakes import DropShort, LinesImporter

ROOT = Path(__file__).parent.parent


def test_builtins_load_through_entry_points():
    registry = get_registry()
    assert {"html", "csv", "sql", "json", "text"} <= set(registry.importers)
    names = {p.name: p for p in registry.plugins()}
    assert names["text"].distribution == "curate"
    assert "register_importers" in names["text"].hooks


def test_fake_plugin_registers_and_unregisters(register_plugin):
    register_plugin(plugin_namespace(register_importers=lambda register: register(LinesImporter)), "fake")
    assert get_registry().importer("lines") is LinesImporter


def test_plugin_gone_after_fixture():
    with pytest.raises(ConfigError, match="no importer named 'lines'"):
        get_registry().importer("lines")


def test_two_plugins_same_name_is_an_error():
    registry = Registry()
    registry.register(plugin_namespace(register_filters=lambda register: register(DropShort)), "one")
    with pytest.raises(PluginError, match="two plugins register a filter named 'drop_short'"):
        registry.register(plugin_namespace(register_filters=lambda register: register(DropShort)), "two")


def test_misspelled_hook_fails_loudly():
    registry = Registry()
    with pytest.raises(Exception, match="register_importer"):
        registry.register(plugin_namespace(register_importer=lambda register: None), "typo")


def test_registering_a_non_importer_is_an_error():
    registry = Registry()
    with pytest.raises(PluginError, match="not a Importer subclass"):
        registry.register(plugin_namespace(register_importers=lambda register: register(DropShort)), "bad")


def test_curate_load_plugins_limits_third_party_only():
    code = "from curate.registry import get_registry; print(sorted(get_registry().importers))"
    env = {"CURATE_LOAD_PLUGINS": "", "PATH": "", "HOME": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert "text" in out  # built-ins always load


def test_every_hook_is_documented():
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tree = ast.parse(Path(hookspecs.__file__).read_text(encoding="utf-8"))
    hooks = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert hooks
    for hook in hooks:
        assert f"`{hook}" in docs, f"hook {hook} is not documented in docs/plugins.md"
        assert getattr(hookspecs, hook).__doc__, f"hook {hook} has no docstring"
