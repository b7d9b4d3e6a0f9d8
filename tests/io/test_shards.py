"""Tests for trajforge.io.shards and trajforge.io.manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.io.sample_data import canonical, generated_trajectory
from trajforge.errors import ConfigError, InputError
from trajforge.io import Manifest, ShardedWriter, read_trajectories
from trajforge.io.manifest import ShardInfo
from trajforge.io.suffixes import FORMATS, DataFormat
from trajforge.schema import SCHEMA_VERSION, Trajectory


def _records(n: int) -> list[Trajectory]:
    return [canonical(generated_trajectory(i, steps=2)) for i in range(n)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_shards_and_manifest(tmp_path: Path, fmt: DataFormat) -> None:
    records = _records(25)
    out = tmp_path / "ds"
    with ShardedWriter(out, format=fmt, shard_size=10) as writer:
        for record in records:
            writer.write(record)
    assert writer.count == 25
    names = [f"part-0000{i}.{fmt}" for i in range(3)]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "manifest.json"])

    doc = json.loads((out / "manifest.json").read_bytes())
    assert doc["format"] == fmt
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["count"] == 25
    assert doc["complete"] is True
    assert [s["file"] for s in doc["shards"]] == names
    assert [s["count"] for s in doc["shards"]] == [10, 10, 5]
    assert [(s["first_id"], s["last_id"]) for s in doc["shards"]] == [
        (records[0].id, records[9].id),
        (records[10].id, records[19].id),
        (records[20].id, records[24].id),
    ]
    for shard in doc["shards"]:
        assert shard["sha256"] == hashlib.sha256((out / shard["file"]).read_bytes()).hexdigest()

    assert list(read_trajectories(out)) == records
    Manifest.load(out).verify(out)


def test_rewriting_a_directory_removes_the_old_datasets_extra_shards(tmp_path: Path) -> None:
    """A smaller dataset written over a larger one (in another format, too) leaves only its own
    shards: a glob over the directory then reads the new dataset alone. Other files stay."""
    with ShardedWriter(tmp_path, format="parquet", shard_size=10) as writer:
        for record in _records(25):
            writer.write(record)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "part-of-something.jsonl").write_text("")
    new = _records(30)[25:]
    with ShardedWriter(tmp_path, format="jsonl", shard_size=10) as writer:
        for record in new:
            writer.write(record)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["manifest.json", "notes.txt", "part-00000.jsonl", "part-of-something.jsonl"]
    assert list(read_trajectories(tmp_path)) == new
    assert list(read_trajectories(str(tmp_path / "part-*.jsonl"))) == new


def test_exact_multiple_makes_no_empty_shard(tmp_path: Path) -> None:
    with ShardedWriter(tmp_path, format="jsonl", shard_size=5) as writer:
        for record in _records(10):
            writer.write(record)
    manifest = Manifest.load(tmp_path)
    assert [s.count for s in manifest.shards] == [5, 5]


def test_no_records_gives_an_empty_complete_manifest(tmp_path: Path) -> None:
    with ShardedWriter(tmp_path / "ds", format="jsonl.gz"):
        pass
    manifest = Manifest.load(tmp_path / "ds")
    assert manifest.complete
    assert manifest.count == 0
    assert manifest.shards == []
    assert list(read_trajectories(tmp_path / "ds")) == []


def test_failure_keeps_finished_shards_and_marks_incomplete(tmp_path: Path) -> None:
    records = _records(25)
    out = tmp_path / "ds"

    def source() -> Iterator[Trajectory]:
        yield from records[:23]
        raise RuntimeError("generator crashed")

    def run() -> None:
        with ShardedWriter(out, format="parquet", shard_size=10) as writer:
            for record in source():
                writer.write(record)

    with pytest.raises(RuntimeError, match="generator crashed"):
        run()
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    manifest = Manifest.load(out)
    assert not manifest.complete
    assert manifest.count == 20
    manifest.verify(out)
    with pytest.raises(ConfigError, match="incomplete"):
        read_trajectories(out)
    assert list(read_trajectories(out / "part-*.parquet")) == records[:20]


def test_manifest_is_written_before_the_first_shard(tmp_path: Path) -> None:
    with ShardedWriter(tmp_path, format="jsonl", shard_size=2) as writer:
        assert not Manifest.load(tmp_path).complete
        writer.write(Trajectory(id="a"))
        writer.write(Trajectory(id="b"))
        assert Manifest.load(tmp_path).count == 2  # saved after each shard


def test_manifest_save_load_round_trip(tmp_path: Path) -> None:
    manifest = Manifest(format="jsonl.zst", shard_size=3)
    manifest.add(ShardInfo(file="part-00000.jsonl.zst", count=3, sha256="ab", first_id="x"))
    manifest.save(tmp_path)
    assert Manifest.load(tmp_path) == manifest
    assert (tmp_path / "manifest.json").read_bytes().endswith(b"}\n")


def test_verify_detects_a_changed_shard(tmp_path: Path) -> None:
    with ShardedWriter(tmp_path, format="jsonl", shard_size=2) as writer:
        for record in _records(3):
            writer.write(record)
    (tmp_path / "part-00001.jsonl").write_bytes(b"{}\n")
    with pytest.raises(InputError, match="checksum mismatch") as info:
        Manifest.load(tmp_path).verify(tmp_path)
    assert info.value.file == str(tmp_path / "part-00001.jsonl")


@pytest.mark.parametrize("text", ['{"format": "jsonl", "shards": 3}', '{"format": "csv"}', "{", ""])
def test_malformed_manifest_is_a_located_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError, match="malformed manifest") as info:
        Manifest.load(tmp_path)
    assert info.value.file == str(tmp_path / "manifest.json")


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"format": "csv"}, "csv"), ({"shard_size": 0}, "at least 1")]
)
def test_bad_options(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ShardedWriter(tmp_path, **kwargs)  # type: ignore[arg-type]
