"""Train/val files -> tokenised, label-masked (optionally packed) Arrow datasets, cached on disk.

Labels use -100 for every token that must not count in the loss. Packed rows carry
`position_ids` that restart at 0 for each sequence and no attention mask, which is how
transformers' Llama-style models keep packed sequences from attending to each other.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.rows import drop_nulls

from .config import FORMATS, TrainConfig
from .errors import TrainConfigError, TrainDataError, require

log = logging.getLogger("curate.train")

IGNORE_INDEX = -100
CACHE_VERSION = "1"

_FORMAT_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"text"}),
    "input-output": frozenset({"input", "output"}),
    "prompt-generation": frozenset({"prompt", "generation"}),
    "prompt-completion": frozenset({"prompt", "completion"}),
    "messages": frozenset({"messages"}),
    "alpaca": frozenset({"instruction", "input", "output"}),
    "sharegpt": frozenset({"conversations"}),
}
_OPTIONAL_KEYS = {"id", "meta", "metadata", "source"}  # tolerated beside a format's own keys
# Columns curate writes on every row of these formats (empty when unused): LLaMA-Factory's.
_FORMAT_EXTRAS: dict[str, frozenset[str]] = {
    "alpaca": frozenset({"system", "history"}),
    "sharegpt": frozenset({"tools"}),
    "prompt-completion": frozenset({"tools"}),
}

# A plain role-tagged template for tokenizers that carry none (base models).
DEFAULT_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)

_SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


# --------------------------------------------------------------------------- reading


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read one JSON object per line; blank lines are skipped, anything else is an error."""
    p = Path(path)
    if not p.is_file():
        raise TrainDataError(
            f"training data file {str(p)!r} does not exist", hint="point train.data at a build's output directory"
        )
    records: list[dict[str, Any]] = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainDataError(f"{p}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise TrainDataError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            records.append(obj)
    return records


def detect_format(record: dict[str, Any]) -> str | None:
    """The writer format a record is in, from its keys; None if it matches none."""
    keys = set(record) - _OPTIONAL_KEYS
    for name in ("alpaca", "input-output", "prompt-generation", "prompt-completion", "messages", "sharegpt", "text"):
        if keys - _FORMAT_EXTRAS.get(name, frozenset()) == _FORMAT_KEYS[name]:
            return name
    if keys - _FORMAT_EXTRAS["alpaca"] == {"instruction", "output"}:  # alpaca without its optional input
        return "alpaca"
    return None


def file_format(records: Sequence[dict[str, Any]], path: str | Path, explicit: str | None) -> str:
    """The one format every record of a file is in (or `explicit`, checked)."""
    if explicit is not None and explicit not in FORMATS:
        raise TrainConfigError(f"unknown data format {explicit!r}", hint=f"one of: {', '.join(FORMATS)}")
    fmt = explicit
    for i, rec in enumerate(records, 1):
        found = detect_format(rec)
        if found is None and explicit is None:
            raise TrainDataError(
                f"{path}: record {i} has keys {sorted(rec)}, which match no training format",
                hint="formats: " + "; ".join(f"{k}: {sorted(v)}" for k, v in _FORMAT_KEYS.items()),
            )
        if fmt is None:
            fmt = found
        if found != fmt and not (explicit and _FORMAT_KEYS[explicit] <= set(rec)):
            raise TrainDataError(
                f"{path}: record {i} has keys {sorted(rec)}, which is not the {fmt!r} format"
                + (" of the records before it" if explicit is None else ""),
                hint="every line of a file must use one format; set train.format to force one",
            )
    if fmt is None:
        raise TrainDataError(f"{path}: no records to train on")
    return fmt


# --------------------------------------------------------------------------- segments


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)


def chat_segments(tokenizer: Any, messages: list[dict[str, str]]) -> list[tuple[str, bool]]:
    """Split a rendered conversation into (text, is_assistant_reply) pieces.

    Renders growing prefixes of the conversation; each assistant turn's text after its
    generation prompt is the trainable part. Needs a template whose renderings of a
    conversation's prefixes are prefixes of each other, which holds for common templates.
    """
    pieces: list[tuple[str, bool]] = []
    done = ""
    for i, msg in enumerate(messages):
        if msg.get("role") not in ("system", "user", "assistant"):
            raise TrainDataError(f"unknown chat role {msg.get('role')!r}")
        full = _render(tokenizer, messages[: i + 1], False)
        if not full.startswith(done):
            raise TrainDataError(
                "the chat template renders a conversation's prefix differently from the whole, "
                "so assistant turns cannot be located",
                hint="set train.chat_template to a template without look-ahead",
            )
        if msg["role"] == "assistant":
            prompt = _render(tokenizer, messages[:i], True) if i else ""
            if prompt.startswith(done) and full.startswith(prompt):
                if prompt[len(done) :]:
                    pieces.append((prompt[len(done) :], False))
                pieces.append((full[len(prompt) :], True))
            else:
                pieces.append((full[len(done) :], True))
        else:
            pieces.append((full[len(done) :], False))
        done = full
    return pieces


