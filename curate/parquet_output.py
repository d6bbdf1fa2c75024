"""``--output-type parquet``: train and val as Parquet files (rejects stay JSON Lines).

The writers always produce JSON Lines; for Parquet each finished file is converted in two
streaming passes: the first infers one schema for the whole file (every row's keys and
nested shapes, unified: a key missing from some rows becomes a nullable column), the
second writes row groups of that schema. Memory holds one chunk of rows, not the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curate.errors import requires

#: Rows read, inferred and written at a time (one row group each).
CHUNK_ROWS = 16_384


def _chunks(path: Path, rows: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                chunk.append(json.loads(line))
                if len(chunk) >= rows:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def jsonl_to_parquet(src: Path, dst: Path, *, chunk_rows: int = CHUNK_ROWS) -> int:
    """Write the JSON Lines file ``src`` as the Parquet file ``dst``; returns the number of rows.

    An empty ``src`` gives a valid Parquet file with no rows and no columns.
    """
    pa = requires("pyarrow", extra="parquet", purpose="--output-type parquet")
    pq = requires("pyarrow.parquet", extra="parquet", purpose="--output-type parquet", package="pyarrow")
    # Infer through a struct array: every row's keys count (from_pylist would take the first row's).
    schemas = [pa.Table.from_struct_array(pa.array(chunk)).schema for chunk in _chunks(src, chunk_rows)]
    schema = pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema([])
    rows = 0
    with pq.ParquetWriter(dst, schema, compression="zstd") as writer:
        for chunk in _chunks(src, chunk_rows):
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            rows += len(chunk)
    return rows


def parquet_rows(path: Path) -> int:
    """The number of rows of a Parquet file, from its footer."""
    pq = requires("pyarrow.parquet", extra="parquet", purpose="reading Parquet", package="pyarrow")
    return int(pq.ParquetFile(path).metadata.num_rows)
