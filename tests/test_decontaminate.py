"""Decontamination: ``--exclude-like`` rejects records that match an evaluation set."""

from __future__ import annotations

import csv
import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from curate import Pipeline
from curate.contamination import ContaminationIndex
from curate.errors import ConfigError, MissingDependency
from curate.ngrams import words
from curate.records import Record, Source
from curate.references import ReferenceSet, read_references
from curate.semantic.testing import HashingEmbedder
from tests.conftest import plugin_namespace

# MT-bench-style evaluation items (lm-sys/FastChat mt_bench question.jsonl, questions 81, 82, 91, 101).
TRAVEL = (
    "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural "
    "experiences and must-see attractions."
)
EMAIL = (
    "Draft a professional email seeking your supervisor's feedback on the 'Quarterly Financial Report' you "
    "prepared. Ask specifically about the data analysis, presentation style, and the clarity of conclusions drawn."
)
MUSK = "Pretend yourself to be Elon Musk in all the following conversations. Speak like Elon Musk as much as possible."
RACE = "Imagine you are participating in a race with a group of people. If you have just overtaken the second person"
SHORT_Q = "What is the capital of France?"
FRENCH = "Décrivez l'itinéraire idéal pour une visite de trois jours à Paris, avec musées, cafés et promenades."


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def evals(tmp_path: Path) -> Path:
    """An evaluation set in JSON Lines: question and reference answer."""
    rows = [
        {"question": TRAVEL, "answer": "Aloha! I recently had the pleasure of visiting Hawaii."},
        {"question": EMAIL, "answer": "Subject: Request for Feedback on the Quarterly Financial Report"},
        {"question": MUSK, "answer": "Sure, let's talk about Mars."},
        {"question": SHORT_Q, "answer": "Paris"},
    ]
    (tmp_path / "evals").mkdir()
    write_jsonl(tmp_path / "evals" / "mt_bench.jsonl", rows)
    return tmp_path / "evals"


def build(tmp_path: Path, rows: list[dict[str, Any]], refs: list[Path], **options: Any) -> dict[str, Any]:
    """Build ``rows`` against the reference sets ``refs``; returns the manifest and the outputs by line."""
    src = tmp_path / "src"
    src.mkdir(parents=True, exist_ok=True)
    write_jsonl(src / "train.jsonl", rows)
    semantic = options.pop("semantic", None)
    result = (
        Pipeline()
        .source(src)
        .filters()
        .format("alpaca")
        .set(allow_empty=True, report=False, val_ratio=0.0, workers=options.pop("workers", 1))
        .exclude_like(*refs, semantic=semantic, **options)
        .run(tmp_path / "out")
    )
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    train = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    return {"manifest": result.manifest, "rejects": rejects, "train": train, "result": result}


def qa(prompt: str, answer: str = "Here is my answer to that, with some detail of its own.") -> dict[str, str]:
    return {"instruction": prompt, "output": answer}


def test_a_lightly_paraphrased_eval_item_is_caught_by_a_shared_13_gram(tmp_path: Path, evals: Path) -> None:
    # The first words and the last clause changed; "seeking your supervisor's ... data analysis" survives.
    reworded = (
        "Please write a short email seeking your supervisor's feedback on the 'Quarterly Financial Report' you "
        "prepared. Ask specifically about the data analysis and whether the charts are readable."
    )
    out = build(tmp_path, [qa(reworded)], [evals / "mt_bench.jsonl"])
    [rej] = out["rejects"]
    assert rej["stage"] == "decontaminate" and rej["reason"] == "contaminated"
    d = rej["details"]
    assert d["method"] == "ngram" and d["field"] == "input"
    assert d["reference"] == f"{evals / 'mt_bench.jsonl'}:line 2"
    assert len(d["ngram"].split()) == 13 and d["ngram"] in " ".join(words(reworded))
    assert 0 < d["coverage"] < 1 and d["shared"] >= 1


def test_sharing_fewer_than_13_words_is_not_contamination(tmp_path: Path, evals: Path) -> None:
    # Twelve words in a row from the travel item ("an engaging travel blog post about a recent trip to
    # Hawaii highlighting"), then something else: a common phrase, not the item.
    near = "Write an engaging travel blog post about a recent trip to Hawaii, highlighting the food."
    assert len(words("an engaging travel blog post about a recent trip to hawaii highlighting")) == 12
    out = build(tmp_path, [qa(near), qa("How do I make a sourdough starter from scratch at home?")], [evals])
    assert out["rejects"] == [] and len(out["train"]) == 2


