"""The dataops tools: schemas, validation, errors that name the problem, and behaviour."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from tests.envs.dataops.helpers import body, call, counts, find_task, started, truth
from trajforge.envs.dataops import DataOpsEnv
from trajforge.envs.dataops.tasks import REFERENCE_TABLE
from trajforge.schema import ToolCall

READ_ONLY = {
    "list_tables",
    "describe_table",
    "run_query",
    "count_rows",
    "get_record",
    "compare_tables",
}


def test_tool_count_schemas_and_read_only_flags() -> None:
    specs = DataOpsEnv().tool_specs()
    assert 6 <= len(specs) <= 15
    for spec in specs:
        assert spec.parameters is not None
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.description, spec.name
        for name, prop in spec.parameters.get("properties", {}).items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"
    assert {n for n, t in DataOpsEnv.tools.items() if t.read_only} == READ_ONLY


def test_schema_of_summary_counts_is_an_object_of_five_kinds() -> None:
    spec = next(s for s in DataOpsEnv().tool_specs() if s.name == "submit_summary")
    assert spec.parameters is not None
    counts_schema = spec.parameters["properties"]["mismatch_counts"]["anyOf"][0]
    assert set(counts_schema["properties"]) == {
        "missing",
        "extra",
        "wrong_value",
        "duplicate",
        "format",
    }
    validator = jsonschema.Draft202012Validator(spec.parameters)
    assert validator.is_valid({"text": "done", "mismatch_counts": {"missing": 2}})
    assert not validator.is_valid({"text": "done", "mismatch_counts": {"missing": -1}})


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("run_query", {"sql": "SELECT 1", "limit": 0}, "limit"),
        ("run_query", {}, "sql"),
        ("update_record", {"table": "t", "key": "k", "value": 1}, "column"),
        ("update_record", {"table": "t", "key": "k", "column": "c", "value": [1]}, "value"),
        ("submit_summary", {"text": "x", "mismatch_counts": {"wrong": 1}}, "wrong"),
        ("submit_summary", {"text": "x", "mismatch_counts": {"missing": "2"}}, "missing"),
        ("insert_record", {"table": "t", "values": {"amount": {"x": 1}}}, "values"),
        ("sync_records", {"from_table": "a", "to_table": "b", "keys": []}, "keys"),
        ("count_rows", {"table": "t", "bogus": 1}, "bogus"),
    ],
)
def test_invalid_arguments_name_the_field(
    name: str, arguments: dict[str, object], field: str
) -> None:
    env = started(DataOpsEnv.generate_task(1, 1))
    result = call(env, name, **arguments)
    assert result.status == "error"
    assert field in body(result)["error"]


def test_unknown_tables_columns_keys_and_row_ids_give_clear_errors() -> None:
    task = DataOpsEnv.generate_task(2, 1)
    env = started(task)
    fix, key_col = truth(task)["fix_table"], truth(task)["key"]
    first_key = task.parameters["tables"][0]["rows"][0][1]
    cases = [
        (call(env, "describe_table", name="nope"), "not_found", "no such table: 'nope'"),
        (call(env, "get_record", table=fix, key="NOPE-1"), "not_found", "NOPE-1"),
        (call(env, "count_rows", table=fix, where={"colour": "red"}), "not_found", "colour"),
        (
            call(env, "update_record", table=fix, key="NOPE-1", column="status", value="x"),
            "not_found",
            f"no row in {fix} with {key_col} = 'NOPE-1'",
        ),
        (
            call(env, "update_record", table=fix, key=first_key, column="colour", value="x"),
            "not_found",
            "no such column: 'colour'",
        ),
        (call(env, "delete_record", table=fix, key="NOPE-1"), "not_found", "NOPE-1"),
        (env.execute(ToolCall(name="drop_everything")), "unknown_tool", "drop_everything"),
    ]
    for result, kind, text in cases:
        assert result.status == "error"
        assert result.error_kind == kind
        assert text in body(result)["error"]


def test_row_id_must_belong_to_the_key() -> None:
    task = DataOpsEnv.generate_task(3, 1)
    env = started(task)
    fix = truth(task)["fix_table"]
    row = next(t for t in task.parameters["tables"] if t["name"] == fix)["rows"][0]
    result = call(env, "delete_record", table=fix, key=row[1], row_id=row[0] + 999_999)
    assert result.error_kind == "not_found"
    assert "does not hold" in body(result)["error"]


def test_duplicated_key_is_ambiguous_without_row_id() -> None:
    task = find_task(3, lambda t: counts(t)["duplicate"] > 0)
    env = started(task)
    fix = truth(task)["fix_table"]
    dup = next(m for m in truth(task)["mismatches"] if m["kind"] == "duplicate")
    result = call(env, "update_record", table=fix, key=dup["key"], column="status", value="paid")
    assert result.error_kind == "ambiguous"
    assert all(str(i) in body(result)["error"] for i in dup["row_ids"])
    assert len(body(call(env, "get_record", table=fix, key=dup["key"]))["rows"]) == 2
    deleted = call(env, "delete_record", table=fix, key=dup["key"], row_id=dup["row_ids"][1])
    assert deleted.status == "ok"
    assert body(deleted)["deleted"]["id"] == dup["row_ids"][1]
    assert len(body(call(env, "get_record", table=fix, key=dup["key"]))["rows"]) == 1


def test_values_are_type_checked_and_keys_and_ids_protected() -> None:
    task = DataOpsEnv.generate_task(4, 1)
    env = started(task)
    fix, key_col = truth(task)["fix_table"], truth(task)["key"]
    key = next(t for t in task.parameters["tables"] if t["name"] == fix)["rows"][0][1]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"column": "amount", "value": "12.50"}, "expects a number"),
        ({"column": "status", "value": 3}, "expects text"),
        ({"column": "status", "value": None}, "cannot be null"),
        ({"column": "amount", "value": True}, "value"),
        ({"column": "id", "value": 5}, "cannot be changed"),
        ({"column": key_col, "value": "X-1"}, "cannot be changed"),
        ({"column": "status", "value": "x" * 501}, "longer than"),
    ]
    for args, text in bad:
        result = call(env, "update_record", table=fix, key=key, **args)
        assert result.status == "error", args
        assert text in body(result)["error"]
    ok = call(env, "update_record", table=fix, key=key, column="amount", value=12)
    assert body(ok)["new"] == 12
    assert body(call(env, "get_record", table=fix, key=key))["rows"][0]["amount"] == 12.0


def test_insert_requires_every_column_and_refuses_existing_keys() -> None:
    task = find_task(1, lambda t: counts(t)["missing"] > 0)
    env = started(task)
    insert = next(a for a in task.expected_actions if a.name == "insert_record")
    values = dict(insert.arguments["values"])
    fix = insert.arguments["table"]
    partial = {k: v for k, v in values.items() if k != "amount"}
    assert "amount" in body(call(env, "insert_record", table=fix, values=partial))["error"]
    with_id = {**values, "id": 1}
    assert "assigned" in body(call(env, "insert_record", table=fix, values=with_id))["error"]
    first = call(env, "insert_record", table=fix, values=values)
    assert first.status == "ok"
    assert body(first)["inserted"]["id"] > 0
    again = call(env, "insert_record", table=fix, values=values)
    assert again.error_kind == "conflict"


def test_reference_table_is_read_only() -> None:
    env = started(DataOpsEnv.generate_task(5, 1))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("update_record", {"key": "USD", "column": "name", "value": "x"}),
        ("delete_record", {"key": "USD"}),
        ("insert_record", {"values": {"code": "XXX", "name": "x", "decimals": 2}}),
    ]
    for name, args in cases:
        result = call(env, name, table=REFERENCE_TABLE, **args)
        assert result.error_kind == "read_only"
    assert body(call(env, "count_rows", table=REFERENCE_TABLE))["count"] == 7


def test_lookups_list_describe_count_and_query() -> None:
    task = DataOpsEnv.generate_task(6, 2)
    env = started(task)
    tables = {t["name"]: t for t in task.parameters["tables"]}
    listed = body(call(env, "list_tables"))
    assert [t["name"] for t in listed] == list(tables)
    assert all(t["rows"] == len(tables[t["name"]]["rows"]) for t in listed)
    fix = truth(task)["fix_table"]
    described = body(call(env, "describe_table", name=fix))
    assert described["business_key"] == truth(task)["key"]
    assert described["columns"][0]["name"] == "id"
    status = tables[fix]["rows"][0][-1]
    expected = sum(1 for r in tables[fix]["rows"] if r[-1] == status)
    counted = body(call(env, "count_rows", table=fix, where={"status": status}))
    assert counted["count"] == expected
    query = body(call(env, "run_query", sql=f"SELECT id FROM {fix} ORDER BY id", limit=3))
    assert query["columns"] == ["id"]
    assert query["row_count"] == 3
    assert query["truncated"] is True
    now = task.parameters["now"][:10]
    assert body(call(env, "run_query", sql="SELECT date('now')"))["rows"] == [[now]]


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_compare_tables_finds_exactly_the_seeded_mismatches(difficulty: int) -> None:
    for seed in range(60):
        task = DataOpsEnv.generate_task(seed, difficulty)
        env = started(task)
        t = truth(task)
        report = body(
            call(
                env,
                "compare_tables",
                left=t["authoritative"],
                right=t["fix_table"],
                key=t["key"],
                normalize=True,
            )
        )
        by_kind: dict[str, set[str]] = {}
        for m in t["mismatches"]:
            by_kind.setdefault(m["kind"], set()).add(m["key"])
        assert set(report["only_in_left"]) == by_kind.get("missing", set())
        assert set(report["only_in_right"]) == by_kind.get("extra", set())
        assert set(report["duplicate_keys"].get(t["fix_table"], [])) == by_kind.get(
            "duplicate", set()
        )
        assert {d["key"] for d in report["value_differences"]} == by_kind.get("wrong_value", set())
        assert {d["key"] for d in report["format_only_differences"]} == by_kind.get("format", set())
        plain = body(
            call(env, "compare_tables", left=t["authoritative"], right=t["fix_table"], key=t["key"])
        )
        assert "format_only_differences" not in plain
        assert {d["key"] for d in plain["value_differences"]} == by_kind.get(
            "wrong_value", set()
        ) | by_kind.get("format", set())


def test_compare_tables_checks_its_arguments() -> None:
    task = DataOpsEnv.generate_task(8, 1)
    env = started(task)
    t = truth(task)
    same = call(env, "compare_tables", left=t["fix_table"], right=t["fix_table"], key=t["key"])
    assert same.error_kind == "invalid_request"
    bad_col = call(
        env,
        "compare_tables",
        left=t["authoritative"],
        right=t["fix_table"],
        key=t["key"],
        columns=["colour"],
    )
    assert "colour" in body(bad_col)["error"]
    only_amount = call(
        env,
        "compare_tables",
        left=t["authoritative"],
        right=t["fix_table"],
        key=t["key"],
        columns=["amount"],
    )
    assert body(only_amount)["columns"] == ["amount"]


def test_sync_records_copies_rows_and_checks_every_key_first() -> None:
    task = find_task(2, lambda t: counts(t)["missing"] > 0 and counts(t)["wrong_value"] > 0)
    env = started(task)
    t = truth(task)
    keys = [m["key"] for m in t["mismatches"] if m["kind"] in ("missing", "wrong_value")]
    before = env.digest()
    bad = call(
        env,
        "sync_records",
        from_table=t["authoritative"],
        to_table=t["fix_table"],
        keys=[*keys, "NOPE"],
    )
    assert bad.error_kind == "not_found"
    assert env.digest() == before  # nothing changed: all keys are checked first
    good = body(
        call(env, "sync_records", from_table=t["authoritative"], to_table=t["fix_table"], keys=keys)
    )
    missing = {m["key"] for m in t["mismatches"] if m["kind"] == "missing"}
    assert set(good["inserted"]) == missing
    assert set(good["updated"]) == set(keys) - missing
    reconciled = next(c for c in env.check(task).checks if c.name == "reconciled")
    fixed = len(keys) / len(t["mismatches"])
    assert reconciled.score == pytest.approx(fixed)


def test_sync_records_refuses_a_duplicated_target_key() -> None:
    task = find_task(3, lambda t: counts(t)["duplicate"] > 0)
    env = started(task)
    t = truth(task)
    dup = next(m["key"] for m in t["mismatches"] if m["kind"] == "duplicate")
    result = call(
        env, "sync_records", from_table=t["authoritative"], to_table=t["fix_table"], keys=[dup]
    )
    assert result.error_kind == "ambiguous"


def test_summary_can_be_resubmitted() -> None:
    env = started(DataOpsEnv.generate_task(9, 3))
    first = body(call(env, "submit_summary", text="first", mismatch_counts={"missing": 1}))
    assert first["revision"] == 1
    assert first["mismatch_counts"]["missing"] == 1
    second = body(call(env, "submit_summary", text="second"))
    assert second["revision"] == 2
    assert second["mismatch_counts"] is None
    assert call(env, "submit_summary", text="   ").status == "error"
