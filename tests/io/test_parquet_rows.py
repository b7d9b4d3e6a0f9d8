"""Tests for trajforge.io.parquet_rows: rows decoded from JSON are the trajectory's, exactly."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from tests.io.sample_data import canonical, generated_trajectory, sample_trajectories
from tests.io.test_malformed import JSONL_CASES
from tests.io.test_roundtrip_property import trajectories
from trajforge.errors import TrajforgeError
from trajforge.io import BadRecord, copy_trajectories, read_trajectories, write_trajectories
from trajforge.io.jsonl import read_jsonl, write_jsonl
from trajforge.io.parquet import trajectory_plan, write_parquet
from trajforge.io.parquet_rows import RowDecoder, TrajectoryRow, encode_row, encode_row_json
from trajforge.schema import Trajectory, TrajectoryDecoder, encode


def _trajectory_line(trajectory: Trajectory) -> bytes:
    return msgspec.json.encode(trajectory_plan().write_row(msgspec.to_builtins(trajectory)))


def _row(data: bytes) -> TrajectoryRow:
    row = RowDecoder().decode(data)
    assert isinstance(row, TrajectoryRow)
    return row


def _same_as_trajectory(trajectory: Trajectory) -> None:
    data = encode(trajectory)
    row = _row(data)
    assert encode_row(row) == _trajectory_line(TrajectoryDecoder().decode(data))
    assert encode_row_json(row) == data


def test_rows_are_the_trajectories_rows_and_json() -> None:
    for trajectory in [*sample_trajectories(), *(generated_trajectory(i) for i in range(20))]:
        _same_as_trajectory(canonical(trajectory))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trajectories)
def test_any_trajectorys_row_is_its_row(trajectory: Trajectory) -> None:
    _same_as_trajectory(trajectory)


# a JSON value stored as text still has its type checked; and the tool list, decoded apart
ROW_CASES: dict[str, bytes] = {
    **{name: line for name, (line, *_) in JSONL_CASES.items()},
    "arguments_not_an_object": (
        b'{"id":"x","steps":[{"actions":[{"kind":"tool_call","name":"f","arguments":[1]}]}]}'
    ),
    "bad_argument_match": (
        b'{"id":"x","task":{"expected_actions":[{"name":"f","match":{"a":{"mode":"fuzzy"}}}]}}'
    ),
    "required_leaf_null": b'{"id":"x","task":{"expected_actions":[{"name":"f","match":null}]}}',
    "parameters_not_an_object": b'{"id":"x","tools":[{"name":"f","parameters":"{}"}]}',
    "tools_not_a_list": b'{"id":"x","tools":{"name":"f"}}',
    "tool_unknown_field": b'{"id":"x","tools":[{"name":"f","bogus":1}]}',
    "metadata_not_an_object": b'{"id":"x","metadata":[]}',
}


def _error(decoder: RowDecoder | TrajectoryDecoder, data: bytes) -> tuple[type, str, str | None]:
    with pytest.raises(TrajforgeError) as info:
        decoder.decode(data)
    return type(info.value), info.value.message, info.value.path


@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_a_bad_record_is_refused_with_the_trajectory_decoders_error(case: str) -> None:
    data = ROW_CASES[case]
    assert _error(RowDecoder(), data) == _error(TrajectoryDecoder(), data)


def test_repeated_keys_are_refused_when_asked() -> None:
    data = b'{"id":"x","id":"y"}'
    assert _row(data).id == "y"
    refused = _error(RowDecoder(unique_keys=True), data)
    assert refused == _error(TrajectoryDecoder(unique_keys=True), data)
    assert "appears twice" in refused[1]


def test_rows_with_the_same_tools_share_them_encoded() -> None:
    decoder = RowDecoder()
    first, second, other = (
        decoder.decode(encode(t))
        for t in (generated_trajectory(0), generated_trajectory(1), sample_trajectories()[0])
    )
    assert getattr(first, "tools") is getattr(second, "tools")  # noqa: B009 - a generated field
    assert getattr(first, "tools") is not getattr(other, "tools")  # noqa: B009


# ---------------------------------------------------------------- copy_trajectories


def _records() -> list[Trajectory]:
    return [canonical(t) for t in [*sample_trajectories(), *map(generated_trajectory, range(30))]]


def test_copy_writes_what_writing_trajectories_writes(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, _records())
    write_parquet(tmp_path / "expected.parquet", read_jsonl(source), row_group_size=1000)
    copy_trajectories(source, tmp_path / "copy.parquet")
    assert (tmp_path / "copy.parquet").read_bytes() == (tmp_path / "expected.parquet").read_bytes()
    copy_trajectories(source, tmp_path / "copy.jsonl.zst")
    assert [encode(t) for t in read_trajectories(tmp_path / "copy.jsonl.zst")] == [
        encode(t) for t in _records()
    ]
    result = copy_trajectories(tmp_path / "copy.parquet", tmp_path / "shards", shard_size=10)
    assert len(result.paths) == 4
    assert list(read_trajectories(tmp_path / "shards")) == _records()


def test_copy_reports_bad_records_as_reading_does(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    good = b"\n".join(encode(t) for t in _records()[:3])
    source.write_bytes(b"\n".join([good, *ROW_CASES.values(), good]) + b"\n")
    copied: list[BadRecord] = []
    read: list[BadRecord] = []
    result = copy_trajectories(source, tmp_path / "out.parquet", copied.append)
    written = write_trajectories(tmp_path / "read.parquet", read_trajectories(source, read.append))
    assert copied == read
    assert len(copied) == len(ROW_CASES)
    assert result.count == written.count == 6
