"""The quality filter: each rule on a record it rejects and one it keeps; options."""

from __future__ import annotations

import copy
import doctest
import functools
import json
import random
import re
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

from curate.errors import ConfigError
from curate.plugins import boilerplate, broken_text, cut_off, quality_filter, text_stats
from curate.plugins.broken_text import repeated_block
from curate.plugins.cut_off import truncated
from curate.plugins.quality_filter import QualityFilter, boilerplate_lines
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
    assert check(record("I hope this helps you on your journey and wish you the best of luck"))[0] == "truncated"
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
        ({"turns": "truncate"}, "must be one of"),
    ],
)
def test_option_errors(options, message):
    if "tokenizer" in options:  # a tokenizer that is not a file is loaded by name: curate[train]
        pytest.importorskip("transformers")
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
    assert doctest.testmod(broken_text).failed == 0
    assert doctest.testmod(cut_off).failed == 0
    assert doctest.testmod(boilerplate).failed == 0


# -- broken generations: cut off, junk tokens, runaway lists, looping code --------------------------

EMAIL = (
    "Subject: Request for Feedback on the Quarterly Financial Report\n\n"
    "Dear [Supervisor's Name],\n\n"
    "I have completed the Quarterly Financial Report and would appreciate your feedback on it. "
    "Specifically, I am interested in your insights on the following aspects:\n\n"
    "1. Data Analysis: Are the interpretations and calculations accurate and comprehensive?\n"
    "2. Presentation Style: Is the report presented in a professional and easy-to-understand format?\n"
    "3. Clarity of Conclusions: Are the conclusions clear and well supported by the data?\n\n"
    "Thank you in advance for your time and assistance.\n\n"
    "Best regards,\n\n[Your Full Name]"
)


@pytest.mark.parametrize(
    ("output", "why"),
    [
        (ANSWER[: ANSWER.index("keep it in") + 8], "no closing punctuation"),  # "...and keep it i"
        (EMAIL[: EMAIL.index("presented in") + 19], "list item cut off"),  # "...presented in a profes"
        (
            "Here is how the two languages compare:\n\n"
            "| Language | Typing |\n|---|---|\n| Python | dynamic |\n| Rust | sta",
            "ends inside a table row",
        ),
        (ANSWER + "\n\n### Storing the dressing", "ends on a heading"),
        (ANSWER + "\n\nSo the answer is \\[ x = \\frac{1}{2", "unclosed formula"),
        (ANSWER + "\n\nYou can also add honey (about a teaspoon", "unclosed bracket"),
        (ANSWER + "\n\nHere are three variations:", "ends on ':'"),
        (
            ANSWER + "\n\n- Shake it well before serving\n- Keep it cold\n- Use it within a week\n- Try it on",
            "ends on 'on'",
        ),
        ("Buy these at the grocery store today:\n1. Chicken\n2. Bread\n3. Eggs\n4", "ends on an empty list item"),
        ("The mean of 5, 8, 10 and 12 is 8.75, found by adding them up and dividing:\n(5 + 8 + 10 + 12", None),
        # cuts at real token boundaries (bench/data/quality/cuts.jsonl) that the rule used to miss
        (
            "Here are a few reasons why I believe this will be rewarding for you:\n\n"
            "1. **Personal Growth:** This is a safe place to build confidence.\n\n"
            "2. **Inspire Others:** Your story can genuinely help others in our community.\n\n3",
            "ends on an empty list item",
        ),
        (
            "3) Simplify the books' revenue:\n* 5 novels at $20 each = 5 * $20 = $100\n"
            "* 3 history books at $30 each = 3 * $",
            "ends on an operator",
        ),
        ("Substitute (3) into (2): (4z - y) * y = 4z^2\n5) Expand both sides: 4zy - y^2 = 4z^", "ends on an operator"),
        (
            "Jonah slid the form across the counter and waited for the clerk to look up. \"I'm sorry, but I "
            "cannot process your request without form 27",
            "unclosed quotation",
        ),
        ("«Nous partons demain matin», dit-elle. Il répondit : «Je ne viendrai pas avant le", "unclosed quotation"),
        ("她说：“我们明天早上出发，你要准备好行李和护照，还有", "unclosed quotation"),
        (
            "The UAE’s leading Arabic newspaper ran the story on its front page, and the State Department’",
            "ends on an apostrophe",
        ),
        (
            "To find the average, add the numbers and divide by their count. The average of [2, 4, 5, 7, 8",
            "unclosed bracket",
        ),
        (
            "The program reads every file and counts its words.\n\nThis program:\n\n- Gets all files",
            "list item cut off",
        ),
        (
            "Good spots for a portrait are parks, a quiet street or a window with soft natural light.\n\n"
            "Remember, the best",
            "no closing punctuation",
        ),
        (
            "Things to check before you buy a used bike:\n"
            "- the frame for cracks or rust around the welds and the dropouts\n"
            "- the chain and the cassette for wear, with a chain checker if you have one\n"
            "- rear brake",
            "list item cut off",
        ),
        ("Mix the oil and the vinegar, then add the mustard and the salt. Whisk until the dressing thick", None),
    ],
)
def test_cut_off_replies(output, why):
    reason, details = check(record(output))
    assert reason == "truncated"
    if why is not None:
        assert details["why"] == why


