"""Tests for trajforge.io.atomic."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trajforge.errors import TrajforgeError
from trajforge.io.atomic import AtomicFile, atomic_write, deferred_sync, sync_file


def test_publishes_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with atomic_write(target) as f:
        f.write(b"hello")
        assert not target.exists()  # nothing visible until the block ends
    assert target.read_bytes() == b"hello"
    assert os.listdir(tmp_path) == ["out.bin"]


def _write_then_fail(target: Path, exc: BaseException) -> None:
    with atomic_write(target) as f:
        f.write(b"new partial data")
        raise exc


def test_exception_removes_temp_and_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        _write_then_fail(target, RuntimeError("boom"))
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_exception_on_new_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(tmp_path / "new.bin", KeyboardInterrupt())
    assert os.listdir(tmp_path) == []


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "f") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644


def test_abort_and_commit_are_idempotent(tmp_path: Path) -> None:
    target = AtomicFile(tmp_path / "a")
    target.file.write(b"1")
    target.abort()
    target.abort()
    target.commit()  # after abort: nothing happens
    assert os.listdir(tmp_path) == []


def test_missing_directory_is_a_trajforge_error(tmp_path: Path) -> None:
    with pytest.raises(TrajforgeError, match="cannot write") as info:
        AtomicFile(tmp_path / "no" / "such" / "dir.bin")
    assert info.value.file == str(tmp_path / "no" / "such" / "dir.bin")


def test_deferred_writes_are_atomic_and_left_for_the_recorder_to_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    target = tmp_path / "part-00000.jsonl"
    with deferred_sync(), atomic_write(target) as f:
        f.write(b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert synced == []  # a worker does not wait on the disk
    with atomic_write(tmp_path / "manifest.json") as f:  # outside the block: durable as ever
        f.write(b"{}")
    assert len(synced) == 2  # the file and its directory
    sync_file(target)
    assert len(synced) == 4
    with pytest.raises(TrajforgeError, match="gone"):
        sync_file(tmp_path / "gone")
