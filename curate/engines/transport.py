"""Outcomes in the compact form a worker process sends them to the engine's process.

The engine's process is the one part of a parallel build that does not scale (the sink), and
unpickling a record there costs about as much as the sink's own work on it. So a worker packs
what it decided (:func:`pack`) and the engine unpacks it (:func:`unpack`):

* a kept record whose output row is already rendered travels as a flat tuple: its id, its
  dedup key, the rendered row's fields, and the record itself pickled to bytes, which the
  engine unpickles only if it needs more than the id (a duplicate's line in rejects.jsonl):
  :class:`PackedRecord`;
* a rejection travels as its rejects.jsonl line, serialised by the worker
  (:class:`~curate.stream.RejectedLine`);
* everything else as it is.

``unpack(pack(outcomes))`` gives what the sink would have consumed, line for line.
"""

from __future__ import annotations

import pickle
from dataclasses import fields
from typing import Any

from curate.jsonl import dumps
from curate.records import Record
from curate.stages.base import Rejection
from curate.stream import Kept, Outcome, RejectedLine
from curate.writer import Rendered

_FIELDS = tuple(f.name for f in fields(Record))


class PackedRecord(Record):
    """A :class:`~curate.records.Record` that holds its id and its pickled self; the rest is unpickled on first use."""

    __slots__ = ("_blob",)

    def __init__(self, id: str, blob: bytes) -> None:  # the other fields stay unset until used
        self.id = id
        self._blob = blob

    def __getattr__(self, name: str) -> Any:  # only called for a field not set yet
        try:
            blob = object.__getattribute__(self, "_blob")
        except AttributeError:
            raise AttributeError(name) from None
        record = pickle.loads(blob)
        for field in _FIELDS:
            object.__setattr__(self, field, getattr(record, field))
        del self._blob
        return object.__getattribute__(self, name)


def pack(outcomes: list[Outcome]) -> list[Any]:
    """``outcomes`` as a worker sends them (see the module's docstring)."""
    out: list[Any] = []
    append = out.append
    for o in outcomes:
        if isinstance(o, Kept) and o.rendered is not None and o.rendered.rejection is None:
            r, record = o.rendered, o.record
            blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
            append(
                (record.id, blob, o.key, r.side, r.line, r.key, r.point, r.length, r.changes, r.tokens, r.uses_tools)
            )
        elif isinstance(o, Rejection):
            append(RejectedLine(o.stage, o.reason, dumps(o.to_dict())))
        else:
            append(o)
    return out


def unpack(packed: list[Any]) -> list[Outcome]:
    """The outcomes :func:`pack` packed, for the sink."""
    out: list[Outcome] = []
    append = out.append
    for o in packed:
        if o.__class__ is tuple:
            rid, blob, key, side, line, gkey, point, length, changes, tokens, tools = o
            rendered = Rendered(side, line, gkey, point, length, changes, None, tokens, tools)
            append(Kept(PackedRecord(rid, blob), key, rendered))
        else:
            append(o)
    return out
