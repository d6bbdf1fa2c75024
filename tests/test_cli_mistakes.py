"""User mistakes and hostile text at the command line: one message and a documented exit code, never a traceback."""

from __future__ import annotations

import errno
import json

import pytest

from curate.ledger import Ledger
from tests.fakes import published


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def qa(n, start=0):
    return [
        {"input": f"Question {i} about the weather?", "output": f"Answer {i}: it is sunny today."}
        for i in range(start, start + n)
    ]


@pytest.fixture
def good(tmp_path, cli):
    src = jsonl(tmp_path / "a.jsonl", qa(20))
    out = tmp_path / "out"
    cli("build", str(src), "-o", str(out), "--no-filters")
    return out, published(out)


def test_mistyped_source_is_a_usage_error_and_keeps_the_build(tmp_path, cli, good):
    out, before = good
    result = cli("build", str(tmp_path / "nonexistent"), "-o", str(out), ok=False)
    assert result.exit_code == 2
    assert "source path(s) not found" in result.output and "nonexistent" in result.output
    assert published(out) == before


def test_empty_build_fails_and_keeps_the_build(tmp_path, cli, good):
    out, before = good
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("build", str(empty), "-o", str(out), ok=False)
    assert result.exit_code == 1 and "no training record" in result.output and "hold no files" in result.output
    assert published(out) == before
    unknown = tmp_path / "x.unknown"
    unknown.write_bytes(b"\x00\x01\x02")
    result = cli("build", str(unknown), "-o", str(out), ok=False)
    assert result.exit_code == 1 and "no input file was recognised" in result.output
    assert published(out) == before


def test_all_rejected_says_why_and_allow_empty_publishes(tmp_path, cli, good):
    out, before = good
    src = jsonl(tmp_path / "t.jsonl", [{"text": "plain text, not a conversation"}] * 3)
    result = cli("build", str(src), "-o", str(out), "--no-filters", ok=False)
    assert result.exit_code == 1 and "all 3 records read were rejected" in result.output
    assert "text_in_supervised_format" in result.output
    assert published(out) == before
    cli("build", str(src), "-o", str(out), "--no-filters", "--allow-empty")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["rejected"] == 3 and manifest["counts"]["train"] == 0


@pytest.mark.parametrize("key", ["[/INST]", "[bold red]x", "[link=file:///etc/passwd]y[/link]"])
def test_markup_in_data_is_printed_as_text(tmp_path, cli, key):
    src = jsonl(tmp_path / "a.jsonl", [{key: "value"}])
    result = cli("build", str(src), "-o", str(tmp_path / "out"), "--allow-empty", ok=False)
    assert result.exit_code == 0, result.output
    assert key in result.output
    result = cli("inspect", str(src), ok=False)
    assert result.exit_code == 0 and key in result.output


def test_output_that_is_not_a_folder_is_a_usage_error(tmp_path, cli):
    src = jsonl(tmp_path / "a.jsonl", qa(3))
    for out in ("/dev/null", str(src / "sub")):
        result = cli("build", str(src), "-o", out, ok=False)
        assert result.exit_code == 2 and "error:" in result.output, result.output


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe", "not UTF-8 text"),
        (b"build = [1, 2]\n", "[build] must be a table"),
        (b"[[sources]]\npath = 5\n", "path must be a file or folder name"),
        (b"sources = 3\n", "sources must be a list"),
        (b"[build]\nval_ratio = 'x'\n", "val_ratio"),
        (b"[build\n", "invalid TOML"),
    ],
)
def test_config_mistakes_are_one_message(tmp_path, cli, toml, message):
    config = tmp_path / "curate.toml"
    config.write_bytes(toml)
    result = cli("build", "-c", str(config), "-o", str(tmp_path / "out"), ok=False)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_disk_full_is_a_message_and_keeps_the_build(tmp_path, cli, good, monkeypatch):
    out, before = good
    src = jsonl(tmp_path / "b.jsonl", qa(50, start=100))
    real = Ledger.write_line
    calls = 0

    def full(self, side, line):
        nonlocal calls
        calls += 1
        if calls > 10:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.staging / f"{side}.jsonl"))
        real(self, side, line)

    monkeypatch.setattr(Ledger, "write_line", full)
    result = cli("build", str(src), "-o", str(out), "--no-filters", ok=False)
    assert result.exit_code == 1
    assert "the disk is full" in result.output and "Traceback" not in result.output
    assert published(out) == before
    assert list((out / ".curate").glob("staging-*")) == []


def test_scoped_option_goes_to_one_importer(tmp_path, cli):
    src = tmp_path / "src"
    src.mkdir()
    (src / "faq.csv").write_text("body,n\nThe first body text of the export.,1\nThe second body text here.,2\n")
    jsonl(src / "notes.jsonl", [{"text": f"A note number {i} from the other source."} for i in range(3)])
    out = tmp_path / "out"
    result = cli("build", str(src), "-o", str(out), "--format", "text", "--no-filters", "-O", "csv.text_column=body")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["read"] == 5 and manifest["counts"]["rejected"] == 0, result.output
    # Unscoped, the JSON importer gets text_column=body too, and its records have no such key.
    result = cli("build", str(src), "-o", str(out), "--format", "text", "-O", "text_column=body", ok=False)
    assert "notes.jsonl" in result.output
    result = cli("build", str(src), "-o", str(out), "-O", "nosuch.text_column=body", ok=False)
    assert result.exit_code == 2 and "no importer named 'nosuch'" in result.output


def test_outputs_are_never_read_back_as_inputs(tmp_path, cli):
    src = tmp_path / "src"
    src.mkdir()
    jsonl(src / "a.jsonl", qa(30))
    for _ in range(2):  # the second build would read the first one's train/val/rejects/manifest
        result = cli("build", str(src), "-o", str(src / "out"), "--no-filters")
        manifest = json.loads((src / "out" / "manifest.json").read_text())
        assert manifest["counts"]["read"] == 30, result.output
    assert [w for w in manifest["warnings"] if "output folder" in w["message"]]
    assert "not read as a source" in result.output


def test_building_a_folder_into_itself_is_a_usage_error(tmp_path, cli):
    src = tmp_path / "src"
    src.mkdir()
    jsonl(src / "a.jsonl", qa(5))
    for out in (src, tmp_path):  # the source is the output folder, or inside it
        result = cli("build", str(src), "-o", str(out), ok=False)
        assert result.exit_code == 2 and "is the output folder" in result.output


def test_a_lone_surrogate_in_the_input_is_written_back_as_its_json_escape(tmp_path, cli):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "lone \\ud800 surrogate"}\n{"text": "fine"}\n', encoding="utf-8")
    out = tmp_path / "out"
    cli("build", str(src), "-o", str(out), "--no-filters", "--format", "text", "--val-ratio", "0")
    assert '"lone \\ud800 surrogate"' in (out / "train.jsonl").read_text(encoding="utf-8")
    first = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(first)["text"] == "lone \ud800 surrogate"


def test_more_workers_than_cores_warns_and_builds(tmp_path, cli, monkeypatch):
    import curate.engines.workers as workers

    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    src = jsonl(tmp_path / "a.jsonl", qa(20))
    result = cli("build", str(src), "-o", str(tmp_path / "out"), "--no-filters", "--workers", "8")
    assert "warning: --workers 8 on 2 usable cores" in result.output
    quiet = cli("build", str(src), "-o", str(tmp_path / "out2"), "--no-filters", "--workers", "2")
    assert "usable core" not in quiet.output
