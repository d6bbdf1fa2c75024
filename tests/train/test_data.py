from __future__ import annotations

import json

import pytest
from conftest import io_records, message_records, write_build

from curate.train import TrainConfig, TrainDataError
from curate.train.data import (
    IGNORE_INDEX,
    Collator,
    detect_format,
    file_format,
    pack_examples,
    prepare_datasets,
    tokenise_records,
)
from curate.train.methods import load_tokenizer

RECORDS = {
    "text": {"text": "hello"},
    "input-output": {"input": "a", "output": "b"},
    "prompt-generation": {"prompt": "a", "generation": "b"},
    "prompt-completion": {"prompt": "a", "completion": "b"},
    "messages": {"messages": [{"role": "user", "content": "a"}]},
    "alpaca": {"instruction": "do", "input": "", "output": "b"},
    "sharegpt": {"conversations": [{"from": "human", "value": "a"}]},
}


@pytest.mark.parametrize("fmt", list(RECORDS))
def test_every_writer_format_is_detected(fmt):
    assert detect_format(RECORDS[fmt]) == fmt


def test_mixed_formats_in_one_file_are_an_error_with_the_record_number():
    with pytest.raises(TrainDataError, match="record 2"):
        file_format([RECORDS["text"], RECORDS["input-output"]], "train.jsonl", None)
    with pytest.raises(TrainDataError, match="match no training format"):
        file_format([{"foo": 1}], "train.jsonl", None)


@pytest.fixture
def tok(tiny_model):
    return load_tokenizer(TrainConfig(model=str(tiny_model)))


def target_text(tok, ex):
    return tok.decode([t for t, lab in zip(ex["input_ids"], ex["labels"], strict=True) if lab != IGNORE_INDEX])


def test_prompt_tokens_are_masked_unless_training_on_source(tok):
    rec = [{"input": "alpha beta gamma", "output": "fox dog"}]
    (ex,), _ = tokenise_records(rec, "input-output", tok, TrainConfig(model="m"))
    assert target_text(tok, ex) == "fox dog</s>"
    assert ex["input_ids"][0] == tok.bos_token_id
    (ex,), _ = tokenise_records(rec, "input-output", tok, TrainConfig(model="m", train_on_source=True))
    assert target_text(tok, ex) == "alpha beta gammafox dog</s>"


@pytest.mark.parametrize("fmt", ["messages", "sharegpt"])
def test_only_assistant_turns_are_trained_through_the_chat_template(tok, fmt):
    msgs = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "fox"},
        {"role": "assistant", "content": "dog"},
        {"role": "user", "content": "river"},
        {"role": "assistant", "content": "stone"},
    ]
    if fmt == "sharegpt":
        names = {"system": "system", "user": "human", "assistant": "gpt"}
        rec = {"conversations": [{"from": names[m["role"]], "value": m["content"]} for m in msgs]}
    else:
        rec = {"messages": msgs}
    (ex,), _ = tokenise_records([rec], fmt, tok, TrainConfig(model="m"))
    assert tok.decode(ex["input_ids"]) == tok.apply_chat_template(msgs, tokenize=False)
    assert target_text(tok, ex) == "dog</s>stone</s>"


def test_text_is_chunked_and_overlong_examples_are_counted(tok):
    long_text = " ".join(["alpha beta gamma delta"] * 40)
    examples, stats = tokenise_records([{"text": long_text}], "text", tok, TrainConfig(model="m", max_length=32))
    assert len(examples) > 2 and all(len(e["input_ids"]) <= 32 for e in examples)
    assert sum(len(e["input_ids"]) for e in examples) == len(tok(long_text)["input_ids"]) + 2 - stats.dropped.get(
        "chunk_too_short", 0
    )
    recs = [{"input": long_text, "output": "fox"}, {"input": "a", "output": "dog"}]
    kept, stats = tokenise_records(recs, "input-output", tok, TrainConfig(model="m", max_length=32))
    assert stats.truncated == 0 and stats.dropped == {"no_target_tokens": 1} and len(kept) == 1
    kept, stats = tokenise_records(
        recs, "input-output", tok, TrainConfig(model="m", max_length=32, source_max_length=16, target_max_length=8)
    )
    assert stats.truncated == 1 and len(kept) == 2 and len(kept[0]["input_ids"]) <= 1 + 16 + 8
    kept, stats = tokenise_records(
        recs, "input-output", tok, TrainConfig(model="m", max_length=32, train_on_source=True, overlong="drop")
    )
    assert stats.dropped == {"too_long": 1} and len(kept) == 1


def test_packing_keeps_every_token_and_masks_sequence_starts():
    examples = [
        {"input_ids": list(range(10 * i, 10 * i + n)), "labels": list(range(10 * i, 10 * i + n))}
        for i, n in enumerate([7, 3, 5, 2, 6, 1, 4])
    ]
    rows = pack_examples(examples, 8)
    assert all(len(r["input_ids"]) <= 8 for r in rows)
    assert sorted(t for r in rows for t in r["input_ids"]) == sorted(t for e in examples for t in e["input_ids"])
    assert len(rows) == 4  # 28 tokens in rows of 8: the fewest possible
    for r in rows:
        starts = [i for i, p in enumerate(r["position_ids"]) if p == 0]
        assert all(r["labels"][i] == IGNORE_INDEX for i in starts)
        assert sum(1 for x in r["labels"] if x != IGNORE_INDEX) == len(r["labels"]) - len(starts)


