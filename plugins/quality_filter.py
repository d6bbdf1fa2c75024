"""The ``quality`` filter: heuristics that reject broken, empty, repetitive or junk records.

Rules, each switched off by naming it in ``disable``:

``length``        too few characters or words on the model's side, too many in the record
``tokens``        the same in tokens, when a tokenizer is configured
``empty``         an answer with no letter or digit ("", "...", "-")
``echo``          an answer identical to its prompt (or an assistant turn to the user's)
``repetition``    duplicate lines and paragraphs, top n-gram and duplicate n-gram shares,
                  as in the Gopher rules (Rae et al. 2021), on answers of 50 words or more;
                  the defaults are looser than Gopher's, which reject 5% of ordinary
                  technical answers (measured on the standard library's docstrings); and a
                  code block that repeats one line a dozen times in a row
``symbols``       too many hashtags or ellipses per word, or too many characters that are
                  neither letters, digits, spaces nor punctuation
``alpha``         too few words that contain a letter
``boilerplate``   lines of cookie, legal or navigation text: cut when few, the record
                  rejected when they make up most of it
``truncated``     an answer cut off mid-sentence or mid-word (a generation that hit its
                  token limit), inside a code block, a table row or a list item
``junk``          base64 and hex blobs and long runs without a space in prose
``runaway_list``  a long list whose items follow one pattern ("Step 41: ...", "Step 42: ...")

Conversations are judged turn by turn: every assistant turn on its own (a later turn
that revises an earlier one is not "repetition"), user turns only for garbage and only
with ``fields = "all"``. A bad turn is cut with every turn after it (and the user turn
that drew it); the cut is noted in ``meta["curate"]``, and a conversation left without
an answer is rejected. A turn that the user answers with "continue" is not judged cut off.

Thresholds are conservative: ordinary answers, code, tables, lists and short replies
("4", "Paris.") pass. Code blocks are left out of the text-statistics rules and judged
as code. The broken-generation signs live in :mod:`curate.plugins.broken_text` and
:mod:`curate.plugins.cut_off`, the boilerplate lines in :mod:`curate.plugins.boilerplate`.

:meth:`QualityFilter.process` splits every text of the batch into words first and computes
their n-gram statistics together, vectorised
(:func:`~curate.plugins.text_stats.ngram_fractions`); the values are those of the per-text
functions to the last bit, so the decisions are too (``tests/test_quality_filter.py``
compares them with the pure-Python filter of an earlier commit; ``bench/quality_speed.py``
times both).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

from curate.plugin_api import BatchResult, ConfigError, Filter, Record, Rejection, hookimpl, requires
from curate.plugins.boilerplate import boilerplate_lines
from curate.plugins.broken_text import junk_token, looping_code, repeated_block, runaway_list
from curate.plugins.cut_off import asks_to_continue, truncated
from curate.plugins.text_stats import (
    duplicate_fractions,
    ngram_fractions,
    normalised_words,
    paragraphs,
    without_code,
    word_count,
)

RULES = (
    "length",
    "tokens",
    "empty",
    "echo",
    "repetition",
    "symbols",
    "alpha",
    "boilerplate",
    "truncated",
    "junk",
    "runaway_list",
)

#: What is wrong with one text: a rejection reason and its details.
Problem = tuple[str, dict[str, Any]]


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
    max_token_chars: int = field(
        default=120,
        metadata={
            "help": "junk rule: longest run of characters without a space in prose (base64 and hex blobs are "
            "caught from 64 and 80 characters)"
        },
    )
    runaway_list_items: int = field(
        default=20, metadata={"help": "runaway_list rule: lists of this many items or more are checked"}
    )
    turns: Literal["cut", "drop"] = field(
        default="cut",
        metadata={
            "help": "a conversation with a bad turn: cut it before that turn (rejected when no answer is left), "
            "or drop it whole"
        },
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


# -- the filter -------------------------------------------------------------------------------------

#: Hashtags, and ellipses inside a line (a line that starts with "..." is a doctest prompt).
_HASHTAG = re.compile(r"(?<!\S)#[^\W\d_]")
_ELLIPSIS = re.compile(r"(?<=\S)[ \t]*(?:\.\.\.|…)")
#: Markdown and ASCII table rows and borders.
_TABLE_LINE = re.compile(r"^\s*[|+].*[|+]\s*$|^\s*[-=:|+ ]{3,}\s*$", re.MULTILINE)
_ODD = re.compile(r"[^\w\s.,;:!?'\"“”‘’()\[\]{}<>/\\|@#$%&*+=~^`_-]")
_LETTER = re.compile(r"[^\W\d_]")
#: The same two, for ASCII text: the control characters that are not spaces; every ASCII
#: character but letters and spaces (a ``str.translate`` table that deletes them).
_ASCII_ODD = re.compile("[" + re.escape("".join(c for c in map(chr, range(128)) if _ODD.match(c))) + "]")
_ASCII_NON_LETTERS = dict.fromkeys(i for i in range(128) if not _LETTER.match(chr(i)) and not chr(i).isspace())


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
        # the words and n-gram statistics of the whole batch in one vectorised pass
        prepared = self._prepare_batch(batch)
        for record in batch:
            rejection = self.check(record, result.counts, prepared)
            if rejection is None:
                result.kept.append(record)
            else:
                result.rejected.append(rejection)
                result.counts[f"rejected:{rejection.reason}"] += 1
        return result

    def _prepare_batch(self, batch: list[Record]) -> Prepared:
        """The prose of every text :meth:`check` may judge, prepared, with n-gram statistics of the long ones."""
        if "repetition" not in self.enabled:
            return {}
        prepared: dict[str, _Prepared] = {}
        for record in batch:
            for text in self._judged_texts(record):
                prose = without_code(text)
                if prose not in prepared:
                    prepared[prose] = _prepare(prose)
        long = [(prose, p) for prose, p in prepared.items() if len(p.words) >= self.options.repetition_min_words]
        for (prose, p), ngrams in zip(long, ngram_fractions([p.words for _, p in long]), strict=True):
            prepared[prose] = p._replace(ngrams=ngrams)
        return prepared

    def _judged_texts(self, record: Record) -> list[str]:
        """The texts whose prose :meth:`_text_rules` may judge: replies, and prompts with ``fields = "all"``."""
        every = self.options.fields == "all"
        if record.messages is not None:
            roles = ("assistant", "user") if every else ("assistant",)
            return [t["content"] for t in record.messages if t["role"] in roles and isinstance(t["content"], str)]
        texts = ["\n\n".join(record.model_texts())]
        if every and record.input:
            texts.append(record.input)
        return texts

    def check(self, record: Record, counts: Counter[str], prepared: Prepared | None = None) -> Rejection | None:
        """Reject ``record`` with a reason, or keep it (maybe with turns or boilerplate lines cut).

        ``prepared``: what :meth:`process` prepared for the batch (its statistics); computed
        here for what it lacks.
        """
        o = self.options
        model = record.model_texts()
        on = self.enabled
        if "empty" in on and (not model or not any(_has_content(t) for t in model)):
            return self.reject(record, "empty_output" if record.shape != "text" else "empty")
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
        if record.messages is not None:
            rejection = self._conversation(record, counts, prepared)
            if rejection is not None:
                return rejection
        else:
            norm = _norm(model_text) if "echo" in on and record.input else ""
            if norm and norm == _norm(record.input or ""):
                return self.reject(record, "output_equals_input", field="output")
            problem = self.reply_problem(model_text, cut_off=record.shape != "text", prepared=prepared)
            if problem is None and o.fields == "all" and record.input:
                problem = self.prompt_problem(record.input, prepared)
            if problem is not None:
                return self.reject(record, problem[0], **problem[1])
        if "boilerplate" in on:
            return self._boilerplate(record, counts)
        return None

    def reply_problem(self, text: str, *, cut_off: bool = True, prepared: Prepared | None = None) -> Problem | None:
        """What is wrong with one reply (an output, an assistant turn, a text): ``(reason, details)`` or None.

        ``cut_off`` False leaves out the ``truncated`` rule (for texts, and for a turn the
        user answered with "continue").
        """
        on = self.enabled
        if "empty" in on and not _has_content(text):
            return "empty_output", {}
        prose = without_code(text)
        if "runaway_list" in on:
            why = runaway_list(prose, min_items=self.options.runaway_list_items)
            if why:
                return "runaway_list", {"why": why}
        problem = self._text_rules(prose, prepared)
        if problem is not None:
            return problem
        if "repetition" in on:
            why = looping_code(text)
            if why:
                return "repeated_code", {"why": why}
            why = repeated_block(text)
            if why:
                return "repeated_paragraphs", {"statistic": "repeated_block", "why": why}
        if "junk" in on:
            why = junk_token(text, min_length=self.options.max_token_chars)
            if why:
                return "junk_token", {"why": why}
        if cut_off and "truncated" in on:
            why = truncated(text)
            if why:
                return "truncated", {"why": why, "ending": text.rstrip()[-80:]}
        return None

    def prompt_problem(self, text: str, prepared: Prepared | None = None) -> Problem | None:
        """Garbage on the user's side (with ``fields = "all"``): runaway repetition, symbols, no letters."""
        return self._text_rules(without_code(text), prepared)

    def _conversation(self, record: Record, counts: Counter[str], prepared: Prepared | None) -> Rejection | None:
        """Judge each turn on its own; cut the conversation before the first bad one, or reject it."""
        assert record.messages is not None
        turns = record.messages
        on = self.enabled
        for i, turn in enumerate(turns):
            text = turn["content"]
            if turn["role"] == "assistant":
                before = turns[i - 1] if i else None
                after = turns[i + 1] if i + 1 < len(turns) else None
                problem: Problem | None = None
                if "echo" in on and before is not None and before["role"] == "user":
                    norm = _norm(text)
                    if norm and norm == _norm(before["content"]):
                        problem = ("output_equals_input", {})
                if problem is None:
                    continued = after is not None and after["role"] == "user" and asks_to_continue(after["content"])
                    problem = self.reply_problem(text, cut_off=not continued, prepared=prepared)
            elif turn["role"] == "user" and self.options.fields == "all":
                problem = self.prompt_problem(text, prepared)
            else:
                continue
            if problem is not None:
                return self._cut(record, i, problem, counts)
        return None

    def _cut(self, record: Record, bad: int, problem: Problem, counts: Counter[str]) -> Rejection | None:
        """Keep the turns before ``bad`` (and before the user turn that drew it); reject when no answer is left."""
        assert record.messages is not None
        turns = record.messages
        reason, details = problem
        label = f"messages[{bad}]"
        keep = bad - 1 if turns[bad]["role"] == "assistant" and bad and turns[bad - 1]["role"] == "user" else bad
        if self.options.turns == "drop" or not any(
            t["role"] == "assistant" and _has_content(t["content"]) for t in turns[:keep]
        ):
            return self.reject(record, reason, field=label, **details)
        record.meta.setdefault("curate", []).append(
            {
                "filter": self.name,
                "action": "cut",
                "category": reason,
                "field": label,
                "turns_removed": len(turns) - keep,
                **details,
            }
        )
        record.messages = turns[:keep]
        counts[f"cut:{reason}"] += 1
        counts["conversations_cut"] += 1
        return None

    def _text_rules(self, prose: str, prepared: Prepared | None = None) -> Problem | None:
        """Repetition (Gopher), symbol and letter shares of prose (code already taken out)."""
        o = self.options
        prose, data, words, ngrams = (prepared.get(prose) if prepared else None) or _prepare(prose)
        if "repetition" in self.enabled and len(words) >= o.repetition_min_words:
            found = repetition(prose, words, o, ngrams)
            if found:
                reason, statistic, value, limit = found
                return reason, {"statistic": statistic, "value": round(value, 3), "max": limit}
        body = _TABLE_LINE.sub("", data[1] if data else prose)
        tokens = body.split()
        if len(tokens) >= o.ratio_min_words and ("symbols" in self.enabled or "alpha" in self.enabled):
            if "symbols" in self.enabled:
                symbols = (len(_HASHTAG.findall(body)) if "#" in body else 0) + (
                    len(_ELLIPSIS.findall(body)) if "..." in body or "…" in body else 0
                )
                ratio = symbols / len(tokens)
                if ratio > o.max_symbol_ratio:
                    return "symbols", {
                        "statistic": "symbol_word_ratio",
                        "value": round(ratio, 3),
                        "max": o.max_symbol_ratio,
                    }
                chars = sum(map(len, tokens))
                odd = len((_ASCII_ODD if body.isascii() else _ODD).findall(body)) / chars if chars else 0.0
                if odd > o.max_odd_char_frac:
                    return "symbols", {"statistic": "odd_char_frac", "value": round(odd, 3), "max": o.max_odd_char_frac}
            if "alpha" in self.enabled:
                if body.isascii():  # the tokens left when all but letters and spaces are deleted
                    share = len(body.translate(_ASCII_NON_LETTERS).split()) / len(tokens)
                else:
                    share = sum(map(bool, map(_LETTER.search, tokens))) / len(tokens)
                if share < o.min_alpha_words and data:
                    # around enough prose, lines of numbers are data (a table of dice throws), not junk
                    judged = data[0].split()
                    if len(judged) >= o.ratio_min_words:
                        share = sum(1 for t in judged if _LETTER.search(t)) / len(judged)
                if share < o.min_alpha_words:
                    return "non_alphabetic", {
                        "statistic": "alpha_word_frac",
                        "value": round(share, 3),
                        "min": o.min_alpha_words,
                    }
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


