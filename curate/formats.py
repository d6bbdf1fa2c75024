"""Record shapes <-> the JSONL formats trainers read.

Writing: :func:`to_row` turns a record into one line of the chosen format, converting
between shapes where that is well defined. Reading: :func:`detect_row_format` and
:func:`fields_from_row` recognise the same formats (and ShareGPT's many role names)
in the wild, for the JSON importer and for training.

Formats:

``text``               ``{"text"}``
``input-output``       ``{"input", "output"}`` (the QLoRA reference code)
``prompt-generation``  ``{"prompt", "generation"}`` (PygmalionAI's training code)
``messages``           ``{"messages": [{"role", "content"}]}`` (TRL, OpenAI chat)
``alpaca``             ``{"instruction", "input", "output"}``
``sharegpt``           ``{"conversations": [{"from", "value"}]}``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from curate.errors import ConfigError
from curate.records import Record

Format = Literal["text", "input-output", "prompt-generation", "messages", "alpaca", "sharegpt"]
FORMATS: tuple[str, ...] = ("text", "input-output", "prompt-generation", "messages", "alpaca", "sharegpt")
SUPERVISED = frozenset(FORMATS) - {"text"}

#: ShareGPT and friends: every role spelling seen in the wild, mapped to ours.
ROLE_ALIASES: dict[str, str] = {
    "system": "system",
    "human": "user",
    "user": "user",
    "prompter": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "assistant": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "claude": "assistant",
    "llama": "assistant",
    "ai": "assistant",
    "function_call": "assistant",
    "developer": "system",
    "tool": "tool",
    "function": "tool",
    "function_response": "tool",
    "tool_response": "tool",
    "ipython": "tool",
    "observation": "tool",
}
_SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}


@dataclass(frozen=True)
class PromptTemplate:
    """How a conversation is flattened into one prompt string.

    Each role's pattern holds ``{content}``; turns are joined with ``separator``. The
    text before ``{content}`` in ``assistant`` is the generation prompt that ends a
    flattened input (``<|model|>`` in ``<|system|>...<|user|>...<|model|>``).
    """

    system: str = "System: {content}"
    user: str = "User: {content}"
    assistant: str = "Assistant: {content}"
    separator: str = "\n\n"

    def render(self, turns: list[dict[str, str]], *, generation_prompt: bool = False) -> str:
        """Flatten ``turns``; with ``generation_prompt`` end with the assistant prefix."""
        parts = [
            getattr(self, t["role"] if t["role"] != "tool" else "user").replace("{content}", t["content"])
            for t in turns
        ]
        if generation_prompt:
            parts.append(self.assistant.split("{content}", 1)[0])
        return self.separator.join(parts)

    @classmethod
    def from_config(cls, value: str | Mapping[str, str] | None) -> PromptTemplate | None:
        """A named template (``plain``, ``pygmalion``, ``chatml``, ``alpaca``) or a table of patterns."""
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return TEMPLATES[value]
            except KeyError:
                raise ConfigError(
                    f"unknown prompt template {value!r}",
                    hint=f"use one of {', '.join(sorted(TEMPLATES))}, or a table with system/user/assistant/separator",
                ) from None
        unknown = set(value) - {"system", "user", "assistant", "separator"}
        if unknown:
            raise ConfigError(
                f"prompt template: unknown keys {sorted(unknown)}", hint="keys: system, user, assistant, separator"
            )
        for role in ("system", "user", "assistant"):
            if role in value and "{content}" not in value[role]:
                raise ConfigError(f"prompt template: the {role} pattern must contain {{content}}")
        return cls(**value)


TEMPLATES: dict[str, PromptTemplate] = {
    "plain": PromptTemplate(),
    "pygmalion": PromptTemplate("<|system|>{content}", "<|user|>{content}", "<|model|>{content}", ""),
    "chatml": PromptTemplate(
        "<|im_start|>system\n{content}<|im_end|>",
        "<|im_start|>user\n{content}<|im_end|>",
        "<|im_start|>assistant\n{content}<|im_end|>",
        "\n",
    ),
    "alpaca": PromptTemplate("{content}", "### Instruction:\n{content}", "### Response:\n{content}", "\n\n"),
}


@dataclass(frozen=True)
class FormatOptions:
    """How records become rows: the format and the conversions between shapes."""

    format: str = "messages"
    system_prompt: str | None = None
    template: PromptTemplate | None = None
    #: ``reject`` text-only records in a supervised format, or ``keep`` them as an answer
    #: to an empty prompt.
    text_records: Literal["reject", "keep"] = "reject"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError(f"unknown format {self.format!r}", hint=f"formats: {', '.join(FORMATS)}")
        if self.text_records not in ("reject", "keep"):
            raise ConfigError(f"text_records must be 'reject' or 'keep', not {self.text_records!r}")


class Unconvertible(Exception):
    """A record cannot be written in the chosen format; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def as_messages(record: Record, system_prompt: str | None = None) -> list[dict[str, str]]:
    """The record as a conversation; a system prompt is added when it has none."""
    if record.messages is not None:
        turns = list(record.messages)
    elif record.output is not None:
        turns = [{"role": "user", "content": record.input or ""}, {"role": "assistant", "content": record.output}]
        if not record.input:
            turns = turns[1:]
    else:
        turns = [{"role": "assistant", "content": record.text or ""}]
    if system_prompt and turns[0]["role"] != "system":
        turns.insert(0, {"role": "system", "content": system_prompt})
    return turns


