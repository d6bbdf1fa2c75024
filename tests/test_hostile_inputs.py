"""Hostile inputs (issue 10): files that lie about their compression, folder traps, bad bytes.

Every file is made here, in ``tmp_path``: nothing big is committed. Each test pins one
defect that the build had; the property tests at the end mutate small valid files for
every built-in importer.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import socket
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate import importing
from curate.errors import BuildFailed, SourceError
from curate.importing import (
    CompressedDataError,
    Importer,
    InputFile,
    Problem,
    Skipped,
    compression,
    detect_encoding,
    is_curate_output,
    open_text,
    walk,
)
from curate.records import Record
from curate.registry import get_registry
from curate.sources import FileTask, read_file
from tests.conftest import plugin_namespace

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}

#: A small valid file for each built-in importer.
SAMPLES: dict[str, bytes] = {
    ".jsonl": b'{"input": "2+2?", "output": "4"}\n{"input": "caf\xc3\xa9?", "output": "a drink"}\n',
    ".json": b'[{"text": "first record"}, {"text": "second \xe2\x82\xac record"}]',
    ".csv": b'input,output\nhello,world\n"a, b","multi\nline"\n',
    ".txt": b"A first paragraph\nof two lines.\n\nA second one, caf\xc3\xa9.\n",
    ".sql": b"CREATE TABLE t (q TEXT, a TEXT);\nINSERT INTO t VALUES ('hi', 'there'), ('it''s', 'fine');\n",
    ".html": b"<!doctype html><html><head><title>T</title></head><body><p>Hello there, reader.</p></body></html>",
}
OPTIONS: dict[str, dict] = {".txt": {"split": "paragraph"}}


def iter_items(path: Path, **options: object) -> Iterator[Record | Problem]:
    """What ``curate.sources.read_file`` yields for ``path`` with the importer its name picks."""
    file = InputFile(path, path.name)
    cls = get_registry().importer_for(file)
    assert cls is not None, path
    return read_file(FileTask(file, cls.from_options({**OPTIONS.get(file.suffix, {}), **options})))


def items_of(path: Path, **options: object) -> list[Record | Problem]:
    return list(iter_items(path, **options))


def errors(items: list[Record | Problem]) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem) and not i.warning]


def records(items: list[Record | Problem]) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


# ---------------------------------------------------------------------------------------
# Compression


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
@pytest.mark.parametrize("suffix", sorted(SAMPLES))
def test_content_that_is_not_the_named_compression_is_an_error(tmp_path: Path, suffix: str, compression: str) -> None:
    path = tmp_path / f"data{suffix}{compression}"
    path.write_bytes(SAMPLES[suffix] * 50)  # not compressed at all
    items = items_of(path)
    assert not records(items)
    (problem,) = errors(items)
    assert "not" in problem.message and compression.lstrip(".").replace("zst", "zstd") in problem.message
    assert "empty file" not in problem.message


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_the_head_of_a_mislabelled_file_raises_instead_of_reading_empty(tmp_path: Path, compression: str) -> None:
    path = tmp_path / f"x.jsonl{compression}"
    path.write_bytes(b'{"text": "plain"}\n' * 10)
    with pytest.raises(CompressedDataError, match="cannot decompress"):
        InputFile(path, path.name).head()


def test_strict_build_fails_on_a_file_that_is_not_gzip(cli, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.jsonl").write_text('{"input": "a", "output": "b"}\n' * 5)
    (src / "bad.jsonl.gz").write_text('{"input": "a", "output": "c"}\n' * 5)
    result = cli("build", str(src), "-o", str(tmp_path / "out"), "--strict", ok=None)
    assert result.exit_code == 1, result.output
    assert "bad.jsonl.gz" in result.output and "not gzip" in result.output
    assert "Traceback" not in result.output


def long_window_zstd(data: bytes, window_log: int) -> bytes:
    """A frame that asks for a ``2**window_log`` window (as ``zstd --long`` on a stream makes)."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log, enable_ldm=True)
    buf = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(buf, closefd=False) as writer:
        writer.write(data)  # streamed: the frame does not say its size, so the window stays large
    return buf.getvalue()


def test_zstd_long_window_frame_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl.zst"
    path.write_bytes(long_window_zstd(b'{"input": "q", "output": "a long-window answer"}\n' * 20, 28))
    assert zstandard.get_frame_parameters(path.read_bytes()).window_size == 1 << 28
    with pytest.raises(zstandard.ZstdError):  # what the library's default limit does
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(path.read_bytes())).read(10)
    items = items_of(path)
    assert len(records(items)) == 20 and not errors(items)


def test_zstd_window_over_the_limit_is_a_clear_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compression, "ZSTD_MAX_WINDOW", 1 << 27)  # read where the decompressor is made
    path = tmp_path / "long.txt.zst"
    path.write_bytes(long_window_zstd(b"some text\n" * 20, 28))
    (problem,) = errors(items_of(path))
    assert "window" in problem.message and "128 MiB limit" in problem.message


