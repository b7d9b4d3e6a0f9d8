"""Integrity checks: damaged compressed streams and changed shards stop the read, whatever
``on_error``, and what was written from them is not published."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import zstandard

from tests.io.damaged_files import gzip_with_altered_data, zstd_with_bad_checksum
from trajforge.errors import IntegrityError
from trajforge.io import (
    BadRecord,
    Manifest,
    ReadChecks,
    checking,
    read_raw,
    read_trajectories,
    write_trajectories,
)
from trajforge.io.sources import resolve_files
from trajforge.schema import Trajectory, encode

# big and varied enough that a compressed stream gives lines long before it ends
RECORDS = [
    Trajectory(id=f"t{i:04d}", system_prompt=hashlib.sha512(b"%d" % i).hexdigest())
    for i in range(2000)
]
ORIGINAL = b"".join(encode(t) + b"\n" for t in RECORDS)
ALTERED = ORIGINAL.replace(b'"t0003"', b'"t000X"')  # what the damage changed


def _read_all(spec: Path | str) -> tuple[list[Trajectory], list[BadRecord]]:
    bad: list[BadRecord] = []
    got: list[Trajectory] = []
    with pytest.raises(IntegrityError) as info:
        got.extend(read_trajectories(spec, on_error=bad.append))
    assert bad == []  # not a bad record: everything read from the file is suspect
    return got, [BadRecord.from_error(info.value)]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_a_stream_failing_its_checksum_raises_even_with_on_error(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"damaged{suffix}"
    if suffix == ".jsonl.gz":
        gzip_with_altered_data(path, ORIGINAL, ALTERED)
    else:
        zstd_with_bad_checksum(path, ALTERED)
    got, (error,) = _read_all(path)
    assert "t000X" in [t.id for t in got]  # the damage went downstream before it showed
    assert error.file == str(path)
    assert error.line is not None
    assert "compressed stream is truncated or corrupt" in error.error
    assert error.hint is not None
    assert error.hint.startswith(f"lines 1-{error.line - 1} were read before the damage showed")
    with pytest.raises(IntegrityError):
        list(read_raw(str(path), on_error=lambda bad: None))


def test_trajforge_writes_zstd_frames_with_a_content_checksum(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.zst"
    write_trajectories(path, RECORDS)
    assert zstandard.get_frame_parameters(path.read_bytes()).has_checksum


@pytest.mark.parametrize("cut", ["gz", "zst"])
def test_a_stream_cut_short_after_giving_lines_is_an_integrity_error(
    tmp_path: Path, cut: str
) -> None:
    path = tmp_path / f"cut.jsonl.{cut}"
    write_trajectories(path, RECORDS)
    path.write_bytes(path.read_bytes()[:-50])
    _, (error,) = _read_all(path)
    assert error.line is not None
    assert error.line > 1


@pytest.mark.parametrize("dest", ["out.jsonl", "out.parquet", "shards"])
def test_nothing_read_from_a_damaged_stream_is_published(tmp_path: Path, dest: str) -> None:
    source = tmp_path / "in"
    source.mkdir()
    write_trajectories(source / "a.jsonl", RECORDS[:600])  # a good file before the damaged one
    gzip_with_altered_data(source / "b.jsonl.gz", ORIGINAL, ALTERED)
    out = tmp_path / dest
    with pytest.raises(IntegrityError):  # two shards were published before the damage showed
        write_trajectories(out, read_trajectories(source), shard_size=1000)
    if dest == "shards":  # shards were published as they filled: all are gone again
        assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
        manifest = Manifest.load(out)
        assert (manifest.complete, manifest.shards) == (False, [])
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _dataset(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / f"set-{fmt.replace('.', '-')}"
    write_trajectories(out, RECORDS[:20], format=fmt, shard_size=8)  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_a_shard_that_changed_after_it_was_written_stops_the_read(tmp_path: Path, fmt: str) -> None:
    dataset = _dataset(tmp_path, fmt)
    shard = dataset / f"part-00001.{fmt}"
    expected = Manifest.load(dataset).shards[1].sha256
    changed = [t if t.id != "t0009" else Trajectory(id="t0009") for t in RECORDS[:20]]
    write_trajectories(shard, changed[8:16])  # a well-formed shard, but not the one written
    got, (error,) = _read_all(dataset)
    assert error.file == str(shard)
    assert expected in error.error
    assert "checksum mismatch: the shard has sha256 " in error.error
    if fmt == "parquet":  # hashed before it is read: not a row of it went out
        assert [t.id for t in got] == [t.id for t in RECORDS[:8]]
    with checking(ReadChecks(shard_hashes=False)):
        assert list(read_trajectories(dataset)) == changed
        files = resolve_files(dataset)
    assert [f.sha256 for f in files] == [None, None, None]
    assert resolve_files(dataset)[1].sha256 == expected


def test_a_shard_read_whole_is_checked_and_passes(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, "jsonl.zst")
    assert [len(f.sha256 or "") for f in resolve_files(dataset)] == [64, 64, 64]
    assert list(read_trajectories(dataset)) == RECORDS[:20]
    assert len(list(read_raw(str(dataset)))) == 20


def test_checks_are_taken_when_the_reader_is_called(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, "jsonl")
    (dataset / "part-00002.jsonl").write_bytes(encode(RECORDS[16]) + b"\n")
    with checking(ReadChecks(shard_hashes=False)):
        unchecked = read_trajectories(dataset)
    assert len(list(unchecked)) == 17  # iterated outside the block, read as chosen inside it
    with pytest.raises(IntegrityError):
        list(read_trajectories(dataset))
