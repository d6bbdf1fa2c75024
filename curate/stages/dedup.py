"""Exact deduplication on normalised content.

The first record with a given content, in the build's deterministic order (sources in
the order given, directories walked sorted, records in file order), survives; every
later copy is rejected with ``duplicate_of`` naming the survivor's id.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from curate.keytable import KeyTable
from curate.records import Record
from curate.stages.base import Drop, Stage, Verdict
from curate.toolcalls import turn_text


def dedup_key(record: Record) -> int:
    """A 64-bit hash of the record's content, whitespace runs collapsed within each field.

    >>> from curate.records import Source
    >>> src = Source("t", "f", "l")
    >>> key = lambda i, o: dedup_key(Record.create(src, input=i, output=o))
    >>> key("a  b", "c") == key("a b", "c"), key("a b", "c") == key("a", "b c")
    (True, False)
    """
    if record.messages is not None:
        key = "\x1f".join(f"{t['role']}\x1e{collapse_spaces(turn_text(t))}" for t in record.messages)
    elif record.output is not None:
        key = f"{collapse_spaces(record.input or '')}\x1f{collapse_spaces(record.output)}"
    else:
        key = collapse_spaces(record.text or "")
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def collapse_spaces(text: str) -> str:
    """``" ".join(text.split())``: every whitespace run one space, none at the ends.

    Normalised text has paragraphs (``\\n\\n``), lines and single spaces: those are mapped
    with two replaces, and the result is checked to hold no run nor other whitespace
    (``isprintable`` is false for every whitespace character but the space), which is
    three times faster than splitting into words; anything else is split and joined.

    >>> collapse_spaces("a b\\n\\nc\\nd"), collapse_spaces(" a \\n\\n\\n b\\t")
    ('a b c d', 'a b')
    """
    flat = text.replace("\n\n", " ").replace("\n", " ")
    if flat.isprintable() and "  " not in flat and flat[:1] != " " and flat[-1:] != " ":
        return flat
    return " ".join(text.split())


class ExactDedup(Stage):
    """The ``exact_dedup`` stage, a keyed stage (see :class:`~curate.stages.base.KeyedStage`).

    Holds one 64-bit key and the survivor's id per unique record (20 to 40 bytes in a
    :class:`~curate.keytable.KeyTable`), so memory does not grow with the text. Stateful across batches:
    engines compute :meth:`key` anywhere and call :meth:`admit` in input order, in one place.
    """

    name = "exact_dedup"
    keyed = True

    def __init__(self) -> None:
        self.seen = KeyTable()

    def key(self, record: Record) -> int:
        """:func:`dedup_key`."""
        return dedup_key(record)

    def admit(self, record: Record, key: int) -> Verdict:
        """Keep the first record of ``key``; a later one is a duplicate of it."""
        survivor = self.seen.setdefault(key, int(record.id, 16))
        return None if survivor is None else Drop("duplicate", {"duplicate_of": f"{survivor:016x}"})

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        return self.admit(record, dedup_key(record))
