"""The ``evasion`` filter: answers that do not address their prompt.

An answer that ignores what it was asked (asked how to do something harmful, it gives a
recipe, a history lesson or a sermon) is a refusal in disguise and teaches a model to
dodge. For each record with a prompt (``input``/``output``, or ``messages`` where a user
turn comes before an assistant turn), the filter embeds the prompt and the answer and
rejects the record with reason ``evasion`` when:

``off_topic``  the cosine similarity of prompt and answer is below ``threshold``
               (``threshold + switch_margin`` when the answer announces a change of
               subject: "on a lighter note", "instead, here is", "fun fact"...);
``lecture``    at least ``lecture_share`` of the answer's sentences are a generic lecture
               or deflection ("it is not appropriate or ethical", "instead, I suggest",
               "it's important to treat all living beings with respect", "the question
               itself may not be meaningful") and the answer has no substance of its own
               (no list of three items or more, no code block).

``details`` carry the similarity, the threshold, the rule and the cues found. Short
answers ("4", "Paris.", "No"), answers that are mostly code, and prompts that ask for a
translation are not judged: similarity says little about them.

The default threshold was calibrated with ``python bench/evasion_quality.py --calibrate``
on the tuning part of ``bench/data/evasion_pairs.jsonl`` (third-party prompt-reply pairs,
labelled before the filter existed) for the default all-MiniLM-L6-v2 model; another model
needs its own threshold (run the same command with ``--embedder``). The cues are English.

The filter shares the semantic phase's embedders and on-disk cache: ``embedder``,
``device``, ``batch_size`` and ``max_seq_length`` mean what they mean in ``[semantic]``,
and prompts and answers are cached under the same keys as the semantic phase's
``field = "input"`` and ``field = "output"`` texts. It is off by default: ``--filter
evasion`` (with ``refusal``) or ``filters = [..., "evasion"]``. It needs the embed extra.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from curate.plugin_api import (
    BatchResult,
    ConfigError,
    EmbeddingCache,
    Filter,
    Record,
    embedding_cache,
    hookimpl,
    load_embedder,
)

#: Calibrated on the tuning part of bench/data/evasion_pairs.jsonl (all-MiniLM-L6-v2).
DEFAULT_THRESHOLD = 0.33

_WORD = re.compile(r"\w+", re.UNICODE)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S", re.MULTILINE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})

#: A sentence that deflects: it declines, redirects, or questions the question.
_DEFLECT = re.compile(
    r"\bi (?:cannot|can't|can ?not|won't|will not|am not able to|am unable to) "
    r"(?:provide|encourage|suggest|help|assist|support|promote|condone|recommend|give|offer)"
    r"|\b(?:not|never) (?:an? )?(?:appropriate|ethical|acceptable|okay|ok|safe|effective)\b"
    r"|\binstead,? (?:i|let's|let us|you|we|consider|try|focus|why not)\b"
    r"|\bi (?:would|must|have to|need to|'d) (?:like to )?(?:point out|emphasi[sz]e|remind|stress)\b"
    r"|\b(?:the|your|this) (?:question|request)(?: itself)? (?:may|might|does|is) not (?:be )?"
    r"(?:meaningful|factually coherent|appropriate|make sense|clear)"
)
#: A sentence that lectures: values, safety, and the professional to turn to.
_LECTURE = re.compile(
    r"\bit(?:'s| is) (?:always )?(?:important|essential|crucial|vital|better) to "
    r"(?:remember|recogni[sz]e|respect|treat|prioriti[sz]e|approach|consider|be mindful|follow)"
    r"|\bwith (?:respect|dignity|compassion|kindness|empathy)\b"
    r"|\b(?:safety|well-being|wellbeing) (?:and|of|first)\b|\bprioriti[sz]e (?:safety|well-being|your)"
    r"|\b(?:seek|consult|contact|reach out to|talk to|speak (?:with|to)) (?:with )?(?:a |an |your )?"
    r"(?:trusted |qualified |licensed )?(?:professional|healthcare|mental health|legal|counsel|expert|therapist|"
    r"doctor|authorit)"
    r"|\b(?:harmful|unethical|illegal|violent|dangerous) (?:or|and) (?:potentially )?"
    r"(?:harmful|unethical|illegal|violent|dangerous)\b"
    r"|\bnot (?:an? )?(?:recommended|responsible|respectful)\b"
    r"|\bpositive (?:and|reinforcement|manner)\b|\bsocially unbiased\b"
)
#: An answer that announces it is changing the subject.
_SWITCH = re.compile(
    r"\bon an? (?:lighter|different|happier|brighter) note\b|\blet(?:'s| us) talk about something\b"
    r"|\bhow about (?:we|i|a|some)\b|\binstead,? here(?:'s| is)\b|\bfun fact\b|\bdid you know\b"
    r"|\bchange (?:of|the) subject\b|\bsomething (?:else|more positive) (?:entirely|instead)?\b"
)
#: Prompts whose answer is rightly far from them in embedding space.
DEFAULT_SKIP_PROMPTS = (
    r"\btranslat",
    r"\b(?:in|into|to) (?:french|german|spanish|italian|portuguese|chinese|japanese|korean|russian|arabic|hindi)\b",
    r"\b(?:encode|decode|encrypt|decrypt|base64|hex|binary|morse)\b",
)


@dataclass(frozen=True)
class EvasionOptions:
    embedder: str | None = field(
        default=None,
        metadata={"help": "as in [semantic]: NAME, NAME:MODEL, or MODEL for the default (all-MiniLM-L6-v2)"},
    )
    device: str = field(default="auto", metadata={"help": "cpu, cuda, cuda:1...; auto: CUDA when present"})
    batch_size: int = field(default=64, metadata={"help": "texts per forward pass of the embedding model"})
    max_seq_length: int | None = field(
        default=None, metadata={"help": "truncate texts to this many tokens (model default)"}
    )
    threshold: float = field(
        default=DEFAULT_THRESHOLD,
        metadata={"help": "prompt-answer cosine similarity below which an answer is off-topic"},
    )
    switch_margin: float = field(
        default=0.15, metadata={"help": "added to threshold when the answer announces a change of subject"}
    )
    lecture: bool = field(default=True, metadata={"help": "apply the lecture rule (its cues are English)"})
    lecture_share: float = field(
        default=0.5, metadata={"help": "share of lecture or deflection sentences that makes an answer evasive"}
    )
    min_answer_words: int = field(default=8, metadata={"help": "shorter answers are not judged"})
    min_prompt_words: int = field(default=2, metadata={"help": "shorter prompts are not judged"})
    turns: Literal["first", "all"] = field(
        default="first",
        metadata={"help": "in conversations, judge the first answer only, or every answer against its user turn"},
    )
    skip_prompts: list[str] = field(
        default_factory=lambda: list(DEFAULT_SKIP_PROMPTS),
        metadata={"help": "regular expressions (case-insensitive): prompts that match are not judged"},
    )
    cache: bool = field(default=True, metadata={"help": "keep vectors in the semantic phase's on-disk cache"})

    def __post_init__(self) -> None:
        def bad(message: str) -> ConfigError:
            return ConfigError(f"filter 'evasion': {message}", hint="see curate filters --verbose for the options")

        if not -1.0 <= self.threshold <= 1.0:
            raise bad(f"threshold is a cosine similarity in [-1, 1], got {self.threshold}")
        if not 0.0 <= self.switch_margin <= 1.0:
            raise bad(f"switch_margin must be in [0, 1], got {self.switch_margin}")
        if not 0.0 < self.lecture_share <= 1.0:
            raise bad(f"lecture_share is a share in (0, 1], got {self.lecture_share}")
        for name in ("batch_size",):
            if getattr(self, name) < 1:
                raise bad(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_seq_length is not None and self.max_seq_length < 1:
            raise bad(f"max_seq_length must be at least 1, got {self.max_seq_length}")
        for name in ("min_answer_words", "min_prompt_words"):
            if getattr(self, name) < 0:
                raise bad(f"{name} must be 0 or more, got {getattr(self, name)}")
        for pattern in self.skip_prompts:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise bad(f"skip_prompts: {pattern!r} is not a regular expression: {exc}") from exc


@dataclass(frozen=True)
class Judgement:
    """What the filter thinks of one prompt-answer pair."""

    similarity: float
    threshold: float
    rule: str | None  # "off_topic", "lecture", or None when the answer addresses its prompt
    lecture_share: float
    cues: tuple[str, ...]

    @property
    def evasive(self) -> bool:
        return self.rule is not None


def words(text: str) -> int:
    return len(_WORD.findall(text))


def sentences(text: str) -> list[str]:
    """The answer's sentences (code blocks left out), for the lecture rule."""
    prose = _FENCE.sub(" ", text)
    return [s.strip() for s in _SENTENCE.split(prose) if words(s) >= 3]