def test_every_zstd_frame_is_read(tmp_path: Path) -> None:
    one = zstandard.ZstdCompressor().compress(b'{"text": "first frame"}\n')
    two = zstandard.ZstdCompressor().compress(b'{"text": "second frame"}\n')
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(one + two)  # what `cat a.zst b.zst` and pzstd make
    assert [r.text for r in records(items_of(path))] == ["first frame", "second frame"]


def test_damaged_gzip_keeps_what_precedes_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    data = "".join(json.dumps({"text": f"record number {i} " + "x" * (i % 50)}) + "\n" for i in range(5000))
    path.write_bytes(gzip.compress(data.encode())[:-2000])
    items = items_of(path)
    assert 0 < len(records(items)) < 5000
    assert errors(items)


# ---------------------------------------------------------------------------------------
# Walking folders


def files_of(items: list[InputFile | SourceError]) -> list[str]:
    return [i.display for i in items if isinstance(i, InputFile)]


def walk_in_thread(path: Path, timeout: float = 20.0, **kwargs: object) -> list[InputFile | SourceError]:
    """The walk, failing (not hanging) if it never ends."""
    out: list[InputFile | SourceError] = []
    thread = threading.Thread(target=lambda: out.extend(walk(path, **kwargs)), daemon=True)  # type: ignore[arg-type]
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the walk did not finish"
    return out


def test_two_symlinks_to_the_folder_itself_end_and_read_each_file_once(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    os.symlink(".", src / "loop1")
    os.symlink("..", src / "sub" / "up")
    items = walk_in_thread(src)
    assert sorted(files_of(items)) == [f"{src}/a.txt", f"{src}/sub/b.txt"]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(skipped) == 2 and all("loop" in s.reason for s in skipped)


def test_a_folder_reached_twice_is_read_once(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "real").mkdir(parents=True)
    (src / "real" / "x.txt").write_text("x")
    os.symlink("real", src / "alias")  # sorted first: read under this name
    os.symlink("real/x.txt", src / "b-link.txt")
    items = walk_in_thread(src)
    assert files_of(items) == [f"{src}/alias/x.txt"]
    reasons = [i.reason for i in items if isinstance(i, Skipped)]
    assert len(reasons) == 2 and any("same folder" in r for r in reasons) and any("same file" in r for r in reasons)


def test_a_deep_tree_does_not_hit_the_recursion_limit(tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    deep = folder
    for _ in range(60):  # paths stay short enough for the OS; the walk keeps no Python recursion
        deep = deep / "d"
        deep.mkdir()
    (deep / "leaf.txt").write_text("leaf")
    assert len(files_of(list(walk(folder)))) == 1


def test_fifo_in_a_folder_is_reported_and_never_opened(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "pipe.txt")
    (src / "z.txt").write_text("after the pipe")
    items = walk_in_thread(src)  # opening the FIFO would block forever
    (error,) = [i for i in items if isinstance(i, SourceError)]
    assert error.path.endswith("pipe.txt") and "named pipe" in error.reason and not isinstance(error, Skipped)
    assert files_of(items) == [f"{src}/z.txt"]
    (top,) = walk_in_thread(src / "pipe.txt")
    assert isinstance(top, SourceError) and "named pipe" in top.reason


def test_socket_and_device_are_reported(tmp_path: Path) -> None:
    (error,) = walk_in_thread(Path("/dev/null"))
    assert isinstance(error, SourceError) and "character device" in error.reason
    folder = Path(os.path.relpath(tmp_path))  # a short path: socket names are limited to ~100 bytes
    if len(str(folder / "s.sock")) > 100:
        pytest.skip("no short path for a socket here")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "s.sock"))
        (error,) = walk_in_thread(tmp_path)
        assert isinstance(error, SourceError) and "socket" in error.reason
    finally:
        sock.close()


