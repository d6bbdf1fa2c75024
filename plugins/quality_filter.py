"""The ``quality`` filter: heuristics that reject broken, empty, repetitive or junk records.

Rules, each switched off by naming it in ``disable``:

``length``       too few characters or words on the model's side, too many in the record
``tokens``       the same in tokens, when a tokenizer is configured
``empty``        an answer with no letter or digit ("", "...", "-")
``echo``         an answer identical to its prompt (or an assistant turn to the user's)
``repetition``   duplicate lines and paragraphs, top n-gram and duplicate n-gram shares,
                 as in the Gopher rules (Rae et al. 2021), on answers of 50 words or more;
                 the defaults are looser than Gopher's, which reject 5% of ordinary
                 technical answers (measured on the standard library's docstrings)
``symbols``      too many hashtags or ellipses per word, or too many characters that are
                 neither letters, digits, spaces nor punctuation
``alpha``        too few words that contain a letter
``boilerplate``  lines of cookie, legal or navigation text: cut when few, the record
                 rejected when they make up most of it
``truncated``    an answer cut off mid-sentence (ending on "the", "and", a comma) or inside
                 an unclosed code block

Thresholds are conservative: ordinary answers, code, tables, lists and short replies
("4", "Paris.") pass. Code blocks are left out of the text-statistics rules.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import curate
from curate.errors import ConfigError, requires
from curate.plugins.text_stats import (
    duplicate_fractions,
    duplicate_ngram_fraction,
    normalised_words,
    paragraphs,
    top_ngram_fraction,
    unclosed_fence,
    without_code,
    word_count,
)
from curate.records import Record
from curate.stages.base import BatchResult, Filter, Rejection

RULES = ("length", "tokens", "empty", "echo", "repetition", "symbols", "alpha", "boilerplate", "truncated")


@dataclass(frozen=True)
class QualityOptions:
    fields: Literal["model", "all"] = field(
        default="model",
        metadata={
            "help": "text rules (repetition, symbols, alpha, boilerplate) look at the model's side or every field"
        },
    )
    min_chars: int = field(default=1, metadata={"help": "fewest characters on the model's side"})
    max_chars: int | None = field(default=200_000, metadata={"help": "most characters in the whole record"})
    min_words: int = field(default=0, metadata={"help": "fewest words on the model's side"})
    max_words: int | None = field(default=None, metadata={"help": "most words in the whole record"})
    tokenizer: str | None = field(
        default=None,
        metadata={"help": "tokenizer for token limits: a tokenizer.json file, a model directory, or a model name"},
    )
    min_tokens: int | None = field(default=None, metadata={"help": "fewest tokens on the model's side"})
    max_tokens: int | None = field(default=None, metadata={"help": "most tokens in the whole record"})
    repetition_min_words: int = field(
        default=50, metadata={"help": "repetition rules apply to texts of at least this many words"}
    )
    max_dup_line_frac: float = field(default=0.3, metadata={"help": "share of lines that repeat an earlier line"})
    max_dup_line_char_frac: float = field(default=0.3, metadata={"help": "share of characters in repeated lines"})
    max_dup_para_frac: float = field(default=0.3, metadata={"help": "share of paragraphs that repeat an earlier one"})
    max_dup_para_char_frac: float = field(default=0.3, metadata={"help": "share of characters in repeated paragraphs"})
    max_top_ngram_frac: list[float] = field(
        default_factory=lambda: [0.30, 0.30, 0.30],
        metadata={"help": "for n = 2, 3, 4: share of characters in the most common n-gram (Gopher: 0.20, 0.18, 0.16)"},
    )
    max_dup_ngram_frac: list[float] = field(
        default_factory=lambda: [0.50, 0.48, 0.46, 0.44, 0.42, 0.40],
        metadata={
            "help": "for n = 5..10: share of characters in n-grams that occur more than once "
            "(Gopher: 0.15 down to 0.10)"
        },
    )
    ratio_min_words: int = field(
        default=20, metadata={"help": "symbol and alpha rules apply to texts of at least this many words (code aside)"}
    )
    max_symbol_ratio: float = field(
        default=0.1, metadata={"help": "most hashtags ('#word') and ellipses ('...' inside a line) per word"}
    )
    max_odd_char_frac: float = field(
        default=0.3, metadata={"help": "most characters that are neither letters, digits, spaces nor punctuation"}
    )
    min_alpha_words: float = field(default=0.5, metadata={"help": "least share of words that contain a letter"})
    max_boilerplate_frac: float = field(
        default=0.5,
        metadata={
            "help": "reject when lines of cookie, legal or navigation text hold at least this share of the words"
        },
    )
    boilerplate: Literal["cut", "flag", "keep"] = field(
        default="cut", metadata={"help": "what to do with boilerplate lines below that share"}
    )
    disable: list[str] = field(default_factory=list, metadata={"help": f"rules to switch off: {', '.join(RULES)}"})

    def __post_init__(self) -> None:
        unknown = sorted(set(self.disable) - set(RULES))
        if unknown:
            raise ConfigError(
                f"filter 'quality': option 'disable' names unknown rule{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}",
                hint=f"rules: {', '.join(RULES)}",
            )
        if len(self.max_top_ngram_frac) != 3:
            raise ConfigError("filter 'quality': max_top_ngram_frac needs three values (n = 2, 3, 4)")
        if len(self.max_dup_ngram_frac) != 6:
            raise ConfigError("filter 'quality': max_dup_ngram_frac needs six values (n = 5 to 10)")
        if (self.min_tokens is not None or self.max_tokens is not None) and not self.tokenizer:
            raise ConfigError(
                "filter 'quality': min_tokens and max_tokens need a tokenizer",
                hint="set tokenizer = 'path/to/tokenizer.json' (or a model directory or name)",
            )


# -- boilerplate lines ------------------------------------------------------------------------

_BOILERPLATE = re.compile(
    "|".join(
        (
            r"\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b",
            r"\baccept (?:all )?cookies\b",
            r"\bcookie (?:policy|settings|preferences|consent|banner)\b",
            r"\bmanage (?:your )?cookies\b",
            r"\ball rights reserved\b",
            r"(?:©|\(c\)|\bcopyright\b)\s*(?:©\s*)?(?:19|20)\d\d",
            r"^\s*(?:privacy policy|terms of (?:use|service)|terms (?:and|&) conditions|cookie policy|imprint|impressum"
            r"|legal notice|sitemap|site map|contact us|about us|accessibility|careers|press|faq|help center)\s*$",
            r"\bskip to (?:main )?content\b",
            r"\bback to top\b",
            r"^\s*(?:home|menu|search|log ?in|sign ?in|sign ?up|register|subscribe|share|tweet|print|email this"
            r"|next|previous|prev|more|read more|load more|show more)\s*$",
            r"\byou are here\s*:",
            r"\b(?:share (?:this|on)|follow us on|like us on)\b.{0,40}\b(?:facebook|twitter|instagram|linkedin"
            r"|pinterest|whatsapp|youtube)\b",
            r"\b(?:subscribe|sign up) (?:to|for) (?:our|the) newsletter\b",
            r"\bclick here to\b",
            r"\b(?:please )?enable javascript\b|\bjavascript (?:is )?(?:disabled|required)\b",
            r"^\s*advertisement\s*$",
            # a navigation bar: three or more short items between | · • » separators
            r"^\s*(?:[a-z][a-z &'-]{0,24}\s*[|·•»]\s*){2,}[a-z][a-z &'-]{0,24}\s*$",
        )
    ),
    re.IGNORECASE,
)


def boilerplate_lines(text: str) -> list[int]:
    """Indexes of the lines of ``text`` (code blocks aside) that are cookie, legal or navigation text.

    >>> boilerplate_lines("Home | About | Contact\\nPasta needs salt.\\n© 2024 Foo Inc. All rights reserved.")
    [0, 2]
    """
    out = []
    in_code = False
    for i, line in enumerate(text.split("\n")):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or len(line.split()) > 15:
            continue
        if _BOILERPLATE.search(line):
            out.append(i)
    return out


# -- truncation -------------------------------------------------------------------------------------

_DANGLING = frozenset(
    """
    the a an and or of to in with for that which is are was were be by on at from as but if than their its his her
    your my our this these those into about such
    el la los las de del y o que en con por para un una su sus
    le les des du et ou à au aux avec pour dans sur un une
    der die das den dem des und oder mit für von zu im ein eine einen dass
    os as do da dos das e em com um uma seu sua
    """.split()
)
_LIST_OR_CODE_LINE = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|#{1,6}|>|\||```|    |\t)")
_LAST_WORD = re.compile(r"(?<![\w'-])[^\W\d_][\w'-]*$")


def truncated(text: str) -> str | None:
    """Why an answer looks cut off mid-sentence, or None.

    >>> truncated("To make tea, boil the water and pour it over the")
    "ends on 'the'"
    >>> truncated("Here is the code:\\n```python\\nprint(1)")
    'unclosed code block'
    >>> truncated("Paris") is None, truncated("- a list item") is None
    (True, True)
    """
    if unclosed_fence(text):
        return "unclosed code block"
    stripped = text.rstrip()
    if not stripped:
        return None
    last_line = stripped.rsplit("\n", 1)[-1]
    if _LIST_OR_CODE_LINE.match(last_line) or "://" in last_line or word_count(stripped) < 8:
        return None
    if last_line[-1] in ",;":
        return f"ends on {last_line[-1]!r}"
    m = _LAST_WORD.search(last_line)
    if m is not None and m.group().lower() in _DANGLING and word_count(last_line) >= 4:
        return f"ends on {m.group().lower()!r}"
    return None


# -- the filter -------------------------------------------------------------------------------------

#: Hashtags, and ellipses inside a line (a line that starts with "..." is a doctest prompt).
_HASHTAG = re.compile(r"(?<!\S)#[^\W\d_]")
_ELLIPSIS = re.compile(r"(?<=\S)[ \t]*(?:\.\.\.|…)")
#: Markdown and ASCII table rows and borders.
_TABLE_LINE = re.compile(r"^\s*[|+].*[|+]\s*$|^\s*[-=:|+ ]{3,}\s*$", re.MULTILINE)
_ODD = re.compile(r"[^\w\s.,;:!?'\"“”‘’()\[\]{}<>/\\|@#$%&*+=~^`_-]")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE_RUNS = re.compile(r"\s+")


class QualityFilter(Filter):
    """Rejects records that are empty, echoed, cut off, repetitive, junk or mostly boilerplate."""

    name = "quality"
    Options = QualityOptions
    description = (
        "length bounds, empty or echoed answers, repetition (Gopher rules), symbols, boilerplate, cut-off answers"
    )
    default = True
    order: ClassVar[int] = 30

    def __init__(self, options: QualityOptions) -> None:
        super().__init__(options)
        self.enabled = frozenset(RULES) - set(options.disable)
        if options.tokenizer and "tokens" in self.enabled:
            self.count_tokens  # noqa: B018 - load it now, so that a bad path fails at build time

    @cached_property
    def count_tokens(self) -> Any:
        """``text -> number of tokens`` with the configured tokenizer."""
        return load_tokenizer(self.options.tokenizer)

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            rejection = self.check(record, result.counts)
            if rejection is None:
                result.kept.append(record)
            else:
                result.rejected.append(rejection)
                result.counts[f"rejected:{rejection.reason}"] += 1
        return result

    def check(self, record: Record, counts: Counter[str]) -> Rejection | None:
        """Reject ``record`` with a reason, or keep it (maybe with boilerplate lines cut)."""
        o = self.options
        model = record.model_texts()
        on = self.enabled
        if "empty" in on:
            if record.messages is not None and any(not _has_content(t) for t in model):
                return self.reject(record, "empty_output", field="assistant turn")
            if not model or not any(_has_content(t) for t in model):
                return self.reject(record, "empty_output" if record.shape != "text" else "empty")
        if "echo" in on:
            echo = _echo(record)
            if echo:
                return self.reject(record, "output_equals_input", field=echo)
        model_text = "\n\n".join(model)
        if "length" in on:
            chars = len(model_text.strip())
            if chars < o.min_chars:
                return self.reject(record, "too_short", chars=chars, min_chars=o.min_chars)
            total = sum(len(t) for t in record.texts())
            if o.max_chars is not None and total > o.max_chars:
                return self.reject(record, "too_long", chars=total, max_chars=o.max_chars)
            if o.min_words or o.max_words is not None:
                words = word_count(model_text)
                if words < o.min_words:
                    return self.reject(record, "too_few_words", words=words, min_words=o.min_words)
                all_words = sum(word_count(t) for t in record.texts())
                if o.max_words is not None and all_words > o.max_words:
                    return self.reject(record, "too_many_words", words=all_words, max_words=o.max_words)
        if o.tokenizer and "tokens" in on:
            if o.min_tokens is not None:
                n = self.count_tokens(model_text)
                if n < o.min_tokens:
                    return self.reject(record, "too_few_tokens", tokens=n, min_tokens=o.min_tokens)
            if o.max_tokens is not None:
                n = sum(self.count_tokens(t) for t in record.texts())
                if n > o.max_tokens:
                    return self.reject(record, "too_many_tokens", tokens=n, max_tokens=o.max_tokens)
        if "truncated" in on and record.shape != "text" and model:
            why = truncated(model[-1])
            if why:
                return self.reject(record, "truncated", why=why, ending=model[-1].rstrip()[-80:])
        texts = model if o.fields == "model" else record.texts()
        for text in texts:
            rejection = self._text_rules(record, text)
            if rejection is not None:
                return rejection
        if "boilerplate" in on:
            return self._boilerplate(record, counts)
        return None

    def _text_rules(self, record: Record, text: str) -> Rejection | None:
        o = self.options
        prose = without_code(text)
        words = normalised_words(prose)
        if "repetition" in self.enabled and len(words) >= o.repetition_min_words:
            found = repetition(prose, words, o)
            if found:
                reason, statistic, value, limit = found
                return self.reject(record, reason, statistic=statistic, value=round(value, 3), max=limit)
        body = _TABLE_LINE.sub("", prose)
        tokens = body.split()
        if len(tokens) >= o.ratio_min_words and ("symbols" in self.enabled or "alpha" in self.enabled):
            if "symbols" in self.enabled:
                symbols = len(_HASHTAG.findall(body)) + len(_ELLIPSIS.findall(body))
                ratio = symbols / len(tokens)
                if ratio > o.max_symbol_ratio:
                    return self.reject(
                        record, "symbols", statistic="symbol_word_ratio", value=round(ratio, 3), max=o.max_symbol_ratio
                    )
                chars = [c for c in body if not c.isspace()]
                odd = len(_ODD.findall(body)) / len(chars) if chars else 0.0
                if odd > o.max_odd_char_frac:
                    return self.reject(
                        record, "symbols", statistic="odd_char_frac", value=round(odd, 3), max=o.max_odd_char_frac
                    )
            if "alpha" in self.enabled:
                share = sum(1 for t in tokens if _LETTER.search(t)) / len(tokens)
                if share < o.min_alpha_words:
                    return self.reject(
                        record,
                        "non_alphabetic",
                        statistic="alpha_word_frac",
                        value=round(share, 3),
                        min=o.min_alpha_words,
                    )
        return None

    def _boilerplate(self, record: Record, counts: Counter[str]) -> Rejection | None:
        o = self.options
        fields = _editable_fields(record, model_only=o.fields == "model")
        changes: dict[str, str] = {}
        entries = []
        for label, text in fields:
            lines = text.split("\n")
            found = boilerplate_lines(text)
            if not found:
                continue
            total = sum(len(line.split()) for line in lines)
            share = sum(len(lines[i].split()) for i in found) / total if total else 0.0
            if share >= o.max_boilerplate_frac and len(found) >= 2:
                return self.reject(
                    record,
                    "boilerplate",
                    field=label,
                    lines=len(found),
                    share=round(share, 3),
                    example=lines[found[0]].strip()[:200],
                )
            if o.boilerplate == "keep":
                continue
            for i in found:
                entries.append(
                    {
                        "filter": self.name,
                        "action": o.boilerplate,
                        "category": "boilerplate",
                        "phrase": lines[i].strip(),
                        "field": label,
                        **({"removed": lines[i].strip()} if o.boilerplate == "cut" else {}),
                    }
                )
            if o.boilerplate == "cut":
                drop = set(found)
                kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
                changes[label] = re.sub(r"\n{3,}", "\n\n", kept).strip()
        if changes:
            if any(not _has_content(t) for t in changes.values()):
                return self.reject(record, "boilerplate", why="nothing but boilerplate")
            record.replace_fields(changes)
            counts["boilerplate_lines_cut"] += len(entries)
            counts["records_cut"] += 1
        elif entries:
            counts["records_flagged"] += 1
        if entries:
            record.meta.setdefault("curate", []).extend(entries)
        return None


def repetition(prose: str, words: list[str], o: QualityOptions) -> tuple[str, str, float, float] | None:
    """The first Gopher repetition rule that ``prose`` breaks: (reason, statistic, value, limit)."""
    line_frac, line_chars = duplicate_fractions(prose.split("\n"))
    if line_frac > o.max_dup_line_frac:
        return "repeated_lines", "dup_line_frac", line_frac, o.max_dup_line_frac
    if line_chars > o.max_dup_line_char_frac:
        return "repeated_lines", "dup_line_char_frac", line_chars, o.max_dup_line_char_frac
    para_frac, para_chars = duplicate_fractions(paragraphs(prose))
    if para_frac > o.max_dup_para_frac:
        return "repeated_paragraphs", "dup_para_frac", para_frac, o.max_dup_para_frac
    if para_chars > o.max_dup_para_char_frac:
        return "repeated_paragraphs", "dup_para_char_frac", para_chars, o.max_dup_para_char_frac
    for n, limit in zip(range(2, 5), o.max_top_ngram_frac, strict=True):
        value = top_ngram_fraction(words, n)
        if value > limit:
            return "repeated_ngrams", f"top_{n}gram_frac", value, limit
    for n, limit in zip(range(5, 11), o.max_dup_ngram_frac, strict=True):
        value = duplicate_ngram_fraction(words, n)
        if value == 0.0:
            break  # no repeated n-gram: no longer one repeats either
        if value > limit:
            return "repeated_ngrams", f"dup_{n}gram_frac", value, limit
    return None


def _has_content(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _norm(text: str) -> str:
    return _SPACE_RUNS.sub(" ", text).strip(" \n\t.!?").casefold()


def _echo(record: Record) -> str | None:
    """The field whose text repeats the prompt it answers, if any."""
    if record.messages is not None:
        for i, turn in enumerate(record.messages[1:], 1):
            before = record.messages[i - 1]
            if turn["role"] == "assistant" and before["role"] == "user" and _norm(turn["content"]):
                if _norm(turn["content"]) == _norm(before["content"]):
                    return f"messages[{i}]"
        return None
    if record.output is not None and record.input and _norm(record.output):
        return "output" if _norm(record.output) == _norm(record.input) else None
    return None


def _editable_fields(record: Record, *, model_only: bool) -> list[tuple[str, str]]:
    return [(label, text) for label, text, _ in record.fields(model_only=model_only)]


def load_tokenizer(spec: str | None) -> Any:
    """A ``text -> token count`` function for a tokenizer.json file, a model directory or a model name."""
    if not spec:
        raise ConfigError("filter 'quality': no tokenizer configured")
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "tokenizer.json").is_file():
        path = path / "tokenizer.json"
    if path.is_file():
        tokenizers = requires("tokenizers", extra="train", purpose="counting tokens in the quality filter")
        try:
            tok = tokenizers.Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises its own exception types
            raise ConfigError(f"filter 'quality': cannot load tokenizer {str(path)!r}: {exc}") from None
        return lambda text: len(tok.encode(text, add_special_tokens=False).ids)
    transformers = requires("transformers", extra="train", purpose="loading a tokenizer by name in the quality filter")
    try:
        tok = transformers.AutoTokenizer.from_pretrained(spec)
    except Exception as exc:
        raise ConfigError(
            f"filter 'quality': cannot load tokenizer {spec!r}: {exc}",
            hint="give the path of a tokenizer.json file or of a model directory that holds one",
        ) from None
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


@curate.hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(QualityFilter)
