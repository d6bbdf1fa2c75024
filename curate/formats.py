"""Record shapes <-> the JSONL formats trainers read.

Writing: :func:`to_row` turns a record into one line of the chosen format, converting
between shapes where that is well defined. Reading the same formats in the wild
(:func:`~curate.rows.detect_row_format`, :func:`~curate.rows.fields_from_row`) lives in
:mod:`curate.rows`; the names are importable from here too.

Formats:

``text``               ``{"text"}``
``input-output``       ``{"input", "output"}`` (the QLoRA reference code)
``prompt-generation``  ``{"prompt", "generation"}`` (PygmalionAI's training code)
``prompt-completion``  ``{"prompt", "completion"}`` (TRL's prompt-completion type); with
                       ``conversational`` both are lists of messages, the completion holding
                       the final assistant turn (TRL's conversational form), plus ``tools``
``messages``           ``{"messages": [{"role", "content", ...}], "tools"?}`` (TRL, OpenAI chat;
                       tool calls as OpenAI writes them, ``tools`` only on rows that offer tools)
``alpaca``             ``{"instruction", "input", "output", "system", "history"}`` (LLaMA-Factory;
                       every row has every column: ``system`` ``""`` and ``history`` ``[]`` when none)
``sharegpt``           ``{"conversations": [{"from", "value"}], "tools"}`` (LLaMA-Factory's tags
                       ``system``, ``human``, ``gpt``, ``function_call``, ``observation``; ``tools``
                       is JSON text, ``""`` when none)

A record a format cannot hold (tool calls in ``alpaca``, a turn order LLaMA-Factory would
skip) raises :class:`Unconvertible` with the reject reason: nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from curate.errors import ConfigError
from curate.options import parse_options
from curate.records import Record
from curate.rows import ROLE_ALIASES, detect_row_format, fields_from_row

__all__ = [  # reading rows lives in curate.rows; these names stay importable from here
    "FORMATS",
    "ROLE_ALIASES",
    "FormatOptions",
    "PromptTemplate",
    "Unconvertible",
    "detect_row_format",
    "fields_from_row",
    "format_switches",
    "sharegpt_row",
    "to_row",
]

Format = Literal["text", "input-output", "prompt-generation", "prompt-completion", "messages", "alpaca", "sharegpt"]
FORMATS: tuple[str, ...] = (
    "text",
    "input-output",
    "prompt-generation",
    "prompt-completion",
    "messages",
    "alpaca",
    "sharegpt",
)
SUPERVISED = frozenset(FORMATS) - {"text"}

#: LLaMA-Factory's ShareGPT tags (its data/README.md, "tags"): what ``sharegpt`` writes.
SHAREGPT_TAGS: dict[str, str] = {
    "system_tag": "system",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "function_tag": "function_call",
    "observation_tag": "observation",
}


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
class FormatSwitches:
    """Per-format switches: ``conversational = true`` under ``[build]``.

    On the command line: ``--conversational`` or ``-O format.conversational=true``.
    """

    conversational: bool = field(
        default=False,
        metadata={
            "help": "prompt-completion only: write prompt and completion as lists of messages "
            "(TRL's conversational prompt-completion) instead of flattened text"
        },
    )


def format_switches(values: Mapping[str, Any] | None) -> FormatSwitches:
    """Validate format switches from a config table or CLI options (unknown names are errors)."""
    return parse_options(FormatSwitches, values, owner="format")


@dataclass(frozen=True)
class FormatOptions:
    """How records become rows: the format and the conversions between shapes."""

    format: str = "messages"
    system_prompt: str | None = None
    template: PromptTemplate | None = None
    #: ``reject`` text-only records in a supervised format, or ``keep`` them as an answer
    #: to an empty prompt.
    text_records: Literal["reject", "keep"] = "reject"
    #: ``prompt-completion`` only: prompt and completion as lists of messages.
    conversational: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError(f"unknown format {self.format!r}", hint=f"formats: {', '.join(FORMATS)}")
        if self.text_records not in ("reject", "keep"):
            raise ConfigError(f"text_records must be 'reject' or 'keep', not {self.text_records!r}")
        if self.conversational and self.format != "prompt-completion":
            raise ConfigError(
                f"conversational applies to the prompt-completion format, not {self.format!r}",
                hint="use --format prompt-completion, or drop the conversational switch",
            )
        if self.conversational and self.template is not None:
            raise ConfigError(
                "conversational prompt-completion keeps the messages; a prompt template would flatten them",
                hint="drop prompt_template, or the conversational switch",
            )


class Unconvertible(Exception):
    """A record cannot be written in the chosen format; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def as_messages(record: Record, system_prompt: str | None = None) -> list[dict[str, Any]]:
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
        _refuse_tools(record, fmt)
        return {"text": template.render(as_messages(record, opts.system_prompt))}
    if record.text is not None and opts.text_records == "reject":
        raise Unconvertible(
            "text_in_supervised_format",
            f"a text-only record has no prompt/answer for the {fmt} format; use --format text, "
            "or text_records = 'keep' to train on it as an answer to an empty prompt",
        )
    turns = as_messages(record, opts.system_prompt)
    if fmt == "messages":
        return {"messages": turns, "tools": record.tools} if record.tools else {"messages": turns}
    if fmt == "sharegpt":
        return sharegpt_row(turns, record.tools)
    last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None:
        raise Unconvertible("no_assistant_turn", f"a conversation without an assistant turn has no answer for {fmt}")
    if fmt == "prompt-completion" and opts.conversational:
        row: dict[str, Any] = {"prompt": turns[:last], "completion": [turns[last]]}
        if record.tools:
            row["tools"] = record.tools
        return row
    _refuse_tools(record, fmt)
    history, answer = turns[:last], turns[last]["content"]
    if fmt == "alpaca":
        return _alpaca_row(history, answer, opts.template)
    if opts.template is not None:
        prompt = template.render(history, generation_prompt=True)
    elif len(history) == 1 and history[0]["role"] == "user":
        prompt = history[0]["content"]
    else:
        prompt = template.render(history) if history else ""
    if fmt == "input-output":
        return {"input": prompt, "output": answer}
    if fmt == "prompt-completion":
        return {"prompt": prompt, "completion": answer}
    return {"prompt": prompt, "generation": answer}


