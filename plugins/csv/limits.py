"""The sizes that bound the CSV importer's memory.

Read as ``limits.NAME`` where they are used, so that one assignment here (a test that wants
small blocks or a low field limit) changes them everywhere.
"""

from __future__ import annotations

#: The csv module refuses longer fields (its default, 128 KiB, is too small for documents).
MAX_FIELD_CHARS = 1 << 24
#: Characters decoded at a time; blocks are cut at the last line end.
BLOCK_CHARS = 1 << 16
#: The most of a rejected over-long row kept as its raw text (the start of it goes to the rejects).
RAW_KEEP = 1 << 20
