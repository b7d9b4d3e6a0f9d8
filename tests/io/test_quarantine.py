"""Tests for trajforge.io.quarantine."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from trajforge.errors import SchemaError
from trajforge.io import BadRecord, Quarantine, read_trajectories
from trajforge.io.jsonl import iter_lines


def test_nothing_bad_creates_no_file(tmp_path: Path) -> None:
    with Quarantine(tmp_path / "bad.jsonl") as q:
        pass
    assert q.count == 0
    assert list(tmp_path.iterdir()) == []


def test_records_are_written_with_text_or_base64(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    with Quarantine(path) as q:
        q.add(BadRecord(file="a.jsonl", line=3, error="id: expected string", raw=b'{"id": 1}'))
        q.add(BadRecord(file="b.jsonl", line=7, error="invalid UTF-8", raw=b"\xff\xfe{}"))
        q.add(BadRecord(file="c.parquet", row=12, error="bad row", raw=b"{}"))
        assert not path.exists()  # published at close
    assert q.count == 3
    lines = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert lines[0] == {
        "file": "a.jsonl",
        "line": 3,
        "error": "id: expected string",
        "raw": '{"id": 1}',
    }
    assert "raw" not in lines[1]
    assert base64.b64decode(lines[1]["raw_base64"]) == b"\xff\xfe{}"
    assert lines[2] == {"file": "c.parquet", "row": 12, "error": "bad row", "raw": "{}"}


def _add_then_fail(path: Path) -> None:
    with Quarantine(path) as q:
        q.add(BadRecord(file="a", line=1, error="x"))
        raise RuntimeError


def test_exception_discards_the_quarantine(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        _add_then_fail(tmp_path / "bad.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_from_error_keeps_location_and_path() -> None:
    err = SchemaError("expected string", path="steps[0].name", hint="h").located(
        file="f.jsonl", line=9
    )
    bad = BadRecord.from_error(err, raw=b"x")
    assert (bad.file, bad.line, bad.row, bad.path, bad.hint) == (
        "f.jsonl",
        9,
        None,
        "steps[0].name",
        "h",
    )
    assert bad.error == "steps[0].name: expected string"


def test_as_on_error_sink(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_bytes(b'{"id":"ok1"}\n{"id":2}\n\n{"id":"ok2"}\n{"id":"\xff"}\n')
    with Quarantine(tmp_path / "bad.jsonl.gz") as q:
        good = [t.id for t in read_trajectories(data, on_error=q.add)]
    assert good == ["ok1", "ok2"]
    assert q.count == 2
    bad = [json.loads(r.data) for r in iter_lines(tmp_path / "bad.jsonl.gz")]
    assert [(b["line"], b["file"]) for b in bad] == [(2, str(data)), (5, str(data))]
    assert bad[0]["raw"] == '{"id":2}'
    assert bad[0]["error"].startswith("id: expected string")
    assert base64.b64decode(bad[1]["raw_base64"]) == b'{"id":"\xff"}'
