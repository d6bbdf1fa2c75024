"""``--output-type parquet``: train.parquet and val.parquet, hashed in the manifest, read back as written."""

from __future__ import annotations

import json

import pytest

from curate.ledger import iter_jsonl, sha256_file

pq = pytest.importorskip("pyarrow.parquet")


def rows(n):
    out = []
    for i in range(n):
        turns = [{"role": "user", "content": f"Question {i} about rivers?"}]
        turns.append({"role": "assistant", "content": f"Answer {i}: rivers flow to the sea."})
        if i % 7 == 0:  # a ragged schema: a system turn on some rows only
            turns.insert(0, {"role": "system", "content": "Be brief."})
        out.append({"messages": turns})
    return out


def test_parquet_outputs_match_the_jsonl_build(tmp_path, cli):
    src = tmp_path / "chats.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows(120)))
    cli("build", str(src), "-o", str(tmp_path / "j"), "--no-filters", "--val-ratio", "0.2")
    cli("build", str(src), "-o", str(tmp_path / "p"), "--no-filters", "--val-ratio", "0.2", "--output-type", "parquet")
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert set(manifest["outputs"]) >= {"train.parquet", "val.parquet", "rejects.jsonl"}
    assert not (tmp_path / "p" / "train.jsonl").exists()
    for side in ("train", "val"):
        path = tmp_path / "p" / f"{side}.parquet"
        entry = manifest["outputs"][f"{side}.parquet"]
        assert entry["sha256"] == sha256_file(path)[0]
        assert entry["records"] == manifest["counts"][side] > 0
        from curate.train.data import read_records

        assert read_records(path) == list(iter_jsonl(tmp_path / "j" / f"{side}.jsonl"))


def test_parquet_loads_with_datasets(tmp_path, cli):
    datasets = pytest.importorskip("datasets")
    src = tmp_path / "chats.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows(50)))
    out = tmp_path / "p"
    cli("build", str(src), "-o", str(out), "--no-filters", "--output-type", "parquet")
    ds = datasets.load_dataset("parquet", data_files={"train": str(out / "train.parquet")}, split="train")
    assert len(ds) == json.loads((out / "manifest.json").read_text())["counts"]["train"]
    assert ds[0]["messages"][-1]["role"] == "assistant"