def test_packed_sequences_do_not_attend_across_boundaries(tiny_model, tok):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    model.config.use_cache = False
    a = tok("alpha beta gamma fox")["input_ids"]
    b = tok("river stone light cloud green")["input_ids"]
    examples = [{"input_ids": a, "labels": a}, {"input_ids": b, "labels": b}]
    rows = pack_examples(examples, 64)
    assert len(rows) == 1
    batch = Collator(tok.pad_token_id, packed=True)(rows)
    assert "attention_mask" not in batch
    with torch.no_grad():
        packed = model(**{k: v for k, v in batch.items() if k != "labels"}).logits[0]
        alone = [model(input_ids=torch.tensor([x])).logits[0] for x in (b, a)]  # longest first
    torch.testing.assert_close(packed, torch.cat(alone), atol=1e-5, rtol=1e-4)
    # Sanity: without position_ids the second sequence does see the first.
    with torch.no_grad():
        leaky = model(input_ids=batch["input_ids"]).logits[0]
    assert not torch.allclose(leaky[len(b) :], alone[1], atol=1e-3)


def test_masked_prompt_tokens_contribute_nothing_to_the_loss(tiny_model, tok):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    recs = io_records(4)
    examples, _ = tokenise_records(recs, "input-output", tok, TrainConfig(model="m"))
    batch = Collator(tok.pad_token_id)(examples)
    with torch.no_grad():
        out = model(**batch)
        logp = torch.log_softmax(out.logits[:, :-1].float(), -1)
        labels = batch["labels"][:, 1:]
        keep = labels != IGNORE_INDEX
        manual = -logp[keep].gather(-1, labels[keep].unsqueeze(-1)).mean()
        torch.testing.assert_close(out.loss, manual, atol=1e-5, rtol=1e-5)
        # Changing a masked prompt token's label changes nothing.
        changed = batch["labels"].clone()
        changed[~(changed != IGNORE_INDEX)] = IGNORE_INDEX
        first_prompt = (batch["labels"][0] == IGNORE_INDEX).nonzero()[1].item()
        changed[0, first_prompt] = IGNORE_INDEX
        assert model(**{**batch, "labels": changed}).loss.item() == pytest.approx(out.loss.item(), abs=1e-6)


def test_tokenised_data_is_cached_as_arrow_and_reused(tmp_path, tiny_model, tok):
    build = write_build(tmp_path / "b", message_records(10), message_records(3, seed=2))
    cfg = TrainConfig(model=str(tiny_model), data=str(build), max_length=128)
    first = prepare_datasets(cfg, tok)
    assert not first.reused and first.format == "messages"
    assert (first.cache_path / "train" / "dataset_info.json").is_file()
    second = prepare_datasets(cfg, tok)
    assert second.reused and second.cache_path == first.cache_path
    assert second.train["input_ids"] == first.train["input_ids"]
    assert second.stats == first.stats
    packed = prepare_datasets(TrainConfig(model=str(tiny_model), data=str(build), max_length=512, packing=True), tok)
    assert packed.cache_path != first.cache_path and not packed.reused
    assert len(packed.train) < len(first.train)
    (build / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in message_records(11)))
    assert prepare_datasets(cfg, tok).cache_path != first.cache_path  # data changed -> new key


def test_rows_curate_writes_today_are_detected_and_trained(tok):
    """alpaca rows carry system and history on every row, sharegpt rows tools (curate.formats)."""
    alpaca = {"instruction": "river", "input": "", "output": "stone", "system": "S", "history": [["fox", "dog"]]}
    assert detect_format(alpaca) == "alpaca"
    assert detect_format({**RECORDS["sharegpt"], "tools": ""}) == "sharegpt"
    (ex,), _ = tokenise_records([alpaca], "alpaca", tok, TrainConfig(model="m"))
    assert target_text(tok, ex) == "dog</s>stone</s>"  # history turns are a conversation, trained as one
    plain = {**RECORDS["alpaca"], "system": "", "history": []}
    assert (
        tokenise_records([plain], "alpaca", tok, TrainConfig(model="m"))[0]
        == tokenise_records([RECORDS["alpaca"]], "alpaca", tok, TrainConfig(model="m"))[0]
    )
    with pytest.raises(TrainDataError, match="tools"):
        tokenise_records([{**RECORDS["sharegpt"], "tools": '[{"name": "f"}]'}], "sharegpt", tok, TrainConfig(model="m"))


def test_prompt_completion_trains_the_completion_only(tok):
    rec = {"prompt": "alpha beta gamma", "completion": "fox dog"}
    (ex,), _ = tokenise_records([rec], "prompt-completion", tok, TrainConfig(model="m"))
    assert target_text(tok, ex) == "fox dog</s>"
    prompt = [
        {"role": "user", "content": "fox"},
        {"role": "assistant", "content": "dog"},
        {"role": "user", "content": "river"},
    ]
    rec = {"prompt": prompt, "completion": [{"role": "assistant", "content": "stone"}]}
    assert detect_format(rec) == "prompt-completion"
    (ex,), _ = tokenise_records([rec], "prompt-completion", tok, TrainConfig(model="m"))
    assert target_text(tok, ex) == "stone</s>"  # the prompt's assistant turn is context, as in TRL
