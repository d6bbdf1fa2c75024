"""Rows in the wild -> the :meth:`Record.create` arguments: the formats of :mod:`curate.formats`
and the spellings found in public datasets (ShareGPT's many role names, OpenAI's and TRL's tool
calls, LLaMA-Factory's ``function_call`` / ``observation`` turns, alpaca ``history``).

Used by the JSON importer (and any importer of rows) to recognise a row's format and read it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from curate.toolcalls import TOOL_TURN_KEYS, tool_calls_from, tools_from

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
#: Roles whose turn is a tool call (its value holds the calls as JSON: LLaMA-Factory's function_call).
_CALL_ROLES = frozenset({"function_call"})


def drop_nulls(value: Any) -> Any:
    """``value`` without the nulls of missing keys: Arrow and Parquet give every struct every field.

    >>> drop_nulls([{"role": "user", "content": "hi", "tool_calls": None}])
    [{'role': 'user', 'content': 'hi'}]
    """
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


#: Longer strings are content, not metadata: they are left out of ``meta["fields"]``.
MAX_FIELD_CHARS = 200


def is_small_scalar(value: Any) -> bool:
    """Whether ``value`` may go into a record's ``meta["fields"]``: a short string, a finite number, a bool.

    >>> [is_small_scalar(v) for v in ("id-7", "x" * 201, 3, float("nan"), None, [1])]
    [True, False, True, False, False, False]
    """
    if isinstance(value, str):
        return len(value) <= MAX_FIELD_CHARS
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int))


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
    if "prompt" in row and "completion" in row:
        return "prompt-completion"
    if "prompt" in row and ("generation" in row or "response" in row):
        return "prompt-generation"
    if "input" in row and "output" in row:
        return "input-output"
    if "text" in row:
        return "text"
    return None


def fields_from_row(row: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """The :meth:`Record.create` keyword arguments for ``row`` read as ``fmt``.

    Tool calls, tool results and a ``tools`` list are kept (see :mod:`curate.toolcalls`);
    other keys on turns are not content and are named in ``meta["turn_keys_dropped"]``.
    Raises ``ValueError`` with a readable message when the row does not fit.
    """
    if fmt == "text":
        return {"text": _string(row, "text")}
    if fmt == "input-output":
        return {"input": _string(row, "input", optional=True), "output": _string(row, "output")}
    if fmt in ("prompt-generation", "prompt-completion"):
        key = next((k for k in ("generation", "completion", "response") if k in row), "generation")
        if isinstance(row.get("prompt"), list) or isinstance(row.get(key), list):
            return _conversation(row, _list(row, "prompt") + _list(row, key), "prompt + " + key)
        return {"input": _string(row, "prompt", optional=True), "output": _string(row, key)}
    if fmt == "alpaca":
        return _alpaca_fields(row)
    if fmt in ("messages", "sharegpt"):
        key = "messages" if fmt == "messages" else "conversations"
        turns = row.get(key)
        if not isinstance(turns, list) or not turns:
            raise ValueError(f"{key!r} must be a non-empty list of turns")
        return _conversation(row, turns, key)
    raise ValueError(f"unknown format {fmt!r}")


def _list(row: Mapping[str, Any], key: str) -> list[Any]:
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key!r} is {type(value).__name__}; in a conversational row it is a list of messages")
    return value


def _alpaca_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    instruction = _string(row, "instruction", optional=True)
    extra = _string(row, "input", optional=True)
    prompt = f"{instruction}\n\n{extra}" if instruction and extra else instruction or extra
    messages: list[dict[str, Any]] = []
    system = row.get("system")
    if isinstance(system, str) and system:
        messages.append({"role": "system", "content": system})
    history = row.get("history")
    if history is not None and not isinstance(history, list):
        raise ValueError("'history' must be a list of [instruction, response] pairs")
    for i, pair in enumerate(history or []):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise ValueError(f"history entry {i} is not an [instruction, response] pair of texts")
        messages += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    tools = tools_from(row.get("tools"))  # LLaMA-Factory's alpaca rows may offer tools too
    if messages or tools:
        messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": _string(row, "output")}]
        return {"messages": messages, "tools": tools} if tools else {"messages": messages}
    return {"input": prompt, "output": _string(row, "output")}


def _conversation(row: Mapping[str, Any], raw: list[Any], key: str) -> dict[str, Any]:
    """Turns in any spelling (OpenAI, TRL, ShareGPT with function_call/observation) and the tools."""
    if not raw:
        raise ValueError(f"{key!r} must be a non-empty list of turns")
    turns: list[dict[str, Any]] = []
    dropped: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ValueError(f"turn {i} is not an object")
        role = item.get("role", item.get("from"))
        if isinstance(role, str) and role.strip().lower() in _CALL_ROLES:
            turns.append(_call_turn(item, i))
        elif isinstance(role, str) and ROLE_ALIASES.get(role.strip().lower()) == "tool":
            turns.extend(_result_turns(item, i, turns))
        else:
            turns.append(_turn(item, i))
        dropped.update(k for k, v in item.items() if k not in _READ_TURN_KEYS and v not in (None, "", [], {}))
    out: dict[str, Any] = {"messages": turns}
    tools = tools_from(row.get("tools"))
    if tools:
        out["tools"] = tools
    if dropped:
        out["meta"] = {"turn_keys_dropped": sorted(dropped)}
    return out


#: Keys of a turn that are read as content (the rest is named in meta).
_READ_TURN_KEYS = frozenset({"role", "from", "content", "value", "function_call"}) | TOOL_TURN_KEYS


def _turn(turn: Mapping[str, Any], index: int) -> dict[str, Any]:
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
    out: dict[str, Any] = {"role": mapped, "content": content}
    calls = turn.get("tool_calls") or turn.get("function_call")  # function_call: OpenAI's legacy single call
    if calls:
        if mapped != "assistant":
            raise ValueError(f"turn {index} is a {role!r} turn with tool calls; only assistant turns make calls")
        try:
            out["tool_calls"] = tool_calls_from(calls)
        except ValueError as exc:
            raise ValueError(f"turn {index}: {exc}") from None
    return out


def _call_turn(turn: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A ShareGPT ``function_call`` turn: its value is the JSON of one call or a list of them."""
    value = turn.get("value", turn.get("content"))
    try:
        calls = json.loads(value) if isinstance(value, str) else value
        return {"role": "assistant", "content": "", "tool_calls": tool_calls_from(calls)}
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"turn {index} is a function_call turn whose value is not the JSON of calls "
            f'({{"name", "arguments"}}): {exc}'
        ) from None


def _result_turns(turn: Mapping[str, Any], index: int, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tool result; a ShareGPT observation answering parallel calls holds a JSON list, one per call."""
    result = _turn(turn, index)
    for key in ("tool_call_id", "name"):
        value = turn.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"turn {index}: {key!r} must be a string")
            result[key] = value
    calls = before[-1].get("tool_calls") if before and before[-1]["role"] == "assistant" else None
    if not calls or "tool_call_id" in result:
        return [result]
    if len(calls) > 1:
        try:
            parts = json.loads(result["content"])
        except ValueError:
            parts = None
        if isinstance(parts, list) and len(parts) == len(calls) and all(isinstance(p, str) for p in parts):
            return [_answer({"role": "tool", "content": p}, c) for p, c in zip(parts, calls, strict=True)]
        return [result]
    return [_answer(result, calls[0])]


def _answer(result: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
    if "id" in call:
        result["tool_call_id"] = call["id"]
    return result


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
