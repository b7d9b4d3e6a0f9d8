"""Tests for trajforge.io.arrow_json: pruned parsing gives the full schema's table, always."""

from __future__ import annotations

import msgspec
import pyarrow as pa
import pytest

from tests.io.sample_data import generated_trajectory, rich_trajectory
from trajforge.io.arrow_json import JsonBlockParser
from trajforge.io.parquet import trajectory_plan
from trajforge.schema import Trajectory


def _lines(rows: list[object]) -> list[bytes]:
    return [msgspec.json.encode(row) for row in rows]


def _rows(trajectories: list[Trajectory]) -> list[bytes]:
    plan = trajectory_plan()
    return _lines([plan.write_row(msgspec.to_builtins(t)) for t in trajectories])


def _parser() -> JsonBlockParser:
    plan = trajectory_plan()
    return JsonBlockParser(plan.schema, plan.always_written)


def _names(kind: pa.DataType) -> set[str]:
    if pa.types.is_list(kind):
        return _names(kind.value_type)
    if not pa.types.is_struct(kind):
        return set()
    fields = [kind.field(i) for i in range(kind.num_fields)]
    return {f.name for f in fields}.union(*(_names(f.type) for f in fields))


def _used(schema: pa.Schema | None) -> set[str]:
    """Every field name in the schema, at any depth."""
    return set() if schema is None else _names(pa.struct(list(schema)))


def test_blocks_read_as_with_the_full_schema_as_fields_come_and_go() -> None:
    parser = _parser()
    plain = [generated_trajectory(i) for i in range(60)]
    blocks = [
        _rows(plain[:30]),
        _rows(plain[30:]),
        _rows([rich_trajectory(1), *plain[:5]]),  # every field: learned from this block
        _rows(plain[:10]),
    ]
    for block in blocks:
        assert parser.parse(block).equals(parser.parse_full(block))


def test_the_pruned_schema_holds_the_fields_seen_and_grows() -> None:
    parser = _parser()
    parser.parse(_rows([generated_trajectory(i) for i in range(5)]))
    assert "faults" not in _used(parser.pruned_schema)
    assert "grade" not in _used(parser.pruned_schema)
    parser.parse(_rows([rich_trajectory(1)]))
    assert "faults" in _used(parser.pruned_schema)
    assert "grade" in _used(parser.pruned_schema)


def test_a_field_first_seen_after_the_sample_rows_is_read() -> None:
    parser = _parser()
    rows = [generated_trajectory(i) for i in range(80)]
    rows.append(rich_trajectory(2))  # past the rows the first fields are learned from
    block = _rows(rows)
    assert parser.parse(block).equals(parser.parse_full(block))
    assert "faults" in _used(parser.pruned_schema)


def test_a_key_written_with_null_stops_pruning_and_still_reads() -> None:
    plan = trajectory_plan()
    parser = _parser()
    row = plan.write_row(msgspec.to_builtins(generated_trajectory(0)))
    parser.parse(_lines([row]))
    assert parser.pruned_schema is not None
    odd = dict(row, task={**row["task"], "domain": None})  # not what to_builtins writes
    block = _lines([odd])
    assert parser.parse(block).equals(parser.parse_full(block))
    assert parser.pruned_schema is None
    assert parser.parse(_lines([row])).equals(parser.parse_full(_lines([row])))


def test_bad_data_raises_arrows_error() -> None:
    parser = _parser()
    row = trajectory_plan().write_row(msgspec.to_builtins(generated_trajectory(0)))
    parser.parse(_lines([row]))
    with pytest.raises(pa.ArrowInvalid):
        parser.parse(_lines([dict(row, task={"seed": 2**64})]))