@pytest.mark.parametrize(
    "output",
    [
        EMAIL,  # ends on a bracketed signature
        "Here is my reply to Ana, as you asked, kept short and friendly.\n\nSee you on Friday then,\nBest,\nAna Lima",
        "Two smartphones, both sleek in design,\nWith features and specs that align.\nOne's got a bright screen,\n"
        "The other's a dream,\nBut which one is truly divine",  # verse without a final stop
        "Pack these for the trip:\n\n- Passport\n- Phone charger\n- Sunscreen\n- A light rain jacket",
        ANSWER + " Enjoy your salad 🥗",
        ANSWER + ' As my grandmother used to say, "a salad is only as good as its dressing."',
        "* In the first year the startup invested $8000\n* In the second year it invested $4000\n\n"
        "So the total amount invested over the two years is $12,000",
        "Substitute (8) into (1) and simplify the expression step by step:\nx - y = 4z - 2z\nx - y = 2z",
        ANSWER + " The full recipe is at https://www.example.com/recipes/classic-french-vinaigrette-with-dijon",
        "微笑就像黎明中的第一缕阳光，能消除阴霾，让人心情舒畅，为新的一天带来希望和温暖。它照亮身边的人，传递着爱与关怀。",
        # hard negatives: complete replies that end without a full stop
        "To find the sum, add the two matrices entry by entry:\n\n"
        "[[1, 2], [3, 4]] + [[5, 6], [7, 8]] = [[6, 8], [10, 12]]",
        "Multiply both sides by 4 and subtract 7, then divide by the coefficient of x.\n\nSo the answer is:\n8",
        "The first year cost $8000 and the second half of that, $4000.\n\nTotal invested = $8000 + $4000 = $12,000",
        "Here are the planets in order from the sun:\n\n1. Mercury\n2. Venus\n3. Earth\n4. Mars\n5. Jupiter",
        "The fog comes\non little cat feet.\n\nIt sits looking\nover harbor and city\non silent haunches\n"
        "and then moves on\n\nAnd then it is gone",  # a poem: its last stanza has no stop
        "Here is the function you asked for, with a docstring:\n\n```python\ndef area(r):\n"
        '    """The area of a circle of radius r."""\n    return 3.14159 * r ** 2\n```',
        "You can read the full guide here: https://docs.python.org/3/tutorial/index.html",
        "Congratulations on the new job! I hope the first week goes well and you enjoy your new team 🎉",
        "Thank you again for the lovely evening, we had a wonderful time with you all.\n\n"
        "Warm wishes, and see you soon",
        "She looked at the letter for a long time. “I know,” she said. “I always knew.”",
    ],
)
def test_finished_replies_are_not_cut_off(output):
    assert truncated(output) is None
    assert check(record(output))[0] is None


