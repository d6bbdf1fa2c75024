"""The example plugin package under examples/ is pip-installed and used through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PLUGIN = ROOT / "examples" / "curate-srt"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    return env


def curate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from curate.cli import main; sys.argv[0] = 'curate'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)


def test_plugin_is_listed(installed):
    proc = curate(installed, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["srt"]["package"] == "curate-srt"
    assert "importer:srt" in rows["srt"]["provides"]


def test_plugin_builds(installed, tmp_path):
    out = tmp_path / "out"
    args = ["build", str(PLUGIN / "sample"), "-o", str(out), "--format", "input-output", "--val-ratio", "0"]
    proc = curate(installed, *args, "-O", "pairs=true")
    assert proc.returncode == 0, proc.stderr
    assert "episode.srt:line 9: cue without a timing line" in proc.stderr
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert rows[0] == {"input": "Where were you last night?", "output": "At the library, reading about tides."}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["rejected_by"] == {"import": {"unreadable": 1}}


def test_third_party_plugin_can_be_excluded(installed):
    env = dict(installed, CURATE_LOAD_PLUGINS="")
    rows = {r["name"] for r in json.loads(curate(env, "plugins", "--json").stdout)}
    assert "srt" not in rows and "text" in rows
