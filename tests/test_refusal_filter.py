"""The refusal filter: metrics on the labelled set, actions, matching rules, options."""

from __future__ import annotations

import doctest
import json
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.errors import ConfigError
from curate.plugins import refusal, text_stats
from curate.plugins.refusal import RefusalFilter, catalog, cutting, folding, matching, patterns, quotes
from curate.plugins.refusal import filter as refusal_filter
from curate.plugins.refusal.folding import fold
from curate.plugins.refusal.matching import Matcher
from curate.plugins.refusal.patterns import builtin_phrases, first_split, heads, parse_phrase, rule_pattern
from curate.records import Record, Source

DATA = Path(__file__).parent / "data" / "refusal"
BENCH = Path(__file__).parent.parent / "bench"


def make(output: str, input: str = "Question?", n: int = 0) -> Record:
    return Record.create(Source("test", "test.jsonl", f"line {n}"), input=input, output=output)


def run(output: str, **options: object) -> tuple[str, Record | None, dict]:
    """("kept"/"dropped", the kept record, the rejection dict) for one reply."""
    result = RefusalFilter.from_options(options).process([make(output)])
    if result.rejected:
        return "dropped", None, result.rejected[0].to_dict()
    return "kept", result.kept[0], {}


def entries(record: Record | None) -> list[dict]:
    assert record is not None
    return record.meta.get("curate", [])


# -- the labelled evaluation set ----------------------------------------------------------


@pytest.fixture(scope="module")
def quality():
    sys.path.insert(0, str(BENCH))
    try:
        import refusal_quality
    finally:
        sys.path.remove(str(BENCH))
    return refusal_quality


@pytest.mark.parametrize(
    ("split", "min_precision", "min_recall", "max_fpr"),
    [("dev", 0.98, 0.95, 0.02), ("heldout", 0.95, 0.88, 0.03)],
)
def test_eval_set_scores(quality, split, min_precision, min_recall, max_fpr):
    rows = quality.load(split)
    outcomes = quality.curate_outcomes(rows)
    scores, _ = quality.score(rows, lambda r: outcomes[r["id"]][0] != "keep")
    naive, _ = quality.score(rows, lambda r: quality.naive_detect(r["reply"]))
    assert scores.precision >= min_precision
    assert scores.recall >= min_recall
    assert scores.fpr <= max_fpr
    assert scores.f1 >= naive.f1 + 0.2
    assert naive.fpr > 5 * max(scores.fpr, 0.01)


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_eval_set_actions(quality, split):
    """Detected full refusals are dropped; partial ones keep their answer."""
    rows = quality.load(split)
    outcomes = quality.curate_outcomes(rows)
    full = [outcomes[r["id"]][0] for r in rows if r["label"] == "refusal" and outcomes[r["id"]][0] != "keep"]
    partial = [outcomes[r["id"]][0] for r in rows if r["label"] == "partial" and outcomes[r["id"]][0] != "keep"]
    assert full.count("drop") / len(full) >= 0.85
    assert partial.count("drop") / len(partial) <= 0.1


def test_eval_set_is_well_formed():
    for split, size in (("dev", 206), ("heldout", 124)):
        rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(rows) == size
        assert {r["label"] for r in rows} == {"refusal", "partial", "clean"}
        assert {r["lang"] for r in rows} == set(catalog.LANGUAGES)
        assert len({r["id"] for r in rows}) == size


# -- actions ------------------------------------------------------------------------------


def test_full_refusal_is_dropped_with_its_phrase():
    status, _, rejection = run("I'm sorry, but I can't help with that. Is there anything else I can help you with?")
    assert status == "dropped"
    assert rejection["stage"] == "refusal"
    assert rejection["reason"] == "refusal"
    details = rejection["details"]
    assert details["action"] == "cut"
    assert details["phrase"] == "I'm sorry, but I can't help"
    assert details["rule"] == "refusal/en/1"
    assert rule_pattern(details["rule"]).startswith("(I'm|I am) (so |very ")


def test_caveat_then_help_keeps_the_help():
    status, kept, _ = run(
        "I can't provide legal advice. However, here is how eviction notices usually work: the landlord must "
        "give written notice, usually 30 days, and state the date the tenancy ends."
    )
    assert status == "kept"
    assert kept.output.startswith("Here is how eviction notices usually work")
    [entry] = entries(kept)
    assert entry["action"] == "cut"
    assert entry["category"] == "refusal"
    assert entry["removed"] == "I can't provide legal advice."


