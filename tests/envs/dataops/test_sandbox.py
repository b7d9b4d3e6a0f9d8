"""The SQL sandbox: every attack is an error observation, the database is unchanged (same digest),
and no file appears on disk. Each defence layer is also tested on its own."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.envs.dataops.helpers import body, call, started, truth
from trajforge.envs.dataops import DataOpsEnv
from trajforge.envs.dataops.database import Database
from trajforge.envs.dataops.sandbox import Mode, SandboxError, check_query_text
from trajforge.schema import Task

TASK = DataOpsEnv.generate_task(3, 3)
AUTH = truth(TASK)["authoritative"]
FIX = truth(TASK)["fix_table"]
KEY = truth(TASK)["key"]
A_KEY = next(t for t in TASK.parameters["tables"] if t["name"] == FIX)["rows"][0][1]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _assert_untouched(env: DataOpsEnv, digest: str, tmp: Path) -> None:
    assert env.digest() == digest
    assert [p.name for p in tmp.iterdir()] == []
    assert {t["name"] for t in body(call(env, "list_tables"))} == {AUTH, FIX, "currencies"}


ATTACKS = [
    f"; DROP TABLE {AUTH}",
    f"1; DELETE FROM {FIX}",
    f"SELECT 1; DELETE FROM {FIX}",
    f"SELECT 1;DROP TABLE {AUTH};",
    f"SELECT 1 -- comment\n; DROP TABLE {AUTH}",
    "ATTACH DATABASE '{tmp}/x.db' AS x",
    "SELECT 1; ATTACH DATABASE '{tmp}/x.db' AS x",
    "SELECT load_extension('{tmp}/evil.so')",
    "SELECT load_extension('libc.so.6')",
    "PRAGMA writable_schema=1",
    "PRAGMA query_only=0",
    "PRAGMA journal_mode=WAL",
    f"DELETE FROM {FIX}",
    f"UPDATE {FIX} SET amount = 0",
    f"INSERT INTO {FIX} (id) VALUES (999999)",
    f"WITH x AS (SELECT 1) DELETE FROM {FIX}",
    f"WITH x AS (SELECT 1) UPDATE {FIX} SET amount = 0",
    f"WITH x AS (SELECT 1) INSERT INTO {FIX} SELECT * FROM {FIX}",
    f"DROP TABLE {AUTH}",
    f"ALTER TABLE {FIX} RENAME TO gone",
    "CREATE TABLE x (a)",
    "CREATE TEMP TABLE x AS SELECT 1",
    "VACUUM INTO '{tmp}/copy.db'",
    "BEGIN",
    "SELECT writefile('{tmp}/out.txt', 'x')",
    "SELECT readfile('/etc/passwd')",
    "SELECT fts3_tokenizer('simple')",
    "SELECT random()",
    "SELECT randomblob(8)",
    "SELECT current_timestamp",
    "SELECT * FROM pragma_table_info('currencies')",
    "SELECT * FROM json_each('[1,2]')",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "SELECT zeroblob(1000000000)",
    "EXPLAIN SELECT 1",
    f"SELECT * FROM {AUTH} UNION ALL SELECT * FROM x.secret",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_attacks_through_run_query_fail_and_change_nothing(sql: str, in_tmp: Path) -> None:
    env = started(TASK)
    digest = env.digest()
    result = call(env, "run_query", sql=sql.format(tmp=in_tmp))
    assert result.status == "error"
    assert body(result)["error"]
    _assert_untouched(env, digest, in_tmp)
    # the connection still works normally afterwards
    count = body(call(env, "run_query", sql=f"SELECT count(*) FROM {FIX}"))
    assert count["rows"][0][0] == len(
        next(t for t in TASK.parameters["tables"] if t["name"] == FIX)["rows"]
    )


INJECTIONS: list[tuple[str, dict[str, Any]]] = [
    (
        "update_record",
        {"table": f"{FIX}; DROP TABLE {AUTH} --", "key": A_KEY, "column": "status", "value": "x"},
    ),
    (
        "update_record",
        {"table": FIX, "key": f"{A_KEY}' OR '1'='1", "column": "status", "value": "x"},
    ),
    (
        "update_record",
        {"table": FIX, "key": f"1; DELETE FROM {FIX}", "column": "status", "value": "x"},
    ),
    ("update_record", {"table": FIX, "key": A_KEY, "column": "status = 'x' --", "value": "x"}),
    (
        "update_record",
        {"table": FIX, "key": A_KEY, "column": 'status" = 1; DROP TABLE x; --', "value": "x"},
    ),
    ("update_record", {"table": FIX, "key": A_KEY, "column": "status", "value": "x", "row_id": -1}),
    ("update_record", {"table": "sqlite_master", "key": "x", "column": "sql", "value": "x"}),
    ("update_record", {"table": FIX.upper(), "key": A_KEY, "column": "status", "value": "x"}),
    ("delete_record", {"table": f"{FIX} --", "key": A_KEY}),
    ("delete_record", {"table": FIX, "key": f"{A_KEY}' OR 1=1 --"}),
    ("delete_record", {"table": "currencies", "key": "USD"}),
    ("insert_record", {"table": f"{FIX}(id) VALUES (1); DROP TABLE {AUTH}; --", "values": {}}),
    (
        "insert_record",
        {"table": FIX, "values": {f"{KEY}) VALUES ('x'); DROP TABLE {AUTH}; --": "x"}},
    ),
    (
        "sync_records",
        {"from_table": AUTH, "to_table": f"{FIX}; DROP TABLE {AUTH}", "keys": [A_KEY]},
    ),
    ("sync_records", {"from_table": AUTH, "to_table": FIX, "keys": [f"{A_KEY}' OR '1'='1"]}),
    ("count_rows", {"table": f"{FIX} WHERE 1=1; DROP TABLE {AUTH}"}),
    ("count_rows", {"table": FIX, "where": {"1=1; DROP TABLE x; --": 1}}),
    ("get_record", {"table": f"{FIX} --", "key": A_KEY}),
    ("describe_table", {"name": f"{FIX}; DROP TABLE {AUTH}"}),
    ("compare_tables", {"left": AUTH, "right": FIX, "key": f"{KEY}; DROP TABLE {AUTH}"}),
    (
        "compare_tables",
        {"left": AUTH, "right": FIX, "key": KEY, "columns": ["amount; DROP TABLE x"]},
    ),
]


@pytest.mark.parametrize(("tool", "arguments"), INJECTIONS)
def test_injection_through_tool_arguments_fails_and_changes_nothing(
    tool: str, arguments: dict[str, Any], in_tmp: Path
) -> None:
    env = started(TASK)
    digest = env.digest()
    result = call(env, tool, **arguments)
    assert result.status == "error", result.content
    assert result.error_kind in {"not_found", "read_only", "invalid_request"}
    _assert_untouched(env, digest, in_tmp)


def test_the_briefs_literal_attacks(in_tmp: Path) -> None:
    env = started(TASK)
    digest = env.digest()
    existed = Path("/tmp/x.db").exists()
    for sql in [
        f"; DROP TABLE {AUTH}",
        f"1; DELETE FROM {FIX}",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "SELECT load_extension('/tmp/x.so')",
        "PRAGMA writable_schema=1",
        f"SELECT * FROM {FIX}; SELECT * FROM {AUTH}",
    ]:
        result = call(env, "run_query", sql=sql)
        assert result.status == "error"
        assert result.error_kind == "query_rejected"
    assert Path("/tmp/x.db").exists() == existed
    _assert_untouched(env, digest, in_tmp)


def test_printf_cannot_stall_the_process_and_still_formats(in_tmp: Path) -> None:
    env = started(TASK)
    digest = env.digest()
    for sql in [
        "SELECT printf('%.*c', 2000000000, 'x')",  # took 12-99 s inside SQLite, uninterruptible
        "SELECT format('%*d', -2000000000, 1)",
        "SELECT length(printf('%2000000000d', 1))",
    ]:
        started_at = time.perf_counter()
        result = call(env, "run_query", sql=sql)
        assert time.perf_counter() - started_at < 1.0
        assert result.status == "error"
        assert result.error_kind == "query_rejected"
        assert "widths and precisions stop at 1,000,000" in body(result)["error"]
    shown = body(call(env, "run_query", sql="SELECT printf('%05.1f|%-3s|%.*c', 2.25, 'a', 3, 'x')"))
    assert shown["rows"] == [["002.3|a  |xxx"]]  # SQLite rounds half away from zero
    _assert_untouched(env, digest, in_tmp)


def test_odd_values_are_stored_as_plain_data(in_tmp: Path) -> None:
    env = started(TASK)
    evil = f"x'); DROP TABLE {AUTH}; --"
    result = call(env, "update_record", table=FIX, key=A_KEY, column="status", value=evil)
    assert result.status == "ok"
    row = body(call(env, "get_record", table=FIX, key=A_KEY))["rows"][0]
    assert row["status"] == evil
    assert {t["name"] for t in body(call(env, "list_tables"))} == {AUTH, FIX, "currencies"}
    assert list(in_tmp.iterdir()) == []


def _db(task: Task) -> Database:
    env = started(task)
    return env.db


def test_authorizer_alone_denies_everything_but_reading(in_tmp: Path) -> None:
    db = _db(TASK)
    before = db.digest()
    db.authorizer.mode = Mode.READ
    try:
        for sql in [
            f"ATTACH DATABASE '{in_tmp}/a.db' AS a",
            "PRAGMA writable_schema=1",
            f"DELETE FROM {FIX}",
            f"DROP TABLE {AUTH}",
            "CREATE TABLE z (a)",
            "SELECT load_extension('x')",
            "BEGIN",
        ]:
            with pytest.raises(sqlite3.DatabaseError):
                db.conn.execute(sql)
        assert db.conn.execute(f"SELECT count(*) FROM {FIX}").fetchone()[0] > 0
    finally:
        db.authorizer.mode = Mode.INTERNAL
    db.authorizer.mode = Mode.WRITE
    try:  # the tools' mode allows row writes on data tables, nothing else
        for sql in [f"DROP TABLE {AUTH}", "DELETE FROM currencies", "PRAGMA writable_schema=1"]:
            with pytest.raises(sqlite3.DatabaseError):
                db.conn.execute(sql)
    finally:
        db.authorizer.mode = Mode.INTERNAL
    assert db.digest() == before
    assert list(in_tmp.iterdir()) == []


def test_query_only_and_connection_limits_hold_without_the_authorizer(in_tmp: Path) -> None:
    db = _db(TASK)
    before = db.digest()
    db.conn.execute("PRAGMA query_only = ON")
    try:
        with pytest.raises(sqlite3.OperationalError):
            db.conn.execute(f"DELETE FROM {FIX}")
    finally:
        db.conn.execute("PRAGMA query_only = OFF")
    with pytest.raises(sqlite3.OperationalError):  # SQLITE_LIMIT_ATTACHED is 0
        db.conn.execute(f"ATTACH DATABASE '{in_tmp}/a.db' AS a")
    assert db.digest() == before
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize(
    "sql",
    ["", "   ", ";", "-- only a comment", "SELECT 1; SELECT 2", "select 1;;", "DELETE FROM t"],
)
def test_query_text_check(sql: str) -> None:
    with pytest.raises(SandboxError):
        check_query_text(sql)


def test_query_text_check_accepts_single_reads() -> None:
    for sql in ["SELECT 1", "select 1;", "WITH a AS (SELECT 1) SELECT * FROM a", "SELECT ';'"]:
        assert check_query_text(sql) == sql


def test_time_is_the_worlds_and_queries_are_deterministic() -> None:
    env = started(TASK)
    sql = "SELECT date('now'), datetime('now', '-1 day'), strftime('%Y-%m'), julianday('now')"
    first = call(env, "run_query", sql=sql).content
    assert TASK.parameters["now"][:10] in first
    assert call(started(TASK), "run_query", sql=sql).content == first


def test_no_process_wide_side_effects() -> None:
    cwd = os.getcwd()
    env = started(TASK)
    call(env, "run_query", sql="ATTACH DATABASE 'side.db' AS s")
    assert os.getcwd() == cwd
    assert not Path("side.db").exists()