def record_segments(rec: dict[str, Any], fmt: str, tokenizer: Any) -> tuple[list[tuple[str, bool]], bool]:
    """(pieces of text with 'is target' flags, whether it is a chat rendering)."""
    if fmt == "text":
        return [(str(rec["text"]), True)], False
    if fmt == "input-output":
        return [(str(rec["input"]), False), (str(rec["output"]), True)], False
    if fmt == "prompt-generation":
        return [(str(rec["prompt"]), False), (str(rec["generation"]), True)], False
    if fmt == "prompt-completion":
        prompt, completion = rec["prompt"], rec["completion"]
        if isinstance(prompt, str) and isinstance(completion, str):  # TRL's standard form
            return [(prompt, False), (completion, True)], False
        if rec.get("tools"):
            raise TrainDataError(
                "this prompt-completion record offers tools, which curate train does not render",
                hint="train it with TRL (see docs/training-elsewhere.md), or build without tool records",
            )
        # TRL's conversational form: the loss covers the completion, not the prompt's assistant turns.
        msgs = [{"role": m["role"], "content": str(m["content"])} for m in [*prompt, *completion]]
        pieces = chat_segments(tokenizer, msgs)
        targets = sum(1 for m in completion if m["role"] == "assistant")
        trained = [i for i, (_, is_target) in enumerate(pieces) if is_target]
        keep = set(trained[len(trained) - targets :]) if targets else set()
        return [(text, i in keep) for i, (text, _) in enumerate(pieces)], True
    if fmt == "alpaca" and (rec.get("system") or rec.get("history")):  # a conversation: train it as one
        msgs = [{"role": "system", "content": str(rec["system"])}] if rec.get("system") else []
        for prompt, answer in rec.get("history") or []:
            msgs += [{"role": "user", "content": str(prompt)}, {"role": "assistant", "content": str(answer)}]
        query = "\n".join(str(rec[k]) for k in ("instruction", "input") if rec.get(k))
        msgs += [{"role": "user", "content": query}, {"role": "assistant", "content": str(rec["output"])}]
        return chat_segments(tokenizer, msgs), True
    if fmt == "alpaca":
        inp = str(rec.get("input") or "")
        tmpl = ALPACA_WITH_INPUT if inp else ALPACA_NO_INPUT
        return [(tmpl.format(instruction=rec["instruction"], input=inp), False), (str(rec["output"]), True)], False
    if fmt == "messages":
        msgs = [{"role": m["role"], "content": str(m["content"])} for m in rec["messages"]]
        return chat_segments(tokenizer, msgs), True
    if fmt == "sharegpt":
        if rec.get("tools"):
            raise TrainDataError(
                "this sharegpt record offers tools, which curate train does not render",
                hint="train it with LLaMA-Factory (see docs/training-elsewhere.md), or build without tool records",
            )
        msgs = []
        for turn in rec["conversations"]:
            role = _SHAREGPT_ROLES.get(turn.get("from", ""))
            if role is None:
                raise TrainDataError(f"unknown sharegpt speaker {turn.get('from')!r}")
            msgs.append({"role": role, "content": str(turn["value"])})
        return chat_segments(tokenizer, msgs), True
    raise TrainConfigError(f"unknown data format {fmt!r}")


# --------------------------------------------------------------------------- tokenising


@dataclass
class DataStats:
    """Counts of what happened to the records of one split. Nothing is dropped silently."""

    records: int = 0
    examples: int = 0
    tokens: int = 0
    target_tokens: int = 0
    rows: int = 0
    truncated: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "examples": self.examples,
            "rows": self.rows,
            "tokens": self.tokens,
            "target_tokens": self.target_tokens,
            "truncated": self.truncated,
            "dropped": dict(self.dropped),
        }


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []


