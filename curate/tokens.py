"""Token lengths with the user's tokenizer: statistics for choosing a cutoff, and a length limit.

``--tokenizer PATH`` (a local tokenizer or model folder; by default the model of ``--train``)
makes the build count every kept record's tokens as the trainer will see them, and put
``token_lengths`` into ``manifest.json``, per split::

    {"tokenizer": "...", "counted_with": "chat template",
     "train": {"records": 980, "mean": 412.3, "p50": 301, "p90": 911, "p99": 2004, "max": 4120,
               "over": {"512": 0.31, "1024": 0.08, "2048": 0.01, "4096": 0.0, "8192": 0.0}},
     "val": {...}}

Counting: conversations (``messages`` records, and input/output records written in a
conversational format) go through the tokenizer's chat template when it has one, tools
included; everything else is the text the format writes (text, or prompt and answer
joined by a newline), with the tokenizer's special tokens.

``--max-tokens N`` adds the ``token_limit`` stage: a record over ``N`` tokens is rejected
(reason ``too_long``) or, with ``--over-max-tokens truncate``, shortened: a conversation
loses its last turns (it keeps ending on an assistant turn; a single exchange has its reply
cut), other records are cut at ``N`` tokens. What was cut is noted in the record's changes.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from curate.errors import ConfigError, requires
from curate.records import Record
from curate.stages.base import Drop, Stage, Verdict

#: Cutoffs whose share of longer records the statistics report.
CUTOFFS = (512, 1024, 2048, 4096, 8192)
#: Output formats in which an input/output record is written as a conversation.
CONVERSATIONAL = frozenset({"messages", "sharegpt"})


class TokenCounter:
    """Counts a record's tokens with a local tokenizer, loaded on first use (so it pickles light).

    ``trust_remote_code`` stays off; nothing is downloaded: the path must be a local folder.
    """

    def __init__(self, path: str, *, format: str = "messages") -> None:
        self.path = str(path)
        self.format = format
        self._tokenizer: Any = None

    @classmethod
    def checked(cls, path: str, *, format: str = "messages") -> TokenCounter:
        """A counter whose tokenizer loads now: a wrong path is a :class:`ConfigError` before the build."""
        counter = cls(path, format=format)
        counter.tokenizer  # noqa: B018 - load it, to fail early
        return counter

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "_tokenizer": None}

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            if not Path(self.path).expanduser().is_dir():
                raise ConfigError(
                    f"tokenizer {self.path!r}: no such folder",
                    hint="pass a local tokenizer or model folder (holding tokenizer.json or tokenizer_config.json)",
                )
            transformers = requires("transformers", extra="train", purpose="counting tokens")
            try:
                self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                    str(Path(self.path).expanduser()), local_files_only=True, trust_remote_code=False
                )
            except (OSError, ValueError) as exc:
                raise ConfigError(f"tokenizer {self.path!r} could not be loaded: {exc}") from None
            # Counting is not feeding a model: no "sequence longer than the maximum" warnings.
            self._tokenizer.model_max_length = 1 << 62
        return self._tokenizer

    @property
    def method(self) -> str:
        """How conversations are counted: ``"chat template"`` or ``"plain text"`` (the tokenizer has none)."""
        return "chat template" if getattr(self.tokenizer, "chat_template", None) else "plain text"

    def conversation(self, record: Record) -> list[dict[str, Any]] | None:
        """The turns the trainer sees for ``record``, or ``None`` when it is counted as plain text."""
        if record.messages is not None:
            return record.messages
        if record.output is not None and self.format in CONVERSATIONAL:
            turns = [{"role": "user", "content": record.input or ""}] if record.input else []
            return [*turns, {"role": "assistant", "content": record.output}]
        return None

    def count(self, record: Record) -> int:
        """The tokens of ``record`` as the trainer will see it."""
        tok = self.tokenizer
        turns = self.conversation(record)
        if turns is not None and getattr(tok, "chat_template", None):
            return len(_ids(tok.apply_chat_template(turns, tools=record.tools, tokenize=True)))
        return len(tok(self.plain_text(record), add_special_tokens=True)["input_ids"])

    @property
    def specials(self) -> int:
        """The special tokens (BOS, EOS) the tokenizer adds to any plain text."""
        return len(self.tokenizer("", add_special_tokens=True)["input_ids"])

    def plain_text(self, record: Record) -> str:
        if record.text is not None:
            return record.text
        if record.messages is not None:
            return "\n".join(t["content"] for t in record.messages)
        return f"{record.input}\n{record.output}" if record.input else str(record.output)


def _ids(encoded: Any) -> Sequence[int]:
    """Token ids from ``apply_chat_template(tokenize=True)``: a list, or a mapping holding ``input_ids``."""
    if isinstance(encoded, dict) or hasattr(encoded, "keys"):
        return encoded["input_ids"]
    return encoded


def token_stats(lengths: Sequence[int]) -> dict[str, Any]:
    """Count, mean, percentiles, max, and the share of records over each of :data:`CUTOFFS`.

    >>> token_stats([100, 200, 300, 600, 3000])["over"]["512"]
    0.4
    >>> token_stats([])
    {'records': 0}
    """
    import numpy as np

    from curate.lengths import sorted_lengths

    ordered = sorted_lengths(lengths)  # 4 bytes a record for an ``array("I")``, no Python int each
    n = len(ordered)
    if n == 0:
        return {"records": 0}

    def pick(q: float) -> int:
        return int(ordered[min(n - 1, int(q * n))])

    return {
        "records": n,
        "mean": round(int(ordered.sum(dtype=np.int64)) / n, 1),
        "p50": pick(0.5),
        "p90": pick(0.9),
        "p99": pick(0.99),
        "max": int(ordered[-1]),
        "over": {str(c): round(int(np.count_nonzero(ordered > c)) / n, 4) for c in CUTOFFS},
    }


def token_report(counter: TokenCounter, lengths: dict[str, array[int]]) -> dict[str, Any]:
    """The manifest's ``token_lengths``: the tokenizer, how conversations were counted, stats per split."""
    return {
        "tokenizer": counter.path,
        "counted_with": counter.method,
        **{side: token_stats(values) for side, values in lengths.items()},
    }


