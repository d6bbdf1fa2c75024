"""The ``refusal`` filter itself: its options, and what it does with the phrases it finds.

Finding: the phrases are compiled by :mod:`curate.plugins.refusal.matching`; matches
inside Markdown code, phrases quoted inside a sentence and characters' lines of dialogue
(:mod:`curate.plugins.refusal.quotes`) are ignored by default. Phrases of conditional
categories (``deflection``) count only where the reply is mostly made of them.

Acting. Per category: ``drop`` rejects the record; ``cut`` removes the sentence or clause
(:mod:`curate.plugins.refusal.cutting`) and keeps the rest when it is still a useful
answer, else rejects the record (a full refusal); ``flag`` keeps the record and notes the
match in ``meta["curate"]``; ``off`` ignores the category. In a conversation, a refused
assistant turn is cut with the user turn that drew it and everything after.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from curate.plugin_api import BatchResult, ConfigError, Filter, Record, Rejection
from curate.plugins.refusal import catalog
from curate.plugins.refusal.cutting import Cutter
from curate.plugins.refusal.folding import fold
from curate.plugins.refusal.matching import Hit, compiled
from curate.plugins.refusal.quotes import quoted
from curate.plugins.text_stats import code_spans, in_spans

ACTIONS = ("drop", "cut", "flag", "off")
#: A reply whose hit sentences carry at least this share of its useful words is a deflection.
_DEFLECTION_SHARE = 0.5

# -- options ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RefusalOptions:
    fields: Literal["model", "all"] = field(
        default="model", metadata={"help": "look at the model's side only (output, assistant turns) or at every field"}
    )
    actions: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "help": "action per category: drop, cut, flag or off, e.g. {refusal = 'drop'}; "
            "categories not named keep their default (cut)"
        },
    )
    languages: list[str] = field(
        default_factory=lambda: list(catalog.LANGUAGES),
        metadata={"help": f"built-in phrase languages to use: {', '.join(catalog.LANGUAGES)}"},
    )
    phrase_files: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "help": "category -> file of extra phrases, one per line ('#' comments, 're:' prefix for a regex); "
            "a new category name adds a category"
        },
    )
    replace: list[str] = field(
        default_factory=list,
        metadata={"help": "categories whose built-in phrases are replaced by their phrase_files entry"},
    )
    regex: bool = field(default=False, metadata={"help": "read every line of the phrase files as a regular expression"})
    min_words_left: int = field(
        default=8,
        metadata={
            "help": "after a cut, keep the answer only if at least this many words remain outside filler "
            "(offers of more help, referrals, questions back); else drop the record"
        },
    )
    turns: Literal["truncate", "drop"] = field(
        default="truncate",
        metadata={
            "help": "when an assistant turn is a full refusal: keep the conversation before it (truncate) "
            "or drop the record"
        },
    )
    skip_code: bool = field(
        default=True, metadata={"help": "ignore matches inside Markdown code (platform artifacts are still found)"}
    )
    skip_quoted: bool = field(
        default=True,
        metadata={"help": "ignore a phrase quoted inside a sentence (\"the phrase 'As an AI language model' ...\")"},
    )

    def __post_init__(self) -> None:
        unknown_langs = sorted(set(self.languages) - set(catalog.LANGUAGES))
        if unknown_langs:
            raise ConfigError(
                f"filter 'refusal': unknown language{'s' if len(unknown_langs) > 1 else ''} {', '.join(unknown_langs)}",
                hint=f"built-in phrase languages: {', '.join(catalog.LANGUAGES)}",
            )
        known = set(catalog.CATEGORIES) | set(self.phrase_files)
        for name, action in self.actions.items():
            if name not in known:
                raise ConfigError(
                    f"filter 'refusal': option 'actions' names an unknown category {name!r}",
                    hint=f"categories: {', '.join(sorted(known))} (or add one with phrase_files)",
                )
            if action not in ACTIONS:
                raise ConfigError(
                    f"filter 'refusal': action {action!r} for category {name!r} is not one of {', '.join(ACTIONS)}"
                )
        for name in self.replace:
            if name not in self.phrase_files:
                raise ConfigError(
                    f"filter 'refusal': option 'replace' names {name!r}, which has no phrase_files entry",
                    hint=f"add phrase_files = {{{name} = 'my_catalog.txt'}}",
                )
        if self.min_words_left < 0:
            raise ConfigError("filter 'refusal': min_words_left must be 0 or more")

    def action(self, category: str) -> str:
        """The action for ``category``: the configured one, else the category's default."""
        if category in self.actions:
            return self.actions[category]
        builtin = catalog.CATEGORIES.get(category)
        return builtin.action if builtin else "cut"


