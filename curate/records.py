"""The one record type that passes between importers, stages and writers.

A record holds content in exactly one of three shapes:

* ``text`` — plain text (pre-training style, or a document);
* ``input`` + ``output`` — one prompt and its answer;
* ``messages`` — a conversation, a list of ``{"role", "content"}`` turns; for tool calling an
  assistant turn may also carry ``tool_calls`` and a tool turn ``tool_call_id`` and ``name``, and
  the record the ``tools`` offered (see :mod:`curate.toolcalls`).

Every record knows where it came from (:class:`Source`: the plugin, the file and a
locator such as ``row 12`` or ``line 5``) and has an ``id`` that is the same across
runs, derived from that source and the content as imported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from curate.errors import CurateError
from curate.toolcalls import TOOL_TURN_KEYS, turn_problem, turn_text

Shape = Literal["text", "input-output", "messages"]
ROLES = ("system", "user", "assistant", "tool")

_TURN_KEYS = frozenset({"role", "content"}) | TOOL_TURN_KEYS

#: Separates fields inside content keys and hashes; never found in normalised text.
_SEP = "\x1f"


@dataclass(slots=True, frozen=True)
class Source:
    """Where a record came from: importer ``plugin``, file ``path``, ``locator`` inside it."""

    plugin: str
    path: str
    locator: str

    def __str__(self) -> str:
        return f"{self.path}:{self.locator}" if self.locator else self.path


@dataclass(slots=True)
class Record:
    """One training example (or document) and where it came from.

    Build records with :meth:`Record.create`, which checks the shape and computes the id.
    """

    id: str
    source: Source
    text: str | None = None
    input: str | None = None
    output: str | None = None
    messages: list[dict[str, Any]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: The tool definitions offered in a conversation (OpenAI's ``tools``), or ``None``.
    tools: list[dict[str, Any]] | None = None

    @classmethod
    def create(
        cls,
        source: Source,
        *,
        text: str | None = None,
        input: str | None = None,
        output: str | None = None,
        messages: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> Record:
        """Make a record in one of the three shapes, with a stable id.

        >>> r = Record.create(Source("json", "a.jsonl", "line 1"), input="2+2?", output="4")
        >>> r.shape, len(r.id)
        ('input-output', 16)
        """
        rec = cls("", source, text, input, output, messages, meta if meta is not None else {}, tools)
        if text.__class__ is not str or input is not None or output is not None or messages is not None or tools:
            rec.validate()  # the fast path above is a plain text record
        rec.id = stable_id(source, rec.content_key())
        return rec

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as one flat tuple: three times faster each way than the dataclass's slot state.

        Records cross process boundaries by the thousand (the local engine's worker pool, Ray).
        """
        s = self.source
        fields = (self.id, s.plugin, s.path, s.locator, self.text, self.input, self.output, self.messages)
        return _unpickle_record, (*fields, self.meta, self.tools)

    @property
    def shape(self) -> Shape:
        """``"text"``, ``"input-output"`` or ``"messages"``."""
        if self.messages is not None:
            return "messages"
        if self.output is not None:
            return "input-output"
        return "text"

    @property
    def uses_tools(self) -> bool:
        """Whether the record offers tools, calls one or holds a tool's result (formats that cannot, reject it)."""
        if self.messages is None:
            return False
        return bool(self.tools) or any(len(t) > 2 or t["role"] == "tool" for t in self.messages)

    def validate(self) -> None:
        """Raise :class:`RecordError` unless exactly one content shape is filled in correctly."""
        shapes = [self.text is not None, self.input is not None or self.output is not None, self.messages is not None]
        if sum(shapes) != 1:
            raise RecordError("a record holds exactly one of: text; input and output; messages")
        if self.text is not None and not isinstance(self.text, str):
            raise RecordError(f"text must be a string, not {type(self.text).__name__}")
        if shapes[1]:
            if not isinstance(self.output, str):
                raise RecordError("an input/output record needs a string output")
            if self.input is None:
                self.input = ""
            if not isinstance(self.input, str):
                raise RecordError(f"input must be a string, not {type(self.input).__name__}")
        if self.messages is not None:
            if not isinstance(self.messages, list) or not self.messages:
                raise RecordError("messages must be a non-empty list of {role, content} turns")
            for i, turn in enumerate(self.messages):
                if not isinstance(turn, dict) or not {"role", "content"} <= set(turn) <= _TURN_KEYS:
                    raise RecordError(
                        f"message {i} must be an object with 'role' and 'content' "
                        "(and, for tool calling, 'tool_calls', 'tool_call_id' or 'name')"
                    )
                if turn["role"] not in ROLES:
                    raise RecordError(f"message {i} has role {turn['role']!r}; expected one of {', '.join(ROLES)}")
                if not isinstance(turn["content"], str):
                    raise RecordError(f"message {i} content must be a string")
                problem = turn_problem(turn, i) if len(turn) > 2 else None
                if problem:
                    raise RecordError(problem)
        if self.tools is not None:
            if self.messages is None:
                raise RecordError("only a conversation (messages) carries tools")
            if not isinstance(self.tools, list) or not all(
                isinstance(t, dict) and isinstance(t.get("function"), dict) for t in self.tools
            ):
                raise RecordError('tools must be a list of {"type": "function", "function": {...}} definitions')

    def content_key(self) -> str:
        """The content as one string, fields and turns separated: what hashes and dedup compare."""
        if self.messages is not None:
            key = _SEP.join(f"{t['role']}{_SEP}{t['content']}" + _tool_key(t) for t in self.messages)
            if self.tools:
                key += _SEP + json.dumps(self.tools, sort_keys=True, ensure_ascii=False)
            return key
        if self.output is not None:
            return f"{self.input or ''}{_SEP}{self.output}"
        return self.text or ""

    def content_hash(self) -> str:
        """A 16-hex-digit hash of :meth:`content_key`."""
        return hashlib.blake2b(self.content_key().encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def texts(self) -> list[str]:
        """Every piece of text in the record, in order (for length checks and embedding).

        A turn's tool calls follow its content as ``name(arguments)`` lines.
        """
        if self.messages is not None:
            return [turn_text(t) for t in self.messages]
        if self.output is not None:
            return [self.input or "", self.output]
        return [self.text or ""]

    def model_texts(self) -> list[str]:
        """The model's side: the output, or the assistant turns (with their tool calls), or the whole text."""
        if self.messages is not None:
            return [turn_text(t) for t in self.messages if t["role"] == "assistant"]
        if self.output is not None:
            return [self.output]
        return [self.text or ""]

    def fields(self, *, model_only: bool = False) -> list[tuple[str, str, bool]]:
        """``(label, text, on the model's side)`` for each piece of text, in order.

        Labels are ``"text"``, ``"input"``, ``"output"`` and ``"messages[i]"``; with
        ``model_only`` only the model's side (output, assistant turns, text) is listed.

        >>> Record.create(Source("t", "f", "l"), input="q", output="a").fields()
        [('input', 'q', False), ('output', 'a', True)]
        """
        if self.messages is not None:
            return [
                (f"messages[{i}]", t["content"], t["role"] == "assistant")
                for i, t in enumerate(self.messages)
                if t["role"] == "assistant" or not model_only
            ]
        if self.output is not None:
            out = [("output", self.output, True)]
            return out if model_only else [("input", self.input or "", False), *out]
        return [("text", self.text or "", True)]

    def replace_fields(self, changes: dict[str, str]) -> None:
        """Set the texts named by :meth:`fields` labels (``{"output": "...", "messages[2]": "..."}``)."""
        if not changes:
            return
        if self.messages is not None:
            self.messages = [
                {**t, "content": changes.get(f"messages[{i}]", t["content"])} for i, t in enumerate(self.messages)
            ]
        elif self.output is not None:
            self.output = changes.get("output", self.output)
            self.input = changes.get("input", self.input)
        else:
            self.text = changes.get("text", self.text)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict holding everything (used by the ledger and spill files)."""
        out: dict[str, Any] = {"id": self.id}
        if self.messages is not None:
            out["messages"] = self.messages
            if self.tools is not None:
                out["tools"] = self.tools
        elif self.output is not None:
            out["input"] = self.input
            out["output"] = self.output
        else:
            out["text"] = self.text
        out["source"] = {"plugin": self.source.plugin, "path": self.source.path, "locator": self.source.locator}
        if self.meta:
            out["meta"] = self.meta
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """The inverse of :meth:`to_dict`; the id is kept as stored."""
        src = data["source"]
        rec = cls(
            id=data["id"],
            source=Source(src["plugin"], src["path"], src["locator"]),
            text=data.get("text"),
            input=data.get("input"),
            output=data.get("output"),
            messages=data.get("messages"),
            meta=dict(data.get("meta") or {}),
            tools=data.get("tools"),
        )
        return rec


class RecordError(CurateError):
    """A record's content is not in one of the three shapes."""


def _tool_key(turn: dict[str, Any]) -> str:
    """The tool keys of a turn, for :meth:`Record.content_key` (``""`` for a plain turn)."""
    if len(turn) == 2:
        return ""
    extra = {k: turn[k] for k in sorted(TOOL_TURN_KEYS) if k in turn}
    return _SEP + json.dumps(extra, sort_keys=True, ensure_ascii=False)


def _unpickle_record(
    id: str,
    plugin: str,
    path: str,
    locator: str,
    text: str | None,
    input: str | None,
    output: str | None,
    messages: list[dict[str, Any]] | None,
    meta: dict[str, Any],
    tools: list[dict[str, Any]] | None,
) -> Record:
    """The inverse of :meth:`Record.__reduce__`."""
    return Record(id, Source(plugin, path, locator), text, input, output, messages, meta, tools)


def stable_id(source: Source, content_key: str) -> str:
    """The id of a record: a hash of its path, locator and content as imported."""
    key = f"{source.path}\0{source.locator}\0{content_key}\0"
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
