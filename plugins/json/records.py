"""Objects to records: the shape of each object (detected, forced or mapped), its content, and its meta."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curate.plugin_api import (
    ANSWER_NAMES,
    PROMPT_NAMES,
    InputFile,
    Problem,
    Record,
    RecordError,
    detect_row_format,
    fields_from_row,
    tools_from,
    turn_text,
)

from .keys import column, is_text, key_list, kind, lookup, render, scalar_fields, top
from .options import JsonOptions
from .problems import Unfit

#: The keys each format reads as content (the rest may go to meta["fields"]).
_FORMAT_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"text"}),
    "input-output": frozenset({"input", "output"}),
    "prompt-generation": frozenset({"prompt", "generation", "completion", "response"}),
    "prompt-completion": frozenset({"prompt", "completion", "tools"}),
    "alpaca": frozenset({"instruction", "input", "output", "system", "history", "tools"}),
    "messages": frozenset({"messages", "system", "tools"}),
    "sharegpt": frozenset({"conversations", "system", "tools"}),
}

# Guesses for objects no format fits, in order of preference ("text" is the text format's own key).
_GUESS_TEXT = ("content", "body", "document", "article", "passage")
_GUESS_CONTEXT = ("context", "input")
_GUESS_ANSWER = (*ANSWER_NAMES, "generation", "target")

#: The shapes read without options, and how to map others: the end of a "no known shape" message.
SHAPES_HELP = (
    "expected text; input/output; prompt/generation; instruction/input/output (alpaca); messages; "
    "or conversations (ShareGPT). Map other keys with text_column, or input_column and output_column, "
    "or template (CLI: --text-column, --input-column, --output-column)"
)


class RecordMaker:
    """Makes records of JSON objects, as the importer's options say; :class:`Unfit` says why a value makes none."""

    def __init__(self, options: JsonOptions, plugin: str) -> None:
        self.options = options
        self.plugin = plugin
        self._template_keys = options.template_fields()

    def emit(self, file: InputFile, locator: str, obj: Any, raw: str, unit: str) -> Record | Problem:
        """The record of ``obj``, or a problem carrying its ``raw`` text."""
        try:
            return self.record(file, locator, obj, unit)
        except Unfit as exc:
            return Problem(locator, str(exc), raw=raw.rstrip("\r\n"))

    def looks_like_record(self, obj: dict) -> bool:
        """Whether a lone top-level object is a record itself (else it may hold a list of them)."""
        o = self.options
        if o.format is not None:
            return True
        if o.mapped:
            needed = [k for k in (o.text_column, o.output_column) if k] + [k for k in self._template_keys if k]
            return all(lookup(obj, k)[1] for k in needed)
        return detect_row_format(obj) is not None or _guess(obj) is not None

    def record(self, file: InputFile, locator: str, obj: Any, unit: str) -> Record:
        """The record of ``obj`` (a ``unit``: line, item or object), or :class:`Unfit` saying why there is none."""
        if not isinstance(obj, dict):
            raise Unfit(
                f"a JSON {kind(obj)}, not an object; each {unit} must be an object such as "
                '{"text": "..."} or {"input": "...", "output": "..."}'
            )
        content, used, meta = self._content(obj)
        meta.update(content.pop("meta", None) or {})
        if "text" in content:
            text = content["text"]
            empty = not text or text.isspace()
        else:
            if "messages" in content:
                texts = tuple(turn_text(t) for t in content["messages"])
            else:
                texts = (content["input"], content["output"])
            empty = all(not t or t.isspace() for t in texts)
        if empty:
            raise Unfit(f"empty: no text in {', '.join(sorted(used)) or 'any key'}")
        fields = scalar_fields(obj, used)
        if fields:
            meta["fields"] = fields
        try:
            return Record.create(file.source(self.plugin, locator), meta=meta, **content)
        except RecordError as exc:
            raise Unfit(str(exc)) from None

    def _content(self, obj: dict) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
        """The Record.create content arguments, the keys they used, and meta."""
        o = self.options
        if o.mapped:
            return self._mapped(obj)
        fmt = o.format or detect_row_format(obj)
        if fmt is None:
            guessed = _guess(obj)
            if guessed is None:
                raise Unfit(f"no known record shape in keys {key_list(obj)}; {SHAPES_HELP}")
            return guessed
        try:
            content = fields_from_row(obj, fmt)
        except ValueError as exc:
            if o.format:
                raise Unfit(
                    f"does not fit format {fmt!r}: {exc} (keys {key_list(obj)}); "
                    "check the format option, or map the keys with the column options"
                ) from None
            raise Unfit(f"looks like {fmt} (keys {key_list(obj)}) but {exc}") from None
        system = obj.get("system")
        if fmt in ("messages", "sharegpt") and isinstance(system, str) and system.strip():
            turns = content["messages"]
            if turns[0]["role"] != "system":
                content["messages"] = [{"role": "system", "content": system}, *turns]
        used = set(_FORMAT_KEYS[fmt])
        if fmt == "prompt-generation":  # only the answer key actually read is content
            used = {"prompt", next((k for k in ("generation", "completion", "response") if k in obj), "generation")}
        if "tools" in obj and "tools" not in content and _offers_tools(obj["tools"]):
            raise Unfit(
                f"this {fmt} row offers tools but holds no conversation to use them in; "
                "write it as messages (OpenAI chat) to keep the tools"
            )
        return content, used, {"format": fmt}

    def _mapped(self, obj: dict) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
        o = self.options
        used: set[str] = set()
        content: dict[str, Any] = {}
        if o.template is not None:
            prompt = render(o.template, obj)
            used.update(self._template_keys)
        elif o.input_column is not None:
            prompt = column(obj, o.input_column, "input_column", optional=True)
            used.add(top(obj, o.input_column))
        else:
            prompt = ""
        if o.text_column is not None:
            content["text"] = column(obj, o.text_column, "text_column")
            used.add(top(obj, o.text_column))
        elif o.output_column is None:
            content["text"] = prompt
        else:
            answer = column(obj, o.output_column, "output_column")
            used.add(top(obj, o.output_column))
            system = column(obj, o.system_column, "system_column", optional=True) if o.system_column else ""
            if o.system_column:
                used.add(top(obj, o.system_column))
            if system.strip():
                turns = [{"role": "system", "content": system}]
                if prompt:
                    turns.append({"role": "user", "content": prompt})
                content["messages"] = [*turns, {"role": "assistant", "content": answer}]
            else:
                content["input"], content["output"] = prompt, answer
        return content, used, {}