def _refuse_tools(record: Record, fmt: str) -> None:
    """Raise :class:`Unconvertible` when ``record`` uses tool calling, which ``fmt`` cannot hold."""
    if record.uses_tools:
        switch = " (or prompt-completion with conversational = true)" if fmt == "prompt-completion" else ""
        raise Unconvertible(
            "tool_calls_unsupported",
            f"the {fmt} format has no place for tool calls, tool results or the tools list; "
            f"use --format messages or sharegpt{switch} to keep them",
        )


def _alpaca_row(history: list[dict[str, Any]], answer: str, template: PromptTemplate | None) -> dict[str, Any]:
    """LLaMA-Factory's alpaca row: every column on every row, earlier turns in ``history``."""
    if template is not None:  # asked to flatten the conversation into the instruction
        return {"instruction": template.render(history), "input": "", "output": answer, "system": "", "history": []}
    lead = 0
    while lead < len(history) and history[lead]["role"] == "system":
        lead += 1
    system, rest = "\n\n".join(t["content"] for t in history[:lead]), history[lead:]
    roles = [t["role"] for t in rest]
    if any(r == "system" for r in roles):
        raise Unconvertible(
            "system_turn_mid_conversation",
            "alpaca has one system prompt, before the conversation; this one has a system turn later on. "
            "Use --format messages or sharegpt, or set prompt_template to flatten the conversation",
        )
    if roles and roles != ["user", "assistant"] * (len(roles) // 2) + ["user"]:
        raise Unconvertible(
            "alpaca_turn_order",
            f"alpaca's history holds [user, assistant] pairs before a last user turn; this conversation has "
            f"{', '.join(roles)} before its answer. Use --format messages, or set prompt_template to flatten it",
        )
    pairs = [[rest[i]["content"], rest[i + 1]["content"]] for i in range(0, len(rest) - 1, 2)]
    instruction = rest[-1]["content"] if rest else ""
    return {"instruction": instruction, "input": "", "output": answer, "system": system, "history": pairs}


def sharegpt_row(turns: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """LLaMA-Factory's ShareGPT row, checked against the turn order its converter accepts.

    After an optional first ``system`` turn, LLaMA-Factory reads ``human`` or ``observation`` at
    turns 1, 3, 5... and ``gpt`` or ``function_call`` at turns 2, 4, 6..., and skips a
    conversation with an odd number of turns. A tool-calling assistant turn becomes a
    ``function_call`` turn whose value is the JSON of ``{"name", "arguments", "id"?}`` (a list
    for parallel calls); the results that follow become one ``observation`` turn (for parallel
    calls, the JSON list of the results in the order of the calls). ``tools`` is JSON text of the
    function definitions, ``""`` when none.
    """
    out: list[dict[str, str]] = []
    start = 0
    if turns and turns[0]["role"] == "system":
        out.append({"from": "system", "value": turns[0]["content"]})
        start = 1
    i = start
    calls: list[dict[str, Any]] = []
    while i < len(turns):
        turn = turns[i]
        role = turn["role"]
        if role == "system":
            raise Unconvertible(
                "system_turn_mid_conversation",
                f"LLaMA-Factory reads a system prompt only as the first turn; turn {i + 1} is a system turn. "
                "Use --format messages to keep it",
            )
        if role == "user":
            out.append({"from": "human", "value": turn["content"]})
        elif role == "assistant" and "tool_calls" in turn:
            calls = turn["tool_calls"]
            out.append({"from": "function_call", "value": _function_call_value(turn, i)})
        elif role == "assistant":
            out.append({"from": "gpt", "value": turn["content"]})
        else:
            j = i
            while j < len(turns) and turns[j]["role"] == "tool":
                j += 1
            out.append({"from": "observation", "value": _observation_value(turns[i:j], calls, i)})
            calls = []
            i = j
            continue
        i += 1
    body = out[start:]
    for n, turn in enumerate(body):
        allowed = ("human", "observation") if n % 2 == 0 else ("gpt", "function_call")
        if turn["from"] not in allowed:
            raise Unconvertible(
                "sharegpt_turn_order",
                f"LLaMA-Factory reads human/observation at turns 1, 3, 5... and gpt/function_call at turns "
                f"2, 4, 6... after the system prompt, and skips other conversations; turn {n + 1} here is "
                f"{turn['from']!r} ({', '.join(t['from'] for t in body)}). Use --format messages to keep it",
            )
    if len(body) % 2:
        raise Unconvertible(
            "sharegpt_turn_order",
            "LLaMA-Factory skips a conversation that does not end with a gpt or function_call turn "
            f"({', '.join(t['from'] for t in body) or 'no turns'}). Use --format messages to keep it",
        )
    definitions = [t["function"] for t in tools] if tools else []
    return {"conversations": out, "tools": json.dumps(definitions, ensure_ascii=False) if definitions else ""}


def _function_call_value(turn: dict[str, Any], index: int) -> str:
    if turn["content"].strip():
        raise Unconvertible(
            "tool_call_with_text",
            f"turn {index + 1} has text and tool calls; LLaMA-Factory's function_call turn holds only the calls. "
            "Use --format messages to keep both",
        )
    calls = []
    for call in turn["tool_calls"]:
        function = call["function"]
        try:
            arguments = json.loads(function["arguments"])
        except ValueError:
            raise Unconvertible(
                "tool_arguments_not_json",
                f"turn {index + 1}: the arguments of {function['name']!r} are not JSON "
                f"({function['arguments'][:80]!r}); LLaMA-Factory needs them as an object",
            ) from None
        out: dict[str, Any] = {"name": function["name"], "arguments": arguments}
        if "id" in call:
            out["id"] = call["id"]
        calls.append(out)
    return json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)


def _observation_value(results: list[dict[str, Any]], calls: list[dict[str, Any]], index: int) -> str:
    if not calls:
        raise Unconvertible(
            "tool_result_without_call",
            f"turn {index + 1} is a tool result that does not follow a tool call; "
            "LLaMA-Factory pairs each observation with the function_call before it",
        )
    if len(results) != len(calls):
        raise Unconvertible(
            "tool_results_unmatched",
            f"turn {index + 1}: {len(calls)} tool call(s) answered by {len(results)} result(s); "
            "ShareGPT pairs results with calls by position",
        )
    ids = [c.get("id") for c in calls]
    if all(ids) and all("tool_call_id" in r for r in results):
        by_id = {r["tool_call_id"]: r for r in results}
        if len(by_id) != len(results) or set(by_id) != set(ids):
            raise Unconvertible(
                "tool_results_unmatched",
                f"turn {index + 1}: the results answer calls {sorted(by_id)}, the calls were {ids}",
            )
        results = [by_id[i] for i in ids]
    if len(results) == 1:
        return str(results[0]["content"])
    return json.dumps([r["content"] for r in results], ensure_ascii=False)
