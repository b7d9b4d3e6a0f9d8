"""The world's database: one private in-memory SQLite connection, hardened by the sandbox.

All SQL here is built from identifiers of the schema this module created (validated when the
tables are created), never from tool arguments; values are always bound as parameters.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from trajforge.envs.dataops import sandbox
from trajforge.envs.dataops.sandbox import Authorizer, Mode
from trajforge.envs.dataops.state import TableMeta

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_msgpack = msgspec.msgpack.Encoder()


def quote(name: str) -> str:
    """A schema identifier, quoted (it was validated against ``_IDENTIFIER`` already)."""
    return f'"{name}"'


def _validate(tables: Sequence[TableMeta]) -> None:
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate table names in {names}")
    for table in tables:
        columns = [c.name for c in table.columns]
        for name in [table.name, *columns]:
            if not _IDENTIFIER.match(name) or name.startswith("sqlite_"):
                raise ValueError(f"invalid identifier {name!r} in table {table.name!r}")
        if len(set(columns)) != len(columns) or not columns or table.columns[0].role != "id":
            raise ValueError(f"table {table.name!r}: first column must be the integer id")
        if table.columns[0].type != "INTEGER" or table.key not in columns:
            raise ValueError(f"table {table.name!r}: bad id or key column")


class Database:
    """The tables of one world and the sandboxed connection that holds them."""

    def __init__(self, tables: Sequence[TableMeta], now: str) -> None:
        _validate(tables)
        self.tables = {t.name: t for t in tables}
        self.conn = sqlite3.connect(
            ":memory:", isolation_level=None, check_same_thread=False, cached_statements=512
        )
        self.authorizer = Authorizer(frozenset(t.name for t in tables if t.writable))
        self._helper = sandbox.install(self.conn, self.authorizer, now)
        self._select_key = {
            t.name: f"SELECT * FROM {quote(t.name)} WHERE {quote(t.key)} = ? ORDER BY id"
            for t in tables
        }
        self._select_all = {t.name: f"SELECT * FROM {quote(t.name)} ORDER BY id" for t in tables}

    @classmethod
    def build(
        cls, tables: Sequence[TableMeta], rows: dict[str, list[list[Any]]], now: str
    ) -> Database:
        """A new database with the tables created and filled."""
        db = cls(tables, now)
        for table in tables:
            columns = ", ".join(
                f"{quote(c.name)} INTEGER PRIMARY KEY"
                if c.role == "id"
                else f"{quote(c.name)} {c.type} NOT NULL"
                for c in table.columns
            )
            db.conn.execute(f"CREATE TABLE {quote(table.name)} ({columns})")
            marks = ", ".join("?" * len(table.columns))
            db.conn.executemany(
                f"INSERT INTO {quote(table.name)} VALUES ({marks})", rows.get(table.name, [])
            )
        return db

    def close(self) -> None:
        """Release the connections."""
        self.conn.close()
        self._helper.close()

    # -- reads (internal) ------------------------------------------------------------------------

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        """All rows of a table in id order."""
        return self.conn.execute(self._select_all[table]).fetchall()

    def rows_for_key(self, table: str, key: str) -> list[tuple[Any, ...]]:
        """The rows of a table holding a business key, in id order."""
        return self.conn.execute(self._select_key[table], (key,)).fetchall()

    def count(self, table: str, filters: Iterable[tuple[str, Any]] = ()) -> int:
        """Rows of a table whose columns equal the given values (``IS``, so None matches NULL)."""
        items = list(filters)
        sql = f"SELECT count(*) FROM {quote(table)}"
        if items:
            sql += " WHERE " + " AND ".join(f"{quote(col)} IS ?" for col, _ in items)
        row = self.conn.execute(sql, [value for _, value in items]).fetchone()
        return int(row[0])

    def schema(self) -> list[tuple[str, str, str | None]]:
        """(type, name, sql) of every schema object, by name."""
        return self.conn.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()

    def query(self, sql: str, limit: int) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """An agent's read-only query through the sandbox (SandboxError if refused)."""
        return sandbox.run_read_query(self.conn, self.authorizer, sql, limit)

    # -- writes (the tools' own statements) ------------------------------------------------------

    def _write(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        self.authorizer.mode = Mode.WRITE
        try:
            return self.conn.execute(sql, params)
        finally:
            self.authorizer.mode = Mode.INTERNAL

    def insert(self, table: str, values: Sequence[Any]) -> int:
        """Insert a row (values for every column but id, in column order); its new id."""
        meta = self.tables[table]
        names = ", ".join(quote(c.name) for c in meta.columns[1:])
        marks = ", ".join("?" * (len(meta.columns) - 1))
        cursor = self._write(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", values)
        return int(cursor.lastrowid or 0)

    def update(self, table: str, column: str, value: Any, row_id: int) -> None:
        """Set one column of one row."""
        self._write(f"UPDATE {quote(table)} SET {quote(column)} = ? WHERE id = ?", (value, row_id))

    def update_row(self, table: str, values: Sequence[Any], row_id: int) -> None:
        """Set every column but id of one row."""
        meta = self.tables[table]
        sets = ", ".join(f"{quote(c.name)} = ?" for c in meta.columns[1:])
        self._write(f"UPDATE {quote(table)} SET {sets} WHERE id = ?", (*values, row_id))

    def delete(self, table: str, row_id: int) -> None:
        """Delete one row by id."""
        self._write(f"DELETE FROM {quote(table)} WHERE id = ?", (row_id,))

    # -- state -----------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """A canonical JSON-able dump: each table's columns and rows in id order, the schema."""
        return {
            "tables": {
                name: {
                    "columns": [c.name for c in meta.columns],
                    "rows": [list(row) for row in self.rows(name)],
                }
                for name, meta in sorted(self.tables.items())
            },
            "schema": [list(entry) for entry in self.schema()],
        }

    def digest(self, extra: Any = None) -> str:
        """A stable hash of the schema, every row in id order, and ``extra``."""
        hasher = hashlib.blake2b(digest_size=12)
        hasher.update(_msgpack.encode(self.schema()))
        for name in sorted(self.tables):
            hasher.update(name.encode())
            hasher.update(_msgpack.encode(self.rows(name)))
        hasher.update(_msgpack.encode(extra))
        return hasher.hexdigest()

    def serialize(self) -> bytes:
        """The whole database as bytes."""
        return self.conn.serialize()

    def deserialize(self, data: bytes) -> None:
        """Replace the database by serialized bytes."""
        self.conn.deserialize(data)