class TokenLimit(Stage):
    """Rejects (``too_long``) or shortens records over ``max_tokens`` tokens."""

    name: ClassVar[str] = "token_limit"

    def __init__(self, counter: TokenCounter, max_tokens: int, over: str = "reject") -> None:
        if max_tokens < 1:
            raise ConfigError(f"max_tokens must be positive, got {max_tokens}")
        if over not in ("reject", "truncate"):
            raise ConfigError(f"over_max_tokens must be 'reject' or 'truncate', got {over!r}")
        self.counter = counter
        self.max_tokens = max_tokens
        self.over = over

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        n = self.counter.count(record)
        if n <= self.max_tokens:
            return None
        shortened = self._truncate(record, n) if self.over == "truncate" else None
        if shortened is None:
            return Drop("too_long", {"tokens": n, "max_tokens": self.max_tokens})
        counts["truncated"] += 1
        return shortened

    def _truncate(self, record: Record, n: int) -> Record | None:
        turns = self.counter.conversation(record)
        if turns is not None and record.messages is not None:
            return self._drop_turns(record, n)
        if record.text is not None:
            text = self._cut(record.text, self.max_tokens - self.counter.specials)
            if not text:
                return None
            return self._changed(record, n, text=text)
        # input/output: the prompt stays whole; the answer is cut to what is left.
        budget = self.max_tokens - (self.counter.count(_with_output(record, "")) if record.input else 0)
        output = self._cut(record.output or "", budget - self.counter.specials) if budget > 0 else ""
        if not output.strip():
            return None
        shortened = self._changed(record, n, output=output)
        return shortened if self.counter.count(shortened) <= self.max_tokens else None

    def _drop_turns(self, record: Record, n: int) -> Record | None:
        """Drop trailing turns (ending on an assistant turn); a single exchange has its reply cut."""
        messages = list(record.messages or [])
        first = next((i for i, t in enumerate(messages) if t["role"] == "assistant"), None)
        if first is None or not any(t["role"] == "user" for t in messages[:first]):
            return None
        while len(messages) > first + 1:
            messages.pop()
            while len(messages) > first + 1 and messages[-1]["role"] != "assistant":
                messages.pop()
            candidate = self._changed(record, n, messages=messages)
            if self.counter.count(candidate) <= self.max_tokens:
                return candidate
        # One exchange left, still too long: cut its reply to what the template leaves room for.
        shell = [*messages[:first], {**messages[first], "content": ""}]
        room = self.max_tokens - self.counter.count(self._changed(record, n, messages=shell))
        reply = messages[first]["content"]
        for budget in range(room, max(room - 8, 0), -1):  # token boundaries may shift when cut
            text = self._cut(reply, budget)
            if not text.strip():
                return None
            candidate = self._changed(record, n, messages=[*messages[:first], {**messages[first], "content": text}])
            if self.counter.count(candidate) <= self.max_tokens:
                return candidate
        return None

    def _cut(self, text: str, keep: int) -> str:
        """The start of ``text`` that is ``keep`` tokens long (without special tokens)."""
        offsets = self.counter.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        keep = max(0, keep)
        if keep >= len(offsets):
            return text
        return text[: offsets[keep - 1][1]] if keep else ""

    def _changed(self, record: Record, n: int, **fields: Any) -> Record:
        values = {k: getattr(record, k) for k in ("text", "input", "output", "messages", "tools")}
        values.update(fields)
        values = {k: v for k, v in values.items() if v is not None}
        meta = dict(record.meta)
        notes = list(meta.get("curate", []))
        notes.append({"stage": self.name, "action": "truncate", "tokens_before": n, "max_tokens": self.max_tokens})
        meta["curate"] = notes
        shortened = Record.create(record.source, meta=meta, **values)
        shortened.id = record.id  # the same example, shortened: its id (and split group) stay
        return shortened


def _with_output(record: Record, output: str) -> Record:
    return Record.create(record.source, input=record.input, output=output)
