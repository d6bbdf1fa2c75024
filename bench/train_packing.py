"""Tokens/s of a LoRA run with sample packing against padding, on a length-skewed dataset.

    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python bench/train_packing.py

Builds a tiny Llama (hidden 128, 4 layers) and a dataset where 90% of the records are short
(8-40 words) and 10% long (250-350 words), then trains one epoch each way through
`curate.train.train` (the product path: Arrow cache, collator, Trainer) and prints real
(non-padding) tokens per second side by side. Runs alternate (pad, pack, pad, pack...) and
the best of each is reported, to damp noise from other load on the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(var, "1")

WORDS = (
    "alpha beta gamma delta fox dog river stone light cloud answer question model data train loss "
    "curve step learn fit good small large fast slow red blue green"
).split()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=400)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    logging.disable(logging.WARNING)
    from curate.train import config_from_mapping, train
    from curate.train.tiny import make_tiny_llama

    rng = random.Random(0)

    def sentence(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    work = Path(tempfile.mkdtemp(prefix="curate-pack-"))
    model = make_tiny_llama(
        work / "model",
        vocab_size=400,
        train_texts=[sentence(20) for _ in range(300)],
        hidden_size=128,
        intermediate_size=344,
        num_layers=4,
        num_heads=4,
        num_kv_heads=4,
    )
    records = []
    for _ in range(args.records):
        n = rng.randint(250, 350) if rng.random() < 0.1 else rng.randint(8, 40)
        records.append({"input": sentence(6), "output": sentence(n)})
    build = work / "build"
    build.mkdir()
    (build / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (build / "manifest.json").write_text("{}")

    results: dict[str, list[float]] = {"padding": [], "packing": []}
    steps: dict[str, int] = {}
    for rep in range(args.repeats):
        for mode in ("padding", "packing"):
            cfg = config_from_mapping(
                {
                    "model": str(model),
                    "data": str(build),
                    "method": "lora",
                    "lora_rank": 8,
                    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
                    "max_length": args.max_length,
                    "packing": mode == "packing",
                    "per_device_batch_size": args.batch,
                    "num_epochs": 1,
                    "eval_steps": None,
                    "save_steps": None,
                    "learning_rate": 1e-3,
                    "optim": "adamw_torch",
                    "output_dir": str(work / f"run-{mode}-{rep}"),
                    "resume": False,
                    "check_gradients": False,
                }
            )
            started = time.perf_counter()
            result = train(cfg)
            results[mode].append(result.tokens_per_second or 0.0)
            steps[mode] = result.global_step
            print(
                f"  {mode:8s} run {rep + 1}: {result.tokens_per_second:8.0f} tokens/s, "
                f"{result.global_step} steps, {time.perf_counter() - started:.1f} s wall",
                file=sys.stderr,
            )

    pad, pack = max(results["padding"]), max(results["packing"])
    import torch

    print(
        f"dataset: {args.records} records, 90% short / 10% long, max_length {args.max_length}, "
        f"batch {args.batch}; torch threads {torch.get_num_threads()}"
    )
    print(f"{'mode':10s} {'tokens/s':>10s} {'steps':>6s}")
    print(f"{'padding':10s} {pad:10.0f} {steps['padding']:6d}")
    print(f"{'packing':10s} {pack:10.0f} {steps['packing']:6d}")
    print(f"packing / padding: {pack / pad:.2f}x (goal >= 1.5x)")
    return 0 if pack / pad >= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
