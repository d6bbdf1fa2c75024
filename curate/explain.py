"""``curate explain``: why a record was dropped or changed, from a build's ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.errors import ConfigError
from curate.ledger import iter_jsonl


def find_record(output: Path, record_id: str) -> tuple[str, dict[str, Any]] | None:
    """``("rejected", entry)`` or ``("changed", entry)`` for ``record_id``, or ``None``."""
    for kind, name in (("rejected", "rejects.jsonl"), ("changed", "changes.jsonl")):
        path = output / name
        if not path.exists():
            continue
        for entry in iter_jsonl(path):
            if entry.get("id") == record_id:
                return kind, entry
    return None


def explain_record(output: Path, record_id: str) -> str:
    """A readable account of what the build in ``output`` did to ``record_id``."""
    if not (output / "manifest.json").exists():
        raise ConfigError(f"{output} holds no curate build (no manifest.json)")
    found = find_record(output, record_id)
    if found is None:
        return (
            f"{record_id}: not in rejects.jsonl or changes.jsonl, so it was kept unchanged "
            "(in train.jsonl or val.jsonl), or the id is not from this build"
        )
    kind, entry = found
    src = entry["source"]
    lines = [f"record {record_id} from {src['path']}:{src['locator']} (importer {src['plugin']})"]
    if kind == "rejected":
        lines.append(f"dropped by stage {entry['stage']!r}, reason {entry['reason']!r}")
        for key, value in (entry.get("details") or {}).items():
            lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
        content = {k: entry[k] for k in ("text", "input", "output", "messages") if k in entry}
        lines.append("content: " + _excerpt(json.dumps(content, ensure_ascii=False)))
    else:
        lines.append(f"kept in {entry['side']}, with changes:")
        for change in entry["changes"]:
            lines.append("  - " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in change.items()))
    return "\n".join(lines)


def _excerpt(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"
