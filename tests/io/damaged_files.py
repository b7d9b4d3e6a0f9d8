"""Damaged data files, made to order: what a flipped bit or a foreign writer leaves behind."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from trajforge.io.parquet import trajectory_plan, write_parquet
from trajforge.schema import Trajectory, to_builtins


def gzip_with_altered_data(path: Path, original: bytes, altered: bytes) -> None:
    """A gzip member whose deflate data decodes to ``altered`` but whose trailer carries the
    CRC-32 and size of ``original``: what a bit flipped in the member leaves when it still
    decodes. Every byte comes out, and only the check at the member's end fails."""
    assert len(original) == len(altered)
    assert original != altered
    member = gzip.compress(altered, mtime=0)
    trailer = struct.pack("<II", zlib.crc32(original), len(original))
    path.write_bytes(member[:-8] + trailer)


def zstd_with_bad_checksum(path: Path, data: bytes) -> None:
    """A zstd frame of ``data`` whose content checksum (its last 4 bytes) is wrong."""
    frame = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    path.write_bytes(frame[:-4] + bytes(b ^ 0xFF for b in frame[-4:]))


def footer(data: bytes) -> int:
    """Where a Parquet file's footer (its Thrift FileMetaData) starts."""
    (length,) = struct.unpack("<I", data[-8:-4])
    return len(data) - 8 - length


def parquet_with_bad_column_name(path: Path, records: list[Trajectory]) -> None:
    """A Parquet file of ``records`` whose schema names the column ``id`` in bytes that are not
    UTF-8. The footer's schema is a list of Thrift elements, each name a length-prefixed string
    (``\\x02id``); the first such string after the footer's start is the schema element (the
    column chunks' paths come later), and patching it in place keeps every length right."""
    write_parquet(path, records)
    data = path.read_bytes()
    at = data.index(b"\x02id", footer(data)) + 1
    path.write_bytes(data[:at] + b"\xff\xfe" + data[at + 2 :])


def parquet_with_invalid_utf8(path: Path, ids: list[str], bad: str) -> None:
    """A Parquet file of trajectories with ``ids`` in which the id ``bad`` holds bytes that are
    not UTF-8: written plain (no compression, dictionary, statistics or page checksums, as a
    foreign writer might) so that the id's bytes appear once, in its data page, and are patched
    there. Parquet readers do not check that strings are UTF-8."""
    plan = trajectory_plan()
    rows = [plan.write_row(to_builtins(Trajectory(id=i))) for i in ids]
    table = pa.Table.from_pylist(rows, schema=plan.schema)
    pq.write_table(table, path, compression="none", use_dictionary=False, write_statistics=False)
    data = path.read_bytes()
    assert data.count(bad.encode()) == 1
    at = data.index(bad.encode())
    path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])
