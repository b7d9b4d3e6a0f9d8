"""Tests for trajforge.io.sources: resolving inputs, dispatching reads and writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajforge.errors import ConfigError
from trajforge.io import (
    SUPPORTED_SUFFIXES,
    Manifest,
    read_trajectories,
    resolve_paths,
    write_trajectories,
)
from trajforge.io.jsonl import write_jsonl
from trajforge.io.parquet import write_parquet
from trajforge.schema import Trajectory


def _ids(prefix: str, n: int) -> list[Trajectory]:
    return [Trajectory(id=f"{prefix}{i}") for i in range(n)]


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "b.jsonl.gz", _ids("b", 2))
    write_jsonl(tmp_path / "a.jsonl", _ids("a", 2))
    write_parquet(tmp_path / "c.parquet", _ids("c", 2))
    write_jsonl(tmp_path / "d.jsonl.zst", _ids("d", 1))
    (tmp_path / "notes.txt").write_text("ignore me")
    (tmp_path / ".hidden.jsonl").write_text("not json")
    (tmp_path / "sub").mkdir()
    write_jsonl(tmp_path / "sub" / "e.jsonl", _ids("e", 1))
    return tmp_path


def test_directory_without_manifest_reads_data_files_sorted(mixed_dir: Path) -> None:
    assert [p.name for p in resolve_paths(mixed_dir)] == [
        "a.jsonl",
        "b.jsonl.gz",
        "c.parquet",
        "d.jsonl.zst",
    ]
    assert [t.id for t in read_trajectories(str(mixed_dir))] == [
        "a0",
        "a1",
        "b0",
        "b1",
        "c0",
        "c1",
        "d0",
    ]


def test_single_file(mixed_dir: Path) -> None:
    assert resolve_paths(mixed_dir / "c.parquet") == [mixed_dir / "c.parquet"]
    assert [t.id for t in read_trajectories(mixed_dir / "c.parquet")] == ["c0", "c1"]


def test_glob(mixed_dir: Path) -> None:
    assert [p.name for p in resolve_paths(f"{mixed_dir}/*.jsonl*")] == [
        "a.jsonl",
        "b.jsonl.gz",
        "d.jsonl.zst",
    ]
    assert [p.name for p in resolve_paths(f"{mixed_dir}/**/*.jsonl")] == ["a.jsonl", "e.jsonl"]
    # files of unknown types that a pattern happens to match are skipped
    assert [p.name for p in resolve_paths(f"{mixed_dir}/*")] == [
        "a.jsonl",
        "b.jsonl.gz",
        "c.parquet",
        "d.jsonl.zst",
    ]


def test_manifest_directory_uses_its_shard_order(tmp_path: Path) -> None:
    result = write_trajectories(tmp_path / "ds", _ids("x", 5), format="jsonl", shard_size=2)
    (tmp_path / "ds" / "part-00009.jsonl").write_text('{"id": "stale"}\n')  # not in manifest
    assert resolve_paths(tmp_path / "ds") == list(result.paths)
    assert [t.id for t in read_trajectories(tmp_path / "ds")] == [f"x{i}" for i in range(5)]


def test_glob_over_dataset_directories(tmp_path: Path) -> None:
    write_trajectories(tmp_path / "run1", _ids("r1-", 3), format="jsonl", shard_size=2)
    write_trajectories(tmp_path / "run2", _ids("r2-", 1))
    assert [t.id for t in read_trajectories(f"{tmp_path}/run*")] == [
        "r1-0",
        "r1-1",
        "r1-2",
        "r2-0",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.jsonl", "no such file or directory"),
        ("*.nothing", "no data files match"),
        ("emptydir", "no data files in the directory"),
        ("notes.txt", "unknown file type .txt"),
    ],
)
def test_nothing_to_read_is_a_config_error(tmp_path: Path, spec: str, message: str) -> None:
    (tmp_path / "emptydir").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=message) as info:
        read_trajectories(tmp_path / spec)  # raises at call time, before iteration
    assert info.value.file is not None
    assert spec in info.value.file


def test_unknown_type_hint_lists_supported_suffixes(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("")
    with pytest.raises(ConfigError) as info:
        resolve_paths(tmp_path / "x.csv")
    assert info.value.hint is not None
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in info.value.hint


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst", "out.parquet"])
def test_write_single_file_by_suffix(tmp_path: Path, name: str) -> None:
    dest = tmp_path / "new" / name
    result = write_trajectories(dest, _ids("s", 3))
    assert result.count == 3
    assert result.paths == (dest,)
    assert result.manifest is None
    assert [t.id for t in read_trajectories(dest)] == ["s0", "s1", "s2"]


def test_write_directory_without_suffix_shards(tmp_path: Path) -> None:
    result = write_trajectories(tmp_path / "dataset", _ids("s", 5), shard_size=2)
    assert result.count == 5
    assert [p.name for p in result.paths] == [f"part-0000{i}.parquet" for i in range(3)]
    assert result.manifest == tmp_path / "dataset" / "manifest.json"
    assert Manifest.load(tmp_path / "dataset").count == 5


def test_shard_size_is_ignored_for_a_single_file(tmp_path: Path) -> None:
    result = write_trajectories(tmp_path / "one.jsonl", _ids("s", 5), shard_size=2)
    assert result.paths == (tmp_path / "one.jsonl",)
    assert result.count == 5


def test_write_existing_directory_with_format(tmp_path: Path) -> None:
    out = tmp_path / "has.dots.in.name"
    out.mkdir()
    result = write_trajectories(out, _ids("s", 2), format="jsonl.zst")
    assert [p.name for p in result.paths] == ["part-00000.jsonl.zst"]


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("out.csv", {}, "unknown output file type '.csv'"),
        ("out.jsonl", {"format": "parquet"}, "does not match"),
        ("out", {"format": "xml"}, "unknown format"),
    ],
)
def test_write_config_errors(
    tmp_path: Path, name: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        write_trajectories(tmp_path / name, _ids("s", 1), **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_unknown_output_suffix_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        write_trajectories(tmp_path / "out.json", [])
    assert info.value.hint is not None
    assert ".jsonl.zst" in info.value.hint
    assert "directory" in info.value.hint