def test_junk_tokens():
    blob = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg" * 3
    reason, details = check(record(ANSWER + "\n\n" + blob))
    assert reason == "junk_token" and details["why"].startswith("base64 blob")
    hexdump = "4a6f686e20446f652068617320626565" * 6
    assert check(record(ANSWER + " " + hexdump))[1]["why"].startswith("hex blob")
    run = "_".join(["token"] * 30)
    assert check(record(ANSWER + " " + run))[1]["why"] == f"{len(run)} characters without a space"
    assert check(record(ANSWER + "\n\n" + blob), disable=["junk"])[0] is None


@pytest.mark.parametrize(
    "output",
    [
        ANSWER + " The file's SHA-256 is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
        ANSWER + '\n\n```html\n<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlE'
        'QVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">\n```',
        ANSWER + " See https://docs.python.org/3/library/collections.html#collections.Counter.most_common"
        "?highlight=counter&utm_source=newsletter&utm_medium=email&utm_campaign=spring_2024_python_tips.",
        "The primer sequence is ATGCGTACGTTAGCCTAGGCTAACGTTAGCCGATCGATCGTAGCTAGCTAGGATCCGATCGTAGCTAGCTAGCTAG"
        "CTGATCGATCGTAGCTAGCTAGCTGACTGATCGATCGA, which you can order from any supplier.",
        "We get $$\\sum_{k=1}^{n}k^2=\\frac{n(n+1)(2n+1)}{6}=\\frac{2n^3+3n^2+n}{6}=\\frac{n(2n^2+3n+1)}{6}$$ "
        "for every n, as the induction shows.",
    ],
)
def test_long_tokens_that_are_not_junk(output):
    assert check(record(output))[0] is None


def test_runaway_list():
    steps = "\n".join(f"Step {i}: Add {i} grams of salt and stir the sauce again." for i in range(1, 41))
    reason, details = check(record("Here is how to season it:\n\n" + steps))
    assert reason == "runaway_list" and details["why"].startswith("40 list items")
    names = ["Olivia", "Emma", "Amelia", "Sophia", "Mia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Ella"]
    names += ["Grace", "Willow", "Aurora", "Evie", "Elsie", "Ruby", "Alice", "Luna", "Evelyn", "Sienna", "Poppy"]
    listing = "Here are popular baby names:\n\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
    assert check(record(listing))[0] is None
    options = "Pick one:\n\n" + "\n".join(f"- Option {i}" for i in range(1, 61))
    assert check(record(options))[0] == "runaway_list"  # the Gopher statistics see no repeated n-gram here
    assert check(record(options), disable=["runaway_list"])[0] == "non_alphabetic"


def test_code_is_judged_as_code():
    looping = "Here is the loop:\n\n```python\n" + "total = total + compute(total)\n" * 20 + "```\n\nRun it once."
    reason, details = check(record(looping))
    assert reason == "repeated_code" and details["why"].startswith("20 identical lines")
    code = "```c\nint main(void) {\n    if (x) {\n        y();\n    }\n    }\n    }\n}\n```"
    braces = "Here is the function, with its closing braces:\n\n" + code + "\n\nCompile it with gcc."
    assert check(record(braces))[0] is None
    # the same prose sentence inside a code block is code, not prose repetition
    assert check(record(ANSWER + "\n\n```text\n" + "The answer is yes. " * 30 + "\n```"))[0] is None