def test_boilerplate_shared_by_many_eval_items_is_ignored(tmp_path: Path) -> None:
    # An evaluation set whose items all start with the same instruction (MMLU's header, say).
    header = (
        "The following are multiple choice questions (with answers) about high school biology. Answer with a letter."
    )
    subjects = [
        "cells",
        "genes",
        "evolution",
        "ecology",
        "plants",
        "enzymes",
        "viruses",
        "proteins",
        "the brain",
        "DNA",
    ]
    rows = [{"question": f"{header} Which statement about {s} is true?", "answer": "A"} for s in subjects]
    ref = write_jsonl(tmp_path / "mmlu.jsonl", rows)
    mine = qa(f"{header} Which organelle makes ATP in a eukaryotic cell, and why does it have its own genome?")
    out = build(tmp_path, [mine], [ref])
    assert out["rejects"] == []
    section = out["manifest"]["decontamination"]
    assert section["ignored_common_ngrams"] > 0
    # With the boilerplate counted (common_items = 0), the same record is caught by it.
    again = build(tmp_path / "strict", [mine], [ref], common_items=0)
    assert again["rejects"][0]["details"]["method"] == "ngram"


def test_a_famous_sentence_quoted_in_both_needs_coverage_to_be_let_through(tmp_path: Path) -> None:
    lincoln = (
        "Four score and seven years ago our fathers brought forth on this continent a new nation, conceived in Liberty."
    )
    item = (
        f"Read the passage and answer. '{lincoln}' In the speech, which war is the nation engaged in, which "
        "battlefield is being dedicated, and what does the speaker ask of the living who remain?"
    )
    ref = write_jsonl(tmp_path / "reading.jsonl", [{"question": item, "answer": "The Civil War; Gettysburg."}])
    essay = qa(f"Explain the rhetoric of the opening line: '{lincoln}' Why did Lincoln count in scores?")
    # GPT-3's rule (any shared 13-gram) flags it; min_coverage asks for a share of the item's n-grams.
    assert build(tmp_path / "a", [essay], [ref])["rejects"]
    kept = build(tmp_path / "b", [essay], [ref], min_coverage=0.5)
    assert kept["rejects"] == []
    whole = qa(item.replace("Read the passage and answer.", "Answer:"))
    assert build(tmp_path / "c", [whole], [ref], min_coverage=0.5)["rejects"]


def test_exact_match_ignores_whitespace_case_and_punctuation(tmp_path: Path, evals: Path) -> None:
    rows = [qa("  what is the   CAPITAL of france  "), qa("What is the capital of Spain?")]
    out = build(tmp_path, rows, [evals])
    [rej] = out["rejects"]
    assert rej["details"] == {"method": "exact", "reference": f"{evals / 'mt_bench.jsonl'}:line 4", "field": "input"}
    assert [r["instruction"] for r in out["train"]] == ["What is the capital of Spain?"]


def test_short_answers_are_not_matched_exactly(tmp_path: Path, evals: Path) -> None:
    # The eval's answer "Paris" is too short to mean anything when a training answer is "Paris" too.
    out = build(tmp_path, [qa("Which city hosted the 1900 Olympics?", "Paris")], [evals])
    assert out["rejects"] == []


def test_unicode_forms_quotes_and_scripts_without_spaces(tmp_path: Path) -> None:
    item_fr = FRENCH.replace("'", "\u2019")
    item_zh = "请用三句话解释为什么天空是蓝色的，并给出一个生活中的例子来说明光的散射现象。"
    ref = write_jsonl(tmp_path / "multi.jsonl", [{"question": item_fr}, {"question": item_zh}])
    rows = [
        # Typographic apostrophe -> ASCII, decomposed accents (NFD), upper case: the same words.
        qa("DÉCRIVEZ L'ITINÉRAIRE IDÉAL POUR UNE VISITE DE TROIS JOURS À PARIS, AVEC MUSÉES, CAFÉS ET PROMENADES"),
        qa(unicodedata.normalize("NFD", FRENCH)),
        # Full-width punctuation changed and a new ending: 13 characters in a row are shared.
        qa("请用三句话解释为什么天空是蓝色的？不需要例子。"),
        qa("请用三句话解释为什么海水是咸的。"),  # shares fewer than 13 characters in a row
    ]
    out = build(tmp_path, rows, [ref], reference_options={"text_column": "question"})
    methods = [r["details"]["method"] for r in out["rejects"]]
    assert methods == ["exact", "exact", "ngram"]
    assert [r["instruction"] for r in out["train"]] == ["请用三句话解释为什么海水是咸的。"]


