"""Token lengths with the user's tokenizer (``--tokenizer``) and the length limit (``--max-tokens``)."""

from __future__ import annotations

import json
import random

import pytest

from curate.ledger import iter_jsonl
from tests.train.conftest import WORDS


def conversations(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        turns = []
        for _ in range(rng.randint(1, 3)):
            turns.append({"role": "user", "content": f"q{i} " + " ".join(rng.choices(WORDS, k=rng.randint(3, 30)))})
            turns.append({"role": "assistant", "content": " ".join(rng.choices(WORDS, k=rng.randint(3, 60)))})
        rows.append({"messages": turns})
    return rows


@pytest.fixture
def chats(tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in conversations(60)))
    return path


def chat_tokens(tokenizer, messages) -> int:
    ids = tokenizer.apply_chat_template(messages, tokenize=True)
    return len(ids["input_ids"] if hasattr(ids, "keys") else ids)


def test_manifest_has_token_lengths_counted_with_the_chat_template(tmp_path, cli, chats, tiny_model):
    from transformers import AutoTokenizer

    out = tmp_path / "out"
    cli("build", str(chats), "-o", str(out), "--no-filters", "--val-ratio", "0.2", "--tokenizer", str(tiny_model))
    manifest = json.loads((out / "manifest.json").read_text())
    stats = manifest["token_lengths"]
    assert stats["counted_with"] == "chat template" and stats["tokenizer"] == str(tiny_model)
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    expected = sorted(chat_tokens(tok, r["messages"]) for r in iter_jsonl(out / "train.jsonl"))
    train = stats["train"]
    assert train["records"] == manifest["counts"]["train"] == len(expected)
    assert train["max"] == expected[-1] and train["p50"] == expected[len(expected) // 2]
    assert train["over"]["512"] == round(sum(1 for x in expected if x > 512) / len(expected), 4)
    assert stats["val"]["records"] == manifest["counts"]["val"]
    assert "Lengths (tokens" in (out / "report.html").read_text()


def test_max_tokens_rejects_longer_records(tmp_path, cli, chats, tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    out = tmp_path / "out"
    cli("build", str(chats), "-o", str(out), "--no-filters", "--tokenizer", str(tiny_model), "--max-tokens", "150")
    kept = [chat_tokens(tok, r["messages"]) for side in ("train", "val") for r in iter_jsonl(out / f"{side}.jsonl")]
    rejected = [r for r in iter_jsonl(out / "rejects.jsonl") if r["reason"] == "too_long"]
    assert kept and rejected and max(kept) <= 150
    assert all(r["details"]["tokens"] > 150 and r["stage"] == "token_limit" for r in rejected)
    assert len(kept) + len(rejected) == 60


def test_max_tokens_truncates_conversations_and_text(tmp_path, cli, chats, tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    out = tmp_path / "out"
    args = ["--no-filters", "--tokenizer", str(tiny_model), "--max-tokens", "150", "--over-max-tokens", "truncate"]
    cli("build", str(chats), "-o", str(out), *args)
    rows = [r for side in ("train", "val") for r in iter_jsonl(out / f"{side}.jsonl")]
    assert all(chat_tokens(tok, r["messages"]) <= 150 for r in rows)
    assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
    manifest = json.loads((out / "manifest.json").read_text())
    truncated = manifest["counts"]["stages"]["token_limit"]["truncated"]
    assert truncated > 0 and len(rows) == 60  # a single long exchange has its reply cut, not rejected
    assert any(len(r["messages"]) == 2 and r["messages"][1]["content"] for r in rows)
    notes = [c for line in iter_jsonl(out / "changes.jsonl") for c in line["changes"]]
    assert sum(1 for c in notes if c.get("action") == "truncate") == truncated

    text = tmp_path / "long.txt"
    text.write_text(" ".join(random.Random(1).choices(WORDS, k=2000)))
    out2 = tmp_path / "out2"
    cli("build", str(text), "-o", str(out2), "--format", "text", *args)
    (row,) = [r for side in ("train", "val") for r in iter_jsonl(out2 / f"{side}.jsonl")]
    assert len(tok(row["text"])["input_ids"]) <= 150 and row["text"] and text.read_text().startswith(row["text"])


def test_token_settings_mistakes_are_usage_errors(tmp_path, cli, chats):
    result = cli("build", str(chats), "-o", str(tmp_path / "o"), "--max-tokens", "100", ok=False)
    assert result.exit_code == 2 and "needs a tokenizer" in result.output
    result = cli("build", str(chats), "-o", str(tmp_path / "o"), "--tokenizer", str(tmp_path / "nope"), ok=False)
    assert result.exit_code == 2 and "no such folder" in result.output