def test_repeated_paragraph_in_a_short_reply():
    para = "The tone of this essay is optimistic and proactive."
    reason, details = check(record(f"{para}\n\n{para}\n\n{para}"))
    assert reason == "repeated_paragraphs" and details["statistic"] == "repeated_block"
    chorus = "Oh, the night is young and the road is long,\nsing it loud and sing it strong"
    song = f"Verse one about the town.\nThe lights are low.\n\n{chorus}\n\nVerse two about the sea.\nThe tide is slow."
    assert repeated_block(song + "\n\n" + chorus + ".") is None  # a chorus twice, apart
    assert repeated_block(f"{chorus}\n\n{chorus}") is not None


def test_numbers_and_formulas_are_not_junk():
    dice = (
        "When rolling two fair six-sided dice, the possible outcomes are:\n\n"
        + "\n".join(", ".join(f"({a},{b})" for b in range(1, 7)) for a in range(1, 7))
        + "\n\nThe total possible outcomes is 6 x 6 = 36. Every one of them sums to at least 2, so the "
        "probability of rolling a total of at least 3 is 35/36, since only (1,1) falls short."
    )
    assert check(record(dice))[0] is None
    latex = (
        "Substitute \\( x = 2 \\) into the function:\n\\[ f(2) = 4(2)^3 - 9(2) - 14 \\]\n\\[ f(2) = 32 - 18 - 14 \\]\n"
        "\\[ 32 - 18 = 14 \\]\n\\[ 14 - 14 = 0 \\]\n\nSo, the value of \\( f(2) \\) is:\n\\[ f(2) = 0 \\]"
    )
    assert check(record(latex))[0] is None


# -- conversations: turn by turn, cut at the first bad turn ----------------------------------------


def chat(*turns: str) -> Record:
    roles = ["user", "assistant"] * len(turns)
    return Record.create(
        Source("test", "chat.jsonl", "line 1"),
        messages=[{"role": r, "content": t} for r, t in zip(roles, turns, strict=False)],
    )


def run(rec: Record, **options: object):
    return QualityFilter.from_options(options).process([rec])


def test_revisions_of_an_earlier_answer_are_not_repetition():
    revised = EMAIL.replace("would appreciate", "would greatly appreciate").replace("Thank you", "Thank you very much")
    rec = chat("Draft a short email asking my supervisor for feedback.", EMAIL, "Make it a bit warmer.", revised)
    result = run(rec)
    assert result.kept == [rec] and len(rec.messages) == 4 and "curate" not in rec.meta


def test_a_bad_turn_is_cut_with_what_follows():
    creamy = "Blend in a spoon of yogurt or tahini, thin it with a little water, and season it again with the"
    rec = chat("How do I make a vinaigrette?", ANSWER, "And a creamy one?", creamy, "Thanks!", "Enjoy.")
    result = run(rec)
    [kept] = result.kept
    assert kept.messages == rec.messages[:2] and kept.messages[1]["content"] == ANSWER
    [entry] = kept.meta["curate"]
    assert entry["action"] == "cut" and entry["category"] == "truncated" and entry["field"] == "messages[3]"
    assert entry["turns_removed"] == 4 and entry["why"] == "ends on 'the'"
    assert result.counts["cut:truncated"] == 1 and result.counts["conversations_cut"] == 1


def test_a_conversation_left_without_an_answer_is_rejected():
    rec = chat("How do I make a vinaigrette?", ANSWER[:-1] + " and the", "Thanks!", ANSWER)
    [rejection] = run(rec).rejected
    assert rejection.reason == "truncated" and rejection.details["field"] == "messages[1]"


def test_turns_drop_rejects_the_whole_conversation():
    rec = chat("How do I make a vinaigrette?", ANSWER, "And a creamy one?", "The answer is yes. " * 30)
    [rejection] = run(rec, turns="drop").rejected
    assert rejection.reason == "repeated_ngrams" and rejection.details["field"] == "messages[3]"


def test_a_turn_the_user_asks_to_continue_is_not_cut_off():
    first, rest = ANSWER[: ANSWER.index("keep it in")], ANSWER[ANSWER.index("keep it in") :]
    rec = chat("How do I make a vinaigrette?", first.rstrip(), "continue", rest)
    assert run(rec).kept == [rec] and len(rec.messages) == 4