def test_a_reference_in_csv_and_one_in_jsonl(tmp_path: Path, evals: Path) -> None:
    with open(tmp_path / "arena.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prompt", "response"])
        writer.writerow([RACE, "You are in second place."])
    rows = [qa(RACE + ", what's your current position?"), qa(MUSK.upper()), qa("Tell me a joke about cats.")]
    out = build(tmp_path, rows, [tmp_path / "arena.csv", evals / "mt_bench.jsonl"])
    refs = [r["details"]["reference"] for r in out["rejects"]]
    assert refs == [f"{tmp_path / 'arena.csv'}:row 1 (line 2)", f"{evals / 'mt_bench.jsonl'}:line 3"]
    files = out["manifest"]["decontamination"]["references"]
    assert [(f["path"], f["items"], f["importer"]) for f in files] == [
        (str(tmp_path / "arena.csv"), 1, "csv"),
        (str(evals / "mt_bench.jsonl"), 4, "json"),
    ]


def test_manifest_counts_reconcile_and_hash_the_reference(tmp_path: Path, evals: Path) -> None:
    rows = [qa(SHORT_Q), qa(TRAVEL + " Keep it under 300 words."), qa("Name three prime numbers."), qa(SHORT_Q.lower())]
    out = build(tmp_path, rows, [evals / "mt_bench.jsonl"])
    m = out["manifest"]
    counts, section = m["counts"], m["decontamination"]
    assert counts["read"] == counts["train"] + counts["val"] + counts["rejected"] == 4
    assert section["contaminated"] == counts["rejected_by"]["decontaminate"]["contaminated"] == 3
    assert section["by_method"] == {"exact": 2, "ngram": 1} == counts["stages"]["decontaminate"]
    [ref] = section["references"]
    data = (evals / "mt_bench.jsonl").read_bytes()
    assert ref["sha256"] == hashlib.sha256(data).hexdigest() and ref["size"] == len(data) and ref["items"] == 4
    assert m["config"]["exclude_like"] == [str(evals / "mt_bench.jsonl")]


def test_references_inside_a_source_folder_are_never_built_from(tmp_path: Path, evals: Path) -> None:
    src = tmp_path / "src"
    (src / "evals").mkdir(parents=True)
    ref = write_jsonl(src / "evals" / "held_out.jsonl", [{"text": "A question nobody trains on, kept apart."}])
    out = build(tmp_path, [qa("Name three prime numbers.")], [ref])
    assert [i["path"] for i in out["manifest"]["inputs"]] == [str(src / "train.jsonl")]
    assert any("reference set" in w["message"] for w in out["manifest"]["warnings"])
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir() if p.is_file())
    assert b"nobody trains on" not in written
    with pytest.raises(ConfigError, match="is the reference set"):
        Pipeline().source(ref).exclude_like(ref).run(tmp_path / "out2")


def test_a_missing_or_empty_reference_exits_2_naming_it(tmp_path: Path, cli: Any) -> None:
    write_jsonl(tmp_path / "train.jsonl", [qa("Name three prime numbers.")])
    missing = cli(
        "build", str(tmp_path / "train.jsonl"), "-o", str(tmp_path / "o"), "--exclude-like", "nope.jsonl", ok=None
    )
    assert missing.exit_code == 2 and "reference set 'nope.jsonl' not found" in missing.output
    (tmp_path / "empty.jsonl").write_text("")
    empty = cli(
        "build",
        str(tmp_path / "train.jsonl"),
        "-o",
        str(tmp_path / "o"),
        "--exclude-like",
        str(tmp_path / "empty.jsonl"),
        ok=None,
    )
    assert empty.exit_code == 2 and "empty.jsonl' holds no record" in empty.output
    assert not (tmp_path / "o").exists()