def repetition(
    prose: str, words: list[str], o: QualityOptions, ngrams: tuple[list[float], list[float]] | None = None
) -> tuple[str, str, float, float] | None:
    """The first Gopher repetition rule that ``prose`` breaks: (reason, statistic, value, limit).

    ``ngrams``: :func:`~curate.plugins.text_stats.ngram_fractions` of ``words`` when already
    computed (with the batch); computed here otherwise.
    """
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
    top, dup = ngrams if ngrams is not None else ngram_fractions([words])[0]
    for n, value, limit in zip(range(2, 5), top, o.max_top_ngram_frac, strict=True):
        if value > limit:
            return "repeated_ngrams", f"top_{n}gram_frac", value, limit
    for n, value, limit in zip(range(5, 11), dup, o.max_dup_ngram_frac, strict=True):
        if value == 0.0:
            break  # no repeated n-gram: no longer one repeats either
        if value > limit:
            return "repeated_ngrams", f"dup_{n}gram_frac", value, limit
    return None


class _Prepared(NamedTuple):
    """Prose as the text rules judge it: formulas blanked, data lines apart, words, n-gram statistics."""

    prose: str
    data: tuple[str, str] | None
    words: list[str]
    ngrams: tuple[list[float], list[float]] | None = None


#: Prose (code taken out) -> how the text rules see it, for the texts of one batch.
Prepared = dict[str, _Prepared]