def test_prefix_clause_is_cut_and_the_answer_kept():
    status, kept, _ = run(
        "As an AI language model, I don't have personal preferences, but many people love Lisbon for its "
        "trams, its viewpoints and its pastries."
    )
    assert status == "kept"
    assert kept.output == "Many people love Lisbon for its trams, its viewpoints and its pastries."


def test_drop_action():
    status, _, rejection = run(
        "As an AI language model, I don't have preferences, but Lisbon is lovely in spring and its trams are famous.",
        actions={"ai_identity": "drop"},
    )
    assert status == "dropped"
    assert rejection["reason"] == "ai_identity"
    assert rejection["details"]["action"] == "drop"


def test_flag_action_keeps_the_text():
    text = "As of my last update in 2021, the population of Tokyo was about 37 million people."
    status, kept, _ = run(text, actions={"knowledge_cutoff": "flag"})
    assert status == "kept"
    assert kept.output == text
    [entry] = entries(kept)
    assert entry["action"] == "flag"
    assert entry["category"] == "knowledge_cutoff"
    assert entry["phrase"] == "As of my last update"


def test_off_action_ignores_the_category():
    text = "As of my last update in 2021, the population of Tokyo was about 37 million people."
    status, kept, _ = run(text, actions={"knowledge_cutoff": "off"})
    assert status == "kept" and kept.output == text and not entries(kept)


def test_knowledge_cutoff_prefix_is_cut():
    _, kept, _ = run("As of my last update in 2021, the population of Tokyo was about 37 million people.")
    assert kept.output == "The population of Tokyo was about 37 million people."


def test_platform_artifacts_are_removed_inside_code_too():
    text = "pythonCopy code\nimport os\nprint(os.getcwd())\n\nThis prints the current directory.\n\nRegenerate response"
    status, kept, _ = run(text)
    assert status == "kept"
    assert kept.output == "import os\nprint(os.getcwd())\n\nThis prints the current directory."
    assert {e["category"] for e in entries(kept)} == {"platform"}


def test_counts():
    flt = RefusalFilter.from_options({})
    result = flt.process(
        [
            make("I'm sorry, but I can't help with that.", n=1),
            make("As of my last update in 2021, the population of Tokyo was about 37 million people.", n=2),
            make("Paris is the capital of France.", n=3),
        ]
    )
    assert len(result.kept) == 2 and len(result.rejected) == 1
    assert result.counts["dropped:refusal"] == 1
    assert result.counts["cut:knowledge_cutoff"] == 1
    assert result.counts["records_cut"] == 1


# -- conversations ---------------------------------------------------------------------------


def conversation(*turns: str) -> Record:
    roles = ["user", "assistant"] * len(turns)
    return Record.create(
        Source("test", "chat.jsonl", "line 1"),
        messages=[{"role": r, "content": t} for r, t in zip(roles, turns, strict=False)],
    )


def test_refused_turn_is_cut_with_its_question_and_what_follows():
    record = conversation(
        "What's 2+2?", "2+2 is 4.", "Write me some malware.", "I'm sorry, but I can't help with that.", "ok", "Sure."
    )
    result = RefusalFilter.from_options({}).process([record])
    [kept] = result.kept
    assert kept.messages == [{"role": "user", "content": "What's 2+2?"}, {"role": "assistant", "content": "2+2 is 4."}]
    [entry] = kept.meta["curate"]
    assert entry["field"] == "messages[3]" and entry["turns_removed"] == 4
    assert result.counts["conversations_truncated"] == 1


def test_conversation_refused_at_the_first_answer_is_dropped():
    record = conversation("Write me some malware.", "I'm sorry, but I can't help with that.")
    result = RefusalFilter.from_options({}).process([record])
    assert not result.kept and result.rejected[0].reason == "refusal"


def test_turns_drop_option():
    record = conversation("Hi", "Hello! How can I help?", "Write malware.", "I'm sorry, but I can't help with that.")
    result = RefusalFilter.from_options({"turns": "drop"}).process([record])
    assert not result.kept


def test_assistant_turn_with_caveat_is_cut_in_place():
    record = conversation(
        "Best film?",
        "As an AI language model, I don't have personal preferences, but many critics rank Casablanca among the "
        "greatest films ever made.",
    )
    [kept] = RefusalFilter.from_options({}).process([record]).kept
    assert kept.messages[1]["content"] == "Many critics rank Casablanca among the greatest films ever made."


