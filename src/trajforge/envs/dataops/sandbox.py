"""The SQL sandbox: what an agent's query may do to the database (read it, nothing else).

Three layers, each enough on its own for writes:
1. a text check: one statement, starting with SELECT or WITH (comments and string literals aside);
2. an authorizer installed on the connection for its whole life: in ``READ`` mode it allows only
   SELECT, reading columns, recursive CTEs and a whitelist of pure functions; ATTACH/DETACH, PRAGMA,
   every write, DDL, transactions and any other function (``load_extension``, ``random``, ...) are
   denied; in ``WRITE`` mode the tools' own parameterised INSERT/UPDATE/DELETE on data tables are
   allowed too; ``INTERNAL`` mode (building, dumping) allows everything;
3. ``PRAGMA query_only`` on while the agent's query runs, plus connection limits (no attached
   databases, bounded string length) and a progress handler that stops runaway queries.

Date functions are replaced by versions that read ``'now'`` as the world's fixed time, so queries
are deterministic.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from enum import Enum
from typing import Any

READ_FUNCTIONS = frozenset(
    {
        # scalar
        "abs", "char", "coalesce", "glob", "hex", "ifnull", "iif", "instr", "length", "like",
        "lower", "ltrim", "max", "min", "nullif", "printf", "format", "quote", "replace", "round",
        "rtrim", "sign", "substr", "substring", "trim", "typeof", "unicode", "upper",
        "ceil", "ceiling", "floor", "trunc",
        # dates (overridden: 'now' is the world's time)
        "date", "time", "datetime", "julianday", "strftime", "unixepoch",
        # aggregate and window
        "avg", "count", "group_concat", "string_agg", "sum", "total",
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
        "first_value", "last_value", "nth_value",
    }
)  # fmt: skip
DATE_FUNCTIONS = ("date", "time", "datetime", "julianday", "strftime", "unixepoch")

_ACTION_NAMES = {
    sqlite3.SQLITE_ATTACH: "ATTACH",
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_PRAGMA: "PRAGMA",
    sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_TRANSACTION: "transactions",
    sqlite3.SQLITE_SAVEPOINT: "savepoints",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_ANALYZE: "ANALYZE",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
}
_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_WRITE_ACTIONS = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})

#: Comments and string literals / quoted identifiers, to look at the SQL's keywords only.
_NOISE = re.compile(
    r"--[^\n]*|/\*.*?(?:\*/|$)|'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|`[^`]*`?|\[[^\]]*\]?", re.S
)
_FIRST_WORD = re.compile(r"^\s*([A-Za-z]+)")
_SCHEMA_WORDS = re.compile(
    r"\b(create|drop|alter|vacuum|reindex|attach|detach|writable_schema)\b", re.IGNORECASE
)

#: Progress-handler calls (every _PROGRESS_STEP VM instructions) before a query is stopped.
_PROGRESS_STEP = 1_000
_PROGRESS_BUDGET = 5_000
MAX_VALUE_LENGTH = 1_000_000


class Mode(Enum):
    """What the authorizer currently allows."""

    INTERNAL = "internal"
    WRITE = "write"
    READ = "read"


class SandboxError(Exception):
    """A query the sandbox refuses (before or while running it)."""


def strip_noise(sql: str) -> str:
    """The SQL with comments removed and string literals / quoted names blanked out."""
    return _NOISE.sub(lambda m: " " if m.group(0).startswith(("--", "/*")) else "''", sql)


def check_query_text(sql: str) -> str:
    """The query to run, or SandboxError: one SELECT/WITH statement, trailing ``;`` allowed."""
    bare = strip_noise(sql).strip()
    if bare.endswith(";"):
        bare = bare[:-1].rstrip()
    if not bare:
        raise SandboxError("the query is empty")
    if ";" in bare:
        raise SandboxError("only one statement per query is allowed (found ';' inside the query)")
    match = _FIRST_WORD.match(bare)
    word = match.group(1).upper() if match else bare[:1]
    if word not in ("SELECT", "WITH"):
        raise SandboxError(
            f"only read-only SELECT or WITH queries are allowed, not {word!r}; use the "
            "insert_record / update_record / delete_record tools to change data"
        )
    return sql


def mentions_schema_change(sql: str) -> bool:
    """Whether SQL tries to change the schema or attach databases (keywords outside strings)."""
    return bool(_SCHEMA_WORDS.search(strip_noise(sql)))


class Authorizer:
    """The connection's authorizer: its verdict depends on the current mode."""

    def __init__(self, writable_tables: frozenset[str]) -> None:
        self.mode = Mode.INTERNAL
        self.writable = writable_tables
        self.denied: str | None = None

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None
    ) -> int:
        mode = self.mode
        if mode is Mode.INTERNAL or action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in READ_FUNCTIONS:
                return sqlite3.SQLITE_OK
            self.denied = f"the function {arg2}() is not allowed"
            return sqlite3.SQLITE_DENY
        if (
            mode is Mode.WRITE
            and action in _WRITE_ACTIONS
            and arg1 in self.writable
            and db == "main"
            and source is None
        ):
            return sqlite3.SQLITE_OK
        if (arg1 or "").startswith("sqlite_"):
            self.denied = "SQLite internals and virtual tables (pragma_*, json_each) are off limits"
        else:
            what = _ACTION_NAMES.get(action, "schema changes")
            self.denied = f"{what} is not allowed in a read-only query"
        return sqlite3.SQLITE_DENY