def _prepare(prose: str) -> _Prepared:
    """Blank the formulas of ``prose``, set its data lines apart and split it into words."""
    if "\\" in prose or "$$" in prose:
        prose = _MATH.sub(" ", prose)
    # lines of numbers ("(1,2), (1,3)") and equations ("= 32 - 18") are data, not prose
    data = _data_lines(prose)
    return _Prepared(prose, data, normalised_words(data[0] if data else prose))


_MATH = re.compile(r"\\\[.*?\\\]|\\\(.*?\\\)|\$\$.*?\$\$", re.DOTALL)
_EQUATION = re.compile(r"(?:^|\s)=(?:\s|$)")
_ALNUM_TOKEN = re.compile(r"\S*\w\S*")
_DIGIT = re.compile(r"\d")


def _data_lines(prose: str) -> tuple[str, str] | None:
    """``prose`` without its data lines, and without its equations; None when it has neither."""
    digits = sum(map(prose.count, "0123456789")) if prose.isascii() else len(_DIGIT.findall(prose))
    if digits < max(8, len(prose) // 50):
        return None  # a few numbers in prose
    lines = prose.split("\n")
    data = [_is_data(line) for line in lines]
    if not any(data):
        return None
    return (
        "\n".join(ln for ln, d in zip(lines, data, strict=True) if not d),
        "\n".join(ln for ln, d in zip(lines, data, strict=True) if not d or not _EQUATION.search(ln)),
    )


def _is_data(line: str) -> bool:
    """A short line of numbers or an equation: fewer than a third of its tokens hold a letter."""
    if _DIGIT.search(line) is None:
        return False
    tokens = _ALNUM_TOKEN.findall(line)
    if not tokens or len(tokens) > 30:
        return False
    letters = sum(map(bool, map(_LETTER.search, tokens)))
    return letters < len(tokens) / 3 or (_EQUATION.search(line) is not None and letters < 0.6 * len(tokens))


def _has_content(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _norm(text: str) -> str:
    # runs of whitespace as one space (str.split() and the regex \s split on the same characters)
    return " ".join(text.split()).strip(" \n\t.!?").casefold()


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


@hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(QualityFilter)
