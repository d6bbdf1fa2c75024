"""JSON and JSON Lines: one record per line, per array item, or per object.

The layout is decided from the content, the suffix only breaking ties:

* **JSON Lines** (``.jsonl``, ``.ndjson``, ``.jsonlines``, and any file holding one object per line):
  one record per line, locator ``line N``. Blank lines are skipped; a line that is not JSON, not an
  object or not a known shape is a :class:`Problem` carrying the line, and reading carries on.
* **A top-level array** (``[{...}, {...}]``): streamed item by item with bounded memory, locator ``item N``.
* **One top-level object**: a record itself, or a holder of one list of records (``{"data": [...]}``,
  loaded whole, so keep such files small or convert them with ``jq -c '.data[]'``). Several
  pretty-printed objects one after another (``jq`` output) are read in turn as items.

Large JSON Lines files can be cut into shards read in parallel (:meth:`JsonImporter.shards`, used by
the Ray engine): uncompressed files with LF or CRLF line ends, in UTF-8 or cp1252, are cut just after
line ends; arrays, objects, CR-only line ends, UTF-16/32 and compressed files are read whole.

A damaged array or object stream yields every record before the damage and a problem that names the
item, line and column where reading stopped. Each object's shape is detected on its own
(:func:`curate.formats.detect_row_format`) unless the ``format`` option forces one, or column options
map other key names (``a.b`` reaches into nested objects); keys that are not content go to
``meta["fields"]`` (small scalars only).

Tool calling is content and is kept (:mod:`curate.toolcalls`): OpenAI's ``tool_calls`` (and the
legacy ``function_call``), tool results with ``tool_call_id`` and ``name``, the ``tools`` list (a
list, or JSON text as LLaMA-Factory writes it), ShareGPT's ``function_call`` and ``observation``
turns. Other keys on turns (OpenAI's ``weight``, say) are named in ``meta["turn_keys_dropped"]``;
a row that offers tools without a conversation to use them in is a problem, not a silent loss.

The modules, one concept each: :mod:`.layout` (which layout a file has), :mod:`.scanner`
(the window from which values are parsed one at a time), :mod:`.lines` (JSON Lines),
:mod:`.values` (arrays, objects one after another, one document holding a list),
:mod:`.records` (objects to records: shapes, mapping, guesses), :mod:`.keys` (reading keys
and paths), :mod:`.problems` (what goes wrong and how it is said), :mod:`.options`
(:class:`JsonOptions`) and :mod:`.importer` (:class:`JsonImporter`); :mod:`.limits` holds
the sizes.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl

from .importer import JsonImporter
from .layout import JSONL_SUFFIXES
from .options import JsonOptions

__all__ = ["JSONL_SUFFIXES", "JsonImporter", "JsonOptions", "register_importers"]


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    """Register :class:`JsonImporter` (this package is the plugin of entry point ``json``)."""
    register(JsonImporter)
