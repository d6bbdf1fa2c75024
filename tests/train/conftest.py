"""Fixtures for curate.train: a tiny Llama with its own BPE tokenizer and small build outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

WORDS = (
    "alpha beta gamma delta fox dog river stone light cloud answer question model data train "
    "loss curve step learn fit good small large fast slow red blue green"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("torch", "transformers", "tokenizers"):  # curate[train]: skip without it
        pytest.importorskip(module)
    from curate.train.tiny import make_tiny_llama

    rng = random.Random(0)
    texts = [sentence(rng, 12) for _ in range(200)]
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "model", vocab_size=300, train_texts=texts)


def write_build(root: Path, records: list[dict], val: list[dict] | None = None, fmt: str = "messages") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (root / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (val or [])))
    (root / "manifest.json").write_text(json.dumps({"format": fmt, "records": len(records)}))
    return root


def io_records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [{"input": sentence(rng, rng.randint(3, 10)), "output": sentence(rng, rng.randint(3, 10))} for _ in range(n)]


def message_records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": sentence(rng, 5)},
                {"role": "assistant", "content": sentence(rng, 6)},
                {"role": "user", "content": sentence(rng, 4)},
                {"role": "assistant", "content": sentence(rng, 3)},
            ]
        }
        for _ in range(n)
    ]


@pytest.fixture
def io_build(tmp_path: Path) -> Path:
    return write_build(tmp_path / "build", io_records(48), io_records(8, seed=1), fmt="input-output")


@pytest.fixture
def messages_build(tmp_path: Path) -> Path:
    return write_build(tmp_path / "build", message_records(32), message_records(6, seed=1))
