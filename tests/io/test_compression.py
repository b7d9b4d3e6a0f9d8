"""Tests for trajforge.io.compression."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest
import zstandard

from trajforge.io.compression import compression_of, open_read, open_write

DATA = b"".join(b"line %d \xe2\x9c\x93\n" % i for i in range(200_000))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.jsonl", "none"), ("a.jsonl.gz", "gzip"), ("a.JSONL.ZST", "zstd"), ("a.parquet", "none")],
)
def test_compression_of(name: str, expected: str) -> None:
    assert compression_of(name) == expected


@pytest.mark.parametrize("name", ["x.bin", "x.gz", "x.zst"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with open_write(path) as out:
        out.write(DATA)
    with open_read(path) as f:
        assert f.read() == DATA
    with open_read(path) as f:
        assert sum(1 for _ in f) == 200_000


def test_compressed_files_are_real_gzip_and_zstd(tmp_path: Path) -> None:
    with open_write(tmp_path / "a.gz") as out:
        out.write(DATA)
    with open_write(tmp_path / "a.zst") as out:
        out.write(DATA)
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == DATA
    reader = zstandard.ZstdDecompressor().stream_reader(
        io.BytesIO((tmp_path / "a.zst").read_bytes())
    )
    assert reader.read() == DATA


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    for name in ("a.gz", "b.gz"):
        with open_write(tmp_path / name) as out:
            out.write(DATA)
    first, second = (tmp_path / "a.gz").read_bytes(), (tmp_path / "b.gz").read_bytes()
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # mtime 0
    assert not first[3] & 0x08  # no file name in the header


def test_zstd_reads_concatenated_frames(tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor()
    path = tmp_path / "multi.zst"
    path.write_bytes(cctx.compress(b"first\n") + cctx.compress(b"") + cctx.compress(b"second\n"))
    with open_read(path) as f:
        assert f.read() == b"first\nsecond\n"


def test_zstd_truncation_is_an_error_not_a_silent_end(tmp_path: Path) -> None:
    payload = os.urandom(200_000).hex().encode()
    raw = zstandard.ZstdCompressor().compress(payload)
    path = tmp_path / "cut.zst"
    path.write_bytes(raw[: len(raw) - 5])
    with open_read(path) as f, pytest.raises(EOFError):
        f.read()


def test_zstd_trailing_garbage_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(b"ok\n") + b"garbage!")
    with open_read(path) as f, pytest.raises(zstandard.ZstdError):
        f.read()


def test_gzip_truncation_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(DATA)[:-20])
    with open_read(path) as f, pytest.raises(EOFError):
        f.read()
