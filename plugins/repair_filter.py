"""The ``repair`` filter: mojibake, broken Unicode, HTML entities, stray markup, whitespace.

It never rejects a record: it fixes text and counts each kind of repair (the manifest
shows them under the filter's name), and notes what it did in ``meta["curate"]``.

* ``mojibake``: text decoded with the wrong codec ("donâ€™t", "cafÃ©") and other broken
  Unicode (lone surrogates, terminal escapes, C1 controls), fixed by ftfy. Curly quotes
  stay curly unless ``straighten_quotes`` is set.
* ``html_entities``: entities left in the text, often double-escaped in CSV exports
  ("&amp;#039;" becomes "&#039;" after the normalise stage, then "'").
* ``markup``: stray HTML tags in prose (``<br>``, ``<p>``, ``<b>``...). Code, and text that
  talks about HTML, are left alone.
* ``whitespace``: runs of spaces inside lines of prose (indentation, code and tables
  are left alone).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import ftfy

from curate.plugin_api import Filter, Record, Verdict, hookimpl
from curate.plugins.text_stats import code_spans

KINDS = ("mojibake", "control_chars", "surrogates", "line_breaks", "quotes", "html_entities", "markup", "whitespace")


@dataclass(frozen=True)
class RepairOptions:
    mojibake: bool = field(
        default=True, metadata={"help": "fix mojibake and broken Unicode with ftfy ('donâ€™t' becomes 'don’t')"}
    )
    straighten_quotes: bool = field(
        default=False, metadata={"help": "make curly quotes straight in repaired texts (ftfy's uncurl_quotes)"}
    )
    html_entities: bool = field(default=True, metadata={"help": "decode HTML entities left in the text ('&#039;')"})
    markup: bool = field(default=True, metadata={"help": "remove stray HTML tags from prose (not from code)"})
    whitespace: bool = field(default=True, metadata={"help": "collapse runs of spaces inside lines of prose"})
    fields: Literal["all", "model"] = field(default="all", metadata={"help": "repair every field, or the model's side"})
    note_in_meta: bool = field(default=True, metadata={"help": "list the repairs made in the record's meta['curate']"})


#: What ftfy's explanation steps are counted as.
_STEP_KIND = {
    "remove_terminal_escapes": "control_chars",
    "remove_control_chars": "control_chars",
    "fix_c1_controls": "control_chars",
    "fix_surrogates": "surrogates",
    "fix_line_breaks": "line_breaks",
    "uncurl_quotes": "quotes",
    "unescape_html": "html_entities",
}

#: Signs of mojibake and broken Unicode, to spare ftfy (costly) on clean text: a UTF-8 lead
#: byte read as Latin-1 (Â..ï) followed by a continuation byte read as Latin-1 or cp1252,
#: replacement characters, lone surrogates, terminal escapes, C1 controls, odd line breaks.
_SUSPECT = re.compile(
    "[\u00c2-\u00ef][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
    "|[\x1b\x80-\x9f\ud800-\udfff\u2028\u2029\ufffd]"
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(
    r"</?(?:p|br|div|span|b|i|u|em|strong|font|a|li|ul|ol|h[1-6]|hr|center|small|big|sup|sub|td|tr|th|table|tbody"
    r"|thead|blockquote|section|article|header|footer|nav|img)\b[^<>]{0,300}?/?>",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(
    r"^</?(?:p|br|div|li|ul|ol|h[1-6]|hr|tr|table|tbody|thead|blockquote|section|article|header"
    r"|footer|nav|center)\b",
    re.IGNORECASE,
)
_ABOUT_HTML = re.compile(r"\bhtml\b|\btags?\b|\belements?\b|\bmarkup\b|<!doctype", re.IGNORECASE)
_SPACE_RUN = re.compile(r"(?<=\S) {2,}(?=\S)")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")


class RepairFilter(Filter):
    """Repairs text in place; counts each kind of repair; never rejects."""

    name = "repair"
    Options = RepairOptions
    description = "fixes mojibake and broken Unicode (ftfy), leftover HTML entities and tags, runs of spaces"
    default = True
    order: ClassVar[int] = -10  # before normalise: ftfy needs the C1 characters that mojibake leaves

    def __init__(self, options: RepairOptions) -> None:
        super().__init__(options)
        self.ftfy_config = ftfy.TextFixerConfig(
            unescape_html=False,  # done here, outside code
            uncurl_quotes=options.straighten_quotes,
            fix_character_width=False,  # full-width forms are right in CJK text
            fix_latin_ligatures=False,
            normalization="NFC",
            explain=True,
        )

    def check(self, record: Record, counts: Counter[str]) -> Verdict:
        kinds = self.repair_record(record)
        if kinds:
            counts["records_repaired"] += 1
            counts.update(f"repaired:{kind}" for kind in kinds)
        return None

    def repair_record(self, record: Record) -> list[str]:
        """Repair ``record`` in place; the kinds of repair made, in a fixed order."""
        found: set[str] = set()
        if record.messages is not None:
            turns = []
            for t in record.messages:
                if self.options.fields == "all" or t["role"] == "assistant":
                    turns.append({**t, "content": self.repair(t["content"], found)})
                else:
                    turns.append(t)
            record.messages = turns
        elif record.output is not None:
            record.output = self.repair(record.output, found)
            if self.options.fields == "all":
                record.input = self.repair(record.input or "", found)
        else:
            record.text = self.repair(record.text or "", found)
        kinds = [k for k in KINDS if k in found]
        if kinds and self.options.note_in_meta:
            record.meta.setdefault("curate", []).append({"filter": self.name, "action": "repair", "kinds": kinds})
        return kinds

    def repair(self, text: str, found: set[str] | None = None) -> str:
        """``text`` repaired; the kinds of repair made are added to ``found``.

        >>> found = set()
        >>> RepairFilter.from_options({}).repair("donâ€™t &amp;#039;panic&#039; <br>now", found)
        "don’t 'panic' <br>now"
        >>> sorted(found)
        ['html_entities', 'mojibake']
        """
        found = set() if found is None else found
        o = self.options
        if not text:
            return text
        if o.mojibake and not text.isascii() and _SUSPECT.search(text):
            fixed = ftfy.fix_and_explain(text, self.ftfy_config)
            if fixed.text != text:
                for step in fixed.explanation or ():
                    if step[0] in ("encode", "decode", "transcode") or step[1] in (
                        "restore_byte_a0",
                        "replace_lossy_sequences",
                        "decode_inconsistent_utf8",
                    ):
                        found.add("mojibake")
                    elif step[1] in _STEP_KIND:
                        found.add(_STEP_KIND[step[1]])
                text = fixed.text
        elif o.mojibake and "\x1b" in text:
            fixed = ftfy.fix_and_explain(text, self.ftfy_config)
            if fixed.text != text:
                found.add("control_chars")
                text = fixed.text
        if o.html_entities and "&" in text and _ENTITY.search(text):
            new = _outside_code(text, _unescape)
            if new != text:
                found.add("html_entities")
                text = new
        if o.markup and "<" in text:
            new = _strip_markup(text)
            if new != text:
                found.add("markup")
                text = new
        if o.whitespace and "  " in text:
            new = _collapse_spaces(text)
            if new != text:
                found.add("whitespace")
                text = new
        return text


def _unescape(piece: str) -> str:
    for _ in range(2):  # "&amp;#039;" is escaped twice
        if not _ENTITY.search(piece):
            break
        piece = html.unescape(piece)
    return piece


def _outside_code(text: str, fix: object) -> str:
    """``fix`` applied to the parts of ``text`` outside Markdown code."""
    spans = code_spans(text)
    if not spans:
        return fix(text)  # type: ignore[operator,no-any-return]
    out = []
    pos = 0
    for start, end in spans:
        out.append(fix(text[pos:start]))  # type: ignore[operator]
        out.append(text[start:end])
        pos = end
    out.append(fix(text[pos:]))  # type: ignore[operator]
    return "".join(out)


def _strip_markup(text: str) -> str:
    """Stray tags removed from prose: block tags become line breaks, inline tags go."""
    prose = "".join(text[a:b] for a, b in _prose_spans(text))
    tags = _TAG.findall(prose)
    if len(tags) < 2 or _ABOUT_HTML.search(_TAG.sub(" ", prose)):
        return text  # one tag may be meant; text about HTML keeps its tags

    def fix(piece: str) -> str:
        piece = _TAG.sub(lambda m: "\n" if _BLOCK_TAG.match(m.group()) else "", piece)
        return _BLANK_RUNS.sub("\n\n", _TRAILING.sub("\n", piece))

    return _outside_code(text, fix).strip()


def _prose_spans(text: str) -> list[tuple[int, int]]:
    spans = code_spans(text)
    out = []
    pos = 0
    for start, end in spans:
        out.append((pos, start))
        pos = end
    out.append((pos, len(text)))
    return out


def _collapse_spaces(text: str) -> str:
    """Runs of spaces inside lines of prose become one; indented lines, tables and code are kept."""

    def fix(piece: str) -> str:
        lines = piece.split("\n")
        for i, line in enumerate(lines):
            if line.startswith(("    ", "\t")) or line.lstrip().startswith("|") or "  " not in line:
                continue
            indent = len(line) - len(line.lstrip(" "))
            lines[i] = line[:indent] + _SPACE_RUN.sub(" ", line[indent:])
        return "\n".join(lines)

    return _outside_code(text, fix)


@hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(RepairFilter)
