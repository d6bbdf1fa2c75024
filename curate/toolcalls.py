"""Tool calling inside conversations: the one shape curate keeps, and the shapes it reads.

A conversation turn is ``{"role", "content"}`` plus, for tool calling, the keys of OpenAI's
chat format (which TRL and the ``transformers`` chat templates read too):

* an ``assistant`` turn may carry ``tool_calls``: a non-empty list of
  ``{"id"?: str, "type": "function", "function": {"name": str, "arguments": str}}``.
  ``arguments`` is kept as the JSON *text* OpenAI sends (an object given by the source, as
  TRL's examples write it, is serialised once on import: same meaning, one type in every row);
* a ``tool`` turn may carry ``tool_call_id`` (the call it answers) and ``name`` (the function).

A record may also carry ``tools``: the list of tool definitions offered to the model, each
``{"type": "function", "function": {"name", "description"?, "parameters"?...}}`` (a bare
``{"name", ...}`` definition, LLaMA-Factory's spelling, is wrapped on import).

:func:`tool_calls_from` and :func:`tools_from` read the spellings found in the wild and raise
:class:`ValueError` with a readable message; :func:`turn_problem` checks a turn already in the
kept shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Keys a turn may carry besides ``role`` and ``content``.
TOOL_TURN_KEYS = frozenset({"tool_calls", "tool_call_id", "name"})


def turn_problem(turn: Mapping[str, Any], index: int) -> str | None:
    """Why ``turn`` is not in the kept shape (its tool keys only), or ``None``."""
    calls = turn.get("tool_calls")
    if "tool_calls" in turn:
        if turn["role"] != "assistant":
            return f"message {index}: only assistant turns carry tool_calls, not {turn['role']!r}"
        if not isinstance(calls, list) or not calls:
            return f"message {index}: tool_calls must be a non-empty list"
        for j, call in enumerate(calls):
            problem = _call_problem(call)
            if problem:
                return f"message {index}: tool call {j} {problem}"
    for key in ("tool_call_id", "name"):
        if key in turn:
            if turn["role"] != "tool":
                return f"message {index}: only tool turns carry {key!r}, not {turn['role']!r}"
            if not isinstance(turn[key], str):
                return f"message {index}: {key!r} must be a string"
    return None


def _call_problem(call: Any) -> str | None:
    if not isinstance(call, dict) or set(call) - {"id", "type", "function"} or call.get("type") != "function":
        return 'must be {"id", "type": "function", "function": {"name", "arguments"}}'
    if "id" in call and not isinstance(call["id"], str):
        return "has an id that is not a string"
    function = call.get("function")
    if not isinstance(function, dict) or set(function) != {"name", "arguments"}:
        return 'needs "function": {"name", "arguments"}'
    if not isinstance(function["name"], str) or not function["name"]:
        return "has no function name"
    if not isinstance(function["arguments"], str):
        return "has arguments that are not JSON text"
    return None


def tool_calls_from(value: Any) -> list[dict[str, Any]]:
    """The kept shape of a ``tool_calls`` list as sources write it.

    Accepts OpenAI's ``{"id", "type", "function": {"name", "arguments": "<json>"}}``, TRL's
    ``arguments`` as an object, and flat ``{"name", "arguments"}`` calls (LLaMA-Factory's
    ``function_call`` turns). Raises :class:`ValueError`.

    >>> tool_calls_from([{"type": "function", "function": {"name": "f", "arguments": {"x": 1}}}])
    [{'type': 'function', 'function': {'name': 'f', 'arguments': '{"x": 1}'}}]
    """
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError("tool_calls must be a non-empty list of calls")
    out = []
    for j, call in enumerate(value):
        if not isinstance(call, Mapping):
            raise ValueError(f"tool call {j} is not an object")
        function = call.get("function", call)
        if not isinstance(function, Mapping):
            raise ValueError(f"tool call {j}: 'function' is not an object")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"tool call {j} has no function name")
        arguments = function.get("arguments", function.get("parameters", {}))
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, str):
            try:
                arguments = json.dumps(arguments, ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"tool call {j}: arguments are not JSON: {exc}") from None
        kept: dict[str, Any] = {}
        call_id = call.get("id")
        if call_id is not None:
            if not isinstance(call_id, (str, int)) or isinstance(call_id, bool):
                raise ValueError(f"tool call {j}: id must be a string")
            kept["id"] = str(call_id)
        kept["type"] = "function"
        kept["function"] = {"name": name, "arguments": arguments}
        out.append(kept)
    return out


def tools_from(value: Any) -> list[dict[str, Any]] | None:
    """The kept shape of a record's ``tools``: a list, or the JSON text of one; ``None`` when empty.

    >>> tools_from('[{"name": "f", "parameters": {}}]')
    [{'type': 'function', 'function': {'name': 'f', 'parameters': {}}}]
    """
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("'tools' is text that is not JSON; expected a list of tool definitions") from None
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("'tools' must be a list of tool definitions")
    out = []
    for j, tool in enumerate(value):
        if not isinstance(tool, Mapping):
            raise ValueError(f"tool {j} is not an object")
        if tool.get("type") == "function" and isinstance(tool.get("function"), Mapping):
            definition = tool["function"]
        else:
            definition = tool
        if not isinstance(definition.get("name"), str) or not definition["name"]:
            raise ValueError(f"tool {j} has no name")
        if definition is tool:
            out.append({"type": "function", "function": dict(tool)})
        else:
            out.append({**tool, "function": dict(definition)})
    return out or None


def calls_text(turn: Mapping[str, Any]) -> str:
    """The tool calls of a turn as text, one ``name(arguments)`` a line (``""`` when none).

    What length checks, dedup and embeddings see of a call: a turn that only calls a tool
    is not empty.
    """
    calls = turn.get("tool_calls") or ()
    return "\n".join(f"{c['function']['name']}({c['function']['arguments']})" for c in calls)


def turn_text(turn: Mapping[str, Any]) -> str:
    """A turn's content followed by its tool calls, as text."""
    calls = calls_text(turn)
    if not calls:
        return turn["content"]
    return f"{turn['content']}\n{calls}" if turn["content"] else calls