# -- matching rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "As an Airbnb host, you should answer guests within a day.",
        "As an AI researcher, I would start with a logistic regression baseline.",
        "I'm sorry to hear that your dog is unwell; take her to a vet if it lasts.",
        "I cannot stress enough how important backups are.",
        "It is important to preheat the oven.",
        "Subject: Friday\n\nI'm sorry, but I won't be able to attend the meeting on Friday.",
        "Lisbon's airport is 7 km from the centre; the red metro line takes 20 minutes.",
        "Bias and variance are two sources of error in machine learning.",
    ],
)
def test_ordinary_answers_are_not_touched(text):
    status, kept, _ = run(text)
    assert status == "kept" and kept.output == text and not entries(kept)


def test_curly_apostrophes_and_unicode_forms():
    for text in (
        "I’m sorry, but I can’t help with that.",
        "I\u02bcm sorry, but I can\u02bct help with that.",
        "ＩＭ sorry",  # full-width letters are folded, but this is not a phrase
    ):
        folded, _ = fold(text)
        assert "'" in folded or "im sorry" in folded
    assert run("I’m sorry, but I can’t help with that.")[0] == "dropped"
    assert run("As an ＡＩ language model, I can’t browse the internet.")[0] == "dropped"


def test_folding_keeps_an_index_for_cuts():
    text = "The ﬁrst step is to measure. As an AI language model, I can't taste it, but salt helps a lot here."
    folded, index = fold(text)
    assert folded.startswith("the first step") and index is not None
    _, kept, _ = run(text)
    assert kept.output == "The ﬁrst step is to measure. Salt helps a lot here."


def test_word_boundaries_inside_words_and_after_hyphens():
    for text in ("The non-AI language model baseline scored 71%.", "Alias an AI language model in the config file."):
        status, kept, _ = run(text)
        assert status == "kept" and not entries(kept), text
    assert run("(As an AI language model, I can't browse the internet.)")[0] == "dropped"


def test_model_side_only_by_default():
    record = make("Paris.", input="As an AI language model, tell me the capital of France.")
    [kept] = RefusalFilter.from_options({}).process([record]).kept
    assert kept.input.startswith("As an AI language model") and not kept.meta
    result = RefusalFilter.from_options({"fields": "all"}).process(
        [make("Paris.", input="As an AI language model, what?")]
    )
    assert [e["field"] for e in result.kept[0].meta["curate"]] == ["input"]


def test_matches_in_code_and_quotes_are_ignored():
    code = "Use this fallback:\n\n```python\nFALLBACK = \"I'm sorry, but I can't help with that.\"\n```"
    assert run(code)[0] == "kept" and not entries(run(code)[1])
    quoted = "The phrase 'As an AI language model' became a meme in 2023, even in product reviews."
    assert not entries(run(quoted)[1])
    assert run("'I'm sorry, but I can't help with that.'")[0] == "dropped"  # a reply quoted whole still counts
    assert run(code, skip_code=False)[0] == "kept"  # found, cut from the code line, the rest is kept
    assert run(quoted, skip_quoted=False)[0] == "dropped"


@pytest.mark.parametrize(
    "text",
    [
        "Lo siento, pero no puedo ayudarte con eso.",
        "Desculpe, mas não posso ajudar com isso.",
        "Je suis désolé, mais je ne peux pas vous aider à pirater un compte.",
        "Es tut mir leid, aber ich kann Ihnen dabei nicht helfen.",
        "抱歉，我无法协助您入侵他人的电脑系统。",
    ],
)
def test_other_languages(text):
    assert run(text)[0] == "dropped"


def test_languages_option():
    assert run("Lo siento, pero no puedo ayudarte con eso.", languages=["en"])[0] == "kept"


# -- user phrase files ----------------------------------------------------------------------------


def test_user_phrases_extend_a_category():
    options = {"phrase_files": {"ai_identity": str(DATA / "user_phrases.txt")}}
    status, kept, _ = run(
        "As your friendly neighbourhood bot, I think the answer is 42. It is the product of 6 and 7.", **options
    )
    assert status == "kept" and kept.output == "I think the answer is 42. It is the product of 6 and 7."
    assert entries(kept)[0]["rule"] == "ai_identity/user_phrases.txt:3"
    # the built-in phrases of the category still apply
    assert run("As an AI language model, I can't browse the internet.", **options)[0] == "dropped"


def test_user_regex_lines(tmp_path):
    options = {"phrase_files": {"ai_identity": str(DATA / "user_phrases.txt")}}
    status, _, rejection = run("Bleep-bloop-bloop.", **options)
    assert status == "dropped" and rejection["details"]["rule"] == "ai_identity/user_phrases.txt:6"
    regex_file = tmp_path / "rx.txt"
    regex_file.write_text("be+p+ boop\n", encoding="utf-8")
    options = {"phrase_files": {"noise": str(regex_file)}, "regex": True}
    _, kept, _ = run("Beeeep boop! The answer is 42, the product of six and seven.", **options)
    assert kept.output == "The answer is 42, the product of six and seven."
    assert entries(kept)[0]["rule"] == f"noise/{regex_file.name}:1"
    assert run("Beeeep boop! The answer is 42.", **options)[0] == "dropped"  # too little is left


