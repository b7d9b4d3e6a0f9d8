"""Tests for trajforge.io.jsonl: lines, round trips, writers."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.io.sample_data import encoded
from trajforge.errors import TrajforgeError
from trajforge.io.jsonl import LineWriter, RawLine, iter_lines, read_jsonl, write_jsonl, write_lines
from trajforge.schema import Trajectory

SUFFIXES = [".jsonl", ".jsonl.gz", ".jsonl.zst"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip(tmp_path: Path, samples: list[Trajectory], suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    assert write_jsonl(path, samples) == len(samples)
    back = list(read_jsonl(path))
    assert back == samples
    assert encoded(back) == encoded(samples)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_compressed_and_plain_hold_the_same_lines(
    tmp_path: Path, samples: list[Trajectory], suffix: str
) -> None:
    write_jsonl(tmp_path / "plain.jsonl", samples)
    write_jsonl(tmp_path / f"other{suffix}", samples)
    plain = [r.data for r in iter_lines(tmp_path / "plain.jsonl")]
    other = [r.data for r in iter_lines(tmp_path / f"other{suffix}")]
    assert plain == other == encoded(samples)


def test_file_is_compact_json_lines(tmp_path: Path, samples: list[Trajectory]) -> None:
    path = tmp_path / "a.jsonl"
    write_jsonl(path, samples)
    assert path.read_bytes() == b"".join(line + b"\n" for line in encoded(samples))


def test_output_is_deterministic(tmp_path: Path, samples: list[Trajectory]) -> None:
    for suffix in (".jsonl.gz", ".jsonl.zst"):
        write_jsonl(tmp_path / f"a{suffix}", samples)
        first = (tmp_path / f"a{suffix}").read_bytes()
        write_jsonl(tmp_path / f"a{suffix}", samples)
        assert (tmp_path / f"a{suffix}").read_bytes() == first


def test_iter_lines_numbers_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\n\n   \n{"b":2}\r\n\t\n{"c":3}')
    assert list(iter_lines(path)) == [
        RawLine(str(path), 1, b'{"a":1}'),
        RawLine(str(path), 4, b'{"b":2}'),
        RawLine(str(path), 6, b'{"c":3}'),
    ]


def test_iter_lines_strips_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id":"a"}\r\n{"id":"b"}\r\n')
    assert [t.id for t in read_jsonl(path)] == ["a", "b"]
    path.write_bytes(b"\xef\xbb\xbf\n\xef\xbb\xbf{}\n")  # only on the first line
    assert [(r.line, r.data) for r in iter_lines(path)] == [(2, b"\xef\xbb\xbf{}")]


def test_iter_lines_reads_gzip_members_written_by_others(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b"one\n") + gzip.compress(b"\ntwo\n"))
    assert [(r.line, r.data) for r in iter_lines(path)] == [(1, b"one"), (3, b"two")]


def test_empty_plain_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert list(read_jsonl(path)) == []


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_writing_nothing_reads_back_as_nothing(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"none{suffix}"
    assert write_jsonl(path, []) == 0
    assert path.exists()
    assert list(read_jsonl(path)) == []


def test_write_lines_counts_and_appends_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    assert write_lines(path, [b'{"role":"user"}', b"[]"]) == 2
    assert gzip.decompress(path.read_bytes()) == b'{"role":"user"}\n[]\n'


def test_write_lines_rejects_embedded_newline_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="newline"):
        write_lines(tmp_path / "x.jsonl", [b"ok", b"bad\nline"])
    assert list(tmp_path.iterdir()) == []


def test_failing_source_leaves_destination_untouched(
    tmp_path: Path, samples: list[Trajectory]
) -> None:
    path = tmp_path / "a.jsonl.zst"
    write_jsonl(path, samples)
    before = path.read_bytes()

    def records() -> Iterator[Trajectory]:
        yield samples[0]
        raise TrajforgeError("upstream failed")

    with pytest.raises(TrajforgeError, match="upstream failed"):
        write_jsonl(path, records())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl.zst"]


def test_line_writer_flushes_large_output(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.zst"
    line = b'{"x":"' + b"y" * 10_000 + b'"}'
    with LineWriter(path) as writer:
        for _ in range(300):  # ~3 MB: several internal flushes
            writer.write_line(line)
    assert writer.count == 300
    assert [r.data for r in iter_lines(path)] == [line] * 300


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_fifty_megabyte_line(tmp_path: Path, suffix: str) -> None:
    blob = "é" * (25 * 1024 * 1024)  # 50 MiB of UTF-8
    record = Trajectory(id="big", metadata={"blob": blob})
    path = tmp_path / f"big{suffix}"
    write_jsonl(path, [Trajectory(id="before"), record, Trajectory(id="after")])
    back = list(read_jsonl(path))
    assert [r.id for r in back] == ["before", "big", "after"]
    assert back[1].metadata["blob"] == blob
