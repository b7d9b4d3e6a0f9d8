"""The non-database part of a dataops world, as msgspec Structs.

The database itself (the tables and their rows) lives in a real in-memory SQLite connection owned
by :class:`~trajforge.envs.dataops.database.Database`; ``DataOpsState`` (the environment's
``_state`` and ``state_type``) holds what describes it (table and column metadata, the world's
fixed "now") and what is not in it (the submitted summary). A snapshot is the serialized database
plus this struct.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ColumnType = Literal["INTEGER", "REAL", "TEXT"]
#: What a column means, which decides how values are validated and normalised.
ColumnRole = Literal["id", "key", "party", "amount", "currency", "date", "status", "text", "number"]
MismatchKind = Literal["missing", "extra", "wrong_value", "duplicate", "format"]
MISMATCH_KINDS: tuple[MismatchKind, ...] = (
    "missing",
    "extra",
    "wrong_value",
    "duplicate",
    "format",
)


class ColumnMeta(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One column of a table: name, SQL type and role."""

    name: str
    type: ColumnType
    role: ColumnRole


class TableMeta(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One table: its columns (the first is always the integer ``id``) and business key."""

    name: str
    description: str
    key: str
    columns: list[ColumnMeta]
    writable: bool = True


def _count(description: str) -> msgspec.Meta:
    return msgspec.Meta(ge=0, le=100_000, description=description)


class MismatchCounts(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Mismatches found, by kind; each affected key counts once, under one kind."""

    missing: Annotated[
        int, _count("keys in the authoritative table that are absent from the table being fixed")
    ] = 0
    extra: Annotated[
        int, _count("keys in the table being fixed that are absent from the authoritative table")
    ] = 0
    wrong_value: Annotated[int, _count("keys whose values really differ (not only in format)")] = 0
    duplicate: Annotated[
        int, _count("keys that appear more than once in the table being fixed")
    ] = 0
    format: Annotated[
        int,
        _count(
            "keys whose values differ only in formatting: whitespace, letter case, date format, "
            "cents instead of dollars"
        ),
    ] = 0

    def as_dict(self) -> dict[str, int]:
        """All five counts by kind name."""
        return {kind: getattr(self, kind) for kind in MISMATCH_KINDS}


class Summary(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The reconciliation summary the agent submitted."""

    text: str
    counts: dict[str, int] | None = None
    revision: int = 1


class DataOpsState(msgspec.Struct, forbid_unknown_fields=True):
    """Everything about a dataops world that is not a row of the database."""

    tables: list[TableMeta]
    now: str
    summary: Summary | None = None
