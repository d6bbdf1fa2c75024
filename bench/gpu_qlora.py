"""4-bit QLoRA on CUDA for a fixed number of steps: tokens/s and peak memory against curate's estimate.

    python bench/gpu_qlora.py [--hidden 2048 --layers 16 --seq-len 1024 --batch 4 --steps 30]

Needs only torch, transformers, peft and bitsandbytes (and this checkout, for the estimate).
Builds a Llama from a config (TinyLlama-1.1B's shape by default) with random weights, saves it,
reloads it in 4-bit NF4 with double quantisation and bf16 compute, prepares it for k-bit
training, adds LoRA (rank 64 on every linear layer), and trains on random tokens with paged
32-bit AdamW and gradient checkpointing. Prints one summary; exits non-zero if CUDA is missing,
the loss is not finite, or any LoRA parameter received no gradient.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_estimate():
    """curate.train.estimate, from the installed package or straight from this checkout."""
    try:
        from curate.train.estimate import estimate_memory

        return estimate_memory
    except ImportError:
        pass
    if "curate" not in sys.modules:
        parent = types.ModuleType("curate")
        parent.__path__ = []
        sys.modules["curate"] = parent
    spec = importlib.util.spec_from_file_location(
        "curate.train", ROOT / "train" / "__init__.py", submodule_search_locations=[str(ROOT / "train")]
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["curate.train"] = mod
    spec.loader.exec_module(mod)
    from curate.train.estimate import estimate_memory

    return estimate_memory


def main() -> int:
    ap = argparse.ArgumentParser(description="QLoRA tokens/s and peak memory on CUDA")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=5632)
    ap.add_argument("--layers", type=int, default=22)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rank", type=int, default=64)
    args = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        print("FAIL: no CUDA device visible to torch")
        return 2
    import bitsandbytes as bnb
    import peft
    import transformers

    torch.manual_seed(0)
    work = Path(tempfile.mkdtemp(prefix="gpu-qlora-"))
    config = transformers.LlamaConfig(
        vocab_size=args.vocab,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        max_position_embeddings=max(2048, args.seq_len),
        tie_word_embeddings=False,
        use_cache=False,
    )
    t0 = time.perf_counter()
    with torch.device("cuda"):
        base = transformers.LlamaForCausalLM(config).to(torch.bfloat16)
    base.save_pretrained(str(work / "model"))
    del base
    torch.cuda.empty_cache()
    build_s = time.perf_counter() - t0

    quant = transformers.BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    torch.cuda.reset_peak_memory_stats()
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(work / "model"), quantization_config=quant, dtype=torch.bfloat16, device_map={"": 0}
    )
    model = peft.prepare_model_for_kbit_training(
        model, use_gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": False}
    )
    model = peft.get_peft_model(
        model,
        peft.LoraConfig(
            r=args.rank, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"
        ),
    )
    n4 = sum(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    opt = bnb.optim.PagedAdamW32bit(trainable, lr=1e-4)
    model.train()

    gen = torch.Generator(device="cuda").manual_seed(0)
    losses: list[float] = []
    missing: list[str] = []
    timed_tokens = 0
    start = None
    for step in range(args.steps):
        if step == args.warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        ids = torch.randint(0, args.vocab, (args.batch, args.seq_len), device="cuda", generator=gen)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        if step == 1:  # LoRA B has moved once, so every LoRA parameter must now have a gradient
            missing = [
                n
                for n, p in model.named_parameters()
                if p.requires_grad and (p.grad is None or not bool(p.grad.abs().sum() > 0))
            ]
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if step >= args.warmup:
            timed_tokens += ids.numel()
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated()

    estimate = load_estimate()(
        str(work / "model"),
        "qlora",
        seq_len=args.seq_len,
        batch=args.batch,
        precision="bf16",
        lora_rank=args.rank,
        target_modules="all-linear",
        gradient_checkpointing=True,
        gpu_memory=torch.cuda.get_device_properties(0).total_memory,
    )
    err = estimate.total / peak - 1
    ok = all(math.isfinite(x) for x in losses) and not missing and n4 > 0
    gib = 1024**3
    print("=" * 72)
    print(
        f"device          {torch.cuda.get_device_name(0)}; torch {torch.__version__}, transformers "
        f"{transformers.__version__}, peft {peft.__version__}, bitsandbytes {bnb.__version__}"
    )
    print(
        f"model           Llama h={args.hidden} L={args.layers} I={args.intermediate} V={args.vocab}: "
        f"{estimate.params / 1e9:.2f}B params, {n4} Linear4bit layers (NF4, double quant, bf16 compute)"
    )
    print(f"LoRA            rank {args.rank}, all linear layers: {n_trainable:,} trainable")
    print(
        f"run             seq {args.seq_len} x batch {args.batch}, {args.steps} steps ({args.warmup} warm-up), "
        f"paged AdamW 32-bit, gradient checkpointing; build {build_s:.0f} s"
    )
    print(f"loss            {losses[0]:.3f} -> {losses[-1]:.3f}")
    print(f"throughput      {timed_tokens / elapsed:,.0f} tokens/s ({elapsed / (args.steps - args.warmup):.3f} s/step)")
    print(f"peak memory     {peak / gib:.2f} GiB measured (torch.cuda.max_memory_allocated)")
    print(
        f"estimate        {estimate.total / gib:.2f} GiB (weights {estimate.weights / gib:.2f}, grads "
        f"{estimate.gradients / gib:.2f}, optimizer {estimate.optimizer / gib:.2f}, activations "
        f"{estimate.activations / gib:.2f}, logits {estimate.logits / gib:.2f}): {err:+.0%} vs measured"
    )
    grads = "every LoRA parameter got one" if not missing else f"MISSING for {len(missing)}: {missing[:3]}"
    print(f"gradients       {grads}")
    print(f"result          {'OK' if ok else 'FAIL'}")
    print("=" * 72)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