def test_cli_flag_and_config_key(tmp_path: Path, evals: Path, cli: Any) -> None:
    write_jsonl(tmp_path / "train.jsonl", [qa(SHORT_Q), qa("Name three prime numbers.")])
    cli("build", str(tmp_path / "train.jsonl"), "-o", str(tmp_path / "a"), "--exclude-like", str(evals), "-q")
    (tmp_path / "curate.toml").write_text(
        '[build]\noutput = "b"\nexclude_like = ["evals"]\n[[sources]]\npath = "train.jsonl"\n'
        "[filters.decontaminate]\nngram = 8\n"
    )
    cli("build", "-c", str(tmp_path / "curate.toml"), "-q")
    for name in ("a", "b"):
        manifest = json.loads((tmp_path / name / "manifest.json").read_text())
        assert manifest["counts"]["rejected_by"]["decontaminate"] == {"contaminated": 1}
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["decontamination"]["methods"]["ngram"] == 8


def test_workers_give_the_same_outputs(tmp_path: Path, evals: Path) -> None:
    rows = [qa(f"Question {i}: " + (TRAVEL if i % 3 == 0 else "tell me something new.")) for i in range(30)]
    one = build(tmp_path / "one", rows, [evals], workers=1, batch_size=4)
    two = build(tmp_path / "two", rows, [evals], workers=2, batch_size=4)
    assert [(r["input"], r["details"]) for r in one["rejects"]] == [(r["input"], r["details"]) for r in two["rejects"]]
    assert [r["instruction"] for r in one["train"]] == [r["instruction"] for r in two["train"]]
    assert len(one["rejects"]) == 10


@pytest.fixture
def hashing(register_plugin: Any) -> Any:
    from curate import filter_embedding
    from curate.plugins import decontam_filter

    filter_embedding._SHARED.clear()
    register_plugin(plugin_namespace(register_embedders=lambda register: register(HashingEmbedder)), "test-hashing")
    yield decontam_filter
    filter_embedding._SHARED.clear()


def test_semantic_catches_a_rewording_the_ngrams_miss(tmp_path: Path, evals: Path, hashing: Any) -> None:
    reworded = (
        "Compose an engaging blog post on a recent Hawaii trip, highlighting cultural experiences and attractions."
    )
    other = "Explain how a heat pump moves heat from a cold room to a warm one."
    out = build(
        tmp_path,
        [qa(reworded, "Sure."), qa(other, "Sure.")],
        [evals],
        semantic=0.6,
        embedder="hashing:512",
        cache=False,
    )
    [rej] = out["rejects"]
    d = rej["details"]
    assert d["method"] == "semantic" and d["reference"].endswith("mt_bench.jsonl:line 1") and d["field"] == "input"
    assert 0.6 <= d["score"] < 1 and d["model"] == "hashing:512"
    assert build(tmp_path / "x", [qa(reworded, "Sure.")], [evals])["rejects"] == []


def test_semantic_without_the_embed_extra_says_what_to_install(
    tmp_path: Path, evals: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curate.plugins import decontam_filter
    from curate.registry import get_registry

    monkeypatch.setattr(get_registry(), "embedders", {})
    with pytest.raises(MissingDependency) as info:
        decontam_filter.DecontaminateFilter.from_options({"reference_files": [str(evals)], "semantic": 0.9})
    assert info.value.hint == "pip install 'curate[embed]'" and "--exclude-like-semantic" in str(info.value)


def test_index_memory_is_12_bytes_an_ngram() -> None:
    text = " ".join(f"w{i}" for i in range(40))
    refs = ReferenceSet(locators=["r:1", "r:2"], parts=[[("text", text)], [("text", text + " more words here")]])
    index = ContaminationIndex(refs)
    assert index.ngram_count == 28 + 3  # the second item's n-grams beyond the first's
    assert index.nbytes == index.ngram_count * 12 + 2 * 4
    record = Record.create(Source("t", "f", "1"), text="intro " + " ".join(f"w{i}" for i in range(5, 18)))
    match = index.match([("text", record.text or "")])
    assert match is not None and match.item == 0 and match.shared == 1


def test_reading_a_reference_that_fails_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "fine, a question long enough"}\n{not json\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:line 2"):
        read_references([str(tmp_path / "bad.jsonl")])
