"""pyproject lists packages by hand (plugins/ and train/ are mapped): keep the list complete."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
