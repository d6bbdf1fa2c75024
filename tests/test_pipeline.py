from __future__ import annotations

import json
from pathlib import Path

import pytest

import curate
from curate import Pipeline
from curate.errors import BuildFailed, ConfigError
from curate.ledger import iter_jsonl, sha256_file
from tests.conftest import plugin_namespace
from tests.fakes import DropShort, LinesImporter, published, write_lines


@pytest.fixture
def lines_plugin(register_plugin):
    register_plugin(
        plugin_namespace(
            register_importers=lambda register: register(LinesImporter),
            register_filters=lambda register: register(DropShort),
        ),
        "test-lines",
    )


def qa_rows(n: int) -> list[dict]:
    return [{"q": f"Question {i}?", "a": f"Answer number {i}."} for i in range(n)]


def build(src, out, **settings) -> curate.BuildResult:
    settings.setdefault("report", False)
    return Pipeline().source(src).set(**settings).run(out)


def test_every_record_is_accounted_for(tmp_path, lines_plugin):
    src = tmp_path / "in"
    src.mkdir()
    rows = [*qa_rows(40), qa_rows(1)[0], "{broken", {"q": "x", "a": "   "}, {"t": "a document"}]
    write_lines(src / "a.lines", rows)
    result = build(src, tmp_path / "out", val_ratio=0.2)
    counts = result.counts
    assert counts["read"] == 44
    assert counts["read"] == counts["train"] + counts["val"] + counts["rejected"]
    assert counts["rejected_by"] == {
        "import": {"unreadable": 1},
        "normalise": {"empty_output": 1},
        "exact_dedup": {"duplicate": 1},
        "format": {"text_in_supervised_format": 1},
    }
    rejects = list(iter_jsonl(result.paths["rejects"]))
    assert len(rejects) == counts["rejected"]
    assert all(r["stage"] and r["reason"] and r["source"]["path"] for r in rejects)
    dup = next(r for r in rejects if r["reason"] == "duplicate")
    assert dup["source"]["locator"] == "line 41"
    bad = next(r for r in rejects if r["stage"] == "import")
    assert bad["text"] == "{broken" and "invalid JSON" in bad["details"]["error"]
    assert [e.locator for e in result.errors] == ["line 42"]
    train = list(iter_jsonl(result.paths["train"]))
    assert all(set(row) == {"messages"} for row in train)


