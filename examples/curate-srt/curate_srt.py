"""A curate source plugin for SubRip subtitles (``.srt``).

Each file becomes one text record (the dialogue, one cue per line), or, with
``pairs = true``, one input/output record per pair of consecutive cues, which makes
dialogue turns for conversational fine-tuning. Malformed cues are reported with their
line number and kept in the ledger, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from curate.plugin_api import Importer, InputFile, Problem, Record, hookimpl, open_text

_TIMING = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_TAGS = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


@dataclass(frozen=True)
class SrtOptions:
    pairs: bool = field(default=False, metadata={"help": "one input/output record per pair of consecutive cues"})


@dataclass
class Cue:
    line: int
    text: str


class SrtImporter(Importer[SrtOptions]):
    """SubRip subtitles: one record per file, or dialogue pairs."""

    name = "srt"
    suffixes = (".srt",)
    Options = SrtOptions
    description = "SubRip subtitles: the dialogue of a file, or pairs of consecutive cues."

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        text = head[:200].decode("utf-8", "ignore").lstrip("\ufeff").lstrip()
        lines = text.splitlines()
        return len(lines) >= 2 and lines[0].strip().isdigit() and bool(_TIMING.match(lines[1].strip()))

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        stream, _, warning = open_text(file)
        if warning:
            yield Problem(None, warning, warning=True)
        cues: list[Cue] = []
        with stream:
            for cue in _cues(stream):
                if isinstance(cue, Problem):
                    yield cue
                else:
                    cues.append(cue)
        if not cues:
            yield Problem(None, "no subtitle cues found")
            return
        if self.options.pairs:
            for a, b in pairwise(cues):
                yield Record.create(file.source(self.name, f"line {a.line}"), input=a.text, output=b.text)
        else:
            text = "\n".join(c.text for c in cues)
            yield Record.create(file.source(self.name, "file"), text=text, meta={"cues": len(cues)})


def _cues(stream) -> Iterator[Cue | Problem]:  # type: ignore[no-untyped-def]
    block: list[tuple[int, str]] = []
    for n, raw in enumerate([*stream, ""], 1):
        line = raw.rstrip("\n").strip()
        if line:
            block.append((n, line))
            continue
        if not block:
            continue
        start = block[0][0]
        lines = [text for _, text in block]
        if lines[0].isdigit():
            lines = lines[1:]
        if not lines or not _TIMING.match(lines[0]):
            yield Problem(
                f"line {start}",
                "cue without a timing line (HH:MM:SS,mmm --> HH:MM:SS,mmm)",
                raw="\n".join(t for _, t in block),
            )
        else:
            text = " ".join(_TAGS.sub("", t) for t in lines[1:]).strip()
            if text:
                yield Cue(start, text)
        block = []


@hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(SrtImporter)
