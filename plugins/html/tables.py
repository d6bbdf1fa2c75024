"""HTML tables as text: a data table as a Markdown table (or ``key: value`` lines), a layout table not at all.

:func:`is_data_table` tells a table of data from one used for layout (whose cells the writer then
writes as blocks of their own); :func:`table_text` writes a data table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import HEADINGS, Element, int_attribute, join_pieces, line_pieces, text_of

_MAX_COLUMNS = 1000  # HTML's own limit on colspan
_MAX_ROWSPAN = 65534  # and on rowspan
_CELL_TAGS = ("td", "th")


def is_data_table(table: Element) -> bool:
    """A table of data, not one used for layout.

    Layout: ``role=presentation``, a table inside it, a heading in a cell, a single column, or a
    single row without header cells (a picture beside its text, two columns of a page).
    """
    if (table.get("role") or "").strip().lower() in ("presentation", "none"):
        return False
    if next(table.iterdescendants("table", *HEADINGS), None) is not None:
        return False
    rows = [[c for c in tr if c.tag in _CELL_TAGS] for tr in table.iter("tr")]
    if max((len(cells) for cells in rows), default=0) < 2:
        return False
    return len(rows) > 1 or any(c.tag == "th" for c in rows[0])


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    header: bool
    bold: bool = False  # all its text in <b>/<strong>: a header row of a table written without <th>
    from_left: bool = False  # the columns a colspan covers after its first
    from_above: bool = False  # the rows a rowspan covers after its first


def table_text(table: Element) -> str:
    """A data table as a Markdown table; a key–value table (an infobox) as ``key: value`` lines.

    The header is the ``thead`` rows, else the leading rows of ``th`` cells (several header rows
    make one, their texts joined per column), else the first row. A colspan writes its text in the
    first column it covers (in the header, in each, so that a group header names every column it
    spans); a rowspan repeats its text in each row it covers, so that every row reads whole. Empty
    rows, and columns that no cell starts in, are left out; ``|`` in a cell is escaped; a cell's
    paragraphs and lines are joined on one line.

    >>> import lxml.etree
    >>> t = lxml.etree.fromstring("<table><tr><th>Code</th><th>Type</th></tr><tr><td>b</td><td>char</td></tr></table>")
    >>> print(table_text(t))
    | Code | Type |
    | --- | --- |
    | b | char |
    """
    lines = []
    caption = table.find("caption")
    if caption is not None:
        text = _cell_text(caption)
        if text:
            lines.append(text)
    grid, head_rows = _grid(table)
    keyed = _key_value_lines(grid) if not head_rows else None
    if keyed is not None:
        lines.extend(keyed)
    elif grid:
        lines.extend(_markdown(grid, head_rows))
    return "\n".join(lines)


def _grid(table: Element) -> tuple[list[list[_Cell]], int]:
    """The table's cells on a grid (spans filled in, empty rows and columns left out), and how many
    leading rows are in a ``thead``."""
    rows: dict[int, dict[int, _Cell]] = {}
    in_head: list[bool] = []
    below: dict[int, tuple[_Cell, int]] = {}  # column -> (cell spanning down, rows left)
    r = 0
    text_seen = False  # bold cells only matter in the first row with text
    for tr in table.iter("tr"):
        head = _in_thead(tr, table)
        row: dict[int, _Cell] = {}
        for col, (cell, left) in list(below.items()):
            row[col] = cell
            if left > 1:
                below[col] = (cell, left - 1)
            else:
                del below[col]
        col = 0
        for td in tr:
            if td.tag not in _CELL_TAGS:
                continue
            while col in row:
                col += 1
            if col >= _MAX_COLUMNS:
                break
            text = _cell_text(td)
            header = head or td.tag == "th"
            bold = not header and not text_seen and bool(text) and _all_bold(td)
            span = min(max(int_attribute(td.get("colspan"), 1), 1), _MAX_COLUMNS - col)
            down = int_attribute(td.get("rowspan"), 1)
            down = _MAX_ROWSPAN if down == 0 else min(max(down, 1), _MAX_ROWSPAN)  # 0: to the end of the table
            for k in range(span):
                if col + k in row:
                    break  # a rowspan from above is there already: the overlap goes to the earlier cell
                row[col + k] = _Cell(text, header, bold, from_left=k > 0)
                if down > 1:
                    below[col + k] = (_Cell(text, header, bold, from_left=k > 0, from_above=True), down - 1)
            col += span
        rows[r] = row
        in_head.append(head)
        text_seen = text_seen or any(cell.text for cell in row.values())
        r += 1
    # A column is kept when a cell with text starts in it (not one a colspan only runs through).
    columns = sorted({c for row in rows.values() for c, cell in row.items() if cell.text and not cell.from_left})
    empty = _Cell("", False)
    grid: list[list[_Cell]] = []
    head_rows = 0
    for i in range(r):
        row = rows[i]
        cells = [row.get(c, empty) for c in columns]
        if any(cell.text and not cell.from_above for cell in cells) or (any(c.text for c in cells) and not grid):
            grid.append(cells)
            if in_head[i] and head_rows == len(grid) - 1:
                head_rows += 1
    return grid, head_rows


def _in_thead(tr: Element, table: Element) -> bool:
    parent = tr.getparent()
    return parent is not None and parent is not table and parent.tag == "thead"


def _all_bold(cell: Element) -> bool:
    """Is all of the cell's text inside ``<b>`` or ``<strong>``?"""
    bold = [b for b in cell.iter("b", "strong") if b.getparent() is None or b.getparent().tag not in ("b", "strong")]
    if not bold:
        return False
    return "".join(text_of(cell).split()) == "".join("".join(text_of(b).split()) for b in bold)


def _cell_text(cell: Element) -> str:
    """A cell's text on one line: its paragraphs, list items and lines joined (see :func:`join_pieces`)."""
    if not len(cell):
        return " ".join((cell.text or "").split())
    return join_pieces(line_pieces(cell))


def _key_value_lines(grid: list[list[_Cell]]) -> list[str] | None:
    """``key: value`` lines when every row is a header cell and one data cell (or one cell across), else None."""
    lines = []
    pairs = 0
    for row in grid:
        cells = [c for c in row if c.text and not c.from_left]
        if len(cells) == 2 and cells[0].header and not cells[1].header:
            key = cells[0].text
            lines.append(f"{key} {cells[1].text}" if key.endswith(":") else f"{key}: {cells[1].text}")
            pairs += 1
        elif len(cells) == 1:
            lines.append(cells[0].text)
        else:
            return None
    return lines if pairs >= 2 else None


def _markdown(grid: list[list[_Cell]], head_rows: int) -> list[str]:
    if not head_rows:
        for row in grid[:-1]:  # leading rows of header cells (the last row is never all header)
            if not all(c.header or not c.text for c in row):
                break
            head_rows += 1
    if not head_rows and len(grid) > 1 and all(c.bold or not c.text for c in grid[0]):
        head_rows = 1  # <td><b>Class</b></td>...: a header row in the style of the 1990s
    header: list[str] = []  # no header at all: an empty one, as pandoc writes it
    for col in range(len(grid[0])):
        names: list[str] = []
        for row in grid[:head_rows]:
            text = row[col].text
            if text and (not names or names[-1] != text):
                names.append(text)
        header.append(" ".join(names))
    lines = [_row_line(header), _row_line(["---"] * len(header))]
    for row in grid[head_rows:]:
        lines.append(_row_line(["" if c.from_left else c.text for c in row]))
    return lines


def _row_line(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
