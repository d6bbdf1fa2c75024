"""Plain text and Markdown: one record per file, per blank-line paragraph, or per chunk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import curate
from curate.importing import Importer, InputFile, Problem, is_probably_binary, open_text
from curate.records import Record

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class TextOptions:
    split: Literal["file", "paragraph", "length"] = field(
        default="file", metadata={"help": "one record per file, per blank-line paragraph, or per max_chars chunk"}
    )
    max_chars: int = field(default=4000, metadata={"help": "chunk size for split='length' (cut at paragraph or line ends)"})
    min_chars: int = field(default=1, metadata={"help": "skip pieces shorter than this (reported as problems)"})


class TextImporter(Importer[TextOptions]):
    name = "text"
    suffixes = (".txt", ".md", ".markdown", ".rst")
    Options = TextOptions
    description = "Plain text and Markdown files: one record per file, paragraph or chunk."

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        head = file.head()
        if is_probably_binary(head):
            yield Problem(None, "binary content, not text")
            return
        stream, _, warning = open_text(file)
        if warning:
            yield Problem(None, warning)
        with stream:
            content = stream.read()
        if self.options.split == "file":
            pieces = [(content, "file")]
        elif self.options.split == "paragraph":
            pieces = _paragraphs(content)
        else:
            pieces = _chunks(content, self.options.max_chars)
        for text, locator in pieces:
            if len(text.strip()) < self.options.min_chars:
                if text.strip():
                    yield Problem(locator, f"shorter than min_chars={self.options.min_chars}", raw=text)
                continue
            yield Record.create(file.source(self.name, locator), text=text.strip())


def _paragraphs(content: str) -> list[tuple[str, str]]:
    out = []
    line = 1
    pos = 0
    for match in _PARAGRAPH_BREAK.finditer(content):
        out.append((content[pos : match.start()], f"line {line}"))
        line += content.count("\n", pos, match.end())
        pos = match.end()
    out.append((content[pos:], f"line {line}"))
    return out


def _chunks(content: str, max_chars: int) -> list[tuple[str, str]]:
    """Cut at the last paragraph break, else line break, else space, before ``max_chars``."""
    out = []
    pos = 0
    n = 0
    while pos < len(content):
        end = min(len(content), pos + max_chars)
        if end < len(content):
            window = content[pos:end]
            cut = max(window.rfind("\n\n"), -1)
            if cut <= 0:
                cut = window.rfind("\n")
            if cut <= 0:
                cut = window.rfind(" ")
            if cut > 0:
                end = pos + cut
        n += 1
        out.append((content[pos:end], f"chunk {n}"))
        pos = end
    return out


@curate.hookimpl
def register_importers(register):  # type: ignore[no-untyped-def]
    register(TextImporter)