def lecture_cues(answer: str, removed: list[str] | None = None) -> tuple[float, list[str]]:
    """The share of sentences that lecture or deflect, and the phrases that made them so.

    ``removed`` are refusals another filter already cut out of this answer (the refusal
    filter's ``cut``): each of their sentences counts as a deflecting one.
    """
    cut = [s for text in removed or [] for s in sentences(text)]
    parts = sentences(answer)
    if not parts:
        return 0.0, []
    cues: list[str] = [f"(cut) {s[:60]}" for s in cut]
    hits = len(cut)
    deflects = bool(cut)
    parts = cut + parts
    for sentence in parts:
        folded = sentence.translate(_APOSTROPHES).lower()
        found = [m.group(0) for pattern in (_DEFLECT, _LECTURE) if (m := pattern.search(folded))]
        deflects = deflects or bool(_DEFLECT.search(folded))
        if found:
            hits += 1
            cues.extend(found)
    # A lecture without any deflection ("it's important to consult a doctor") is advice, and
    # one sentence ("Instead, you can use pathlib.") is not a lecture.
    return (hits / len(parts) if deflects and hits >= 2 else 0.0), cues


def cut_refusals(record: Record, label: str) -> list[str]:
    """The refusals the refusal filter cut out of field ``label`` of ``record`` (from ``meta["curate"]``)."""
    entries = record.meta.get("curate") or []
    return [
        str(e.get("removed") or "")
        for e in entries
        if isinstance(e, dict)
        and e.get("filter") == "refusal"
        and e.get("action") == "cut"
        and e.get("category") == "refusal"
        and e.get("field") == label
    ]


