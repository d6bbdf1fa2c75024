"""A tiny dependency-free embedder for tests, examples and benchmarks of the pipeline itself.

:class:`HashingEmbedder` hashes words and character trigrams into a fixed number of
dimensions: texts sharing most of their words get a high cosine similarity, which is
enough to exercise clustering and near-duplicate removal without a model. It is not
registered by default; a test registers it through a fake plugin.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar

import numpy as np

from curate.semantic.embed import Embedder

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(Embedder):
    """Signed feature hashing of lower-cased words and character trigrams; ``model`` is the dimension."""

    name = "hashing"
    description = "feature hashing of words and trigrams (tests only: no semantics)"
    calls: ClassVar[list[int]] = []

    @property
    def dim(self) -> int:
        return int(self.model or 256)

    @property
    def model_id(self) -> str:
        return f"hashing:{self.dim}"

    def encode(self, texts: list[str]) -> np.ndarray:
        HashingEmbedder.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            grams = [f"#{w}" for w in words]
            for w in words:
                padded = f" {w} "
                grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
            for gram in grams or [""]:
                digest = hashlib.blake2b(gram.encode("utf-8", "surrogatepass"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 63) else -1.0
        return out


# -- a synthetic corpus with planted paraphrases ------------------------------------------------

_TOPICS: dict[str, dict[str, list[str]]] = {
    "cooking": {
        "subject": ["the chef", "my grandmother", "a home cook", "the baker", "our neighbour", "the restaurant"],
        "verb": ["roasts", "simmers", "seasons", "bakes", "slices", "marinates"],
        "object": [
            "the garlic",
            "fresh tomatoes",
            "a loaf of bread",
            "the chicken thighs",
            "wild mushrooms",
            "the onions",
        ],
        "context": ["before dinner", "for the holiday feast", "over a low flame", "with olive oil", "every Sunday"],
    },
    "astronomy": {
        "subject": [
            "the telescope",
            "an astronomer",
            "the space probe",
            "the observatory",
            "a student",
            "the satellite",
        ],
        "verb": ["tracks", "photographs", "measures", "observes", "maps", "detects"],
        "object": ["a distant galaxy", "the red planet", "a passing comet", "the lunar surface", "a dying star"],
        "context": ["on a clear night", "from low orbit", "in the infrared", "for the first time", "near the horizon"],
    },
    "programming": {
        "subject": [
            "the compiler",
            "a junior developer",
            "the test suite",
            "our build server",
            "the linter",
            "the team",
        ],
        "verb": ["rejects", "refactors", "profiles", "deploys", "debugs", "documents"],
        "object": ["the legacy module", "a memory leak", "the API client", "every pull request", "the database schema"],
        "context": ["after each commit", "before the release", "in production", "with a single command", "overnight"],
    },
    "gardening": {
        "subject": ["the gardener", "my uncle", "a volunteer", "the farmer", "the school club", "an old man"],
        "verb": ["waters", "prunes", "plants", "harvests", "fertilises", "weeds"],
        "object": ["the rose bushes", "a row of carrots", "the apple trees", "young lettuce", "the herb bed"],
        "context": ["in early spring", "after the rain", "at dawn", "by hand", "once a week"],
    },
    "finance": {
        "subject": [
            "the accountant",
            "a small business",
            "the central bank",
            "an investor",
            "the auditor",
            "my sister",
        ],
        "verb": ["reviews", "reports", "forecasts", "reduces", "audits", "budgets"],
        "object": [
            "the quarterly earnings",
            "interest rates",
            "the tax return",
            "monthly expenses",
            "the pension fund",
        ],
        "context": [
            "at the end of the year",
            "under new rules",
            "before the deadline",
            "with great care",
            "each quarter",
        ],
    },
    "music": {
        "subject": ["the pianist", "a street band", "the orchestra", "my teacher", "the drummer", "a young singer"],
        "verb": ["rehearses", "records", "performs", "composes", "arranges", "improvises"],
        "object": ["a slow ballad", "the symphony", "an old folk song", "the opening theme", "a jazz standard"],
        "context": ["in a small club", "for the festival", "without sheet music", "late at night", "on tour"],
    },
    "medicine": {
        "subject": ["the nurse", "a surgeon", "the clinic", "the pharmacist", "a family doctor", "the paramedic"],
        "verb": ["examines", "treats", "vaccinates", "monitors", "diagnoses", "reassures"],
        "object": ["the patient", "a sprained ankle", "the elderly residents", "a high fever", "the newborn"],
        "context": ["during the night shift", "in the emergency room", "with new equipment", "every morning"],
    },
    "travel": {
        "subject": ["the tourist", "a backpacker", "our guide", "the pilot", "a family", "the cruise ship"],
        "verb": ["visits", "explores", "crosses", "photographs", "books", "leaves"],
        "object": ["the old harbour", "a mountain village", "the desert", "the ancient ruins", "a crowded market"],
        "context": ["in the summer", "by train", "on foot", "at sunrise", "without a map"],
    },
}

_SYNONYMS = {
    "the": "this", "a": "one", "roasts": "oven-roasts", "simmers": "slowly cooks", "bakes": "oven-bakes",
    "tracks": "follows", "photographs": "takes pictures of", "measures": "quantifies", "observes": "watches",
    "rejects": "refuses", "debugs": "fixes bugs in", "deploys": "ships", "waters": "irrigates", "plants": "sows",
    "harvests": "picks", "reviews": "examines", "reduces": "cuts", "forecasts": "predicts", "records": "tapes",
    "performs": "plays", "composes": "writes", "treats": "cares for", "examines": "checks", "visits": "tours",
    "explores": "wanders through", "every": "each", "fresh": "freshly picked", "distant": "faraway", "old": "aged",
    "small": "little", "young": "youthful", "slow": "gentle", "clear": "cloudless", "night": "evening",
}  # fmt: skip
_OPENERS = ["", "", "", "Yesterday, ", "Often, ", "As usual, ", "In the story, ", "Reportedly, ", "Today "]


def _sentence(rng: Any, topic: dict[str, list[str]]) -> str:
    opener = rng.choice(_OPENERS)
    parts = [rng.choice(topic[k]) for k in ("subject", "verb", "object", "context")]
    text = f"{opener}{' '.join(parts)}."
    return text[0].upper() + text[1:]


def paraphrase(text: str, rng: Any) -> str:
    """A light rewording: synonyms for some words, maybe a moved clause, a prefix or changed punctuation."""
    words = text.rstrip(".").split(" ")
    out = []
    for w in words:
        low = w.lower()
        if low in _SYNONYMS and rng.random() < 0.4:
            out.append(_SYNONYMS[low])
        else:
            out.append(w)
    sentence = " ".join(out)
    roll = rng.random()
    if roll < 0.25:
        sentence = "Indeed, " + sentence[0].lower() + sentence[1:]
    elif roll < 0.45:
        sentence = sentence + ", as always"
    end = rng.choice([".", "!", "."])
    result = sentence[0].upper() + sentence[1:] + end
    if result == text:  # nothing changed by chance: a paraphrase is never an exact copy
        result = "Indeed, " + text[0].lower() + text[1:]
    return result


def synthetic_corpus(
    n: int, *, paraphrase_rate: float = 0.15, seed: int = 0
) -> tuple[list[str], list[tuple[int, int]]]:
    """``n`` short sentences on eight topics, some of them paraphrases of earlier ones.

    Returns the texts and the planted pairs ``(original, paraphrase)`` by position. Each
    sentence carries a short unique tag so that only planted pairs are near-identical.
    """
    import random

    rng = random.Random(seed)
    names = sorted(_TOPICS)
    texts: list[str] = []
    pairs: list[tuple[int, int]] = []
    while len(texts) < n:
        if texts and rng.random() < paraphrase_rate:
            source = rng.randrange(len(texts))
            pairs.append((source, len(texts)))
            texts.append(paraphrase(texts[source], rng))
            continue
        topic = _TOPICS[names[rng.randrange(len(names))]]
        base = _sentence(rng, topic)
        detail = rng.choice(topic["object"]).split(" ")[-1]
        texts.append(f"{base[:-1]} near {detail} number {len(texts)}.")
    return texts, pairs
