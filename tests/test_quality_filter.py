"""The quality filter: each rule on a record it rejects and one it keeps; options."""

from __future__ import annotations

import doctest
import json

import pytest

from curate.errors import ConfigError
from curate.plugins import quality_filter
from curate.plugins.quality_filter import QualityFilter, boilerplate_lines, truncated
from curate.records import Record, Source

ANSWER = (
    "To make a basic vinaigrette, whisk three parts olive oil with one part vinegar. Add a pinch of salt, "
    "a little mustard to help it emulsify, and pepper to taste. Shake it in a jar if you prefer, and keep "
    "it in the fridge for up to a week. Taste it on a leaf of lettuce before you dress the whole salad."
)


def record(output: str, input: str = "How do I make a vinaigrette?") -> Record:
    return Record.create(Source("test", "test.jsonl", "line 1"), input=input, output=output)


def check(rec: Record, **options: object) -> tuple[str | None, dict]:
    """The rejection reason (None when kept) and details."""
    result = QualityFilter.from_options(options).process([rec])
    if result.rejected:
        return result.rejected[0].reason, result.rejected[0].details
    return None, {}


def test_an_ordinary_answer_passes():
    assert check(record(ANSWER)) == (None, {})


@pytest.mark.parametrize(
    "output", ["4", "Paris.", "Yes", "```python\nprint('hi')\n```", "| a | b |\n|---|---|\n| 1 | 2 |"]
)
def test_short_answers_code_and_tables_pass(output):
    assert check(record(output))[0] is None


# -- one rule at a time: rejected, and kept --------------------------------------------------


def test_empty_output():
    assert check(record("..."))[0] == "empty_output"
    assert check(record("..."), disable=["empty", "length"])[0] is None
    chat = Record.create(
        Source("t", "t", "1"),
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "-"}],
    )
    assert check(chat)[0] == "empty_output"


def test_output_equals_input():
    assert check(record("What is the capital of France?", input="what is the capital of France"))[0] == (
        "output_equals_input"
    )
    assert check(record("Paris is the capital of France.", input="What is the capital of France?"))[0] is None
    chat = Record.create(
        Source("t", "t", "1"),
        messages=[{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "say hi"}],
    )
    reason, details = check(chat)
    assert reason == "output_equals_input" and details["field"] == "messages[1]"


def test_length_bounds():
    assert check(record(ANSWER), min_chars=1000) == ("too_short", {"chars": len(ANSWER), "min_chars": 1000})
    assert check(record(ANSWER), max_chars=100)[0] == "too_long"
    assert check(record(ANSWER), min_words=100)[0] == "too_few_words"
    assert check(record(ANSWER), max_words=20)[0] == "too_many_words"
    assert check(record(ANSWER), min_chars=10, max_chars=1000, min_words=10, max_words=200)[0] is None