def to_row(record: Record, opts: FormatOptions) -> dict[str, Any]:
    """One output row for ``record`` in ``opts.format``; raises :class:`Unconvertible`."""
    fmt = opts.format
    template = opts.template or TEMPLATES["plain"]
    if fmt == "text":
        if record.text is not None:
            return {"text": record.text}
        return {"text": template.render(as_messages(record, opts.system_prompt))}
    if record.text is not None and opts.text_records == "reject":
        raise Unconvertible(
            "text_in_supervised_format",
            f"a text-only record has no prompt/answer for the {fmt} format; use --format text, "
            "or text_records = 'keep' to train on it as an answer to an empty prompt",
        )
    turns = as_messages(record, opts.system_prompt)
    if fmt == "messages":
        return {"messages": turns}
    if fmt == "sharegpt":
        return {"conversations": [{"from": _SHAREGPT_FROM[t["role"]], "value": t["content"]} for t in turns]}
    last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None:
        raise Unconvertible("no_assistant_turn", f"a conversation without an assistant turn has no answer for {fmt}")
    history, answer = turns[:last], turns[last]["content"]
    if fmt == "alpaca":
        system = " ".join(t["content"] for t in history if t["role"] == "system")
        rest = [t for t in history if t["role"] != "system"]
        if len(rest) <= 1 and opts.template is None:
            row = {"instruction": rest[0]["content"] if rest else "", "input": "", "output": answer}
            if system:
                row["system"] = system  # LLaMA-Factory's alpaca column
            return row
        return {"instruction": template.render(history), "input": "", "output": answer}
    if opts.template is not None:
        prompt = template.render(history, generation_prompt=True)
    elif len(history) == 1 and history[0]["role"] == "user":
        prompt = history[0]["content"]
    else:
        prompt = template.render(history) if history else ""
    if fmt == "input-output":
        return {"input": prompt, "output": answer}
    return {"prompt": prompt, "generation": answer}


# ---------------------------------------------------------------------------------------
# Reading rows in the wild.


def detect_row_format(row: Mapping[str, Any]) -> str | None:
    """Which format a JSON object is in, from its keys; ``None`` if none fits.

    >>> detect_row_format({"conversations": [{"from": "human", "value": "hi"}]})
    'sharegpt'
    >>> detect_row_format({"instruction": "Add", "input": "2, 2", "output": "4"})
    'alpaca'
    """
    if isinstance(row.get("messages"), list):
        return "messages"
    if isinstance(row.get("conversations"), list):
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    if "prompt" in row and ("generation" in row or "completion" in row or "response" in row):
        return "prompt-generation"
    if "input" in row and "output" in row:
        return "input-output"
    if "text" in row:
        return "text"
    return None


def fields_from_row(row: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """The :meth:`Record.create` keyword arguments for ``row`` read as ``fmt``.

    Raises ``ValueError`` with a readable message when the row does not fit.
    """
    if fmt == "text":
        return {"text": _string(row, "text")}
    if fmt == "input-output":
        return {"input": _string(row, "input", optional=True), "output": _string(row, "output")}
    if fmt == "prompt-generation":
        key = next((k for k in ("generation", "completion", "response") if k in row), "generation")
        return {"input": _string(row, "prompt", optional=True), "output": _string(row, key)}
    if fmt == "alpaca":
        instruction = _string(row, "instruction", optional=True)
        extra = _string(row, "input", optional=True)
        prompt = f"{instruction}\n\n{extra}" if instruction and extra else instruction or extra
        messages = []
        system = row.get("system")
        if isinstance(system, str) and system:
            messages.append({"role": "system", "content": system})
        if messages:
            messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": _string(row, "output")}]
            return {"messages": messages}
        return {"input": prompt, "output": _string(row, "output")}
    if fmt in ("messages", "sharegpt"):
        key = "messages" if fmt == "messages" else "conversations"
        turns = row.get(key)
        if not isinstance(turns, list) or not turns:
            raise ValueError(f"{key!r} must be a non-empty list of turns")
        return {"messages": [_turn(t, i) for i, t in enumerate(turns)]}
    raise ValueError(f"unknown format {fmt!r}")


def _turn(turn: Any, index: int) -> dict[str, str]:
    if not isinstance(turn, Mapping):
        raise ValueError(f"turn {index} is not an object")
    role = turn.get("role", turn.get("from"))
    content = turn.get("content", turn.get("value"))
    if not isinstance(role, str):
        raise ValueError(f"turn {index} has no role (expected 'role' or 'from')")
    mapped = ROLE_ALIASES.get(role.strip().lower())
    if mapped is None:
        raise ValueError(f"turn {index} has unknown role {role!r}")
    if isinstance(content, list):  # OpenAI content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ValueError(f"turn {index} content is not text")
    return {"role": mapped, "content": content}


def _string(row: Mapping[str, Any], key: str, *, optional: bool = False) -> str:
    value = row.get(key)
    if value is None:
        if optional:
            return ""
        raise ValueError(f"missing {key!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is {type(value).__name__}, not text")
    return value
