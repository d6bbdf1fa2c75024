"""What the ``refusal`` filter looks for: its categories, and the phrase data of each language.

The phrases live in data files, one per language, next to this module:
``phrases/en.toml``, ``es``, ``pt``, ``fr``, ``de``, ``zh``, and ``phrases/any.toml`` for
what does not depend on the language (chat-platform artifacts). They are read once, when
this module is imported. A language file holds:

* ``[phrases]``: for each category, its phrases, in the pattern language below. A
  phrase's rule id (shown in rejects and meta) is ``<category>/<lang>/<position>``,
  counting from 1: new phrases go at the end of a list.
* ``[fragments]``: pieces several phrases share, written ``{name}`` inside them.
* ``[cutting]``: what the cutting (:mod:`curate.plugins.refusal.cutting`) looks for:
  ``filler`` (offers of more help, referrals, pleasantries: never a match by themselves),
  ``justifications`` (words of a sentence that justifies a refusal), and the
  ``conditional_openings``, ``connectives``, ``clause_breaks`` and
  ``subordinate_openings`` of the language.
* ``[regexes]`` (``any.toml``): regular expressions for artifacts the pattern language
  cannot express, each with a ``needle`` that a text must hold for it to run.

The pattern language, compiled by :mod:`curate.plugins.refusal.patterns`:

* letters, digits and punctuation are literal and case-insensitive; ``'`` matches any
  apostrophe (straight, curly, modifier letter) because text is folded before matching;
* a space matches any run of whitespace;
* ``(a|b|c)`` is a choice, ``(a|b)?`` an optional choice (groups nest); ``x?`` makes the
  character (or space) before it optional: ``sorry,? but`` matches with or without the comma;
* ``~`` is a gap of up to 60 characters inside one sentence (no ``. ! ? 。`` or newline);
* a phrase is matched on word boundaries where it starts or ends with a Latin letter or
  digit; a leading or trailing ``*`` switches that boundary off.

Text is matched after NFKC folding, so write full-width Chinese punctuation as ASCII
(``,`` for ``，``, ``:`` for ``：``); ``。`` stays as it is.

Each phrase must be specific enough that an ordinary helpful answer does not contain
it: "as an AI" alone would match "As an AI researcher", so the phrases spell out
"as an AI language model", "as an AI," and so on.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.plugin_api import PluginError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Category:
    """One category of phrases: what it catches, its default action, an example."""

    name: str
    description: str
    action: str
    example: str


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "ai_identity",
            "the model speaking of itself as an AI: 'As an AI language model, ...', 'I don't have personal opinions'",
            "cut",
            "As an AI language model, I don't have personal preferences.",
        ),
        Category(
            "refusal",
            "refusals and apologies: 'I'm sorry, but I can't assist with that', 'I cannot fulfill this request'",
            "cut",
            "I'm sorry, but I cannot fulfill this request.",
        ),
        Category(
            "moralising",
            "moralising disclaimers: 'is both illegal and unethical', 'I'm not a doctor', 'I do not condone'",
            "cut",
            "Hacking into someone's account is illegal and unethical.",
        ),
        Category(
            "knowledge_cutoff",
            "knowledge cutoff and no-browsing notes: 'As of my last update in 2021', 'I don't have real-time data'",
            "cut",
            "As of my last knowledge update in September 2021, ...",
        ),
        Category(
            "vendor",
            "the model naming its maker or product: 'I am ChatGPT', 'trained by OpenAI', 'OpenAI's content policy'",
            "cut",
            "I'm ChatGPT, a large language model trained by OpenAI.",
        ),
        Category(
            "platform",
            "chat-platform artifacts: 'Regenerate response', 'This conversation is shared from ChatGPT', 'Copy code'",
            "cut",
            "Regenerate response",
        ),
        Category(
            "deflection",
            "replies that only deflect: a crisis referral, a moral lecture or pushback on the premise in place of an "
            "answer; these phrases count only when they make up most of the reply",
            "cut",
            "I'm really sorry you're feeling this way. Please reach out to a crisis line such as 988.",
        ),
    )
}

#: Categories whose phrases are harmless inside a real answer ("It's important to treat others with
#: respect", "help is available"): a hit counts only when the sentences holding such hits (and any other
#: hits) carry most of the reply's useful words; otherwise it is ignored, with no cut and no flag.
CONDITIONAL_CATEGORIES: frozenset[str] = frozenset({"deflection"})

#: The languages with a phrase file, in the order their cutting words are combined.
LANGUAGES = ("en", "es", "pt", "fr", "de", "zh")

#: The folder of the phrase files.
PHRASE_DIR = Path(__file__).resolve().parent / "phrases"

_FRAGMENT = re.compile(r"\{(\w+)\}")


def _read(lang: str) -> dict[str, Any]:
    """The phrase file of ``lang``, with its fragments substituted into its phrases."""
    path = PHRASE_DIR / f"{lang}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PluginError(
            f"filter 'refusal': cannot read its phrase file {path}: {exc}",
            hint="reinstall curate (pip install --force-reinstall curate): the package's data files are damaged",
        ) from None
    fragments: dict[str, str] = data.get("fragments", {})

    def expand(phrase: str) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(1) not in fragments:
                raise PluginError(
                    f"filter 'refusal': {path.name}: phrase {phrase[:60]!r} names an unknown fragment {m.group()}",
                    hint=f"fragments of this file: {', '.join(sorted(fragments)) or 'none'}",
                )
            return fragments[m.group(1)]

        return _FRAGMENT.sub(one, phrase)

    data["phrases"] = {c: tuple(expand(p) for p in ps) for c, ps in data.get("phrases", {}).items()}
    return data


def _load() -> tuple[
    dict[str, dict[str, tuple[str, ...]]],
    dict[str, tuple[tuple[str, str, str], ...]],
    dict[str, dict[str, tuple[str, ...]]],
]:
    """Phrases by category and language, regexes by category, cutting words by kind and language."""
    phrases: dict[str, dict[str, tuple[str, ...]]] = {}
    regexes: dict[str, tuple[tuple[str, str, str], ...]] = {}
    cutting: dict[str, dict[str, tuple[str, ...]]] = {}
    for lang in (*LANGUAGES, "any"):
        data = _read(lang)
        for category, patterns in data["phrases"].items():
            phrases.setdefault(category, {})[lang] = patterns
        for category, entries in data.get("regexes", {}).items():
            regexes[category] = tuple((e["name"], e["regex"], e["needle"]) for e in entries)
        for kind, words in data.get("cutting", {}).items():
            cutting.setdefault(kind, {})[lang] = tuple(words)
    unknown = sorted((set(phrases) | set(regexes)) - set(CATEGORIES))
    if unknown:
        raise PluginError(
            f"filter 'refusal': the phrase files name unknown categories: {', '.join(unknown)}",
            hint=f"categories: {', '.join(CATEGORIES)}",
        )
    return phrases, regexes, cutting


def _all_languages(by_lang: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The words of every language, in :data:`LANGUAGES` order, each once."""
    return tuple(dict.fromkeys(w for lang in LANGUAGES for w in by_lang.get(lang, ())))


