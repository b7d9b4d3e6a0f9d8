"""Tests for the Arrow schema derivation rules in trajforge.io.arrow_schema."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
import pyarrow as pa
import pytest

from trajforge.errors import InputError
from trajforge.io.arrow_schema import table_plan


class Inner(msgspec.Struct, kw_only=True, omit_defaults=True):
    a: int = 0
    b: str | None = None


class VariantA(msgspec.Struct, tag="a", tag_field="type", kw_only=True, omit_defaults=True):
    x: int
    shared: str = "s"
    inner: Inner | None = None


class VariantB(
    msgspec.Struct,
    tag="b",
    tag_field="type",
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=True,
):
    x: str  # clashes with VariantA.x: stored as JSON in both
    shared: str | None = None
    flag: bool = True


class Tree(msgspec.Struct, kw_only=True, omit_defaults=True):
    label: str = ""
    children: list[Tree] = []


class Rules(msgspec.Struct, kw_only=True, omit_defaults=True):
    req_nullable: str | None
    lit: Literal["p", "q"] = "p"
    int_lit: Literal[1, 2] = 1
    mixed_lit: Literal[1, "a"] = 1
    either: int | str = 0
    union: VariantA | VariantB | None = None
    unions: list[VariantA | VariantB] = []
    ambiguous: str | None = "default"
    anything: Any = None
    mapping: dict[str, int] = {}
    tree: Tree | None = None
    numbers: tuple[int, ...] = ()
    inner: Inner = msgspec.field(default_factory=Inner)


def _round_trip(records: list[Rules]) -> list[Rules]:
    plan = table_plan(Rules)
    rows = [plan.write_row(msgspec.to_builtins(r)) for r in records]
    table = pa.Table.from_pylist(rows, schema=plan.schema)
    read = plan.row_reader(table.schema)
    return [msgspec.convert(read(row), Rules) for row in table.to_pylist()]


def test_type_mapping() -> None:
    schema = table_plan(Rules).schema
    assert schema.field("lit").type == pa.string()
    assert schema.field("int_lit").type == pa.int64()
    assert schema.field("mixed_lit").type == pa.string()  # JSON
    assert schema.field("either").type == pa.string()  # JSON
    assert schema.field("ambiguous").type == pa.string()  # JSON: null and default differ
    assert schema.field("mapping").type == pa.string()  # JSON
    # recursive: a struct at the first level, JSON below it
    assert schema.field("tree").type == pa.struct(
        [("label", pa.string()), ("children", pa.list_(pa.string()))]
    )
    assert schema.field("numbers").type == pa.list_(pa.int64())
    union = schema.field("union").type
    assert [union.field(i).name for i in range(union.num_fields)] == [
        "type",
        "x",
        "shared",
        "inner",
        "flag",
    ]
    assert union.field("x").type == pa.string()  # int in one variant, str in the other: JSON
    assert union.field("inner").type == pa.struct([("a", pa.int64()), ("b", pa.string())])
    assert schema.field("unions").type == pa.list_(union)


class Plain(msgspec.Struct):
    name: str
    size: int | None = None


def test_struct_needing_no_conversion() -> None:
    plan = table_plan(Plain)
    records = [Plain("a"), Plain("b", 3)]
    table = pa.Table.from_pylist(
        [plan.write_row(msgspec.to_builtins(r)) for r in records], schema=plan.schema
    )
    read = plan.row_reader(table.schema)
    assert [msgspec.convert(read(row), Plain) for row in table.to_pylist()] == records


def test_plan_is_cached() -> None:
    assert table_plan(Rules) is table_plan(Rules)


@pytest.mark.parametrize(
    "record",
    [
        Rules(req_nullable=None),
        Rules(req_nullable="r", lit="q", int_lit=2, mixed_lit="a", either="zero"),
        Rules(req_nullable="", either=7, ambiguous=None),
        Rules(req_nullable="", ambiguous="other", anything={"k": [None, 1.5]}),
        Rules(req_nullable="", anything=None, mapping={"a": 1}),
        Rules(
            req_nullable="",
            union=VariantA(x=1, inner=Inner(a=2)),
            unions=[VariantB(x="1", flag=False), VariantA(x=3, shared="t"), VariantB(x="")],
        ),
        Rules(req_nullable="", union=VariantB(x="q", shared=None)),
        Rules(
            req_nullable="",
            tree=Tree(label="root", children=[Tree(children=[Tree(label="leaf")])]),
            numbers=(1, 2, 3),
            inner=Inner(a=0, b=""),
        ),
    ],
)
def test_rules_round_trip(record: Rules) -> None:
    (back,) = _round_trip([record])
    assert back == record
    assert msgspec.json.encode(back) == msgspec.json.encode(record)


def test_other_variants_fields_are_dropped_on_read() -> None:
    plan = table_plan(Rules)
    row = plan.write_row(msgspec.to_builtins(Rules(req_nullable="", union=VariantB(x="q"))))
    table = pa.Table.from_pylist([row], schema=plan.schema)
    stored = table.to_pylist()[0]["union"]
    assert stored["inner"] is None  # VariantA's field, null in the file
    read = plan.row_reader(table.schema)(table.to_pylist()[0])
    # VariantA's null "inner" is gone; VariantB's own null "shared" is its value
    assert read["union"] == {"type": "b", "x": "q", "shared": None}


def test_non_null_foreign_field_is_caught_by_validation() -> None:
    plan = table_plan(Rules)
    row = plan.write_row(msgspec.to_builtins(Rules(req_nullable="", union=VariantB(x="q"))))
    row["union"]["inner"] = {"a": 1}  # a VariantA field set on a VariantB
    table = pa.Table.from_pylist([row], schema=plan.schema)
    data = plan.row_reader(table.schema)(table.to_pylist()[0])
    with pytest.raises(msgspec.ValidationError, match="unknown field `inner`"):
        msgspec.convert(data, Rules)


def test_unknown_nested_column_names_its_path() -> None:
    plan = table_plan(Rules)
    fields = list(plan.schema)
    inner = pa.struct([("a", pa.int64()), ("b", pa.string()), ("c", pa.int64())])
    fields[fields.index(plan.schema.field("inner"))] = pa.field("inner", inner)
    with pytest.raises(InputError, match=r"unknown column inner\.c"):
        plan.row_reader(pa.schema(fields))