def test_token_bounds(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([ANSWER], trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    n = len(tok.encode(ANSWER).ids)
    assert check(record(ANSWER), tokenizer=str(path), min_tokens=n + 1)[0] == "too_few_tokens"
    assert check(record(ANSWER), tokenizer=str(tmp_path), max_tokens=n - 1)[0] == "too_many_tokens"
    assert check(record(ANSWER), tokenizer=str(path), min_tokens=n, max_tokens=n + 20)[0] is None


def test_repetition():
    looping = "The answer is yes. " * 30
    reason, details = check(record(looping))
    assert reason == "repeated_ngrams" and details["statistic"] == "top_2gram_frac"
    lines = (
        "\n".join(["Save money with a budget."] * 5 + [f"Tip {i}: track each expense this week." for i in range(5)]) * 2
    )
    assert check(record(lines + " " + ANSWER))[0] == "repeated_lines"
    paragraphs = "\n\n".join([ANSWER, "Keep it cold.", ANSWER, ANSWER])
    assert check(record(paragraphs))[0] == "repeated_lines"  # a repeated paragraph repeats its lines
    assert check(record(paragraphs), max_dup_line_frac=1, max_dup_line_char_frac=1)[0] == "repeated_paragraphs"
    assert check(record(looping), disable=["repetition"])[0] is None
    assert check(record(ANSWER + " " + ANSWER.replace("vinaigrette", "dressing")))[0] == "repeated_ngrams"
    other = "For a creamy version, blend in a spoon of yogurt or tahini, thin it with water, and season again."
    assert check(record(ANSWER + "\n\n" + other))[0] is None


def test_repetition_needs_enough_words():
    assert check(record("Yes. " * 10))[0] is None


def test_symbols_and_alpha():
    hashtags = " ".join(f"#tag{i} #sale" for i in range(15)) + " big discounts on shoes today only"
    assert check(record(hashtags), disable=["repetition"])[0] == "symbols"
    garbage = "■■■ ▲▲▲ ◆◆◆ ●●● " * 10 + ANSWER[:60]
    reason, details = check(record(garbage), disable=["repetition"])
    assert reason == "symbols" and details["statistic"] == "odd_char_frac"
    numbers = " ".join(str(i * 7) for i in range(60))
    assert check(record(numbers), disable=["repetition"])[0] == "non_alphabetic"
    doctest_code = (
        ">>> x = 1\n>>> x + 1  # add one\n2\n>>> for i in range(2):\n...     print(i)  # show i\n0\n1\n" + ANSWER
    )
    assert check(record(doctest_code))[0] is None


def test_boilerplate_lines_are_cut():
    text = "Home | About | Contact\n" + ANSWER + "\n© 2024 Example Inc. All rights reserved."
    rec = record(text)
    result = QualityFilter.from_options({}).process([rec])
    [kept] = result.kept
    assert kept.output == ANSWER
    assert [e["category"] for e in kept.meta["curate"]] == ["boilerplate", "boilerplate"]
    assert kept.meta["curate"][0]["removed"] == "Home | About | Contact"
    assert result.counts["boilerplate_lines_cut"] == 2


def test_mostly_boilerplate_is_rejected():
    page = "We use cookies to improve your experience.\nAccept all cookies\nPrivacy Policy\nSkip to content\nHi there."
    reason, details = check(Record.create(Source("t", "t", "1"), text=page))
    assert reason == "boilerplate" and details["lines"] == 4 and details["share"] > 0.8


def test_boilerplate_options():
    text = "Skip to content\n" + ANSWER
    assert check(record(text), boilerplate="keep")[0] is None
    [kept] = QualityFilter.from_options({"boilerplate": "flag"}).process([record(text)]).kept
    assert kept.output == text and kept.meta["curate"][0]["action"] == "flag"


def test_boilerplate_detection():
    assert boilerplate_lines("Here's a privacy policy template:\n\nWe respect your privacy and collect little.") == []
    assert boilerplate_lines("```html\n<footer>© 2024 Me. All rights reserved.</footer>\n```") == []


def test_truncated_answers():
    assert check(record(ANSWER[:-1] + " and the"))[0] == "truncated"
    assert check(record("Here is the function:\n```python\ndef f(x):\n    return"))[0] == "truncated"
    assert check(record(ANSWER[:-1] + ","))[0] == "truncated"
    assert check(record(ANSWER + "\n\n- a list item without a stop"))[0] is None
    assert check(record("I hope this helps you on your journey and wish you the best of luck"))[0] is None
    assert check(record(ANSWER[:-1] + " and the"), disable=["truncated"])[0] is None
    assert truncated("See https://example.com/the") is None


def test_text_records_are_not_checked_for_truncation_or_echo():
    text = Record.create(Source("t", "t", "1"), text=ANSWER + " It was the")
    assert check(text)[0] is None


def test_fields_option():
    rec = record(ANSWER, input="Tell me. " * 40)
    assert check(rec)[0] is None
    assert check(rec, fields="all")[0] == "repeated_ngrams"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bogus": True}, "unknown option 'bogus'"),
        ({"disable": ["nope"]}, "unknown rule 'nope'"),
        ({"max_tokens": 10}, "need a tokenizer"),
        ({"max_top_ngram_frac": [0.2]}, "three values"),
        ({"tokenizer": "/no/such/tokenizer.json"}, "cannot load tokenizer"),
        ({"boilerplate": "explode"}, "must be one of"),
    ],
)
def test_option_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        QualityFilter.from_options(options)


def test_counts_by_reason():
    result = QualityFilter.from_options({}).process([record("..."), record(ANSWER), record("The answer is yes. " * 30)])
    assert result.counts["rejected:empty_output"] == 1
    assert result.counts["rejected:repeated_ngrams"] == 1
    assert len(result.kept) == 1


def test_registered_and_documented():
    from curate.options import describe_options
    from curate.registry import get_registry

    cls = get_registry().filter("quality")
    assert cls is QualityFilter and cls.default and cls.order == 30
    assert all(o["help"] for o in describe_options(cls.Options))
    json.dumps(describe_options(cls.Options))
    assert doctest.testmod(quality_filter).failed == 0