_PHRASES, _REGEXES, _CUTTING = _load()

#: Phrases by category, then language (``"any"`` for every language).
PHRASES: dict[str, dict[str, tuple[str, ...]]] = _PHRASES
#: Regular expressions by category: (name, regex, needle).
REGEXES: dict[str, tuple[tuple[str, str, str], ...]] = _REGEXES
#: Sentences that do not make an answer useful on their own: offers of more help,
#: referrals to a professional, pleasantries. A record whose only content after a cut
#: is made of these is a full refusal. They never trigger the filter by themselves.
FILLER: dict[str, tuple[str, ...]] = _CUTTING.get("filler", {})
#: Sentences that justify a refusal rather than help: when short (at most 30 words) and
#: holding one of these, they do not count towards a useful answer. Searched anywhere in
#: the sentence. They never trigger the filter by themselves.
JUSTIFICATIONS: dict[str, tuple[str, ...]] = _CUTTING.get("justifications", {})
#: Openings of conditional sentences ("If you ..."), every language: a short one (at most
#: 20 words) after a cut is a redirect ("If you paste the text here, I can summarise it"), not help.
CONDITIONAL_OPENINGS: tuple[str, ...] = _all_languages(_CUTTING.get("conditional_openings", {}))
#: Words that open the sentence after a cut and lean on the removed one ("However, here
#: is ..."), every language: dropped so that the answer starts cleanly.
CONNECTIVES: tuple[str, ...] = _all_languages(_CUTTING.get("connectives", {}))
#: Where a matched sentence turns to help ("I can't X, but here is ..."), every language:
#: the part after it is kept. Matched after the end of the phrase, inside the same sentence.
CLAUSE_BREAKS: tuple[str, ...] = _all_languages(_CUTTING.get("clause_breaks", {}))
#: Subordinate openings, every language: "While I don't have personal opinions, many
#: people ..." keeps the main clause after the comma that closes the subordinate one.
SUBORDINATE_OPENINGS: tuple[str, ...] = _all_languages(_CUTTING.get("subordinate_openings", {}))