def tokenise_records(
    records: Iterable[dict[str, Any]], fmt: str, tokenizer: Any, cfg: TrainConfig
) -> tuple[list[dict[str, list[int]]], DataStats]:
    """Records -> examples with input_ids and labels (-100 where masked), plus counts."""
    max_len = int(cfg.max_length or 2048)
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    stats = DataStats()
    out: list[dict[str, list[int]]] = []
    for rec in records:
        stats.records += 1
        pieces, is_chat = record_segments(rec, fmt, tokenizer)
        if fmt == "text":
            ids = ([bos] if bos is not None else []) + _encode(tokenizer, pieces[0][0])
            ids += [eos] if eos is not None else []
            chunks = [ids[i : i + max_len] for i in range(0, len(ids), max_len)]
            for chunk in chunks:
                if len(chunk) < 2:
                    stats.dropped["chunk_too_short"] += 1
                    continue
                out.append({"input_ids": chunk, "labels": list(chunk)})
            continue
        ids, labels = [], []
        if not is_chat and bos is not None:
            ids.append(bos)
            labels.append(IGNORE_INDEX)
        truncated = False
        for n, (text, target) in enumerate(pieces):
            piece = _encode(tokenizer, text)
            if not is_chat and target and eos is not None and n == len(pieces) - 1:
                piece.append(eos)
            limit = cfg.target_max_length if target else cfg.source_max_length
            if limit is not None and not is_chat and len(piece) > limit:
                piece, truncated = piece[:limit], True
            ids += piece
            labels += piece if (target or cfg.train_on_source) else [IGNORE_INDEX] * len(piece)
        if len(ids) > max_len:
            if cfg.overlong == "drop":
                stats.dropped["too_long"] += 1
                continue
            ids, labels, truncated = ids[:max_len], labels[:max_len], True
        if sum(1 for x in labels[1:] if x != IGNORE_INDEX) == 0:
            stats.dropped["no_target_tokens"] += 1
            continue
        stats.truncated += truncated
        out.append({"input_ids": ids, "labels": labels})
    for ex in out:
        stats.tokens += len(ex["input_ids"])
        stats.target_tokens += sum(1 for x in ex["labels"][1:] if x != IGNORE_INDEX)
    stats.examples = len(out)
    stats.rows = len(out)
    return out, stats


def pack_examples(examples: Sequence[dict[str, list[int]]], max_length: int) -> list[dict[str, list[int]]]:
    """Pack examples into rows of at most `max_length` tokens (best-fit decreasing).

    Each row gets `position_ids` restarting at 0 per sequence; the first label of every
    sequence is masked, since it would otherwise be predicted from the previous sequence.
    """
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]["input_ids"]))
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, bin index), kept sorted
    for i in order:
        n = len(examples[i]["input_ids"])
        at = bisect.bisect_left(free, (n, -1))
        if at < len(free):
            room, b = free.pop(at)
            bins[b].append(i)
            bisect.insort(free, (room - n, b))
        else:
            bins.append([i])
            bisect.insort(free, (max_length - n, len(bins) - 1))
    rows = []
    for members in bins:
        ids: list[int] = []
        labels: list[int] = []
        pos: list[int] = []
        for i in members:
            ex = examples[i]
            ids += ex["input_ids"]
            labels += [IGNORE_INDEX, *ex["labels"][1:]]
            pos += list(range(len(ex["input_ids"])))
        rows.append({"input_ids": ids, "labels": labels, "position_ids": pos})
    return rows


class Collator:
    """Pads a batch on the right. Packed rows get position_ids instead of an attention mask."""

    def __init__(self, pad_token_id: int, packed: bool = False) -> None:
        self.pad = pad_token_id
        self.packed = packed

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        ids, labels, extra = [], [], []
        for f in features:
            n = len(f["input_ids"])
            pad = width - n
            ids.append(list(f["input_ids"]) + [self.pad] * pad)
            labels.append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            if self.packed:
                # Padding becomes its own short sequence, so nothing real attends to it.
                extra.append(list(f["position_ids"]) + list(range(pad)))
            else:
                extra.append([1] * n + [0] * pad)
        batch = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}
        batch["position_ids" if self.packed else "attention_mask"] = torch.tensor(extra)
        return batch


# --------------------------------------------------------------------------- cache


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tokenizer_fingerprint(tokenizer: Any) -> str:
    h = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    h.update((backend.to_str() if backend is not None else repr(tokenizer.get_vocab())).encode())
    h.update(str(getattr(tokenizer, "chat_template", None)).encode())
    h.update(json.dumps([tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id]).encode())
    return h.hexdigest()