def test_user_turns_are_judged_only_for_garbage():
    garbage = "■■■ ▲▲▲ ◆◆◆ ●●● " * 10 + "ok?"
    rec = chat("How do I make a vinaigrette?", ANSWER, garbage, ANSWER.replace("vinaigrette", "dressing"))
    assert run(rec).kept == [rec] and len(rec.messages) == 4  # fields = "model": the user's side is not judged
    rec = chat("How do I make a vinaigrette?", ANSWER, garbage, ANSWER.replace("vinaigrette", "dressing"))
    [kept] = run(rec, fields="all").kept
    assert len(kept.messages) == 2 and kept.meta["curate"][0]["field"] == "messages[2]"
    rec = chat("Tell me about salad dressings, please. " * 3, ANSWER[:-1] + " and the")
    assert run(rec, fields="all").rejected[0].reason == "truncated"  # an odd prompt is not garbage


# -- the vectorised statistics decide as the per-text ones did --------------------------------

#: The last commit whose quality filter computed its statistics text by text, in pure Python.
BASELINE = "debefc7"
REPO = Path(__file__).resolve().parent.parent
BENCH_DATA = REPO / "bench" / "data"


def _reference_words(text: str) -> list[str]:
    """Normalised words as the pure-Python implementation made them: strip ``\\W`` off each token."""
    stripped = (re.sub(r"^\W+|\W+$", "", tok.lower()) for tok in text_stats.tokens(text))
    return [tok for tok in stripped if tok]


def _random_texts(seed: int, count: int) -> list[str]:
    """Texts with few distinct words, punctuation, CJK, Greek capitals, combining marks and odd spaces."""
    rng = random.Random(seed)
    pieces = [
        "the",
        "cat",
        "Σ",
        "ΟΔΟΣ,",
        "İstanbul",
        "KADİ",
        "e.g.",
        "...",
        "—",
        "_x_",
        "a'b",
        "12.5%",
        "(see",
        "it)",
        "我们",
        "中文字",
        "x\u0301",
        "\u00a0",
        "\t",
        "\n",
        "\n\n",
        "\x1c",
        "\u2028",
        "--",
        "`code`",
        "naïve",
    ]
    return ["".join(rng.choice(pieces) + rng.choice(" \n") for _ in range(rng.randint(0, 120))) for _ in range(count)]


def test_normalised_words_strip_each_token():
    rng = random.Random(6)
    ascii_texts = ["".join(rng.choice("aZ9_.,'-(#) \t\n\x1c") for _ in range(rng.randint(0, 200))) for _ in range(400)]
    for text in _random_texts(0, 400) + ascii_texts:
        assert text_stats.normalised_words(text) == _reference_words(text), repr(text)


def test_vectorised_ngram_statistics_equal_the_per_text_ones():
    rng = random.Random(1)
    word_lists = [text_stats.normalised_words(t) for t in _random_texts(2, 300)]
    word_lists += [[rng.choice(["a", "bb", "ccc", "dd dd"]) for _ in range(rng.randint(0, 90))] for _ in range(300)]
    word_lists += [("one two three four five six seven " * k + "end").split() for k in range(1, 12)]
    word_lists += [[], ["solo"], ["", "x"]]
    got = text_stats.ngram_fractions(word_lists)
    for words, (top, dup) in zip(word_lists, got, strict=True):
        assert top == [text_stats.top_ngram_fraction(words, n) for n in (2, 3, 4)], words
        assert dup == [text_stats.duplicate_ngram_fraction(words, n) for n in range(5, 11)], words


