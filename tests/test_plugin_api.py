"""curate.plugin_api is the one surface plugins import: documented, and all the built-ins use."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import curate.plugin_api as api

ROOT = Path(__file__).parent.parent
PLUGINS = ROOT / "plugins"


def internal_imports(path: Path) -> list[str]:
    """The curate modules ``path`` imports other than curate.plugin_api and curate.plugins (its own package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            if module == "curate" or module.startswith("curate."):
                if module != "curate.plugin_api" and not module.startswith("curate.plugins"):
                    found.append(f"line {node.lineno}: {module}")
    return found


def test_builtin_plugins_import_only_the_plugin_api() -> None:
    offenders = {}
    for path in sorted(PLUGINS.rglob("*.py")):
        rel = path.relative_to(PLUGINS).as_posix()
        found = internal_imports(path)
        if found:
            offenders[rel] = found
    assert not offenders, f"import these from curate.plugin_api instead: {offenders}"


def test_internal_imports_are_found_wherever_they_are(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import curate\n"
        "from curate.plugin_api import Record\n"
        "from curate.plugins.text_stats import CJK\n"
        "from . import sibling\n"
        "def f():\n"
        "    from curate.registry import get_registry\n"
        "    import curate.plan as plan\n",
        encoding="utf-8",
    )
    assert internal_imports(plugin) == ["line 1: curate", "line 6: curate.registry", "line 7: curate.plan"]


def test_the_package_root_exports_the_plugin_api_on_first_use() -> None:
    import curate

    assert sorted(curate.__all__) == sorted([*api.__all__, "BuildResult", "Pipeline"])
    assert all(getattr(curate, name) is getattr(api, name) for name in api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        curate.Nothing  # noqa: B018
    code = "import sys, curate; assert 'curate.plugin_api' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_documented() -> None:
    doc = api.__doc__ or ""
    undocumented = [name for name in api.__all__ if name not in doc]
    assert not undocumented, f"document these in curate/plugin_api.py's docstring: {undocumented}"
    assert sorted(api.__all__) == sorted(set(api.__all__))
    for name in api.__all__:
        assert hasattr(api, name), name


def test_the_guide_points_at_the_plugin_api() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert "curate.plugin_api" in guide
