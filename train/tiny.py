"""A tiny Llama and its BPE tokenizer, built from a config: for tests, examples and smoke runs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import require

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{{ eos_token }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

_DEFAULT_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Curate turns raw text into fine-tuning datasets.",
    "A learning curve shows loss against training steps.",
    "user assistant system: what is the answer? The answer is 42.",
]


def make_tiny_llama(
    path: str | Path,
    vocab_size: int = 512,
    train_texts: Iterable[str] | None = None,
    *,
    hidden_size: int = 64,
    intermediate_size: int = 128,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    max_positions: int = 1024,
    seed: int = 0,
) -> Path:
    """Train a ByteLevel BPE tokenizer on `train_texts`, build a LlamaForCausalLM, save both to `path`."""
    tokenizers = require("tokenizers", "building the tiny model")
    transformers = require("transformers", "building the tiny model")
    torch = require("torch", "building the tiny model")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)

    specials = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    bpe = tokenizers.Tokenizer(tokenizers.models.BPE())
    bpe.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(train_texts or _DEFAULT_TEXTS) * 2, trainer)
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        additional_special_tokens=specials[3:],
        model_max_length=max_positions,
    )
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(str(out))

    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_positions,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        tie_word_embeddings=False,
        use_cache=False,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m curate.train.tiny DIR`: write the tiny model and tokenizer to DIR."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m curate.train.tiny", description=main.__doc__)
    ap.add_argument("path")
    ap.add_argument("--vocab-size", type=int, default=512)
    ap.add_argument("--texts", help="a JSONL or text file whose text trains the tokenizer")
    args = ap.parse_args(argv)
    texts = None
    if args.texts:
        texts = Path(args.texts).read_text(encoding="utf-8").splitlines()
    print(make_tiny_llama(args.path, vocab_size=args.vocab_size, train_texts=texts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
