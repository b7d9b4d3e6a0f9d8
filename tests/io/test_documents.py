"""Source records of public datasets: .json arrays, objects and JSON lines, .jsonl, compressed
files, Parquet and directories, each record with its location."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.io.damaged_files import gzip_with_altered_data
from trajforge.errors import ConfigError, InputError, IntegrityError
from trajforge.io import BadRecord, ReadChecks, checking, documents
from trajforge.io.documents import iter_records

RECORDS = [{"a": 1}, {"a": [1, 2], "b": "é"}, {"a": None}]


def _records(spec: Path) -> list[tuple[object, str]]:
    return [(r.data, r.location) for r in iter_records(spec)]


def test_a_json_array_gives_its_elements(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(RECORDS, indent=2))
    assert _records(path) == [(r, f"{path}[{i}]") for i, r in enumerate(RECORDS)]


def test_one_object_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(RECORDS[1], indent=2))
    assert _records(path) == [(RECORDS[1], str(path))]


def test_json_lines_under_a_json_name_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    assert _records(path) == [(r, f"{path}:{i}") for i, r in enumerate(RECORDS, start=1)]


def test_compressed_json_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + json.dumps(RECORDS).encode()))
    assert [data for data, _ in _records(path)] == RECORDS


def test_a_huge_array_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "STREAM_ABOVE", 10)
    path = tmp_path / "a.json"
    path.write_text(json.dumps([*RECORDS, {"x": 1.5}]))
    assert [data for data, _ in _records(path)] == [*RECORDS, {"x": 1.5}]


def test_a_broken_streamed_array_keeps_what_came_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "STREAM_ABOVE", 10)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(RECORDS)[:-8])
    bad: list[BadRecord] = []
    assert [r.data for r in iter_records(path, bad.append)] == RECORDS[:2]
    assert len(bad) == 1
    assert bad[0].file == str(path)
    assert "after element 1" in bad[0].error


def test_a_syntax_error_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[\n  {"a": 1},\n  {"a": tru}\n]')
    with pytest.raises(InputError) as caught:
        list(iter_records(path))
    assert caught.value.file == str(path)
    assert caught.value.line == 3
    assert "(column 13)" in str(caught.value)  # where msgspec finds "tru}" is no literal


def test_bad_lines_are_set_aside_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n{oops\n{"a": 2}\n')
    bad: list[BadRecord] = []
    assert [r.data for r in iter_records(path, bad.append)] == [{"a": 1}, {"a": 2}]
    assert [(b.line, b.raw) for b in bad] == [(2, b"{oops")]


def test_parquet_rows_and_directories(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    pq.write_table(pa.Table.from_pylist([{"a": 1}, {"a": 2}]), tmp_path / "sub" / "b.parquet")
    (tmp_path / "a.jsonl").write_text('{"a": 0}\n')
    (tmp_path / ".hidden.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not data")
    found = _records(tmp_path)
    assert [data for data, _ in found] == [{"a": 0}, {"a": 1}, {"a": 2}]
    assert found[2][1] == f"{tmp_path / 'sub' / 'b.parquet'}[1]"


def test_what_is_not_data_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"unknown file type \.txt"):
        list(iter_records(tmp_path / "notes.txt"))
    with pytest.raises(ConfigError, match="no data files in the directory"):
        list(iter_records(tmp_path))
    with pytest.raises(ConfigError, match="no such file"):
        list(iter_records(tmp_path / "missing.json"))


def test_a_streamed_array_failing_its_crc_after_elements_stops_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "STREAM_ABOVE", 10)
    many = json.dumps([{"n": i, "pad": "x" * 50} for i in range(20_000)]).encode()
    path = tmp_path / "a.json.gz"
    gzip_with_altered_data(path, many, many.replace(b'"n": 7,', b'"n":-7,'))
    got: list[object] = []
    with pytest.raises(IntegrityError) as caught:  # not one bad record: all of them are suspect
        got.extend(r.data for r in iter_records(path, lambda bad: None))
    assert {"n": -7, "pad": "x" * 50} in got  # what the damage changed went out first
    assert caught.value.file == str(path)
    assert str(caught.value).startswith(f"{path}: compressed stream is truncated or corrupt (")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith(f"elements 0-{len(got) - 1} were read before")


def test_a_compressed_document_broken_before_a_record_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(json.dumps(RECORDS).encode())[:-10])
    bad: list[BadRecord] = []
    assert list(iter_records(path, bad.append)) == []  # the whole file is decoded first
    assert [(b.file, b.error) for b in bad] == [
        (str(path), "compressed stream is truncated or corrupt")
    ]


@pytest.mark.parametrize("name", ["a.jsonl", "a.json"])
def test_a_repeated_key_the_last_wins_unless_keys_must_be_unique(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"a": 1, "a": 2}\n' if name == "a.jsonl" else '[{"a": 1, "a": 2}]')
    assert [r.data for r in iter_records(path)] == [{"a": 2}]
    bad: list[BadRecord] = []
    with checking(ReadChecks(unique_keys=True)):
        records = iter_records(path, bad.append)
    assert list(records) == []
    assert [b.error for b in bad] == ["the key 'a' appears twice in one object"]