def _guess(obj: Mapping[str, Any]) -> tuple[dict[str, Any], set[str], dict[str, Any]] | None:
    """Content from common key names no format covers (question/answer, instruction/context/response...)."""
    answer = next((k for k in _GUESS_ANSWER if is_text(obj.get(k))), None)
    if answer is not None:
        prompt = next((k for k in PROMPT_NAMES if k != answer and is_text(obj.get(k))), None)
        context = next((k for k in _GUESS_CONTEXT if k not in (answer, prompt) and is_text(obj.get(k))), None)
        parts = [str(obj[k]) for k in (prompt, context) if k is not None and str(obj[k])]
        used = {k for k in (prompt, context, answer) if k is not None}
        guessed = "/".join(k for k in (prompt, context, answer) if k is not None)
        return (
            {"input": "\n\n".join(parts), "output": str(obj[answer])},
            used,
            {"format": "input-output", "guessed": guessed},
        )
    text = next((k for k in _GUESS_TEXT if is_text(obj.get(k))), None)
    if text is not None:
        return {"text": str(obj[text])}, {text}, {"format": "text", "guessed": text}
    return None


def _offers_tools(value: Any) -> bool:
    """Whether ``value`` reads as a list of tool definitions (not, say, a list of tool names)."""
    try:
        return bool(tools_from(value))
    except ValueError:
        return False
