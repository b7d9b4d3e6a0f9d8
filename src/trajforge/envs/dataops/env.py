"""DataOpsEnv: reconcile two tables of a real (in-memory, sandboxed) SQLite database.

The database is the state. ``self._state`` (``DataOpsState``, the ``state_type``) holds only what is
not in it (table metadata, the world's "now", the submitted summary), so the base class's msgpack
state handling is overridden: ``state()`` is a canonical dump of every table in id order,
``digest()`` a cached hash of the rows in id order, and ``snapshot()``/``restore()`` use SQLite's
``serialize()``/``deserialize()`` with ``DataOpsState`` in ``Snapshot.extra``.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec

from trajforge.envs.base import Environment, Snapshot, Violation
from trajforge.envs.dataops import checks, policy, tasks
from trajforge.envs.dataops.database import Database
from trajforge.envs.dataops.normalize import compare
from trajforge.envs.dataops.sandbox import SandboxError
from trajforge.envs.dataops.state import (
    ColumnMeta,
    DataOpsState,
    MismatchCounts,
    Summary,
    TableMeta,
)
from trajforge.envs.tools import ToolError, tool
from trajforge.schema import CheckResult, Task, Trajectory

F = TypeVar("F", bound=Callable[..., Any])


def lookup(func: F) -> F:
    """``@tool(read_only=True)`` with its type kept (``tool`` itself is untyped)."""
    marked: F = tool(read_only=True)(func)
    return marked


def action(func: F) -> F:
    """``@tool`` with its type kept."""
    marked: F = tool(func)
    return marked


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Scalar = str | int | float | None
MAX_TEXT = 500
MAX_LISTED = 50
_EXTRA = "dataops"


def _render(value: Any) -> Any:
    """A cell value as it appears in an observation (long text cut, blobs described)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    if isinstance(value, bytes):
        return f"<blob of {len(value)} bytes>"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class DataOpsEnv(Environment):
    """Reconcile two copies of a dataset in a real SQLite database."""

    name = "dataops"
    #: 2: an idle episode fails with score 0 (checks that held at the start earn nothing)
    version = "2"
    description = (
        "Two tables of a SQLite database (say billing invoices and the general ledger) should hold "
        "the same records but have drifted: missing and extra rows, wrong values, formatting "
        "differences and duplicated keys. Inspect them with read-only queries, fix the table that "
        "is not authoritative row by row, and submit a reconciliation summary."
    )
    difficulty_levels = {
        1: "a few mismatches of one kind (missing, extra or wrong values) in one table pair",
        2: "several kinds of mismatch mixed, some rows with more than one wrong value",
        3: "formatting differences to normalise, duplicated keys, mismatch counts required in the "
        "summary, and sometimes the authoritative table is not stated (ask the user)",
    }
    policy_rules = policy.POLICY_RULES
    hidden_info_keys = {
        "authoritative": "which of the two tables is the system of record",
        "deletions": "whether surplus rows (no match, duplicates) may be deleted",
        "bulk_changes": "whether changing many rows in one call is acceptable",
    }
    state_type = DataOpsState

    def __init__(self) -> None:
        super().__init__()
        self._db: Database | None = None
        self._digest: str | None = None

    # -- tasks and state -----------------------------------------------------------------------

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A seeded reconciliation task (see ``tasks.py`` for the parameters' layout)."""
        return tasks.generate_task(seed, difficulty, environment=cls.name, version=cls.version)

    def build_state(self, task: Task) -> DataOpsState:
        """Create the task's database (tables and rows from the parameters) and its metadata."""
        params = task.parameters
        try:
            specs = params["tables"]
            metas = [
                msgspec.convert({k: v for k, v in t.items() if k != "rows"}, TableMeta)
                for t in specs
            ]
            rows = {t["name"]: t["rows"] for t in specs}
            now = str(params["now"])
        except (KeyError, TypeError, AttributeError, msgspec.ValidationError) as exc:
            raise ValueError(f"dataops task parameters are malformed: {exc}") from None
        if self._db is not None:
            self._db.close()
        self._db = Database.build(metas, rows, now)
        self._digest = None
        return DataOpsState(tables=metas, now=now)

    @property
    def db(self) -> Database:
        """The world's database (after ``reset``)."""
        if self._db is None:
            raise RuntimeError("no episode: call reset(task) first")
        return self._db

    def _summary_builtins(self) -> Any:
        return msgspec.to_builtins(self._state.summary)

    def state(self) -> dict[str, Any]:
        """A canonical JSON-able dump: schema, every table's rows in id order, the summary."""
        return {**self.db.dump(), "summary": self._summary_builtins()}

    def digest(self) -> str:
        """A stable hash of the schema, all rows in id order and the summary (cached)."""
        if self._digest is None:
            self._digest = self.db.digest(self._summary_builtins())
        return self._digest

    def snapshot(self) -> Snapshot:
        """The serialized database, with the non-database state in ``extra``."""
        return Snapshot(state=self.db.serialize(), extra={_EXTRA: msgspec.to_builtins(self._state)})

    def restore(self, snapshot: Snapshot) -> None:
        """Go back to a snapshot (the database is replaced by the serialized one)."""
        meta = msgspec.convert(snapshot.extra[_EXTRA], DataOpsState)
        if self._db is None or [t.name for t in meta.tables] != list(self._db.tables):
            if self._db is not None:
                self._db.close()
            self._db = Database(meta.tables, meta.now)
        self._db.deserialize(snapshot.state)
        self._state = meta
        self._digest = None

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """Reconciled (partial credit), no collateral changes, summary (and its counts)."""
        return checks.evaluate(task, self.db, self._state.summary)

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Writes to the authoritative table, schema changes, unconfirmed deletes/bulk changes."""
        return policy.find_violations(trajectory)

    # -- helpers -------------------------------------------------------------------------------

    def _table(self, name: str, *, write: bool = False) -> TableMeta:
        meta = self.db.tables.get(name)
        if meta is None:
            known = ", ".join(self.db.tables)
            raise ToolError(f"no such table: {name!r}; the tables are: {known}", kind="not_found")
        if write and not meta.writable:
            raise ToolError(f"{name} is a read-only reference table", kind="read_only")
        return meta

    @staticmethod
    def _column(table: TableMeta, name: str) -> ColumnMeta:
        for column in table.columns:
            if column.name == name:
                return column
        known = ", ".join(c.name for c in table.columns)
        raise ToolError(
            f"no such column: {name!r} in {table.name}; its columns are: {known}", kind="not_found"
        )

    @staticmethod
    def _check_value(table: TableMeta, column: ColumnMeta, value: Any) -> Any:
        where = f"{table.name}.{column.name}"
        if value is None:
            raise ToolError(f"{where} cannot be null", kind="invalid_value")
        if column.type == "TEXT":
            if not isinstance(value, str):
                raise ToolError(f"{where} expects text, got {value!r}", kind="invalid_value")
            if len(value) > MAX_TEXT:
                raise ToolError(
                    f"{where}: text longer than {MAX_TEXT} characters", kind="invalid_value"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ToolError(f"{where} expects a number, got {value!r}", kind="invalid_value")
        if column.type == "INTEGER" and not isinstance(value, int):
            raise ToolError(f"{where} expects an integer, got {value!r}", kind="invalid_value")
        if not math.isfinite(value) or abs(value) > 1e12:
            raise ToolError(f"{where}: {value!r} is out of range", kind="invalid_value")
        return value

    @staticmethod
    def _as_dict(table: TableMeta, row: tuple[Any, ...]) -> dict[str, Any]:
        return {c.name: _render(v) for c, v in zip(table.columns, row, strict=True)}

    def _pick_row(self, table: TableMeta, key: str, row_id: int | None) -> tuple[Any, ...]:
        rows = self.db.rows_for_key(table.name, key)
        if not rows:
            raise ToolError(f"no row in {table.name} with {table.key} = {key!r}", kind="not_found")
        if row_id is not None:
            for row in rows:
                if row[0] == row_id:
                    return row
            raise ToolError(
                f"row id {row_id} of {table.name} does not hold {table.key} = {key!r} "
                f"(its row ids: {', '.join(str(r[0]) for r in rows)})",
                kind="not_found",
            )
        if len(rows) > 1:
            ids = ", ".join(str(r[0]) for r in rows)
            raise ToolError(
                f"{table.key} = {key!r} matches {len(rows)} rows of {table.name} (row ids {ids}); "
                "pass row_id to choose one",
                kind="ambiguous",
            )
        return rows[0]

    def _changed(self) -> None:
        self._digest = None

    # -- read-only tools -----------------------------------------------------------------------

    @lookup
    def list_tables(self) -> list[dict[str, Any]]:
        """List the database's tables with their row counts and what they hold."""
        return [
            {
                "name": t.name,
                "rows": self.db.count(t.name),
                "description": t.description,
                "writable": t.writable,
            }
            for t in self.db.tables.values()
        ]

    @lookup
    def describe_table(self, name: Name) -> dict[str, Any]:
        """Describe a table: its columns and types, business key and row count.

        Args:
            name: the table's name, as listed by list_tables
        """
        table = self._table(name)
        return {
            "name": table.name,
            "description": table.description,
            "business_key": table.key,
            "row_count": self.db.count(table.name),
            "writable": table.writable,
            "columns": [
                {"name": c.name, "type": c.type, "primary_key": c.role == "id"}
                for c in table.columns
            ],
        }

    @lookup
    def run_query(
        self,
        sql: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)],
        limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Run one read-only SQL query (SELECT or WITH) and return up to `limit` rows.

        Writes, DDL, PRAGMA, ATTACH and most non-pure functions are refused; 'now' in date
        functions is the world's current time.

        Args:
            sql: a single SELECT or WITH statement (SQLite dialect)
            limit: the most rows to return (1-200)
        """
        try:
            columns, rows, truncated = self.db.query(sql, limit)
        except SandboxError as exc:
            raise ToolError(str(exc), kind="query_rejected") from None
        return {
            "columns": columns,
            "rows": [[_render(v) for v in row] for row in rows],
            "row_count": len(rows),
            "truncated": truncated,
        }

    @lookup
    def count_rows(self, table: Name, where: dict[str, Scalar] | None = None) -> dict[str, Any]:
        """Count the rows of a table, optionally only those whose columns equal given values.

        Args:
            table: the table's name
            where: column -> value equality filters, all of which must hold (null matches NULL)
        """
        meta = self._table(table)
        filters = [(self._column(meta, col).name, value) for col, value in (where or {}).items()]
        return {
            "table": meta.name,
            "where": where or {},
            "count": self.db.count(meta.name, filters),
        }

    @lookup
    def get_record(self, table: Name, key: Key) -> dict[str, Any]:
        """Fetch the row(s) of a table holding a business key (several if the key is duplicated).

        Args:
            table: the table's name
            key: the value of the table's business key column, e.g. an invoice number
        """
        meta = self._table(table)
        rows = self.db.rows_for_key(meta.name, key)
        if not rows:
            raise ToolError(f"no row in {meta.name} with {meta.key} = {key!r}", kind="not_found")
        return {"table": meta.name, "key": key, "rows": [self._as_dict(meta, r) for r in rows]}

    @lookup
    def compare_tables(
        self,
        left: Name,
        right: Name,
        key: Name,
        columns: list[Name] | None = None,
        normalize: bool = False,
    ) -> dict[str, Any]:
        """Compare two tables row by row on a key column and list where they differ.

        With normalize, differences that vanish after normalisation (whitespace, letter case, date
        format, cents vs dollars) are listed apart as format-only differences.

        Args:
            left: the first table
            right: the second table
            key: the column both tables are matched on
            columns: the columns to compare (default: every column the two share but id and key)
            normalize: separate formatting-only differences from real ones
        """
        lt, rt = self._table(left), self._table(right)
        if lt.name == rt.name:
            raise ToolError("left and right must be two different tables", kind="invalid_request")
        lk, rk = self._column(lt, key), self._column(rt, key)
        right_names = {c.name for c in rt.columns}
        if columns is None:
            cols = [
                c for c in lt.columns if c.name in right_names and c.role != "id" and c.name != key
            ]
        else:
            cols = []
            for name in columns:
                column = self._column(lt, name)
                self._column(rt, name)
                if column.role == "id" or name == key:
                    raise ToolError(
                        f"cannot compare the {name!r} column itself", kind="invalid_request"
                    )
                cols.append(column)
        l_at = {c.name: i for i, c in enumerate(lt.columns)}
        r_at = {c.name: i for i, c in enumerate(rt.columns)}
        l_rows: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
        r_rows: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
        for row in self.db.rows(lt.name):
            l_rows[row[l_at[lk.name]]].append(row)
        for row in self.db.rows(rt.name):
            r_rows[row[r_at[rk.name]]].append(row)
        differences: list[dict[str, Any]] = []
        format_only: list[dict[str, Any]] = []
        matching = 0
        for k in sorted(set(l_rows) & set(r_rows), key=str):
            lrow, rrow = l_rows[k][0], r_rows[k][0]
            same = True
            for column in cols:
                a, b = lrow[l_at[column.name]], rrow[r_at[column.name]]
                verdict = compare(column.role, a, b)
                if verdict == "equal":
                    continue
                same = False
                entry = {"key": k, "column": column.name, "left": _render(a), "right": _render(b)}
                (format_only if normalize and verdict == "format" else differences).append(entry)
            matching += same
        result: dict[str, Any] = {
            "left": lt.name,
            "right": rt.name,
            "key": key,
            "columns": [c.name for c in cols],
            "left_rows": sum(map(len, l_rows.values())),
            "right_rows": sum(map(len, r_rows.values())),
            "matching_keys": matching,
            "only_in_left": sorted((k for k in l_rows if k not in r_rows), key=str),
            "only_in_right": sorted((k for k in r_rows if k not in l_rows), key=str),
            "duplicate_keys": {
                t.name: sorted((k for k, rs in rows.items() if len(rs) > 1), key=str)
                for t, rows in ((lt, l_rows), (rt, r_rows))
                if any(len(rs) > 1 for rs in rows.values())
            },
            "value_differences": differences,
        }
        if normalize:
            result["format_only_differences"] = format_only
        truncated = False
        for name in (
            "only_in_left",
            "only_in_right",
            "value_differences",
            "format_only_differences",
        ):
            if name in result and len(result[name]) > MAX_LISTED:
                result[name] = result[name][:MAX_LISTED]
                truncated = True
        result["truncated"] = truncated
        return result

    # -- write tools ---------------------------------------------------------------------------

    def _write(self, action: str, func: Any, *args: Any) -> None:
        try:
            func(*args)
        except sqlite3.Error as exc:
            raise ToolError(f"{action} failed: {exc}", kind="sql_error") from None
        finally:
            self._changed()

    @action
    def update_record(
        self, table: Name, key: Key, column: Name, value: Scalar, row_id: int | None = None
    ) -> dict[str, Any]:
        """Set one column of the row holding a business key.

        Args:
            table: the table to change
            key: the row's business key value
            column: the column to set (not id or the business key)
            value: the new value (text for text columns, a number for numeric ones)
            row_id: the row's id, required when the key matches several rows
        """
        meta = self._table(table, write=True)
        col = self._column(meta, column)
        if col.role == "id" or col.name == meta.key:
            raise ToolError(
                f"{meta.name}.{col.name} cannot be changed; insert and delete rows instead",
                kind="invalid_request",
            )
        value = self._check_value(meta, col, value)
        row = self._pick_row(meta, key, row_id)
        old = row[[c.name for c in meta.columns].index(col.name)]
        self._write("update", self.db.update, meta.name, col.name, value, row[0])
        return {
            "table": meta.name,
            "row_id": row[0],
            "key": key,
            "column": col.name,
            "old": _render(old),
            "new": _render(value),
            "changed": old != value or type(old) is not type(value),
        }

    @action
    def insert_record(self, table: Name, values: dict[str, Scalar]) -> dict[str, Any]:
        """Insert a row; every column but id is required (id is assigned).

        Args:
            table: the table to insert into
            values: column -> value for every column except id
        """
        meta = self._table(table, write=True)
        for name in values:
            column = self._column(meta, name)
            if column.role == "id":
                raise ToolError(
                    f"{meta.name}.id is assigned by the database", kind="invalid_request"
                )
        absent = [c.name for c in meta.columns[1:] if c.name not in values]
        if absent:
            raise ToolError(
                f"values is missing column(s): {', '.join(absent)}", kind="invalid_request"
            )
        ordered = [self._check_value(meta, c, values[c.name]) for c in meta.columns[1:]]
        key = values[meta.key]
        existing = self.db.rows_for_key(meta.name, str(key))
        if existing:
            raise ToolError(
                f"{meta.key} = {key!r} already exists in {meta.name} (row id {existing[0][0]}); "
                "use update_record to change it",
                kind="conflict",
            )
        new_id: list[int] = []
        self._write("insert", lambda: new_id.append(self.db.insert(meta.name, ordered)))
        return {"table": meta.name, "inserted": self._as_dict(meta, (new_id[0], *ordered))}

    @tool(idempotent=True)
    def delete_record(self, table: Name, key: Key, row_id: int | None = None) -> dict[str, Any]:
        """Delete the row holding a business key.

        Args:
            table: the table to delete from
            key: the row's business key value
            row_id: the row's id, required when the key matches several rows
        """
        meta = self._table(table, write=True)
        row = self._pick_row(meta, key, row_id)
        self._write("delete", self.db.delete, meta.name, row[0])
        return {"table": meta.name, "deleted": self._as_dict(meta, row)}

    @tool(idempotent=True)
    def sync_records(
        self,
        from_table: Name,
        to_table: Name,
        keys: Annotated[list[Key], msgspec.Meta(min_length=1, max_length=50)],
    ) -> dict[str, Any]:
        """Copy rows by business key from one table to the other (insert or overwrite).

        All keys are checked before anything changes: each must be in from_table exactly once and
        at most once in to_table.

        Args:
            from_table: the table to copy from
            to_table: the table to copy into
            keys: the business keys of the rows to copy
        """
        source = self._table(from_table, write=True)
        target = self._table(to_table, write=True)
        if source.name == target.name:
            raise ToolError("from_table and to_table must differ", kind="invalid_request")
        if [c.name for c in source.columns] != [c.name for c in target.columns]:
            raise ToolError("the two tables do not have the same columns", kind="invalid_request")
        if len(set(keys)) != len(keys):
            raise ToolError("keys contains duplicates", kind="invalid_request")
        plan: list[tuple[str, tuple[Any, ...], int | None]] = []
        for key in keys:
            src = self.db.rows_for_key(source.name, key)
            dst = self.db.rows_for_key(target.name, key)
            if len(src) != 1:
                what = "is not in" if not src else "is duplicated in"
                raise ToolError(f"{source.key} = {key!r} {what} {source.name}", kind="not_found")
            if len(dst) > 1:
                raise ToolError(
                    f"{target.key} = {key!r} is duplicated in {target.name}; delete the extra "
                    "copies first",
                    kind="ambiguous",
                )
            plan.append((key, src[0], dst[0][0] if dst else None))
        inserted, updated, unchanged = [], [], []
        for key, row, dst_id in plan:
            if dst_id is None:
                self._write("insert", self.db.insert, target.name, row[1:])
                inserted.append(key)
            elif self.db.rows_for_key(target.name, key)[0][1:] == row[1:]:
                unchanged.append(key)
            else:
                self._write("update", self.db.update_row, target.name, row[1:], dst_id)
                updated.append(key)
        return {
            "from_table": source.name,
            "to_table": target.name,
            "inserted": inserted,
            "updated": updated,
            "unchanged": unchanged,
        }

    @action
    def submit_summary(
        self,
        text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)],
        mismatch_counts: MismatchCounts | None = None,
    ) -> dict[str, Any]:
        """Submit the reconciliation summary (a later submission replaces an earlier one).

        Args:
            text: what was found and changed, in a few sentences
            mismatch_counts: how many mismatches of each kind were found (each key once)
        """
        if not text.strip():
            raise ToolError("text is blank", kind="invalid_request")
        previous = self._state.summary
        revision = previous.revision + 1 if previous else 1
        counts = mismatch_counts.as_dict() if mismatch_counts is not None else None
        self._state.summary = Summary(text=text, counts=counts, revision=revision)
        self._changed()
        return {"submitted": True, "revision": revision, "mismatch_counts": counts}
