"""A top-level array, or top-level values one after another: streamed item by item."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from curate.plugin_api import DECOMPRESSION_ERRORS, InputFile, Problem, Record

from . import limits
from .keys import key_list
from .problems import Unfit, dump, json_error, read_failure, reason
from .records import SHAPES_HELP, RecordMaker
from .scanner import Scanner, TooLarge


def read_values(records: RecordMaker, file: InputFile, stream: IO[str], *, array: bool) -> Iterator[Record | Problem]:
    """A top-level array, or one or more top-level values one after another, parsed incrementally."""
    sc = Scanner(stream)
    n = 0
    try:
        if array:
            sc.peek()
            sc.pos += 1  # the '[' the layout saw
        while True:
            c = sc.peek()
            if array and c == "]" and n == 0:
                sc.pos += 1
                break
            if not c:
                if array:
                    yield Problem(
                        f"item {n + 1}",
                        f"the file ends inside the array after item {n} ({sc.where(sc.pos)}), "
                        f"before its closing ']': it is truncated; the {n} item(s) before were read",
                    )
                break
            n += 1
            locator = f"item {n}"
            sc.compact()
            start = sc.pos
            try:
                obj = sc.value()
            except TooLarge:
                yield Problem(
                    locator,
                    f"larger than {limits.MAX_VALUE_CHARS} characters ({sc.where(start)}); stopped reading here. "
                    "Convert the file to JSON Lines (jq -c '.[]' in.json > out.jsonl) and import that",
                    raw=sc.buf[start : start + limits.RAW_LIMIT],
                )
                return
            except (ValueError, RecursionError) as exc:
                yield _damage(sc, locator, start, exc, n - 1)
                return
            if not array and n == 1 and isinstance(obj, dict) and not sc.peek():
                yield from _document(records, file, obj, sc.buf[start : sc.pos])
                return
            yield records.emit(file, locator, obj, sc.buf[start : sc.pos], "item")
            c = sc.peek()
            if c == ",":
                sc.pos += 1
                if array and sc.peek() == "]":  # a trailing comma: harmless
                    sc.pos += 1
                    break
            elif array and c == "]":
                sc.pos += 1
                break
            elif array and c:
                yield Problem(
                    f"item {n + 1}",
                    f"expected ',' or ']' after item {n} at {sc.where(sc.pos)}, found {c!r}; "
                    f"the rest of the file was not read (the {n} item(s) before were)",
                    raw=sc.buf[sc.pos : sc.pos + limits.RAW_LIMIT],
                )
                return
        if array and sc.peek():
            yield Problem(
                f"line {sc.line(sc.pos)}",
                "unexpected content after the array's closing ']'; only whitespace may follow it. "
                "Is this several arrays in one file? Split them, or convert to JSON Lines",
                raw=sc.buf[sc.pos : sc.pos + limits.RAW_LIMIT],
            )
    except DECOMPRESSION_ERRORS as exc:
        yield read_failure(f"item {n + 1}" if n else None, exc, n)


def _damage(sc: Scanner, locator: str, start: int, exc: Exception, done: int) -> Problem:
    """The problem for an item that does not parse: where, why, and that reading stops here."""
    if isinstance(exc, json.JSONDecodeError):
        where = sc.where(exc.pos)
        cut = sc.eof and (exc.msg.startswith("Unterminated string") or not sc.buf[exc.pos :].strip())
        what = "the file ends inside this item: it is truncated" if cut else f"not valid JSON: {reason(exc)}"
    else:
        where = sc.where(start)
        what = json_error(exc)
    return Problem(
        locator,
        f"{what} ({where}); stopped reading here, the {done} item(s) before were read. "
        "Repair the file from this point (or convert it to JSON Lines so one bad record costs one line)",
        raw=sc.buf[start : start + limits.RAW_LIMIT] or None,
    )


def _document(records: RecordMaker, file: InputFile, obj: dict, raw: str) -> Iterator[Record | Problem]:
    """One top-level object: a record, or the holder of a list of records."""
    key = records.options.list_key
    if key is None and records.looks_like_record(obj):
        yield records.emit(file, "item 1", obj, raw, "object")
        return
    if key is None:
        lists = [k for k, v in obj.items() if isinstance(v, list)]
        if len(lists) != 1:
            keys = key_list(obj)
            detail = (
                f"it holds {len(lists)} lists ({', '.join(map(repr, lists[:8]))}): pass list_key to choose one"
                if lists
                else SHAPES_HELP
            )
            yield Problem("item 1", f"an object that is not a record (keys {keys}) nor holds one list; {detail}", raw)
            return
        key = lists[0]
    items = obj.get(key)
    if not isinstance(items, list):
        yield Problem("item 1", f"no list under key {key!r} (list_key); keys here: {key_list(obj)}", raw=raw)
        return
    for i, item in enumerate(items, 1):
        locator = f"item {i}"
        try:
            yield records.record(file, locator, item, "item")
        except Unfit as exc:
            yield Problem(locator, str(exc), raw=dump(item))
