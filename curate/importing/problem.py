"""What an importer yields for input it cannot turn into a record: :class:`Problem`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """Input an importer could not turn into a record, and where it was.

    ``raw`` holds the offending content when there is some (a malformed row, a bad
    line): the build then writes it to ``rejects.jsonl`` so that nothing is lost.
    ``warning`` marks something worth saying that lost nothing (a guessed encoding):
    it is listed under ``warnings`` in the manifest and does not fail a strict build.
    """

    locator: str | None
    message: str
    raw: str | None = None
    warning: bool = False