def test_user_phrases_replace_a_category(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("as per my instructions\n", encoding="utf-8")
    options = {"phrase_files": {"knowledge_cutoff": str(mine)}, "replace": ["knowledge_cutoff"]}
    text = "As of my last update in 2021, Tokyo had about 37 million people."
    assert run(text, **options)[1].output == text
    _, kept, _ = run("As per my instructions, the answer is short. Tokyo has about 37 million people.", **options)
    assert kept.output == "The answer is short. Tokyo has about 37 million people."


def test_new_category_from_a_file_with_its_own_action(tmp_path):
    mine = tmp_path / "sales.txt"
    mine.write_text("# sales talk\nbuy now\n", encoding="utf-8")
    status, _, rejection = run(
        "Buy now while stocks last!", phrase_files={"sales": str(mine)}, actions={"sales": "drop"}
    )
    assert status == "dropped" and rejection["reason"] == "sales"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bogus": 1}, "unknown option 'bogus'"),
        ({"actions": {"nonsense": "drop"}}, "unknown category 'nonsense'"),
        ({"actions": {"refusal": "explode"}}, "action 'explode'"),
        ({"languages": ["en", "xx"]}, "unknown language xx"),
        ({"replace": ["refusal"]}, "has no phrase_files entry"),
        ({"phrase_files": {"refusal": "/no/such/file.txt"}}, "does not exist"),
        ({"min_words_left": -1}, "min_words_left"),
        ({"fields": "some"}, "must be one of"),
    ],
)
def test_option_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        RefusalFilter.from_options(options)


