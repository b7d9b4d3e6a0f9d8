"""Malformed input: every case is a located TrajforgeError, and on_error keeps the good records."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from tests.io.damaged_files import parquet_with_bad_column_name, parquet_with_invalid_utf8
from trajforge.errors import InputError, IntegrityError, SchemaError, TrajforgeError
from trajforge.io import BadRecord, iter_lines, read_trajectories
from trajforge.io.jsonl import read_jsonl
from trajforge.io.parquet import read_parquet, trajectory_plan, write_parquet
from trajforge.schema import Outcome, Trajectory

GOOD = b'{"id":"good"}\n'
FIFTY_MB = 50 * 1024 * 1024


def _collect(path: Path) -> tuple[list[str], list[BadRecord]]:
    bad: list[BadRecord] = []
    ids = [t.id for t in read_trajectories(path, on_error=bad.append)]
    return ids, bad


def _fail(path: Path) -> TrajforgeError:
    with pytest.raises(TrajforgeError) as info:
        list(read_trajectories(path))
    return info.value


# ---------------------------------------------------------------- JSONL lines

JSONL_CASES: dict[str, tuple[bytes, int, str, str | None]] = {
    # name: (bad line, its line number after 2 good lines, message part, field path)
    "truncated_last_line": (b'{"id":"x","steps":[{"reas', 3, "truncated", None),
    "wrong_type": (
        b'{"id":"x","steps":[{"actions":[{"kind":"tool_call","name":5}]}]}',
        3,
        "expected string, got integer",
        "steps[0].actions[0].name",
    ),
    "missing_required": (b'{"steps":[]}', 3, "missing required field 'id'", None),
    "missing_in_variant": (
        b'{"id":"x","steps":[{"actions":[{"kind":"reply"}]}]}',
        3,
        "missing required field 'content'",
        "steps[0].actions[0]",
    ),
    "unknown_variant": (
        b'{"id":"x","steps":[{"observations":[{"kind":"robot","content":""}]}]}',
        3,
        "invalid value 'robot'",
        "steps[0].observations[0].kind",
    ),
    "out_of_range": (b'{"id":"x","outcome":{"score":1.5}}', 3, "<= 1.0", "outcome.score"),
    "unknown_field": (b'{"id":"x","task":{"bogus":1}}', 3, "unknown field 'bogus'", "task"),
    "invalid_utf8_in_string": (b'{"id":"caf\xe9"}', 3, "invalid UTF-8", None),
    "invalid_utf8_outside_string": (b'{"id":"x"}\xff', 3, "malformed JSON", None),
    "not_json": (b"hello world", 3, "malformed JSON", None),
    "too_deep": (b'{"id":"x","metadata":{"a":' + b"[" * 100_000 + b"]}}", 3, "nested", None),
}


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_bad_jsonl_line_is_located(tmp_path: Path, case: str) -> None:
    line, lineno, message, field = JSONL_CASES[case]
    path = tmp_path / f"{case}.jsonl"
    trailer = b"\n" + GOOD if case != "truncated_last_line" else b""
    path.write_bytes(GOOD + b"\n" + line + trailer)
    err = _fail(path)
    assert isinstance(err, InputError)
    assert err.file == str(path)
    assert err.line == lineno
    assert message in err.message
    assert err.path == field
    text = str(err)
    assert f"line {lineno} of {path}" in text
    if field:
        assert field in text


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_on_error_keeps_good_jsonl_records(tmp_path: Path, case: str) -> None:
    line, lineno, message, _ = JSONL_CASES[case]
    path = tmp_path / f"{case}.jsonl"
    trailer = b"\n" + GOOD if case != "truncated_last_line" else b""
    path.write_bytes(GOOD + b"\n" + line + trailer)
    ids, bad = _collect(path)
    assert ids == ["good"] * (1 if case == "truncated_last_line" else 2)
    assert len(bad) == 1
    assert (bad[0].file, bad[0].line, bad[0].raw) == (str(path), lineno, line)
    assert message in bad[0].error


def test_schema_error_type_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id":1}\n')
    assert isinstance(_fail(path), SchemaError)


def test_many_bad_lines_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [GOOD.strip() if i % 3 else b'{"id":%d}' % i for i in range(30)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    ids, bad = _collect(path)
    assert len(ids) == 20
    assert [b.line for b in bad] == list(range(1, 31, 3))


# ---------------------------------------------------------------- huge lines


def test_fifty_megabyte_valid_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    blob = b"x" * FIFTY_MB
    path.write_bytes(GOOD + b'{"id":"big","system_prompt":"' + blob + b'"}\n' + GOOD)
    ids, bad = _collect(path)
    assert ids == ["good", "big", "good"]
    assert bad == []


def test_fifty_megabyte_invalid_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.zst"
    blob = b"x" * FIFTY_MB
    data = GOOD + b'{"id":"big","system_prompt":"' + blob + b'\xff"}\n' + GOOD
    path.write_bytes(zstandard.ZstdCompressor().compress(data))
    err = _fail(path)
    assert (err.file, err.line) == (str(path), 2)
    assert "invalid UTF-8" in err.message
    ids, bad = _collect(path)
    assert ids == ["good", "good"]
    assert [(b.line, len(b.raw)) for b in bad] == [(2, len(data) - 2 * len(GOOD) - 1)]


def test_fifty_megabyte_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(GOOD + b'{"id":"big","system_prompt":"' + b"x" * FIFTY_MB)
    err = _fail(path)
    assert (err.file, err.line) == (str(path), 2)
    assert err.hint is not None
    assert "truncated" in err.hint


# ---------------------------------------------------------------- compressed streams


def _lines(n: int) -> bytes:
    # incompressible-ish content, so that cutting the stream loses real data
    return b"".join(b'{"id":"%s"}\n' % os.urandom(16).hex().encode() for _ in range(n))


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".jsonl.gz", gzip.compress), (".jsonl.zst", zstandard.ZstdCompressor().compress)],
)
def test_truncated_compressed_stream(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    data = _lines(20_000)
    path = tmp_path / f"cut{suffix}"
    blob = compress(data)
    path.write_bytes(blob[: len(blob) * 2 // 3])
    err = _fail(path)
    assert isinstance(err, IntegrityError)  # lines came out of it before it broke
    assert err.file == str(path)
    assert err.line is not None
    assert err.line > 1
    assert str(err).startswith(
        f"line {err.line} of {path}: compressed stream is truncated or corrupt ("
    )
    with pytest.raises(IntegrityError):  # not one bad record to set aside
        _collect(path)


@pytest.mark.parametrize(
    "name", ["empty.jsonl.gz", "empty.jsonl.zst", "junk.jsonl.gz", "junk.jsonl.zst"]
)
def test_empty_or_garbage_compressed_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"" if name.startswith("empty") else b"this is not compressed data\n")
    err = _fail(path)
    assert str(err).startswith(f"line 1 of {path}: compressed stream is truncated or corrupt")
    assert _collect(path)[0] == []


def test_empty_plain_file_is_an_empty_dataset(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert _collect(path) == ([], [])


# ---------------------------------------------------------------- Parquet


def _parquet_with_rows(path: Path, rows: list[dict[str, Any]], row_group_size: int) -> None:
    plan = trajectory_plan()
    table = pa.Table.from_pylist(rows, schema=plan.schema)
    pq.write_table(table, path, row_group_size=row_group_size)


def _row(record: Trajectory) -> dict[str, Any]:
    return trajectory_plan().write_row(msgspec.to_builtins(record))


def test_bad_parquet_rows_are_located(tmp_path: Path) -> None:
    rows = [_row(Trajectory(id=f"r{i}")) for i in range(6)]
    rows[1] = _row(Trajectory(id="bad-score", outcome=Outcome(score=0.5)))
    rows[1]["outcome"]["score"] = 1.5
    rows[4]["id"] = None
    rows[5]["metadata"] = "{not json"
    path = tmp_path / "rows.parquet"
    _parquet_with_rows(path, rows, row_group_size=3)
    err = _fail(path)
    assert isinstance(err, SchemaError)
    assert err.file == str(path)
    assert err.path == "outcome.score"
    assert str(err) == f"{path}: outcome.score: expected number <= 1.0 (row 2, row group 0)"

    ids, bad = _collect(path)
    assert ids == ["r0", "r2", "r3"]
    assert [b.row for b in bad] == [2, 5, 6]
    assert bad[1].path == "id"
    assert "expected string, got null (row 5, row group 1)" in bad[1].error
    assert "cannot convert the row" in bad[2].error
    assert msgspec.json.decode(bad[0].raw)["outcome"]["score"] == 1.5


@pytest.mark.parametrize("cut", [0, 4, 100, -8, -1])
def test_truncated_parquet(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.parquet"
    write_parquet(path, [Trajectory(id=str(i)) for i in range(50)])
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[: len(data) + cut])
    err = _fail(path)
    assert isinstance(err, InputError)
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: not a Parquet file, or it is truncated or corrupt")
    ids, bad = _collect(path)
    assert ids == []
    assert len(bad) == 1


def test_corrupt_parquet_row_group(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.parquet"
    records = [Trajectory(id=f"id-{i:03d}", system_prompt=f"prompt {i}" * 20) for i in range(30)]
    write_parquet(path, records, row_group_size=10)
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)  # "id" in row group 1
    offset = column.data_page_offset + column.total_compressed_size - 1
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    err = _fail(path)
    assert isinstance(err, InputError)
    assert err.file == str(path)
    assert "row group 1 is corrupt" in err.message
    ids, bad = _collect(path)
    assert ids == [r.id for r in records[:10] + records[20:]]
    assert len(bad) == 1
    assert "row group 1" in bad[0].error


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "dir.parquet").mkdir()
    (tmp_path / "dir.jsonl").mkdir()
    for name in ("dir.parquet", "dir.jsonl"):
        with pytest.raises(TrajforgeError):
            list(read_trajectories(tmp_path / name))


def test_iter_lines_reports_a_stream_broken_before_any_line_once(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.zst"
    blob = zstandard.ZstdCompressor().compress(_lines(5000))
    path.write_bytes(blob[:100])
    bad: list[BadRecord] = []
    assert list(iter_lines(path, on_error=bad.append)) == []
    assert [(b.file, b.line) for b in bad] == [(str(path), 1)]
    assert bad[0].error == "compressed stream is truncated or corrupt"


def test_parquet_column_name_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "badname.parquet"
    parquet_with_bad_column_name(path, [Trajectory(id="a")])
    err = _fail(path)
    assert str(err) == f"{path}: not a Parquet file, or it is truncated or corrupt"
    assert err.hint == (
        "the footer could not be read "
        "('utf-8' codec can't decode byte 0xff in position 0: invalid start byte)"
    )
    assert _collect(path)[0] == []
    assert [b.error for b in _collect(path)[1]] == [err.message]


def test_parquet_string_not_utf8_sets_its_row_aside(tmp_path: Path) -> None:
    path = tmp_path / "badvalue.parquet"
    parquet_with_invalid_utf8(path, ["first", "second-BAD", "third"], "second-BAD")
    err = _fail(path)
    assert str(err).startswith(f"{path}: a string is not valid UTF-8 (")
    assert err.message.endswith("(row 2, row group 0)")
    ids, bad = _collect(path)
    assert ids == ["first", "third"]
    assert [(b.row, b.raw) for b in bad] == [(2, b"")]


@pytest.mark.parametrize(
    "reader", [iter_lines, read_jsonl, read_parquet], ids=["lines", "jsonl", "parquet"]
)
def test_missing_file(tmp_path: Path, reader: Callable[..., Any]) -> None:
    path = tmp_path / "gone.parquet"
    with pytest.raises(InputError, match="no such file") as info:
        list(reader(path))
    assert info.value.file == str(path)
    bad: list[BadRecord] = []
    assert list(reader(path, on_error=bad.append)) == []
    assert [(b.file, b.error) for b in bad] == [(str(path), "no such file")]
