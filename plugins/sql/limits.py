"""The sizes that bound the SQL importer's memory and look-ahead.

Read as ``limits.NAME`` where they are used, so that one assignment here (a test that wants
small windows) changes them everywhere.
"""

from __future__ import annotations

#: Characters read from the stream at a time.
CHUNK = 1 << 18
#: How far ahead an ``INSERT`` is searched for its ``VALUES`` keyword.
HEADER_MAX = 1 << 16
#: How far an open string may run past a statement start in it and still be cut there if it never closes.
HOLD_MAX = 1 << 26
#: How far ``CREATE ... TRIGGER/FUNCTION/PROCEDURE`` is looked for.
ROUTINE_PEEK = 1000