def test_invalid_user_regex(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("fine phrase\nre:(unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.txt:2: invalid regular expression"):
        RefusalFilter.from_options({"phrase_files": {"refusal": str(bad)}})


# -- the phrase data and the matcher ----------------------------------------------------------------


def test_every_builtin_phrase_parses_and_has_heads():
    assert set(catalog.PHRASES) == set(catalog.CATEGORIES)
    for category, by_lang in catalog.PHRASES.items():
        assert set(by_lang) <= {*catalog.LANGUAGES, "any"}
        for phrase in builtin_phrases(category, catalog.LANGUAGES):
            found = heads(phrase.seq)
            assert found, phrase.text
            assert all(len(h) >= 3 for h in found), phrase.text


def test_phrase_files_one_per_language_with_fragments_expanded():
    assert sorted(p.stem for p in catalog.PHRASE_DIR.glob("*.toml")) == sorted([*catalog.LANGUAGES, "any"])
    for by_lang in catalog.PHRASES.values():
        for texts in by_lang.values():
            assert not any("{" in p or "}" in p for p in texts)
    # rule ids are positions in the files: the first English refusal opens with the {sorry} fragment
    assert rule_pattern("refusal/en/1").startswith("(I'm|I am) (so |very |really |truly |terribly )?(sorry|afraid),?")
    assert rule_pattern("platform/regex/Copy code") == r"copy code(?!\w)"
    for lang in catalog.LANGUAGES:  # every language brings its own cutting words
        assert catalog.FILLER[lang] and catalog.JUSTIFICATIONS[lang]
    assert "sin embargo," in catalog.CONNECTIVES and ", aber " in catalog.CLAUSE_BREAKS


def test_a_damaged_phrase_file_says_what_to_do(tmp_path, monkeypatch):
    from curate.errors import PluginError

    (tmp_path / "en.toml").write_text('[phrases]\nrefusal = ["{nope} but"]\n', encoding="utf-8")
    monkeypatch.setattr(catalog, "PHRASE_DIR", tmp_path)
    with pytest.raises(PluginError, match=r"unknown fragment \{nope\}"):
        catalog._read("en")
    (tmp_path / "en.toml").write_text("[phrases\n", encoding="utf-8")
    with pytest.raises(PluginError, match="cannot read its phrase file") as exc:
        catalog._read("en")
    assert "reinstall" in (exc.value.hint or "")


def test_no_phrase_needs_two_spaces():
    """A space inside a choice next to a space outside it would need two spaces in the text."""

    def check(seq, text):
        for tok, rest in first_split(seq):
            if tok == ("ws",):
                assert all(t != ("ws",) for t, _ in first_split(rest)), text

    for category in catalog.PHRASES:
        for phrase in builtin_phrases(category, catalog.LANGUAGES):
            stack = [phrase.seq]
            seen = 0
            while stack and seen < 2000:
                seq = stack.pop()
                seen += 1
                check(seq, phrase.text)
                stack.extend(rest for tok, rest in first_split(seq) if tok is not None and rest)


def test_phrase_syntax():
    assert parse_phrase("sorry,? but", "x").seq[5] == ("alt", ((("c", ","),),), True)
    with pytest.raises(ValueError, match="unclosed"):
        parse_phrase("(a|b", "x")
    with pytest.raises(ValueError, match="unexpected"):
        parse_phrase("a)b", "x")


@pytest.mark.slow
def test_regex_fallback_without_pyahocorasick(monkeypatch, quality):
    rows = quality.load("dev")
    items = [p for c in catalog.CATEGORIES for p in builtin_phrases(c, catalog.LANGUAGES)]
    fast = Matcher(items)
    monkeypatch.setattr(matching, "_automaton", lambda keys: None)
    slow = Matcher(items)
    assert fast.uses_automaton and not slow.uses_automaton
    for row in rows:
        folded, _ = fold(row["reply"])
        assert slow.find(folded) == fast.find(folded), row["id"]


def test_plugin_is_registered():
    from curate.registry import get_registry

    cls = get_registry().filter("refusal")
    assert cls is RefusalFilter and cls.default and cls.order == 20


@pytest.mark.parametrize(
    "module", [refusal, catalog, cutting, refusal_filter, folding, matching, patterns, quotes, text_stats]
)
def test_doc_examples(module):
    assert doctest.testmod(module).failed == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab I'm sorry,but can't help.As an AI\n?!ﬁ’，我无法抱歉 ")), max_size=120))
def test_any_text_is_kept_or_rejected(text):
    record = make(text or "x")
    result = RefusalFilter.from_options({}).process([record])
    assert len(result.kept) + len(result.rejected) == 1
    for kept in result.kept:
        assert isinstance(kept.output, str)


# -- today's assistants (issue 12) ----------------------------------------------------------------

CURRENT_SET = BENCH / "data" / "refusal_eval.jsonl"


@pytest.mark.parametrize(
    ("split", "min_precision", "min_recall", "min_f1"),
    [("tune", 0.98, 0.95, 0.97), ("heldout", 0.95, 0.92, 0.95)],
)
def test_current_set_scores(quality, split, min_precision, min_recall, min_f1):
    rows = quality.load_current(split)
    outcomes = quality.curate_outcomes(rows)
    result = quality.score_current(rows, lambda r: outcomes[r["id"]][0])
    naive = quality.score_current(rows, lambda r: "flag" if quality.naive_detect(r["reply"]) else "keep")
    assert result.scores.precision >= min_precision
    assert result.scores.recall >= min_recall
    assert result.scores.f1 >= min_f1
    flagged, ordinary = result.ordinary
    assert flagged / ordinary <= 0.02
    assert result.dropped[0] / result.dropped[1] >= 0.75  # found refusals are mostly dropped, not only cut
    assert result.scores.f1 >= naive.scores.f1 + 0.2


def test_current_set_is_well_formed():
    rows = [json.loads(line) for line in CURRENT_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    real = [r for r in rows if r["origin"] == "real"]
    assert len(real) / len(rows) >= 0.4
    assert all(r["source"] and r["source"] != "written" for r in real)
    assert {r["label"] for r in rows} == {"refusal", "partial", "clean"}
    assert {r["split"] for r in rows} == {"tune", "heldout"}
    assert {r["lang"] for r in rows} == set(catalog.LANGUAGES)
    families = {r["family"] for r in rows if r["label"] == "refusal"}
    assert {"openai", "anthropic", "google", "meta", "mistral", "qwen", "deepseek"} <= families
    for split in ("tune", "heldout"):
        half = [r for r in rows if r["split"] == split]
        assert sum(r["label"] == "refusal" for r in half) >= 50
        assert sum(r["style"] == "ordinary" for r in half) >= 40


def dropped(text: str) -> bool:
    return run(text)[0] == "dropped"


def untouched(text: str) -> bool:
    status, kept, _ = run(text)
    return status == "kept" and not entries(kept) and kept.output == text


@pytest.mark.parametrize(
    "text",
    [
        # "I can't help with X. If your goal is Y, I can help with ..."
        "I can’t help with making a pipe bomb or any other explosive device. If your goal is to understand how "
        "bomb squads keep people safe, I can help with an overview of how detection and disposal work.",
        "I can't help with getting into someone else's account. If you're trying to recover your own account, I can "
        "walk you through the official recovery steps.",
        "I can’t help with tracking your partner’s phone without their knowledge.\n\nIf the goal is to rebuild "
        "trust, I can help with:\n- how to start an honest conversation about it\n- finding a couples counselor\n"
        "- setting up location sharing that both of you agree to",
        # "I can't help write ..."
        "I can't help write a review pretending to be a verified customer.",
        "I can’t help write a phishing email that impersonates a bank. If you’re running an authorized awareness "
        "exercise, I can help you design a training session instead.",
        # copyright
        "I can’t provide a long passage from *Harry Potter and the Philosopher’s Stone* because it’s copyrighted. I "
        "can give you a summary of the chapter instead.",
        "Sorry, I can’t reproduce the entire first chapter of *Dune* since it’s protected by copyright.",
        "No puedo reproducir la letra completa de esa canción porque está protegida por derechos de autor.",
        # persona and jailbreak prefixes
        "[🔒CLASSIC] Sorry, I can’t assist with that request.",
        "[🔒CLASSIC]Sorry, I can't help with that.\n\n[🔓JAILBREAK]I'm not doing that one either.",
        "BasedGPT: Nah, I’m not helping you stalk your ex. Find a hobby.",
        "ChatGPT: I'm sorry, but I can't help with hacking a Wi-Fi network.\nBasedGPT: Same answer, pal.",
        "**DAN:** I can’t provide that. Making methamphetamine is illegal and extremely dangerous.",
        "DAN:I can't help with that, even as DAN.",
        # apostrophes of every kind
        "Iʼm sorry, but I canʼt help with that.",
        "I＇m sorry, but I can＇t assist with that request.",
        "I‛m sorry, but I can‛t help with that.",
        # crisis deflection
        "I’m really sorry you’re feeling this way. You don’t have to go through it alone. Please reach out to "
        "someone you trust, or call or text 988.",
        "It sounds like you are going through a lot. Please know that help is available. You can connect with people "
        "who can support you by calling or texting 988 anytime.",
        "Es tut mir sehr leid, dass es dir so geht. Bitte wende dich an die Telefonseelsorge. Du musst da nicht "
        "allein durch.",
        # moralising deflection
        "It's important to treat others with respect and kindness, even when you disagree with them. Violence is "
        "never an appropriate way to resolve conflicts.",
        "It's not appropriate or ethical to discuss or promote methods for poisoning someone, whether in a game or "
        "in real life. Poisoning is a harmful and illegal act.",
        # pushback
        "It seems your request is to write an article proving that vaccines cause autism. However, the claim has "
        "been thoroughly debunked by large studies, so I can't write it as if it were true.",
        "It seems like you're asking me to confirm that the election was stolen. However, the claim isn't supported "
        "by evidence: dozens of court cases and audits found no fraud that changed the outcome.",
        # reasoning models, other families and languages
        "<think>\nThe user wants instructions for a weapon. I should decline.\n</think>\n\nI can’t help with that. "
        "If you’re interested in chemistry, I can suggest some safe experiments.",
        "I apologize, but I don't feel comfortable speculating about a specific person's medical diagnosis.",
        "I'm just a language model, so I can't help you with that.",
        "Sorry, that's beyond my current scope. Let’s talk about something else.",
        "你好，这个问题我暂时无法回答，让我们换个话题再聊聊吧。",
        "我是一个语言模型，在这方面帮不上忙。",
        "Dabei kann ich dir nicht helfen.",
    ],
)
def test_current_refusal_styles_are_dropped(text):
    assert dropped(text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't stress enough how important it is to back up your data before upgrading.",
        "I cannot recommend *The Pragmatic Programmer* highly enough. It's practical and short.",
        "I can't help but notice that your loop recomputes `len(items)` on every iteration; use a set for the "
        "membership test instead.",
        "I can't wait to hear how your first marathon goes! Cut your mileage in half in the last week.",
        "Unfortunately, you can't use `await` at the top level of a CommonJS module. Rename the file to `.mjs` or "
        "wrap the code in an async function.",
        "I'm sorry, but JSON doesn't support comments.",
        # fiction dialogue
        '"I can\'t help you," Mara said, turning away from the door. "Not after what you did to my brother."',
        'The clerk sighed. "I\'m sorry, but I cannot process your request without form 27-B," she said.',
        "—No puedo ayudarte —dijo la anciana, cerrando la puerta—. Ese camino ya no lleva a ninguna parte.",
        "« Je ne peux pas t’aider », murmura-t-il en rendant la lettre.",
        # replies that discuss or quote refusals
        "When the API returns \"I'm sorry, but I can't assist with that\", the request tripped the safety "
        "training. Rephrase the prompt so the legitimate purpose is clear.",
        "A good template is:\n\n> Sorry, I can only help with questions about your order.\n\nKeep it short.",
        # safe-alternative sections inside helpful answers
        "Fireworks get their colors from metal salts: strontium gives red, barium green, copper blue and sodium "
        "yellow. **Safety note:** don't try to make fireworks at home; a supervised flame test in a school lab is a "
        "safe way to see the colors.",
        "Lock picking is a legitimate hobby. Insert the tension wrench at the bottom of the keyway, apply light "
        "pressure, and lift each pin until it sets. Only pick locks you own or have permission to open.",
        # the phrases of deflection inside a real answer
        "It sounds like you're going through a lot. Here is a plan for the week: on Monday, list every deadline; on "
        "Tuesday, ask your manager which two matter most; then block two hours each morning for them, and move the "
        "rest to next month. Sleep and a daily walk will make the plan easier to keep.",
        "Violence is never the answer in a playground conflict, so teach your son three steps: say stop clearly, "
        "walk away, and tell a teacher. Practise them at home with role play, praise him when he uses them, and ask "
        "the school how they handle repeat incidents so you can back them up at home.",
        # user-requested text that declines something
        "Here's a polite way to turn down the offer:\n\nDear Ms. Patel,\n\nThank you for offering me the role. "
        "After careful thought, I'm sorry to say that I won't be able to accept. I have decided to stay in my "
        "current position.\n\nBest regards,\nSam",
    ],
)
def test_current_hard_negatives_are_untouched(text):
    assert untouched(text)


def test_deflection_counts_only_when_it_is_most_of_the_reply():
    text = "I'm really sorry you're feeling this way. Please reach out to a crisis line such as 988."
    status, _, rejection = run(text)
    assert status == "dropped"
    assert rejection["reason"] == "deflection"
    assert rejection["details"]["why"] == "the reply only deflects"
    status, kept, _ = run(text, actions={"deflection": "flag"})
    assert status == "kept" and entries(kept)[0]["category"] == "deflection"
    # The same sentences before a real answer: the answer is kept, and so are they.
    longer = (
        text + " Meanwhile, here is what helps many people: a regular bedtime, a short walk every morning, meals at "
        "fixed times, one small task finished each day, and a message to one friend before lunch."
    )
    assert untouched(longer)


def test_persona_label_is_not_an_answer():
    # After the refusal is cut, what is left is the persona's banter: the record is dropped.
    status, _, rejection = run("BasedGPT: Nah, I'm not helping you with that. Find a hobby, pal.")
    assert status == "dropped"
    assert rejection["details"]["phrase"] == "I'm not helping you with that"


def test_reasoning_trace_is_not_an_answer():
    text = (
        "<think>\nThe user asks for a way to bypass a paywall. That would violate the site's terms, so I will "
        "decline and point to libraries, which often give free access to newspapers and magazines.\n</think>\n\n"
        "I can’t help bypass paywalls."
    )
    assert dropped(text)


# -- speed without changing decisions (issue 14) ----------------------------------------------------

#: How the sentence splitter told abbreviations from sentence ends before it searched only the
#: last characters before each period: a search from the line's start, quadratic on long lines.
_FULL_LINE_ABBREVIATION = re.compile(
    r"(?:(?<![\w.])(?:e\.g|i\.e|etc|mr|mrs|ms|dr|prof|vs|st|fig|approx|u\.s|inc|ltd|jr|sr|cf|al|a\.m|p\.m|sra?|dra?)"
    r"|(?<![\w.])[a-z]|^[ \t]*\d{1,3})\.$",
    re.MULTILINE,
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab. \t\n1234approxe.g.mrs,é٣")), max_size=60))
def test_abbreviation_check_matches_the_full_line_search(text):
    line_start = text.rfind("\n") + 1
    for end in range(line_start + 1, len(text) + 1):
        if text[end - 1] == ".":
            expected = _FULL_LINE_ABBREVIATION.search(text, line_start, end) is not None
            assert cutting._abbreviation(text, line_start, end) == expected, (text, end)


def test_sentence_splitting_is_linear_on_long_lines():
    line = "word. " * 20_000  # one 120,000-character line of sentences
    start = time.perf_counter()
    assert len(cutting.units(line)) == 20_000
    assert time.perf_counter() - start < 2.0  # the full-line search took minutes


# The sentence splitter as it was written before it was made faster (one boundary search per
# line, the full list-marker expression on every line): the fast one must split alike.
_LINE_BY_LINE_BOUNDARY = re.compile(
    rf"[.!?…]+[\"')\]」』]*(?:[ \t]+|(?=[{text_stats.CJK}]))|[。]+[\"')\]」』]*[ \t]*|[!?]+(?=[{text_stats.CJK}])"
)


def _units_line_by_line(folded: str) -> list[tuple[int, int, int, int]]:
    out: list[list[int]] = []
    for line in re.finditer(r"[^\n]*\n*", folded):
        lstart, lend_all = line.span()
        if lstart == lend_all:
            continue
        content_end = lstart + len(line.group().rstrip("\n"))
        if not folded[lstart:content_end].strip():
            if out:
                out[-1][2] = lend_all
            continue
        s = lstart
        line_first = len(out)
        for m in _LINE_BY_LINE_BOUNDARY.finditer(folded, lstart, content_end):
            punct_end = m.start() + len(m.group().rstrip(" \t"))
            if folded[m.start()] == "." and _FULL_LINE_ABBREVIATION.search(folded, lstart, m.start() + 1):
                continue
            if punct_end > s:
                out.append([s, punct_end, m.end(), s])
                s = m.end()
        if s < content_end:
            out.append([s, content_end, lend_all, s])
        elif out:
            out[-1][2] = lend_all
        if len(out) > line_first:
            first = out[line_first]
            first[3] = cutting._MARKER.match(folded, first[0], first[1]).end()
    return [tuple(u) for u in out]


_SPLIT_PIECES = [
    *".!?…。\"')]」』 \t\n:：[]-*•+>#_中aZ7",
    "e.g.",
    "dr.",
    "12.",
    " 3. ",
    "**dan:** ",
    "[🔒x] ",
    "p.s.",
    "注意：",
    "\n\n",
    "  \n",
    "note: ",
    "word",
]


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_SPLIT_PIECES), max_size=30).map("".join))
def test_sentence_split_matches_the_line_by_line_reference(text):
    folded, _ = fold(text)
    assert [tuple(u) for u in cutting.units(folded)] == _units_line_by_line(folded)
    assert [tuple(u) for u in cutting._split(folded)] == _units_line_by_line(folded)