# -- the filter --------------------------------------------------------------------------------


class RefusalFilter(Filter):
    """Finds refusals and alignment boilerplate; drops, cuts or flags them per category."""

    name = "refusal"
    Options = RefusalOptions
    description = "refusals, AI self-references, disclaimers, knowledge-cutoff notes, vendor names, chat artifacts"
    default = True
    order: ClassVar[int] = 20

    def __init__(self, options: RefusalOptions) -> None:
        super().__init__(options)
        categories = [c for c in (*catalog.CATEGORIES, *options.phrase_files) if options.action(c) != "off"]
        categories = list(dict.fromkeys(categories))
        user = tuple(
            (c, str(Path(p).expanduser().resolve()), options.regex) for c, p in sorted(options.phrase_files.items())
        )
        self.matcher, filler, justification = compiled(
            tuple(sorted(options.languages)), tuple(categories), user, tuple(sorted(options.replace))
        )
        self.cutter = Cutter(filler, justification, options.min_words_left)

    # -- finding -------------------------------------------------------------------------

    def find(self, text: str) -> tuple[str, list[int] | None, list[Hit]]:
        """The folded text, its index and the hits in it that count (code and quotes skipped)."""
        folded, index = fold(text)
        hits = self.matcher.find(folded)
        if not hits:
            return folded, index, hits
        spans = code_spans(folded) if self.options.skip_code else []
        kept = []
        for h in hits:
            if spans and h.category != "platform" and in_spans(h.start, spans):
                continue
            if self.options.skip_quoted and quoted(folded, h):
                continue
            kept.append(h)
        return folded, index, kept

    # -- processing ----------------------------------------------------------------------

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        for record in batch:
            rejection = self._process_record(record, result.counts)
            if rejection is not None:
                result.rejected.append(rejection)
            else:
                result.kept.append(record)
        return result

    def _fields(self, record: Record) -> list[tuple[str, str, bool]]:
        """(label, text, is model side) for each field to look at."""
        return record.fields(model_only=self.options.fields == "model")

    def _process_record(self, record: Record, counts: Counter[str]) -> Rejection | None:
        found = []
        for label, text, is_model in self._fields(record):
            if text:
                folded, index, hits = self.find(text)
                if hits:
                    found.append(_Found(label, text, is_model, folded, index, hits))
        found = [f for f in found if self._settle_conditional(f)]
        if not found:
            return None
        for f in found:
            counts.update(f"matches:{h.category}" for h in f.hits)
        for f in found:  # a drop anywhere decides
            for h in f.hits:
                if self.options.action(h.category) == "drop":
                    counts[f"dropped:{h.category}"] += 1
                    return self.reject(
                        record,
                        h.category,
                        action="drop",
                        field=f.label,
                        phrase=f.original(h),
                        rule=h.rule,
                        **f.more(f.hits),
                    )
        entries: list[dict[str, Any]] = []
        changes: dict[str, str] = {}
        for f in found:
            for h in f.hits:
                if self.options.action(h.category) == "flag":
                    counts[f"flagged:{h.category}"] += 1
                    entries.append(self._entry("flag", h.category, f.original(h), h.rule, f.label))
            cut_hits = [h for h in f.hits if self.options.action(h.category) == "cut"]
            if not cut_hits:
                continue
            new, removed = self._cut(f, cut_hits)
            deflected = f.deflection and any(h.category in catalog.CONDITIONAL_CATEGORIES for h in cut_hits)
            if (self.cutter.useful(new) and not deflected) if f.is_model else new.strip():
                changes[f.label] = new
                for r in removed:
                    counts[f"cut:{r['category']}"] += 1
                    entries.append(self._entry("cut", r.pop("category"), r.pop("phrase"), r.pop("rule"), f.label, **r))
                continue
            first = next((h for h in cut_hits if h.category not in catalog.CONDITIONAL_CATEGORIES), cut_hits[0])
            turn = _turn_index(f.label)
            if turn is not None and f.is_model and self.options.turns == "truncate":
                return self._truncate(record, turn, f, first, changes, entries, counts)
            counts[f"dropped:{first.category}"] += 1
            return self.reject(
                record,
                first.category,
                action="cut",
                why=(
                    ("the reply only deflects" if deflected else "nothing useful left after the cut")
                    if f.is_model
                    else f"{f.label} is empty after the cut"
                ),
                field=f.label,
                phrase=f.original(first),
                rule=first.rule,
                remaining=new[:500],
                **f.more(cut_hits),
            )
        record.replace_fields(changes)
        self._note(record, entries, counts, cut=bool(changes))
        return None

    def _settle_conditional(self, f: _Found) -> bool:
        """Keep the hits of conditional categories only where the reply is a deflection; False if no hit is left.

        A reply deflects when, once every sentence holding a hit is removed, fewer than
        ``min_words_left`` useful words remain, or less than half of its useful words. ("I'm
        sorry you're feeling this way. Please reach out to ..." deflects; a long answer with
        "It's important to treat others with respect" in it does not.)
        """
        conditional = [h for h in f.hits if h.category in catalog.CONDITIONAL_CATEGORIES]
        if not conditional:
            return True
        others = [h for h in f.hits if h.category not in catalog.CONDITIONAL_CATEGORIES]
        if f.is_model:
            rest, _ = self._cut(f, [h for h in f.hits if h.category != "platform"])
            left = self.cutter.useful_words(rest)
            if left < max(self.options.min_words_left, 1) or left < _DEFLECTION_SHARE * self.cutter.useful_words(
                f.text
            ):
                f.deflection = True
                return True
        f.hits = others
        return bool(others)

    def _cut(self, f: _Found, hits: list[Hit]) -> tuple[str, list[dict[str, Any]]]:
        """The field ``f`` with ``hits`` cut (made once per field and set of hits), and what was removed."""
        key = tuple(hits)
        done = f.cuts.get(key)
        if done is None:
            done = f.cuts[key] = self.cutter.cut(f.text, f.folded, f.index, hits)
        new, removed = done
        return new, [dict(r) for r in removed]

    def _truncate(
        self,
        record: Record,
        turn: int,
        f: _Found,
        first: Hit,
        changes: dict[str, str],
        entries: list[dict[str, Any]],
        counts: Counter[str],
    ) -> Rejection | None:
        """Keep the conversation up to the user turn that drew the refused assistant turn."""
        assert record.messages is not None
        keep = turn - 1 if turn > 0 and record.messages[turn - 1]["role"] == "user" else turn
        kept = [
            {**t, "content": changes.get(f"messages[{i}]", t["content"])} for i, t in enumerate(record.messages[:keep])
        ]
        if not any(t["role"] == "assistant" and t["content"] for t in kept):
            counts[f"dropped:{first.category}"] += 1
            return self.reject(
                record,
                first.category,
                action="cut",
                why="nothing useful left: the refused turn is the first answer of the conversation",
                field=f.label,
                phrase=f.original(first),
                rule=first.rule,
            )
        counts[f"cut:{first.category}"] += 1
        counts["conversations_truncated"] += 1
        entries.append(
            self._entry(
                "cut",
                first.category,
                f.original(first),
                first.rule,
                f.label,
                removed=f.text,
                turns_removed=len(record.messages) - keep,
            )
        )
        record.messages = kept
        self._note(record, entries, counts, cut=True)
        return None

    def _entry(self, action: str, category: str, phrase: str, rule: str, label: str, **more: Any) -> dict[str, Any]:
        """A ``meta["curate"]`` entry: what this filter did to the record, and why."""
        return {
            "filter": self.name,
            "action": action,
            "category": category,
            "phrase": phrase,
            "rule": rule,
            "field": label,
            **more,
        }

    def _note(self, record: Record, entries: list[dict[str, Any]], counts: Counter[str], *, cut: bool) -> None:
        if cut:
            counts["records_cut"] += 1
        elif entries:
            counts["records_flagged"] += 1
        if entries:
            record.meta.setdefault("curate", []).extend(entries)


@dataclass
class _Found:
    """The hits in one field of a record, with what is needed to cut them."""

    label: str
    text: str
    is_model: bool
    folded: str
    index: list[int] | None
    hits: list[Hit]
    deflection: bool = False  # the reply only deflects (see RefusalFilter._settle_conditional)
    cuts: dict[tuple[Hit, ...], tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def original(self, h: Hit) -> str:
        """The matched text as written."""
        if self.index is None:
            return self.text[h.start : h.end]
        return self.text[self.index[h.start] : self.index[h.end]]

    def more(self, hits: list[Hit]) -> dict[str, Any]:
        """Every match, for a rejection's details, when there is more than one."""
        if len(hits) < 2:
            return {}
        return {"matches": [{"category": h.category, "phrase": self.original(h), "rule": h.rule} for h in hits]}


def _turn_index(label: str) -> int | None:
    m = re.fullmatch(r"messages\[(\d+)\]", label)
    return int(m.group(1)) if m else None
