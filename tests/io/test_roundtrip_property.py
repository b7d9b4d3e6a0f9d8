"""Property: any valid trajectory survives JSONL and Parquet round trips byte for byte."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import msgspec.inspect as mi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.io.jsonl import read_jsonl, write_jsonl
from trajforge.io.parquet import read_parquet, write_parquet
from trajforge.schema import Trajectory, encode, from_builtins

INT64 = 2**63

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _from_type(t: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.Metadata):
        return _from_type(t.type)
    if isinstance(t, mi.StrType):
        return st.text(max_size=12)
    if isinstance(t, mi.IntType):
        low = -INT64 if t.ge is None else int(t.ge)
        return st.integers(min_value=low, max_value=INT64 - 1)
    if isinstance(t, mi.FloatType):
        return st.floats(min_value=t.ge, max_value=t.le, allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(t.values)
    if isinstance(t, mi.ListType):
        return st.lists(_from_type(t.item_type), max_size=2)
    if isinstance(t, mi.DictType):
        return st.dictionaries(st.text(max_size=5), _from_type(t.value_type), max_size=3)
    if isinstance(t, mi.AnyType):
        return json_values
    if isinstance(t, mi.UnionType):
        return st.one_of([_from_type(x) for x in t.types])
    if isinstance(t, mi.StructType):
        required = {f.encode_name: _from_type(f.type) for f in t.fields if f.required}
        optional = {f.encode_name: _from_type(f.type) for f in t.fields if not f.required}
        if t.tag_field is not None:
            required[t.tag_field] = st.just(t.tag)
        return st.fixed_dictionaries(required, optional=optional)
    raise NotImplementedError(t)


trajectories = _from_type(mi.type_info(Trajectory)).map(from_builtins)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trajectories, min_size=1, max_size=4))
def test_any_trajectory_round_trips(records: list[Trajectory]) -> None:
    expected = [encode(r) for r in records]
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "a.jsonl.zst"
        write_jsonl(jsonl, records)
        from_jsonl = list(read_jsonl(jsonl))
        assert [encode(r) for r in from_jsonl] == expected
        parquet = Path(tmp) / "a.parquet"
        write_parquet(parquet, from_jsonl, row_group_size=3)
        assert [encode(r) for r in read_parquet(parquet)] == expected
