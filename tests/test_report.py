"""report.html: self-contained, holds the funnel and the semantic sections; rendered by headless Chromium."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from curate.report import find_chromium, render_report, screenshot, write_report
from curate.semantic.report_html import report_section

MANIFEST = {
    "format": "messages",
    "stages": ["normalise", "exact_dedup", "semantic"],
    "counts": {
        "read": 12345,
        "train": 9001,
        "val": 187,
        "rejected": 3157,
        "rejected_by": {
            "import": {"unreadable": 7},
            "exact_dedup": {"duplicate": 2150},
            "semantic": {"near_duplicate": 950, "cluster_cap": 50},
        },
        "stages": {"normalise": {"mojibake": 31}, "semantic": {"clusters": 3, "embedded": 10188}},
    },
    "inputs": [{"path": "data/a.jsonl", "records": 12345}],
    "errors": [{"path": "data/a.jsonl", "locator": "line 9", "message": "invalid JSON <b>here</b>"}],
    "config": {"format": "messages", "semantic": {"threshold": 0.9}},
}

SEMANTIC = {
    "records": 10188,
    "threshold": 0.9,
    "embedder": {"model_id": "sentence-transformers:m", "device": "cpu", "field": "auto", "embedded": 10188,
                 "cached": 0},
    "kmeans": {"k": 3, "k_rule": "given", "backend": "torch", "device": "cpu", "iterations": 7, "seconds": 0.4},
    "dedup": {
        "enabled": True,
        "threshold": 0.9,
        "epsilon": 0.1,
        "keep": "centroid",
        "removed": 950,
        "groups": 700,
        "pairs_compared": 1000,
        "all_pairs": 5000,
        "largest_cluster": 5000,
        "examples": [
            {"similarity": 0.93, "kept": "a", "removed": "b", "kept_text": "kept <script>alert(1)</script>",
             "removed_text": "removed one"},
        ],
    },
    "noise": {"outliers": 2, "tiny_cluster_records": 0, "action": "flag",
              "similarity_percentiles": {"1": 0.3, "50": 0.7, "99": 0.9}},
    "caps": {"cluster_cap": 10, "dropped": 50, "applied": True},
    "clusters": {
        "sizes": [5000, 3000, 2188],
        "kept": [4500, 2700, 1938],
        "near_duplicates": [500, 300, 150],
        "top_terms_by": "tf-idf",
        "details": [
            {"cluster": 0, "size": 5000, "kept": 4500, "near_duplicates": 500, "top_terms": ["garlic", "oven"],
             "examples": ["The chef roasts the garlic."]},
            {"cluster": 1, "size": 3000, "kept": 2700, "near_duplicates": 300, "top_terms": ["galaxy"],
             "examples": ["See http://example.com/x for more"]},
        ],
    },
    "map": {"points": [[0.1, 0.2, 0], [0.3, -0.1, 1], [-0.2, 0.05, 2]], "centroids": [[0.1, 0.2], [0.3, -0.1], [0, 0]],
            "explained": [0.2, 0.1]},
}  # fmt: skip

LENGTHS = {"train": [5, 40, 300, 5000, 40000], "val": [120, 130]}


def test_html_is_self_contained():
    page = render_report(MANIFEST, LENGTHS, [report_section(SEMANTIC)])
    for attr, url in re.findall(r"""(src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I):
        assert not re.match(r"(https?:)?//", url), f"{attr}={url} reaches the network"
    assert "<script" not in page.lower()  # no script at all, so none to fetch anything
    assert "@import" not in page and "url(" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # record text is escaped
    assert "invalid JSON &lt;b&gt;here&lt;/b&gt;" in page