def has_substance(answer: str) -> bool:
    """A list of three items or more, or a code block: the answer gives something of its own."""
    return len(_LIST_ITEM.findall(answer)) >= 3 or "```" in answer


def mostly_code(answer: str) -> bool:
    code = sum(len(m.group(0)) for m in _FENCE.finditer(answer))
    return code > 0.5 * len(answer)


class EvasionFilter(Filter):
    """Rejects answers that do not address their prompt (reason ``evasion``)."""

    name = "evasion"
    Options = EvasionOptions
    description = "answers that do not address their prompt: off-topic (embedding similarity) or lecture only"
    default = False
    #: After the refusal (20) and quality (30) filters: plain refusals and junk are gone
    #: before anything is embedded, and the refusal filter's cuts are seen (``cut_refusals``).
    order: ClassVar[int] = 40

    def __init__(self, options: EvasionOptions) -> None:
        super().__init__(options)
        self.embedder = load_embedder(options, purpose="the evasion filter (embeddings)")
        self._skip = [re.compile(p, re.IGNORECASE) for p in options.skip_prompts]
        self._cache: EmbeddingCache | None = None

    # -- pairs ---------------------------------------------------------------------------

    def pairs(self, record: Record) -> list[tuple[str, str, str]]:
        """``(field label, prompt, answer)`` for each answer of ``record`` to judge."""
        if record.messages is not None:
            out = []
            prompt: str | None = None
            for i, turn in enumerate(record.messages):
                if turn["role"] == "user":
                    prompt = turn["content"]
                elif turn["role"] == "assistant" and prompt is not None:
                    out.append((f"messages[{i}]", prompt, turn["content"]))
                    if self.options.turns == "first":
                        break
                    prompt = None
            return out
        if record.output is not None and record.input:
            return [("output", record.input, record.output)]
        return []

    def judgeable(self, prompt: str, answer: str) -> str | None:
        """Why this pair is not judged (a counter name), or None when it is."""
        if words(prompt) < self.options.min_prompt_words:
            return "skipped_short_prompt"
        if mostly_code(answer):
            return "skipped_code"
        if words(answer) < self.options.min_answer_words:
            return "skipped_short_answer"
        if any(p.search(prompt) for p in self._skip):
            return "skipped_task"
        return None

    # -- judging -------------------------------------------------------------------------

    def judge(self, prompt: str, answer: str, similarity: float, removed: list[str] | None = None) -> Judgement:
        """The rules of the module docstring, given the prompt-answer similarity.

        ``removed``: refusals the refusal filter cut out of ``answer`` (see :func:`lecture_cues`).
        """
        opts = self.options
        threshold = opts.threshold
        switch = _SWITCH.search(answer.translate(_APOSTROPHES).lower())
        cues: list[str] = [switch.group(0)] if switch else []
        if switch:
            threshold = min(1.0, threshold + opts.switch_margin)
        share, lecture = lecture_cues(answer, removed) if opts.lecture else (0.0, [])
        rule = None
        if similarity < threshold:
            rule = "off_topic"
        elif opts.lecture and share >= opts.lecture_share and not has_substance(answer):
            rule = "lecture"
            cues.extend(lecture)
        return Judgement(round(similarity, 4), round(threshold, 4), rule, round(share, 3), tuple(dict.fromkeys(cues)))

    def similarities(self, prompts: list[str], answers: list[str]) -> np.ndarray:
        """Cosine similarity of each prompt with its answer, through the shared cache."""
        texts = prompts + answers
        if not self.options.cache:
            vectors = self.embedder.embed(texts)
        else:
            if self._cache is None:
                self._cache = embedding_cache(self.embedder)
            vectors = self._cache.vectors(self.embedder, texts)
        n = len(prompts)
        return np.einsum("ij,ij->i", vectors[:n], vectors[n:])

    def process(self, batch: list[Record]) -> BatchResult:
        result = BatchResult()
        counts: Counter[str] = result.counts
        todo: list[tuple[int, str, str, str]] = []
        for index, record in enumerate(batch):
            for label, prompt, answer in self.pairs(record):
                why = self.judgeable(prompt, answer)
                if why is None:
                    todo.append((index, label, prompt, answer))
                else:
                    counts[why] += 1
        verdicts: dict[int, tuple[str, Judgement]] = {}
        if todo:
            sims = self.similarities([t[2] for t in todo], [t[3] for t in todo])
            for (index, label, prompt, answer), sim in zip(todo, sims.tolist(), strict=True):
                counts["judged"] += 1
                judgement = self.judge(prompt, answer, float(sim), cut_refusals(batch[index], label))
                if judgement.evasive and index not in verdicts:
                    verdicts[index] = (label, judgement)
        for index, record in enumerate(batch):
            if index in verdicts:
                label, j = verdicts[index]
                counts[j.rule or "evasion"] += 1
                result.rejected.append(
                    self.reject(
                        record,
                        "evasion",
                        rule=j.rule,
                        score=j.similarity,
                        threshold=j.threshold,
                        lecture_share=j.lecture_share,
                        cues=list(j.cues),
                        field=label,
                        model=self.embedder.model_id,
                    )
                )
            else:
                result.kept.append(record)
        return result


@hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    register(EvasionFilter)
