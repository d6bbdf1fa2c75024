"""`curate train` mistakes caught before any model or data is touched, with what to do instead."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.train.cli import train_command
from curate.train.errors import TrainConfigError
from curate.train.methods import check_model_source, quiet_known_warnings


def test_a_model_path_that_is_not_there_is_named(tmp_path: Path) -> None:
    for missing in (str(tmp_path / "no-model"), "./no-such-model", "~/no-such-model-folder-xyz"):
        with pytest.raises(TrainConfigError, match="does not exist") as failed:
            check_model_source(missing)
        assert missing in failed.value.message and "hub name" in (failed.value.hint or "")
    check_model_source(str(tmp_path))  # a folder that exists
    check_model_source("some-org/some-model")  # a hub name: the cache decides


def test_the_cli_stops_at_a_missing_model_before_creating_its_output(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    (build / "train.jsonl").write_text('{"text": "a record"}\n')
    out = tmp_path / "run"
    result = CliRunner().invoke(
        train_command, [str(build), "--preset", "lora", "--model", str(tmp_path / "gone"), "-o", str(out)]
    )
    assert result.exit_code != 0
    assert "does not exist" in result.output and not out.exists()


def test_a_data_file_given_as_target_says_to_build_it_first(tmp_path: Path) -> None:
    data = tmp_path / "chats.jsonl"
    data.write_text('{"text": "a record"}\n')
    result = CliRunner().invoke(train_command, [str(data), "--preset", "qlora"])
    assert result.exit_code != 0
    assert "not a TOML config" in result.output
    assert f"curate build {data} -o OUT --train qlora" in result.output


def test_bitsandbytes_offline_kernel_notice_is_dropped_and_only_that(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("bitsandbytes.backends.cpu.ops")
    notice = "Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure ..."
    with caplog.at_level(logging.WARNING, logger="bitsandbytes.backends.cpu.ops"):
        with quiet_known_warnings():
            log.warning(notice, "offline")
            log.warning("something else")
        log.warning(notice, "outside")
    assert [r.getMessage()[:16] for r in caplog.records] == ["something else", "Failed to load C"]


def test_list_modules_names_a_missing_model_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(train_command, ["--list-modules", str(tmp_path / "gone")])
    assert result.exit_code != 0 and "does not exist" in result.output