def _load_baseline() -> type:
    """The quality filter (with its text_stats and broken_text) as of :data:`BASELINE`, as a module of its own."""
    package = "_curate_quality_baseline"
    if package + ".quality_filter" in sys.modules:
        return sys.modules[package + ".quality_filter"].QualityFilter
    sources = {}
    for name in ("text_stats", "broken_text", "quality_filter"):
        done = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BASELINE}:plugins/{name}.py"], capture_output=True, text=True
        )
        if done.returncode:
            pytest.skip(f"the baseline commit {BASELINE} is not available: {done.stderr.strip()[:200]}")
        sources[name] = done.stdout
    sys.modules[package] = types.ModuleType(package)
    for name, source in sources.items():
        for dep in ("text_stats", "broken_text"):
            source = source.replace(f"curate.plugins.{dep}", f"{package}.{dep}")
        module = types.ModuleType(f"{package}.{name}")
        sys.modules[module.__name__] = module
        exec(compile(source, f"{BASELINE}:plugins/{name}.py", "exec"), module.__dict__)
    return sys.modules[package + ".quality_filter"].QualityFilter


@functools.cache
def _equivalence_corpus() -> list[Record]:
    """Real replies and conversations from bench/data (see their ``source`` fields), and generated loops."""
    src = Source("test", "corpus", "-")
    out: list[Record] = []
    questions = {}
    for path in sorted(BENCH_DATA.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "model" not in row and "question_id" in row:
                questions[row["question_id"]] = row["turns"]
                continue
            prompt = row.get("prompt") or row.get("input") or "Answer the question."
            for key in ("reply", "output", "text"):
                if isinstance(row.get(key), str):
                    out.append(Record.create(src, input=prompt, output=row[key]))
                    out.append(Record.create(src, text=row[key]))
            if isinstance(row.get("turns"), list):
                asked = questions.get(row.get("question_id"), ["Go on."] * len(row["turns"]))
                messages = []
                for q, a in zip(asked, row["turns"], strict=False):
                    messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
                out.append(Record.create(src, messages=messages))
    replies = [r.output for r in out if r.output]
    rng = random.Random(3)
    for i in range(300):
        a, b = rng.sample(replies, 2)
        words = a.split()
        cut = rng.randint(5, 40)
        looping = [
            " ".join(words[:cut]) * rng.randint(2, 6),
            a + "\n\n" + a[: rng.randint(0, len(a))],
            "\n".join([rng.choice(words)] * rng.randint(2, 9) + b.split("\n")),
            " ".join(rng.choice(words[:12] or ["x"]) for _ in range(rng.randint(20, 200))),
            a + " " + " ".join(words[cut : cut + 12]) * rng.randint(1, 4) + " " + b,
            a + " " + "".join(rng.choice("AZaz09+/=-_.") for _ in range(rng.randint(50, 140))) + " " + " " * 70,
            " ".join(
                rng.choice(["12", "3.5", "--", "a1", "#tag", "x...", "\x07\x07", "■■", "(4)", "ok", *words[:5]])
                for _ in range(rng.randint(15, 80))
            ),
        ]
        text = looping[i % len(looping)]
        out.append(Record.create(src, input="Tell me more.", output=text))
        if i % 3 == 0:
            messages = [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": b},
                {"role": "user", "content": text[:200]},
                {"role": "assistant", "content": text},
            ]
            out.append(Record.create(src, messages=messages))
    return out


def _decisions(flt, records: list[Record]) -> list[tuple]:
    copies = [copy.deepcopy(r) for r in records]
    result = flt.process(copies)
    rejected = {id(r.record): (r.reason, r.details) for r in result.rejected}
    return [(r.id, rejected.get(id(r)), r.texts(), r.meta) for r in copies] + [sorted(result.counts.items())]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"fields": "all"},
        {"turns": "drop", "repetition_min_words": 20},
        {"max_top_ngram_frac": [0.2, 0.18, 0.16], "max_dup_ngram_frac": [0.15, 0.14, 0.13, 0.12, 0.11, 0.10]},
    ],
)
def test_same_decisions_as_the_pure_python_statistics(options):
    options = {**options, "disable": ["truncated"]}  # the cut-off rule has changed since, on purpose
    old = _load_baseline().from_options(options)
    new = QualityFilter.from_options(options)
    records = _equivalence_corpus()
    assert len(records) > 900
    old_decisions, new_decisions = _decisions(old, records), _decisions(new, records)
    assert sum(1 for d in new_decisions[:-1] if d[1] is not None) > 100  # the corpus exercises the rules
    assert new_decisions == old_decisions
    # check() on its own, without the batch's statistics, decides the same
    for rec, expected in zip(records[::7], old_decisions[::7], strict=True):
        rec = copy.deepcopy(rec)
        rejection = new.check(rec, Counter())
        assert ((rejection.reason, rejection.details) if rejection else None, rec.texts(), rec.meta) == expected[1:]