def test_file_deleted_during_the_walk_is_no_longer_there_not_permission_denied(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
    it = walk(tmp_path)
    first = next(it)
    assert isinstance(first, InputFile)
    (tmp_path / "b.txt").unlink()
    (gone,) = list(it)
    assert isinstance(gone, SourceError) and "no longer exists" in gone.reason


def test_file_deleted_before_it_is_read_says_so(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hello")
    file = InputFile(path, "a.txt")
    path.unlink()
    with pytest.raises(SourceError, match="no longer exists"):
        file.open()
    task = FileTask(file, get_registry().importer("text").from_options({}))
    (problem,) = list(read_file(task))
    assert isinstance(problem, Problem) and "no longer exists" in problem.message


def make_output(folder: Path, how: str) -> None:
    folder.mkdir(parents=True)
    (folder / "train.jsonl").write_text('{"text": "an output row"}\n')
    if how == "state":
        (folder / ".curate").mkdir()
    else:
        (folder / "manifest.json").write_text(json.dumps({"counts": {"read": 1}, "outputs": {}, "x": 1}))


@pytest.mark.parametrize("how", ["state", "manifest"])
def test_curate_output_folders_are_skipped_once_with_a_warning(tmp_path: Path, how: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data.jsonl").write_text('{"text": "input row"}\n')
    make_output(src / "out", how)
    assert is_curate_output(src / "out")
    items = list(walk(src))
    assert files_of(items) == [f"{src}/data.jsonl"]
    (skipped,) = [i for i in items if isinstance(i, SourceError)]
    assert isinstance(skipped, Skipped) and skipped.warning and skipped.path == f"{src}/out"
    (top,) = list(walk(src / "out"))  # the source path itself is an output folder
    assert isinstance(top, Skipped)


def test_not_a_curate_manifest(tmp_path: Path) -> None:
    for n, content in enumerate([b"[1, 2]", b'{"counts": 1}', b"{not json", b"\xff\xfe"]):
        folder = tmp_path / f"f{n}"
        folder.mkdir()
        (folder / "manifest.json").write_bytes(content)
        assert not is_curate_output(folder)
    os.mkfifo(tmp_path / "f0" / "pipe")
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "manifest.json")
    assert not is_curate_output(fifo)  # and did not block


def test_excluded_folders_are_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "out").mkdir(parents=True)
    (src / "out" / "stale.jsonl").write_text("{}\n")  # no manifest yet: a first build's output folder
    (src / "a.txt").write_text("a")
    items = list(walk(src, exclude=(src / "out",)))
    assert files_of(items) == [f"{src}/a.txt"]
    assert [type(i) for i in items if not isinstance(i, InputFile)] == [Skipped]


def test_building_into_a_folder_inside_the_source_twice_reads_the_same(cli, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text("".join(json.dumps({"input": f"q{i}", "output": f"a{i}"}) + "\n" for i in range(20)))
    counts = []
    for _ in range(2):
        cli("build", str(src), "-o", str(src / "out"), "--strict", "--val-ratio", "0.2")
        manifest = json.loads((src / "out" / "manifest.json").read_text())
        counts.append(manifest["counts"]["read"])
    assert counts == [20, 20]
    assert any("out" in w["path"] for w in manifest["warnings"]) or any("out" in str(w) for w in manifest["warnings"])


# ---------------------------------------------------------------------------------------
# Encoding


def test_one_bad_byte_early_does_not_turn_utf8_into_cp1252(tmp_path: Path) -> None:
    text = "Crème brûlée, naïve café, déjà vu. " * 40
    data = text.encode() + b"\xff stray byte\n" + text.encode()
    assert detect_encoding(data[:65536]) == ("utf-8", None)
    path = tmp_path / "mostly.txt"
    path.write_bytes(data)
    items = items_of(path)
    (record,) = records(items)
    assert "Crème brûlée" in (record.text or "") and "\ufffd stray" in (record.text or "")
    (warning,) = [i for i in items if isinstance(i, Problem)]
    assert warning.warning and warning.message.startswith("1 byte(s) not valid utf-8") and warning.locator == "line 1"


def test_legacy_text_is_still_cp1252() -> None:
    assert detect_encoding("Crème brûlée, déjà vu".encode("cp1252"))[0] == "cp1252"


def test_bad_bytes_after_the_sniffed_head_are_counted_with_the_first_place(tmp_path: Path) -> None:
    lines = [f"line {n} is plain ascii\n".encode() for n in range(1, 10001)]
    lines[7000] = b"line 7001 has a bad \xc3( pair and \xff\xfe two more\n"
    lines[9000] = b"line 9001 \x80\n"
    path = tmp_path / "late.txt"
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size > importing.SNIFF_BYTES
    items = items_of(path)
    (warning,) = [i for i in items if isinstance(i, Problem)]
    assert warning.warning and warning.locator == "line 7001"
    assert warning.message.startswith("4 byte(s) not valid utf-8")
    offset = b"".join(lines).index(b"\xc3(")
    assert f"byte {offset}" in warning.message


def test_decoding_is_checked_in_blocks_for_utf16(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes(codecs_bom() + "hello\n".encode("utf-16-le") * 30000 + b"\x00\xd8" + "x\n".encode("utf-16-le"))
    file = InputFile(path, "u16.txt")
    stream, encoding, _ = open_text(file)
    with stream:
        text = stream.read()
    assert encoding == "utf-16" and text.count("hello") == 30000
    (warning,) = file.meter.problems()
    assert warning.message.startswith("2 byte(s) not valid utf-16") and warning.locator is None


def codecs_bom() -> bytes:
    import codecs

    return codecs.BOM_UTF16_LE


# ---------------------------------------------------------------------------------------
# Memory


def test_memory_error_ends_the_build_instead_of_a_warning(tmp_path: Path) -> None:
    class Greedy(Importer):
        name = "greedy"

        def read(self, file: InputFile) -> Iterator[Record | Problem]:
            yield Record.create(file.source(self.name, "1"), text="one")
            raise MemoryError

    path = tmp_path / "a.txt"
    path.write_text("x")
    items = read_file(FileTask(InputFile(path, "a.txt"), Greedy.from_options({})))
    assert isinstance(next(items), Record)
    with pytest.raises(BuildFailed, match="ran out of memory"):
        next(items)


def peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_compressed_text_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.txt.gz"
    para = b"A paragraph of text that repeats, with a few words in it.\n" * 4 + b"\n"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        for _ in range(8 << 20 >> 9):  # ~8 MiB expanded
            fh.write(para * 2)
    for split in ("paragraph", "length"):
        peak = peak_bytes(lambda split=split: sum(1 for _ in iter_items(path, split=split)))
        assert peak < 4 << 20, (split, peak)
    # split="file": one record over max_record_chars is a problem, read past without holding it
    peak = peak_bytes(lambda: list(iter_items(path, split="file", max_record_chars=1 << 20)))
    assert peak < 6 << 20, peak


# ---------------------------------------------------------------------------------------
# Manifest: size and digest of the bytes read


def test_manifest_records_the_bytes_the_importer_read(cli, tmp_path: Path, register_plugin) -> None:
    """A file rewritten after the build found it: the manifest describes what was read, not what was there first."""
    src = tmp_path / "src"
    src.mkdir()
    path = src / "a.swap"
    path.write_bytes(b"old content\n")
    new = b"new content, longer than the old\n"

    class Swapping(Importer):
        name = "swapping"
        suffixes = (".swap",)

        def read(self, file: InputFile) -> Iterator[Record | Problem]:
            file.path.write_bytes(new)  # another process rewrote it between the walk and the read
            with file.open() as fh:
                for n, line in enumerate(fh, 1):
                    yield Record.create(file.source(self.name, f"line {n}"), text=line.decode())

    register_plugin(plugin_namespace(register_importers=lambda register: register(Swapping)), "test-swapping")
    cli("build", str(src), "-o", str(tmp_path / "out"), "--val-ratio", "0", "--format", "text")
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"]
    assert entry["size"] == len(new) and entry["sha256"] == hashlib.sha256(new).hexdigest()


def test_meter_completes_the_digest_when_the_importer_stops_early(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    data = b"<html><body>" + b"<p>x</p>" * 100000 + b"</body></html>"
    path.write_bytes(data)
    file = InputFile(path, path.name)
    task = FileTask(file, get_registry().importer("html").from_options({"max_bytes": 1000}))
    items = list(read_file(task))
    assert errors(items)  # over max_bytes: not parsed
    assert file.meter.finish(path) == (len(data), hashlib.sha256(data).hexdigest())


# ---------------------------------------------------------------------------------------
# Property tests: mutated small files never crash an importer.


def mutate(data: bytes, how: str, where: int, byte: int) -> bytes:
    if not data:
        return data
    at = where % len(data)
    if how == "flip":
        return data[:at] + bytes([data[at] ^ (byte or 1)]) + data[at + 1 :]
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + bytes([byte]) + data[at:]
    return data[:at] + data[at + 1 :]  # delete


MUTATION = st.tuples(
    st.sampled_from(["flip", "truncate", "insert", "delete"]), st.integers(0, 10_000), st.integers(0, 255)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from(sorted(SAMPLES)),
    compression=st.sampled_from(["", *sorted(COMPRESSORS), "wrong"]),
    mutations=st.lists(MUTATION, max_size=3),
    compress_after=st.booleans(),
)
def test_mutated_files_never_crash_an_importer(
    tmp_path: Path, suffix: str, compression: str, mutations: list[tuple[str, int, int]], compress_after: bool
) -> None:
    data = SAMPLES[suffix]
    name = f"m{suffix}"
    if compression == "wrong":  # compressed with one method, named after another
        data, name = gzip.compress(data), f"m{suffix}.xz"
    elif compression and not compress_after:
        data, name = COMPRESSORS[compression](data), f"m{suffix}{compression}"
    for how, where, byte in mutations:
        data = mutate(data, how, where, byte)
    if compression in COMPRESSORS and compress_after:  # a damaged text in a sound archive
        data, name = COMPRESSORS[compression](data), f"m{suffix}{compression}"
    path = tmp_path / name
    path.write_bytes(data)
    items = items_of(path)
    assert all(isinstance(i, Record | Problem) for i in items)
    assert not any(isinstance(i, Problem) and "failed:" in i.message for i in items), items