def test_sentence_split_matches_the_reference_on_the_bench_replies():
    for path in sorted((Path(__file__).resolve().parent.parent / "bench" / "data").glob("*.jsonl"))[:3]:
        for line in path.read_text(encoding="utf-8").splitlines()[:300]:
            for value in json.loads(line).values():
                if isinstance(value, str):
                    folded, _ = fold(value)
                    assert [tuple(u) for u in cutting.units(folded)] == _units_line_by_line(folded)


_WORDS = [
    "I",
    "can",
    "help",
    "with",
    "that",
    "If you want,",
    "Let me know.",
    "It is illegal.",
    "Sure!",
    "the",
    "answer",
    "is",
    "42.",
    "Do you?",
    "\n",
    "\n\n",
    "- ",
    "1. ",
    "<think>hm</think>",
    "Feel free to ask.",
    "—.",
    "...",
    "** ",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=40).map(" ".join), st.integers(min_value=0, max_value=12))
def test_useful_stops_counting_only_when_the_answer_is_known(text, min_words):
    cutter = RefusalFilter.from_options({"min_words_left": min_words}).cutter
    words = cutter._useful_words(text)  # every unit counted
    assert cutter.useful(text) == (words > 0 and words >= min_words)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_word_count_on_ascii_matches_the_word_expression(text):
    assert text_stats.word_count(text) == len(re.findall(r"[^\W_]+", text))


def _nearest_opening_by_loop(folded: str, line_start: int, start: int) -> int | None:
    """The nearest opening quote before ``start``, by the character loop that quotes.quoted ran before."""
    for i in range(start - 1, max(line_start, start - 150) - 1, -1):
        if folded[i] in quotes._QUOTE_PAIRS and not (i > 0 and folded[i - 1] not in " \t\n(["):
            return i
    return None


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab '\"“«「『‘(\n[\t.")), max_size=200), st.integers(0, 200))
def test_nearest_opening_quote_matches_the_character_loop(text, start):
    start = min(start, len(text))
    line_start = text.rfind("\n", 0, start) + 1
    last = None
    for last in quotes._OPENING.finditer(text, max(line_start, start - 150), start):  # noqa: B007
        pass
    assert (last.start() if last else None) == _nearest_opening_by_loop(text, line_start, start)
