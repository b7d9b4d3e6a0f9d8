"""Tests for trajforge.io.parquet: nested columns, lossless round trips, row groups."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.io.sample_data import canonical, encoded, generated_trajectory, rich_trajectory
from trajforge.errors import ConversionError, InputError
from trajforge.io.jsonl import read_jsonl, write_jsonl
from trajforge.io.parquet import arrow_schema, read_parquet, write_parquet
from trajforge.schema import Task, Trajectory


def test_round_trip_is_lossless(tmp_path: Path, samples: list[Trajectory]) -> None:
    path = tmp_path / "a.parquet"
    assert write_parquet(path, samples) == len(samples)
    back = list(read_parquet(path))
    assert back == samples
    assert encoded(back) == encoded(samples)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_jsonl_to_parquet_to_jsonl_is_byte_identical(
    tmp_path: Path, samples: list[Trajectory], suffix: str
) -> None:
    first = tmp_path / f"first{suffix}"
    second = tmp_path / f"second{suffix}"
    records = samples + [canonical(generated_trajectory(i)) for i in range(30)]
    write_jsonl(first, records)
    write_parquet(tmp_path / "mid.parquet", read_jsonl(first), row_group_size=7)
    write_jsonl(second, read_parquet(tmp_path / "mid.parquet"))
    assert second.read_bytes() == first.read_bytes()


def test_columns_are_nested_not_json_strings() -> None:
    schema = arrow_schema()
    steps = schema.field("steps").type
    assert pa.types.is_list(steps)
    step = steps.value_type
    assert pa.types.is_struct(step)
    action = step.field("actions").type.value_type
    assert pa.types.is_struct(action)
    assert action.field(0).name == "kind"
    # the union of all action variants' fields
    for name in ("id", "name", "arguments", "content", "target", "reason", "completed"):
        assert action.field(name) is not None
    assert action.field("completed").type == pa.bool_()
    observation = step.field("observations").type.value_type
    assert observation.field("latency_ms").type == pa.float64()
    assert observation.field("status").type == pa.string()  # a Literal
    assert step.field("usage").type.field("prompt_tokens").type == pa.int64()
    assert step.field("plan").type.field("steps").type == pa.list_(pa.string())
    # free-form JSON values are JSON text
    assert action.field("arguments").type == pa.string()
    assert schema.field("metadata").type == pa.string()
    assert step.field("state_diff").type == pa.string()


def test_stored_values_are_queryable(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_parquet(path, [canonical(rich_trajectory())])
    table = pq.read_table(path)
    steps = table.column("steps").to_pylist()[0]
    reply, ask = steps[1]["actions"][0], steps[1]["actions"][1]
    assert reply["kind"] == "reply"
    assert reply["content"] == "Your order shipped."
    assert reply["name"] is None  # a ToolCall field: absent in a reply
    assert ask["kind"] == "ask"
    call = steps[0]["actions"][0]
    assert call["kind"] == "tool_call"
    assert call["arguments"].startswith('{"order_id":"A-1"')
    assert table.column("task").to_pylist()[0]["seed"] == 42


def test_row_groups_follow_row_group_size(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    records = [canonical(generated_trajectory(i, steps=2)) for i in range(25)]
    write_parquet(path, records, row_group_size=10)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 3
    assert [meta.row_group(i).num_rows for i in range(3)] == [10, 10, 5]
    assert list(read_parquet(path)) == records


def test_row_groups_have_statistics_to_filter_by(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_parquet(path, [canonical(generated_trajectory(i)) for i in range(25)], row_group_size=10)
    group = pq.ParquetFile(path).metadata.row_group(1)
    stats = {
        group.column(i).path_in_schema: group.column(i).is_stats_set
        for i in range(group.num_columns)
    }
    assert stats["id"]
    assert stats["outcome.status"]
    assert not stats["metadata"]  # JSON text
    assert not any(v for k, v in stats.items() if k.startswith("steps."))  # inside lists
    assert (group.column(0).statistics.min, group.column(0).statistics.max) == (
        "gen-0-0000010",
        "gen-0-0000019",
    )


def test_empty_parquet(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_parquet(path, []) == 0
    assert pq.ParquetFile(path).metadata.num_rows == 0
    assert list(read_parquet(path)) == []


def test_output_is_deterministic(tmp_path: Path, samples: list[Trajectory]) -> None:
    write_parquet(tmp_path / "a.parquet", samples)
    write_parquet(tmp_path / "b.parquet", samples)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_integer_beyond_64_bits_is_a_located_conversion_error(tmp_path: Path) -> None:
    records = [Trajectory(id="fine"), Trajectory(id="huge", task=Task(seed=2**64 - 1))]
    path = tmp_path / "a.parquet"
    with pytest.raises(ConversionError) as info:
        write_parquet(path, records)
    message = str(info.value)
    assert "record 2" in message
    assert "'huge'" in message
    assert str(path) in message
    assert list(tmp_path.iterdir()) == []


def test_file_without_a_newer_column_reads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "old.parquet"
    write_parquet(path, [canonical(rich_trajectory())])
    table = pq.read_table(path)
    old = table.drop_columns(["metadata", "system_prompt"])
    pq.write_table(old, path)
    (back,) = read_parquet(path)
    assert back.metadata == {}
    assert back.system_prompt is None
    assert back.steps == canonical(rich_trajectory()).steps


def test_unknown_column_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "new.parquet"
    write_parquet(path, [Trajectory(id="a")])
    table = pq.read_table(path)
    pq.write_table(table.append_column("surprise", pa.array([1])), path)
    with pytest.raises(InputError, match="unknown column surprise") as info:
        list(read_parquet(path))
    assert info.value.file == str(path)
