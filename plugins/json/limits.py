"""The sizes that bound the JSON importer's memory and what a record or a problem carries.

Read as ``limits.NAME`` where they are used, so that one assignment here (a test that wants
small windows or a low value limit) changes them everywhere.
"""

from __future__ import annotations

#: Characters read at a time in streaming modes.
CHUNK = 1 << 16
#: Characters looked at to decide the layout.
SNIFF_CHARS = 1 << 20
#: The largest line / item / document read into memory.
MAX_VALUE_CHARS = 64 << 20
#: The most text a Problem carries from a damaged region.
RAW_LIMIT = 1 << 20
#: Extra scalar keys kept in ``meta["fields"]``.
MAX_FIELDS = 16
#: The longest key kept in ``meta["fields"]``.
MAX_KEY_CHARS = 64