def test_duplicate_points_at_survivor(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", [{"q": "same", "a": "answer"}, {"q": "same ", "a": "answer"}])
    result = build(tmp_path / "a.lines", tmp_path / "out", include_ids=True, val_ratio=0)
    (kept,) = list(iter_jsonl(result.paths["train"]))
    (dup,) = list(iter_jsonl(result.paths["rejects"]))
    assert dup["details"]["duplicate_of"] == kept["id"]


def test_manifest_hashes_and_inputs(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", qa_rows(10))
    result = build(tmp_path / "a.lines", tmp_path / "out")
    manifest = json.loads(result.paths["manifest"].read_text())
    for name, entry in manifest["outputs"].items():
        assert entry["sha256"] == sha256_file(result.output / name)[0]
    (inp,) = manifest["inputs"]
    assert inp["sha256"] == sha256_file(tmp_path / "a.lines")[0]
    assert inp["importer"] == "lines" and inp["records"] == 10
    assert manifest["config"]["format"] == "messages"
    assert "python" in manifest["versions"]


def test_split_is_stable_under_reordering(tmp_path, lines_plugin):
    rows = qa_rows(300)
    write_lines(tmp_path / "a.lines", rows)
    write_lines(tmp_path / "b.lines", list(reversed(rows)))
    a = build(tmp_path / "a.lines", tmp_path / "oa", val_ratio=0.1)
    b = build(tmp_path / "b.lines", tmp_path / "ob", val_ratio=0.1)
    val_a = sorted(map(json.dumps, iter_jsonl(a.paths["val"])))
    val_b = sorted(map(json.dumps, iter_jsonl(b.paths["val"])))
    assert val_a == val_b and 10 < len(val_a) < 60


def test_at_least_one_validation_record(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", qa_rows(3))
    result = build(tmp_path / "a.lines", tmp_path / "out", val_ratio=0.01)
    assert result.counts["val"] == 1 and result.counts["train"] == 2
    assert len(list(iter_jsonl(result.paths["train"]))) == 2
    assert result.counts["stages"]["split"] == {"moved_to_val_for_minimum": 1}
    none = build(tmp_path / "a.lines", tmp_path / "out0", val_ratio=0)
    assert none.counts["val"] == 0


def test_strict_fails_and_keeps_previous_outputs(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", qa_rows(5))
    out = tmp_path / "out"
    build(tmp_path / "a.lines", out)
    before = published(out)
    write_lines(tmp_path / "a.lines", [*qa_rows(6), "{bad"])
    with pytest.raises(BuildFailed, match=r"a\.lines:line 7"):
        build(tmp_path / "a.lines", out, strict=True)
    assert published(out) == before


def test_failure_mid_build_leaves_previous_outputs(tmp_path, lines_plugin, monkeypatch):
    write_lines(tmp_path / "a.lines", qa_rows(5))
    out = tmp_path / "out"
    build(tmp_path / "a.lines", out)
    before = published(out)
    write_lines(tmp_path / "a.lines", qa_rows(50))

    def boom(self, batch):
        raise KeyboardInterrupt

    monkeypatch.setattr(DropShort, "process", boom)
    with pytest.raises(KeyboardInterrupt):
        Pipeline().source(tmp_path / "a.lines").filters("drop_short").set(report=False).run(out)
    assert published(out) == before


def test_importer_crash_keeps_records_before_it(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", qa_rows(10))
    result = Pipeline().source(tmp_path / "a.lines", fail_at=6).set(report=False, val_ratio=0).run(tmp_path / "o")
    assert result.counts["read"] == 5 and result.counts["train"] == 5
    assert "importer 'lines' failed: RuntimeError: importer bug" in result.errors[0].message


def test_filters_selected_and_counted(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", [{"q": "a", "a": "ok"}, {"q": "b", "a": "fine answer"}])
    result = Pipeline().source(tmp_path / "a.lines").filters("drop_short").set(report=False).run(tmp_path / "o")
    assert result.counts["rejected_by"] == {"drop_short": {"too_short": 1}}
    assert result.manifest["stages"] == ["normalise", "drop_short", "exact_dedup"]


def test_unknown_names_are_config_errors(tmp_path, lines_plugin):
    with pytest.raises(ConfigError, match="no filter named 'nope'"):
        Pipeline().source(tmp_path).filters("nope").run(tmp_path / "o")
    with pytest.raises(ConfigError, match="no importer accepts"):
        Pipeline().source(tmp_path, colum="x").run(tmp_path / "o")
    with pytest.raises(ConfigError, match="unknown option 'x'"):
        Pipeline().source(tmp_path, importer="lines", x=1).run(tmp_path / "o")
    with pytest.raises(ConfigError, match="no output folder"):
        Pipeline().source(tmp_path).run()


def test_config_file(tmp_path, lines_plugin):
    (tmp_path / "data").mkdir()
    write_lines(tmp_path / "data" / "a.lines", qa_rows(20))
    (tmp_path / "curate.toml").write_text(
        """
[build]
output = "out"
format = "alpaca"
val_ratio = 0.25
report = false

[[sources]]
path = "data"
lines = { fail_at = 100 }

[filters]
select = ["drop_short"]
""",
        encoding="utf-8",
    )
    result = Pipeline.from_config(tmp_path / "curate.toml").run()
    assert result.output == tmp_path / "out"
    assert result.counts["train"] + result.counts["val"] == 20
    row = next(iter_jsonl(result.paths["train"]))
    assert set(row) == {"instruction", "input", "output", "system", "history"}  # one schema for every row


def test_stages_must_account_for_every_record(tmp_path, lines_plugin, monkeypatch):
    write_lines(tmp_path / "a.lines", qa_rows(3))
    monkeypatch.setattr(DropShort, "process", lambda self, batch: curate.BatchResult(kept=batch[:1]))
    with pytest.raises(RuntimeError, match="must account for every record"):
        Pipeline().source(tmp_path / "a.lines").filters("drop_short").set(report=False).run(tmp_path / "o")


def test_no_staging_left_behind(tmp_path, lines_plugin):
    write_lines(tmp_path / "a.lines", qa_rows(3))
    build(tmp_path / "a.lines", tmp_path / "out")
    out = Path(tmp_path / "out")
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".curate"]
    state = sorted(p.name for p in (out / ".curate").iterdir())
    assert state[0] == "current" and state[1].startswith("gen-") and state[2:] == ["lock"]


def test_normalise_keeps_entities_inside_code():
    from curate.stages.normalise import normalise_text

    text = "Use &lt;b&gt; for bold.\n\n```html\n<p>&amp;copy; is &copy;</p>\n```\nInline `&nbsp;` too &amp; more."
    assert normalise_text(text) == (
        "Use <b> for bold.\n\n```html\n<p>&amp;copy; is &copy;</p>\n```\nInline `&nbsp;` too & more."
    )


def test_key_table_matches_a_dict():
    import random

    from curate.stages.dedup import KeyTable

    rng = random.Random(0)
    table, reference = KeyTable(capacity=4), {}
    for _ in range(20_000):
        key, value = rng.getrandbits(64) if rng.random() < 0.7 else rng.randrange(50), rng.getrandbits(63)
        assert table.setdefault(key, value) == reference.get(key)
        reference.setdefault(key, value)
    assert len(table) == len(reference)


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_workers_give_identical_outputs(tmp_path, lines_plugin, batch_size):
    rows = qa_rows(150) + qa_rows(20) + [{"q": "x", "a": "y"}] * 3 + ["{bad"]
    write_lines(tmp_path / "a.lines", rows)
    outputs = []
    for workers in (1, 2, 3):
        out = tmp_path / f"w{workers}" / "out"
        Pipeline().source(tmp_path / "a.lines").filters("drop_short").set(
            batch_size=batch_size, workers=workers, report=False
        ).run(out)
        manifest = json.loads((out / "manifest.json").read_text())
        outputs.append((published(out) | {"manifest.json": b""}, manifest["counts"], manifest["outputs"]))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][1]["rejected_by"]["drop_short"]