class _Budget:
    """A progress handler that stops a statement after a fixed amount of work."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return 1 if self.calls > _PROGRESS_BUDGET else 0


def install(conn: sqlite3.Connection, authorizer: Authorizer, now: str) -> sqlite3.Connection:
    """Harden a fresh connection: limits, temp store in memory, date functions, the authorizer.

    Returns the private helper connection the date functions compute with (close it with ``conn``).
    """
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
    conn.execute("PRAGMA temp_store = MEMORY")
    helper = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    helper.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_LENGTH)
    world_now = now.replace("T", " ")
    for name in DATE_FUNCTIONS:
        conn.create_function(name, -1, _fixed_now(helper, name, world_now), deterministic=True)
    for name in ("printf", "format"):
        bounded = _bounded_printf(helper, name, authorizer)
        conn.create_function(name, -1, bounded, deterministic=True)
    conn.set_authorizer(authorizer)
    return helper


#: A width or precision in a printf format (``%10s``, ``%.5f``, ``%-*.*c``).
_FORMAT_SPEC = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?")


def _bounded_printf(
    helper: sqlite3.Connection, name: str, authorizer: Authorizer
) -> Callable[..., Any]:
    """SQLite's printf, refusing widths and precisions beyond the longest value allowed.

    SQLite builds a printf result before it checks the length limit, and no progress handler
    fires meanwhile: ``printf('%.*c', 2000000000, 'x')`` would stall the whole process.
    """
    statements: dict[int, str] = {}

    def call(*args: Any) -> Any:
        if args and isinstance(args[0], str):
            starred = iter(args[1:])
            for spec in _FORMAT_SPEC.finditer(args[0]):
                for size in spec.groups():
                    value = next(starred, 0) if size == "*" else int(size or 0)
                    if isinstance(value, int) and abs(value) > MAX_VALUE_LENGTH:
                        authorizer.denied = (
                            f"{name}() widths and precisions stop at {MAX_VALUE_LENGTH:,}"
                        )
                        raise ValueError(authorizer.denied)
        sql = statements.get(len(args))
        if sql is None:
            sql = statements[len(args)] = f"SELECT {name}({', '.join('?' * len(args))})"
        return helper.execute(sql, args).fetchone()[0]

    return call


def _fixed_now(helper: sqlite3.Connection, name: str, now: str) -> Callable[..., Any]:
    """A date function that reads ``'now'`` as the world's time and otherwise is SQLite's own."""
    statements: dict[int, str] = {}

    def call(*args: Any) -> Any:
        values = [now if isinstance(a, str) and a.strip().lower() == "now" else a for a in args]
        if len(values) < (2 if name == "strftime" else 1):
            values.append(now)  # date() and strftime(fmt) mean "now"
        sql = statements.get(len(values))
        if sql is None:
            sql = statements[len(values)] = f"SELECT {name}({', '.join('?' * len(values))})"
        return helper.execute(sql, values).fetchone()[0]

    return call


def run_read_query(
    conn: sqlite3.Connection, authorizer: Authorizer, sql: str, limit: int
) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """Run an agent's query read-only: (column names, up to ``limit`` rows, truncated)."""
    # The authorizer runs when a statement is prepared; sqlite3's statement cache may hand back a
    # statement prepared earlier in another mode. Only SELECT/WITH text gets here, and the tools'
    # own cached statements of that shape are plain reads, so a cache hit can only read.
    text = check_query_text(sql)
    budget = _Budget()
    conn.execute("PRAGMA query_only = ON")
    conn.set_progress_handler(budget, _PROGRESS_STEP)
    authorizer.mode = Mode.READ
    authorizer.denied = None
    cursor: sqlite3.Cursor | None = None
    try:
        cursor = conn.execute(text)
        rows = cursor.fetchmany(limit + 1)
        columns = [d[0] for d in cursor.description or ()]
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if authorizer.denied and ("not authorized" in message or "raised exception" in message):
            raise SandboxError(f"query rejected: {authorizer.denied}") from None
        if message == "interrupted" and budget.calls > _PROGRESS_BUDGET:
            raise SandboxError(
                "query stopped: it did too much work (the limit is about 5M steps)"
            ) from None
        raise SandboxError(f"SQL error: {message}") from None
    except (sqlite3.Warning, ValueError, OverflowError, MemoryError) as exc:
        raise SandboxError(f"SQL error: {exc}") from None
    finally:
        if cursor is not None:
            cursor.close()
        authorizer.mode = Mode.INTERNAL
        conn.set_progress_handler(None, 0)
        conn.execute("PRAGMA query_only = OFF")
    return columns, rows[:limit], len(rows) > limit