def test_funnel_numbers_are_in_the_page():
    page = render_report(MANIFEST, LENGTHS, [report_section(SEMANTIC)])
    for number in ("12,345", "9,001", "187", "3,157", "2,150", "950", "50", "7"):
        assert number in page
    funnel = page[page.index('id="funnel"') : page.index('id="stages"')]
    assert "exact_dedup: duplicate" in funnel and "semantic: near_duplicate" in funnel
    # rows after each stage count down to what the split received
    assert "12,338" in funnel  # after import
    assert "10,188" in funnel  # after exact_dedup
    assert "9,188" in funnel  # after semantic = train + val


def test_semantic_sections():
    page = render_report(MANIFEST, LENGTHS, [report_section(SEMANTIC)])
    assert "Semantic deduplication and clusters" in page
    assert page.count('class="map"') == 1 and page.count("<circle") == 3
    assert "garlic" in page and "Cluster sizes" in page and "closest to the centroid" in page
    assert "sentence-transformers:m" in page
    # without the semantic phase those sections are absent
    plain = render_report(MANIFEST, LENGTHS)
    assert "Semantic deduplication" not in plain and 'id="funnel"' in plain


def test_dry_run_table():
    dry = dict(SEMANTIC)
    dry["dry_run"] = {
        "records": 100,
        "thresholds": [
            {"threshold": 0.85, "epsilon": 0.15, "removed": 30, "fraction": 0.3, "examples": [
                {"similarity": 0.851, "removed": True, "kept_text": "alpha", "other_text": "alpha too"}]},
            {"threshold": 0.95, "epsilon": 0.05, "removed": 4, "fraction": 0.04, "examples": []},
        ],
    }  # fmt: skip
    page = render_report(MANIFEST, LENGTHS, [report_section(dry)])
    assert 'id="dry-run"' in page and "30.0%" in page and "alpha too" in page


def test_empty_build(tmp_path):
    out = tmp_path / "report.html"
    write_report(out, {"counts": {"read": 0, "train": 0, "val": 0, "rejected": 0}}, {})
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "no records" in page


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.skipif(find_chromium() is None, reason="needs chromium or chromium-headless-shell (apt)")
def test_renders_in_headless_chromium(tmp_path):
    page = tmp_path / "report.html"
    write_report(page, MANIFEST, LENGTHS, [report_section(SEMANTIC)])
    shot = screenshot(page, tmp_path / "report.png", width=1200, height=2000)
    assert png_size(shot) == (1200, 2000)
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KiB


def _fixture_lengths():
    """Lengths on both sides of every histogram edge, long tails, and an empty split."""
    import random
    from array import array

    rng = random.Random(7)
    edges = [0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
    train = array(
        "I",
        [int(10 ** rng.uniform(0, 5)) for _ in range(5000)] + [e + d for e in edges for d in (-1, 0, 1) if e + d >= 0],
    )
    val = array("I", [int(10 ** rng.uniform(1, 3)) for _ in range(37)])
    tokens = {"train": array("I", [v // 4 for v in train]), "val": array("I")}
    return {"train": train, "val": val}, tokens


def test_length_sections_are_byte_identical_to_the_list_based_report():
    # tests/data/report/lengths.html was rendered by the report before it used numpy (Python lists, sorted())
    lengths, tokens = _fixture_lengths()
    page = render_report(dict(MANIFEST, token_lengths={"tokenizer": "tok/x"}), lengths, token_lengths=tokens)
    expected = (Path(__file__).parent / "data" / "report" / "lengths.html").read_text(encoding="utf-8")
    assert page == expected
    # plain lists and arrays give the same page
    as_lists = {k: list(v) for k, v in lengths.items()}
    assert render_report(dict(MANIFEST, token_lengths={"tokenizer": "tok/x"}), as_lists, token_lengths=tokens) == page


def test_length_statistics_hold_no_python_int_per_record():
    import tracemalloc
    from array import array

    lengths = {"train": array("I", range(200_000)), "val": array("I", range(1000))}
    tracemalloc.start()
    render_report(MANIFEST, lengths)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * 4 * 200_000  # the sorted copy of the largest array, and little else
