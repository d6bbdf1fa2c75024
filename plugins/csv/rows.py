"""Rows to records: the csv reader's loop over a file, with every row kept or a problem.

The hot loop of the importer: keep per-row work small (see the speed note in
:mod:`curate.plugins.csv`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from curate.plugin_api import InputFile, Problem, Record, Source

from .columns import Mapping, column_names, resolve
from .long_rows import skip_long_row
from .options import CsvOptions
from .text import Text, lines_list


def read_rows(opts: CsvOptions, plugin: str, file: InputFile, text: Text, delimiter: str) -> Iterator[Record | Problem]:
    """The records of ``text``'s rows, read with ``delimiter``, and a problem for each row that gives none."""
    comment = opts.comment
    lines = text.lines()
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    skipped = 0  # lines taken past the reader: the rest of a row with an over-long field
    columns: list[str] | None = None
    mapping: Mapping | None = None
    width = number = end = 0  # end: the line the last row ended on
    comments: list[tuple[int, str]] = []
    path = file.display
    make: Callable[[list[str], Source], Record | str] = _no_mapping
    stopped = False  # by a Problem that ends the file
    while True:
        try:
            for fields in reader:
                start = end + 1
                end = text.done = reader.line_num + skipped
                if text.exhausted:  # the reader ran out of file inside a quoted field
                    where = f"row {number + 1} (line {start})" if mapping is not None else None
                    what = f"row {number + 1}" if mapping is not None else "the first row"
                    yield Problem(where, f"{what} {_UNCLOSED}", raw=text.raw(start, end))
                    stopped = True
                    break
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line
                if comment is not None and fields[0].startswith(comment):
                    raw = text.raw(start, end)
                    if raw.startswith(comment):
                        if start != end:
                            yield Problem(f"line {start}", _SWALLOWED.format(comment=comment), raw=raw)
                        elif mapping is not None:
                            comments.append((start, raw))
                        continue
                if mapping is None:
                    columns = column_names(fields) if opts.header else [str(i + 1) for i in range(len(fields))]
                    resolved = resolve(opts, columns)
                    if isinstance(resolved, str):
                        yield Problem(None, resolved)
                        return
                    mapping, width, make = resolved, len(columns), resolved.record
                    if opts.header:
                        continue
                number += 1
                locator = f"row {number} (line {start})"
                if len(fields) != width:
                    if len(fields) < width or any(fields[width:]):
                        message = _count_message(number, len(fields), width, opts.header)
                        yield Problem(locator, message, raw=text.raw(start, end))
                        continue
                    fields = fields[:width]  # only extra empty fields (a trailing delimiter): nothing is lost
                made = make(fields, Source(plugin, path, locator))
                if isinstance(made, str):
                    yield Problem(locator, f"row {number}: {made}", raw=text.raw(start, end))
                else:
                    yield made
            break
        except csv.Error as exc:
            start = end + 1
            end = reader.line_num + skipped
            if "field limit" in str(exc):
                long = skip_long_row(text, lines, start, end, delimiter)
                skipped += long.end - end
                end = text.done = long.end
                if mapping is None and opts.header:  # no column names: nothing after can be read
                    yield Problem(f"line {start}", long.message("the header row", None), raw=long.raw)
                    stopped = True
                    break
                number += 1
                what = f"row {number}"
                yield Problem(f"{what} (line {start})", long.message(what, columns), raw=long.raw)
                if not long.closed:
                    stopped = True
                    break
                continue
            text.done = end
            raw = text.raw(start, end)
            yield Problem(f"line {start}", f"cannot parse the row on line {start} ({exc}): fix its quoting", raw=raw)
    if mapping is None and number == 0 and not stopped and text.error is None:
        yield Problem(None, "empty file: only blank or comment lines", warning=True)
    elif number == 0 and opts.header and not stopped and text.error is None:
        yield Problem(None, "header only: the file has no data rows", warning=True)
    yield from text.summary()
    if comments:
        yield Problem(
            f"line {comments[0][0]}",
            f"skipped {len(comments)} comment line(s) starting with {comment!r} among the rows "
            f"({lines_list([n for n, _ in comments])}); set comment to None if they are data",
            raw="".join(raw for _, raw in comments),
        )


def _no_mapping(fields: list[str], source: Source) -> str:  # pragma: no cover - replaced by the header's mapping
    raise AssertionError("a row before the mapping")


_UNCLOSED = (
    "opens a quoted field that never closes: the file ends inside it (a truncated file, or a stray '\"'); "
    "the row is not imported"
)
_SWALLOWED = (
    "a comment line starting with {comment!r} opens a quote that runs over the next lines; "
    "they are not imported: fix the quote or set comment to None"
)


def _count_message(number: int, got: int, width: int, header: bool) -> str:
    what = "too many" if got > width else "too few"
    expected = f"the header has {width}" if header else f"the first row has {width}"
    return (
        f"row {number} has {what} fields ({got}; {expected}): quote fields that contain the delimiter "
        "or line breaks, or check for a missing value"
    )
