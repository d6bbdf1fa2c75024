"""Phases render themselves: the CLI prints each phase's summary lines, report.html holds each phase's section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from curate import plan as plan_module
from curate.semantic.phase import SemanticPhase
from curate.semantic.testing import HashingEmbedder
from curate.stages.base import Phase
from tests.conftest import plugin_namespace

pytest.importorskip("torch")


class ShowingPhase(SemanticPhase):
    """The semantic phase, shown in its own words: what a new phase would supply."""

    def summary_lines(self, report: dict[str, Any]) -> list[str]:
        return [f"showing: {report['records']} records <not markup>"]

    def report_section(self, report: dict[str, Any]) -> str | None:
        return f'<h2 id="showing">Showing phase</h2><p>{report["records"]} records</p>'


def test_a_phase_shows_nothing_by_default():
    assert Phase().summary_lines({"records": 3}) == []
    assert Phase().report_section({"records": 3}) is None


def test_the_cli_and_the_report_ask_each_phase(tmp_path: Path, cli, register_plugin, monkeypatch):
    from tests.fakes import LinesImporter

    register_plugin(plugin_namespace(register_importers=lambda register: register(LinesImporter)), "test-lines")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(
        plan_module,
        "_semantic_phase",
        lambda table: ShowingPhase.from_config(table, tmp_path / "cache", embedder=HashingEmbedder()),
    )
    rows = [{"t": f"record number {i} about topic {i % 3}"} for i in range(12)]
    (tmp_path / "a.lines").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "build",
        str(tmp_path / "a.lines"),
        "-o",
        str(out),
        "--no-filters",
        "--format",
        "text",
        "--semantic-dedup",
        "0.99",
    )
    assert "showing: 12 records <not markup>" in result.output
    assert "semantic: near-duplicates" not in result.output  # the phase's own lines replace the default ones
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="showing">Showing phase</h2><p>12 records</p>' in page
    assert "Semantic deduplication and clusters" not in page
    assert page.index('id="showing"') < page.index('id="config"')
