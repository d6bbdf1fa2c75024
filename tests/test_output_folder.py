"""The output folder: one build at a time, and the whole set of outputs switched in one step."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curate import outdir
from curate.errors import OutputBusy, OutputUnusable
from curate.ledger import sha256_file
from curate.outdir import OutputFolder
from tests.fakes import published

NAMES = ["train.jsonl", "val.jsonl", "manifest.json"]


def publish_set(out: Path, tag: str, names=NAMES) -> dict[str, bytes]:
    with OutputFolder.open(out) as folder:
        staging = folder.new_staging()
        for name in names:
            (staging / name).write_text(f"{tag} {name}\n")
        (staging / ".scratch").write_text("scratch")
        folder.publish(staging, names)
    return published(out)


def test_publish_switches_the_whole_set(tmp_path):
    out = tmp_path / "out"
    first = publish_set(out, "old")
    assert first == {name: f"old {name}\n".encode() for name in NAMES}
    second = publish_set(out, "new", ["train.jsonl", "manifest.json"])
    assert second == {"train.jsonl": b"new train.jsonl\n", "manifest.json": b"new manifest.json\n"}
    state = sorted(p.name for p in (out / ".curate").iterdir())
    assert len(state) == 3 and state[0] == "current" and state[2] == "lock"  # the old generation is gone


def test_second_build_is_refused_naming_the_first(tmp_path):
    out = tmp_path / "out"
    with OutputFolder.open(out):
        with pytest.raises(OutputBusy, match=rf"pid {os.getpid()} on .*started"):
            OutputFolder.open(out)
    OutputFolder.open(out).release()  # free again once released


def test_leftovers_of_dead_builds_are_removed(tmp_path):
    out = tmp_path / "out"
    publish_set(out, "old")
    state = out / ".curate"
    (state / "staging-dead").mkdir()
    (state / "staging-dead" / "train.jsonl").write_text("half")
    (state / "gen-dead").mkdir()
    (out / ".curate-staging-abc").mkdir()  # an older curate's staging folder
    with OutputFolder.open(out):
        names = {p.name for p in state.iterdir()}
    assert not {"staging-dead", "gen-dead"} & names
    assert not (out / ".curate-staging-abc").exists()
    assert published(out)["train.jsonl"] == b"old train.jsonl\n"


def test_plain_files_of_an_older_curate_are_adopted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in NAMES:
        (out / name).write_text(f"legacy {name}\n")
    (out / "notes.txt").write_text("mine")
    assert publish_set(out, "new") == {**{n: f"new {n}\n".encode() for n in NAMES}, "notes.txt": b"mine"}


def test_output_that_is_not_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputUnusable, match="not a folder"):
        OutputFolder.open(tmp_path / "file")
    with pytest.raises(OutputUnusable, match="cannot create the output folder"):
        OutputFolder.open(tmp_path / "file" / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_output(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputUnusable):
        OutputFolder.open(ro / "out")


class Killed(BaseException):
    """Stands for kill -9: raised in place of a file-system step, nothing after it runs."""


@pytest.mark.parametrize("legacy", [False, True])
def test_a_kill_at_any_step_of_publishing_leaves_one_complete_set(tmp_path, monkeypatch, legacy):
    """Stop publishing before each of its file-system steps in turn: the set seen is all old or all new."""
    steps = ("rename", "replace", "symlink", "link", "unlink", "rmdir")
    k = 0
    while True:
        out = tmp_path / f"out{k}"
        if legacy:
            out.mkdir()
            for name in NAMES:
                (out / name).write_text(f"old {name}\n")
            old = published(out)
        else:
            old = publish_set(out, "old")
        new = {name: f"new {name}\n".encode() for name in NAMES}
        calls = 0

        def counting(name, real, stop_at=k + 1):
            def step(*args, **kwargs):
                nonlocal calls
                calls += 1
                if calls == stop_at:
                    raise Killed
                return real(*args, **kwargs)

            return step

        with monkeypatch.context() as m:
            for name in steps:
                m.setattr(outdir.os, name, counting(name, getattr(os, name)))
            try:
                publish_set(out, "new")
                finished = True
            except Killed:
                finished = False
        seen = published(out)
        assert seen in (old, new), f"mixed set after step {k}: {seen}"
        if finished:
            assert seen == new
            break
        # The next build cleans up and publishes normally.
        assert publish_set(out, "next") == {name: f"next {name}\n".encode() for name in NAMES}
        k += 1
    assert k >= 5  # the publishing really has that many steps, each tried


BUILD = [sys.executable, "-m", "curate.cli", "build", "-q", "--no-filters", "--format", "text", "--val-ratio", "0.1"]


def big_source(tmp_path: Path, n: int) -> Path:
    src = tmp_path / "src.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"text": f"record {i} " + "words to read and write " * 8}) + "\n")
    return src


def consistent(out: Path) -> bool:
    """The published set is one build's: the manifest's hashes match train and val."""
    manifest = json.loads((out / "manifest.json").read_text())
    return all(
        sha256_file(out / name)[0] == manifest["outputs"][name]["sha256"] for name in ("train.jsonl", "val.jsonl")
    )


@pytest.mark.slow
def test_kill_9_at_random_instants_never_leaves_a_mixed_set(tmp_path):
    pytest.importorskip("psutil")  # the orphan check needs it: skip before a build starts, not while one runs
    src = big_source(tmp_path, 20_000)
    out = tmp_path / "out"
    subprocess.run([*BUILD, str(src), "-o", str(out)], check=True)
    start = time.perf_counter()
    subprocess.run([*BUILD, str(src), "-o", str(out), "--seed", "1"], check=True)
    duration = time.perf_counter() - start
    rng = random.Random(0)
    for seed in range(2, 10):
        proc = subprocess.Popen([*BUILD, str(src), "-o", str(out), "--seed", str(seed), "--workers", "2"])
        time.sleep(rng.uniform(0.3, duration * 1.2))
        children = _children(proc.pid)
        proc.kill()
        proc.wait()
        assert consistent(out)
        deadline = time.time() + 10  # the stage workers end with their build: no orphans
        while any(c.is_running() and c.status() != "zombie" for c in children) and time.time() < deadline:
            time.sleep(0.1)
        assert not [c for c in children if c.is_running() and c.status() != "zombie"]
    # The next build takes over: no stale lock, leftovers removed.
    subprocess.run([*BUILD, str(src), "-o", str(out)], check=True)
    assert consistent(out)
    assert [p.name for p in (out / ".curate").iterdir() if p.name.startswith("staging-")] == []


def _children(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    src = big_source(tmp_path, 60_000)
    out = tmp_path / "out"
    proc = subprocess.Popen([*BUILD, str(src), "-o", str(out)], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not list((out / ".curate").glob("staging-*")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list((out / ".curate").glob("staging-*")) == []


def test_an_interrupt_while_the_ledger_opens_its_files_leaves_no_staging(tmp_path, monkeypatch):
    """SIGTERM or Ctrl-C just after the staging folder appears (where the SIGTERM test sends it) removes it."""
    import builtins

    from curate import ledger

    opened = []

    def interrupted_open(*args, **kwargs):
        if opened:
            raise KeyboardInterrupt
        opened.append(builtins.open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(ledger, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt):
        ledger.Ledger(tmp_path / "out")
    assert list((tmp_path / "out" / ".curate").glob("staging-*")) == []
    assert opened[0].closed
    OutputFolder.open(tmp_path / "out").release()  # the lock was given back


def test_a_users_own_file_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("my notes")
    with OutputFolder.open(out) as folder:
        staging = folder.new_staging()
        for name in ("train.jsonl", "README.md"):
            (staging / name).write_text(f"new {name}")
        folder.publish(staging, ["train.jsonl", "README.md"])
        assert folder.kept_user_files == ["README.md"]
    assert (out / "README.md").read_text() == "my notes"
    assert (out / ".curate" / "current" / "README.md").read_text() == "new README.md"


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (needs root and mount rights: skipped elsewhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_real_full_disk_keeps_the_build_and_gives_the_space_back(tmp_path, small_disk):
    out = small_disk / "out"
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps({"text": f"record {i}"}) + "\n" for i in range(50)))
    subprocess.run([*BUILD, str(small), "-o", str(out)], check=True)
    before = published(out)
    big = big_source(tmp_path, 30_000)  # about 7 MB of outputs: more than the disk holds
    for _ in range(2):  # the second time, the first one's leftovers must not be in the way
        done = subprocess.run([*BUILD, str(big), "-o", str(out)], capture_output=True, text=True)
        assert done.returncode == 1 and "the disk is full" in done.stderr and "Traceback" not in done.stderr
        assert published(out) == before
        assert list((out / ".curate").glob("staging-*")) == []
