"""pyproject lists packages by hand (plugins/ and train/ are mapped): keep the list complete."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from curate import hookspecs

ROOT = Path(__file__).parent.parent


def test_every_package_folder_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for package, folder in config["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    assert found == listed


def test_builtin_entry_points_point_at_modules():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for name, target in project["entry-points"]["curate"].items():
        module = target.removeprefix("curate.plugins.")
        path = ROOT / "plugins" / module.replace(".", "/")
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), name


def test_data_files_of_plugin_packages_are_package_data():
    """A non-editable install carries a plugin's data files (the refusal filter's phrases) only when listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = config.get("package-data", {})
    for package in config["packages"]:
        if not package.startswith("curate.plugins."):
            continue
        folder = ROOT / "plugins" / package.removeprefix("curate.plugins.").replace(".", "/")
        for file in folder.rglob("*"):
            if file.is_file() and file.suffix not in (".py", ".pyc") and "__pycache__" not in file.parts:
                rel = file.relative_to(folder)
                assert any(rel.match(g) for g in globs.get(package, [])), f"{rel} of {package} is not package-data"


def test_builtin_entry_points_name_the_module_that_holds_the_plugin():
    """Built-ins are packaged like a third-party plugin: the entry point is the code, not a shim beside it.

    Whatever a built-in plugin registers is defined in the module its entry point names, or in
    that module's package (``curate.plugins.csv`` registers ``curate.plugins.csv.importer.CsvImporter``).
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    hooks = [name for name in dir(hookspecs) if name.startswith("register_")]
    for name, target in project["entry-points"]["curate"].items():
        module = importlib.import_module(target)
        registered: list[type] = []
        for hook in hooks:
            if hasattr(module, hook):
                getattr(module, hook)(registered.append)
        assert registered, f"entry point {name!r} ({target}) implements no hook"
        for cls in registered:
            home = cls.__module__
            assert home == target or home.startswith(f"{target}."), (
                f"entry point {name!r} names {target}, but {cls.__name__} lives in {home}: "
                f"point the entry point at the module (or package) that holds the plugin"
            )