def test_boilerplate_lines_as_the_line_by_line_search_found_them():
    baseline = sys.modules[_load_baseline().__module__]
    rng = random.Random(4)
    menu = [
        "Home | About | Contact",
        "© 2024 Foo Inc. All rights reserved.",
        "ACCEPT ALL COOKIES",
        "Privacy Policy",
        "  terms and conditions  ",
        "TERMS AND CONDİTİONS",
        "Share on FACEBOOK",
        "Sign up for our newsletter",
        "Skip to main content",
        "Read more",
        "ſhare",
        "Bac\u212a to top",
        "menu",
        "Copyright (C) 2019",
        "Kitchen · Garden · Tools",
        "You are here: Home",
        "Please enable JavaScript to continue.",
        "Log in",
        "home » recipes » soups",
        "advertisement",
        "search this site",
        "Click here to read the full story",
        "This site uses cookies to improve your experience",
        "```",
        "a line of prose that is long enough to skip",
        "Please enable JAVAſCRIPT to view the comments",
        "Clİck here to read the full story",
    ]
    replies = [r.output for r in _equivalence_corpus() if r.output]
    texts = []
    for _ in range(400):
        lines = rng.choice(replies).split("\n")
        for _ in range(rng.randint(0, 4)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(menu))
        texts.append("\n".join(lines))
    found = [boilerplate_lines(t) for t in texts]
    assert found == [baseline.boilerplate_lines(t) for t in texts]
    assert sum(map(len, found)) > 300


def test_line_endings_are_read_from_the_last_token_as_from_the_whole_line():
    rng = random.Random(5)
    lines = [ln.strip() for r in _equivalence_corpus() for ln in r.texts()[-1].split("\n") if ln.strip()]
    tails = [
        "= 32 - 18",
        "x = y+2",
        "= (a) * b / c - d",
        "costs $12,000",
        "-4.5%",
        "+€3",
        "is 7.",
        "their",
        "l'été",
        "rock-n-roll",
        "x_2",
        "3rd",
        "42",
        "a = ",
        "=",
        "==",
        "(1, 2)",
        "well—done",
        "it’s",
        "end.",
        "5%.",
    ]
    lines += [rng.choice(lines) + rng.choice([" ", "", "\t", " = "]) + rng.choice(tails) for _ in range(3000)]
    for line in lines:
        assert cut_off._ends_on_result(line) == (cut_off._RESULT.search(line) is not None), line
        token = line.rsplit(None, 1)[-1]
        found, expected = cut_off._LAST_WORD.search(token), cut_off._LAST_WORD.search(line)
        assert (found and found.group()) == (expected and expected.group()), line


def test_ascii_shortcuts_count_as_the_unicode_expressions():
    rng = random.Random(7)
    chars = "aZ9_.,'-(#) \t\n\x1c\x07\x00\x7f~`|"
    texts = ["".join(rng.choice(chars) for _ in range(rng.randint(0, 300))) for _ in range(500)]
    for text in texts:
        assert quality_filter._ASCII_ODD.findall(text) == quality_filter._ODD.findall(text)
        with_letter = sum(1 for t in text.split() if quality_filter._LETTER.search(t))
        assert len(text.translate(quality_filter._ASCII_NON_LETTERS).split()) == with_letter
