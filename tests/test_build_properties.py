"""Property: ``curate build`` over mutated files never shows a traceback, and every record read is accounted for."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.cli import cli

SEEDS: dict[str, bytes] = {
    "chats.jsonl": "".join(
        json.dumps(
            {"messages": [{"role": "user", "content": f"Q{i} [/INST] é?"}, {"role": "assistant", "content": f"A{i}."}]}
        )
        + "\n"
        for i in range(6)
    ).encode(),
    "faq.csv": b'question,answer\n"What is a ""river""?","Water, flowing."\nWhy?,Because.\n',
    "page.html": b"<html><body><article><h1>T</h1><p>One paragraph of text here.</p>"
    b"<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></article></body></html>",
    "dump.sql": b"CREATE TABLE t (q TEXT, a TEXT);\nINSERT INTO t VALUES ('Why?', 'It''s so.'), ('How?', 'Thus.');\n",
    "notes.txt": "First paragraph of notes.\n\nSecond paragraph, caf\xe9.\n".encode(),
}

mutation = st.tuples(
    st.sampled_from(sorted(SEEDS)),
    st.sampled_from(["flip", "truncate", "insert", "gzip-lie", "gzip-cut"]),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=8),
)


def mutate(name: str, how: str, at: int, junk: bytes) -> tuple[str, bytes]:
    data = SEEDS[name]
    i = at % max(len(data), 1)
    if how == "flip":
        return name, data[:i] + junk + data[i + len(junk) :]
    if how == "truncate":
        return name, data[:i]
    if how == "insert":
        return name, data[:i] + junk + data[i:]
    packed = gzip.compress(data)
    if how == "gzip-lie":  # named .gz, not gzip at all
        return name + ".gz", data
    return name + ".gz", packed[: max(1, i % len(packed))]  # a truncated gzip stream


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
def test_build_over_mutated_files_accounts_for_every_record(tmp_path_factory, mutations):
    root = tmp_path_factory.mktemp("prop")
    src = root / "src"
    src.mkdir()
    for k, (name, how, at, junk) in enumerate(mutations):
        fname, data = mutate(name, how, at, junk)
        (src / f"{k}-{fname}").write_bytes(data)
    for seed_name, data in SEEDS.items():  # good files beside the bad ones still count
        (src / f"good-{seed_name}").write_bytes(data)
    out = root / "out"
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "--allow-empty", "--workers", "1"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == counts["train"] + counts["val"] + counts["rejected"]
    lines = {n: (out / n).read_bytes().count(b"\n") for n in ("train.jsonl", "val.jsonl", "rejects.jsonl")}
    assert (lines["train.jsonl"], lines["val.jsonl"], lines["rejects.jsonl"]) == (
        counts["train"],
        counts["val"],
        counts["rejected"],
    )
