from __future__ import annotations

import json

import pytest

from curate.ledger import iter_jsonl
from tests.conftest import plugin_namespace
from tests.fakes import DropShort, LinesImporter, write_lines


@pytest.fixture(autouse=True)
def lines_plugin(register_plugin):
    register_plugin(
        plugin_namespace(
            register_importers=lambda register: register(LinesImporter),
            register_filters=lambda register: register(DropShort),
        ),
        "test-lines",
    )


@pytest.fixture
def corpus(tmp_path):
    write_lines(tmp_path / "a.lines", [{"q": f"q{i}", "a": f"answer {i}"} for i in range(30)] + ["{bad"])
    return tmp_path / "a.lines"


def test_build_end_to_end(cli, corpus, tmp_path):
    out = tmp_path / "out"
    result = cli("build", str(corpus), "-o", str(out), "--format", "input-output", "--val-ratio", "0.2", "--seed", "3")
    assert "train" in result.output and "a.lines:line 31" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == 31 == counts["train"] + counts["val"] + counts["rejected"]
    assert manifest["config"]["seed"] == 3
    row = next(iter_jsonl(out / "train.jsonl"))
    assert set(row) == {"input", "output"}
    assert (out / "report.html").exists()


def test_strict_exit_code(cli, corpus, tmp_path):
    result = cli("build", str(corpus), "-o", str(tmp_path / "o"), "--strict", ok=False)
    assert result.exit_code == 1
    assert "a.lines:line 31" in result.output and "Traceback" not in result.output


def test_usage_errors_exit_2(cli, corpus, tmp_path):
    assert cli("build", str(corpus), ok=False).exit_code == 2  # no -o
    assert cli("build", str(corpus), "-o", str(tmp_path), "--filter", "nope", ok=False).exit_code == 2
    assert cli("build", str(corpus), "-o", str(tmp_path), "--format", "csv", ok=False).exit_code == 2
    result = cli("build", str(corpus), "-o", str(tmp_path), "--config", str(tmp_path / "missing.toml"), ok=False)
    assert result.exit_code == 2 and "not found" in result.output


def test_filter_flags(cli, corpus, tmp_path):
    write_lines(corpus, [{"q": "a", "a": "no"}, {"q": "b", "a": "yes indeed"}])
    cli("build", str(corpus), "-o", str(tmp_path / "o"), "--filter", "drop_short", "-q")
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["counts"]["rejected_by"] == {"drop_short": {"too_short": 1}}
    cli("build", str(corpus), "-o", str(tmp_path / "o2"), "--no-filters", "-q")
    manifest = json.loads((tmp_path / "o2" / "manifest.json").read_text())
    assert "drop_short" not in manifest["stages"]


def test_explain(cli, corpus, tmp_path):
    write_lines(corpus, [{"q": "a", "a": "no"}, {"q": "b", "a": "yes indeed"}])
    out = tmp_path / "o"
    cli("build", str(corpus), "-o", str(out), "--filter", "drop_short", "-q")
    (reject,) = list(iter_jsonl(out / "rejects.jsonl"))
    text = cli("explain", str(out), reject["id"]).output
    assert "dropped by stage 'drop_short', reason 'too_short'" in text and "length: 2" in text
    assert "kept unchanged" in cli("explain", str(out), "0000").output


def test_inspect(cli, corpus):
    lines = cli("inspect", str(corpus), "--limit", "2").output.strip().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["source"] == {"plugin": "lines", "path": str(corpus), "locator": "line 1"}


def test_plugins_json(cli):
    rows = {r["name"]: r for r in json.loads(cli("plugins", "--json").output)}
    assert rows["text"]["hooks"] == ["register_importers"]
    assert "importer:text" in rows["text"]["provides"]
    assert rows["test-lines"]["hooks"] == ["register_filters", "register_importers"]


def test_plugins_names_what_packaged_plugins_provide(cli):
    """The importers of plugin packages (plugins/csv/...) live in submodules: still listed under their plugin."""
    rows = {r["name"]: r for r in json.loads(cli("plugins", "--json").output)}
    for name in ("csv", "html", "json", "sql"):
        assert rows[name]["provides"] == [f"importer:{name}"]
    assert rows["refusal"]["provides"] == ["filter:refusal"]
    assert rows["test-lines"]["provides"] == ["importer:lines", "filter:drop_short"]
    table = {line.split("│")[1].strip(): line for line in cli("plugins").output.splitlines() if line.count("│") > 2}
    for name in ("csv", "html", "json", "sql"):
        assert f"importer:{name}" in table[name]


def test_filters_listing(cli):
    rows = {r["name"]: r for r in json.loads(cli("filters", "--json").output)}
    assert rows["drop_short"]["description"].startswith("drops")


def test_progress_shows_bytes_read_of_the_file_size(tmp_path):
    import io

    from rich.console import Console

    from curate.cli import RichReporter
    from curate.importing import InputFile
    from curate.registry import get_registry
    from curate.sources import FileTask, read_file

    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"text": f"line {i}"}) + "\n" for i in range(5000)))
    task = FileTask(InputFile(path, "a.jsonl"), get_registry().importer("json").from_options({}))
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    with RichReporter(console, verbose=False, quiet=False) as reporter:
        reporter.file_started(task)
        n = sum(1 for _ in read_file(task))
        reporter.records_read(n)
        progress = reporter.progress.tasks[0]
        assert progress.total == path.stat().st_size == progress.completed