def cache_key(cfg: TrainConfig, tokenizer: Any, files: Sequence[Path | None]) -> str:
    settings = {
        k: getattr(cfg, k)
        for k in (
            "format",
            "max_length",
            "source_max_length",
            "target_max_length",
            "train_on_source",
            "overlong",
            "packing",
        )
    }
    material = {
        "version": CACHE_VERSION,
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "files": [_sha256_file(f) if f else None for f in files],
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]


@dataclass
class PreparedData:
    train: Any  # datasets.Dataset
    val: Any | None
    stats: dict[str, Any]
    cache_path: Path
    reused: bool
    format: str


def data_files(cfg: TrainConfig) -> tuple[Path, Path | None]:
    """The train and (optional) val files a config points at."""
    if cfg.train_file:
        train = Path(cfg.train_file)
    elif cfg.data:
        train = Path(cfg.data) / "train.jsonl"
        if not train.exists() and (Path(cfg.data) / "train.parquet").exists():  # curate build --output-type parquet
            train = Path(cfg.data) / "train.parquet"
    else:
        raise TrainConfigError("no training data given", hint="set train.data to a build's output directory")
    if cfg.val_file == "":
        val = None
    elif cfg.val_file:
        val = Path(cfg.val_file)
    else:
        val = train.parent / f"val{train.suffix}"
        if not val.is_file() or (val.suffix == ".jsonl" and val.stat().st_size == 0):
            val = None
    return train, val


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file, or of a Parquet file (``.parquet``) as written by curate."""
    if Path(path).suffix != ".parquet":
        return read_jsonl(path)
    pq = require("pyarrow.parquet")
    rows = pq.read_table(path).to_pylist()
    return [drop_nulls(row) for row in rows]  # Parquet gives every row every key, null where missing


def _build_split(path: Path, cfg: TrainConfig, tokenizer: Any) -> tuple[list[dict[str, list[int]]], DataStats, str]:
    records = read_records(path)
    fmt = file_format(records, path, cfg.format)
    try:
        examples, stats = tokenise_records(records, fmt, tokenizer, cfg)
    except (KeyError, TypeError) as exc:
        raise TrainDataError(f"{path}: a record is missing a field of the {fmt!r} format ({exc})") from exc
    if cfg.packing:
        examples = pack_examples(examples, int(cfg.max_length or 2048))
        stats.rows = len(examples)
    return examples, stats, fmt


def prepare_datasets(cfg: TrainConfig, tokenizer: Any, cache_dir: str | Path | None = None) -> PreparedData:
    """Tokenise the train/val files, or load them from the Arrow cache when nothing changed."""
    datasets = require("datasets")
    train_path, val_path = data_files(cfg)
    key = cache_key(cfg, tokenizer, [train_path, val_path])
    root = Path(cache_dir or cfg.cache_dir or train_path.parent / ".curate-cache" / "tokenised")
    where = root / key
    if (where / "stats.json").is_file():
        stats = json.loads((where / "stats.json").read_text())
        train = datasets.load_from_disk(str(where / "train"))
        val = datasets.load_from_disk(str(where / "val")) if (where / "val").is_dir() else None
        log.info("tokenised data reused from %s", where)
        return PreparedData(train, val, stats["splits"], where, True, stats["format"])

    splits: dict[str, Any] = {}
    examples, train_stats, fmt = _build_split(train_path, cfg, tokenizer)
    if not examples:
        raise TrainDataError(f"{train_path}: no example is left to train on", hint=str(train_stats.as_dict()))
    splits["train"] = train_stats.as_dict()
    sets = {"train": datasets.Dataset.from_list(examples)}
    if val_path is not None:
        val_examples, val_stats, _ = _build_split(val_path, cfg, tokenizer)
        splits["val"] = val_stats.as_dict()
        if val_examples:
            sets["val"] = datasets.Dataset.from_list(val_examples)
    tmp = root / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for name, ds in sets.items():
        ds.save_to_disk(str(tmp / name))
    (tmp / "stats.json").write_text(json.dumps({"format": fmt, "splits": splits}, indent=2))
    if where.exists():  # another process won the race
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(where)
    train = datasets.load_from_disk(str(where / "train"))
    val = datasets.load_from_disk(str(where / "val")) if (where / "val").is_dir() else None
    for name, s in splits.items():
        dropped = ", ".join(f"{k} {v}" for k, v in s["dropped"].items()) or "none"
        log.info(
            "%s: %d records -> %d examples (%d truncated; dropped: %s), %d tokens, %d trained on",
            name,
            s["records"],
            s["examples"],
            s["truncated"],
            dropped,
            s["tokens"],
            s["target_tokens"],
        )
    return PreparedData(train, val, splits, where, False, fmt)
