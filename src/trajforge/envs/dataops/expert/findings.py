"""Reading comparisons for the dataops expert: what differs, by kind, and a local comparison.

``compare_rows`` is the expert's own comparison for when ``compare_tables`` is gone: it reads both
tables' rows (from one read-only query) and reports the same fields with the environment's value
normalisation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from trajforge.envs.dataops.normalize import compare

KINDS = ("missing", "extra", "wrong_value", "duplicate", "format")


def join(items: list[str]) -> str:
    """Items in words: 'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str) -> str:
    """'1 row', '2 rows'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sql_text(value: str) -> str:
    """A text value as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def rows_of(data: Any) -> list[dict[str, Any]]:
    """Rows as dicts from a ``get_record`` result or a ``run_query`` result (columns + rows)."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        return []
    rows: list[Any] = data["rows"]
    if all(isinstance(r, dict) for r in rows):
        return list(rows)
    columns = data.get("columns")
    if not isinstance(columns, list):
        return []
    return [dict(zip(columns, r, strict=False)) for r in rows if isinstance(r, list)]


@dataclass
class Findings:
    """What a comparison of the authoritative table (left) with the fixed one (right) showed."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    wrong_value: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any], fix: str) -> Findings:
        """Read a ``compare_tables`` result (left = authoritative, right = ``fix``)."""
        found = cls()
        found.missing = sorted(str(k) for k in data.get("only_in_left") or [])
        found.extra = sorted(str(k) for k in data.get("only_in_right") or [])
        dups = data.get("duplicate_keys") or {}
        found.duplicate = (
            sorted(str(k) for k in (dups.get(fix) or [])) if isinstance(dups, dict) else []
        )
        wrong: set[str] = set()
        fmt: set[str] = set()
        for name, into in (("value_differences", wrong), ("format_only_differences", fmt)):
            for entry in data.get(name) or []:
                if isinstance(entry, dict) and "key" in entry:
                    key = str(entry["key"])
                    into.add(key)
                    found.columns.setdefault(key, []).append(str(entry.get("column")))
        found.wrong_value = sorted(wrong)
        found.format = sorted(fmt - wrong)
        return found

    def counts(self) -> dict[str, int]:
        """Mismatches by kind, each key once."""
        return {kind: len(getattr(self, kind)) for kind in KINDS}

    def clean(self) -> bool:
        """Whether the comparison showed no difference at all."""
        return not any(self.counts().values())

    def describe(self) -> str:
        """The counts in words, e.g. '2 missing, 1 wrong_value'."""
        found = [f"{n} {kind}" for kind, n in self.counts().items() if n]
        return join(found) if found else "no differences"


def compare_rows(
    rows: list[dict[str, Any]], roles: dict[str, str], key: str, fix: str, normalize: bool
) -> dict[str, Any]:
    """What ``compare_tables`` would say, from both tables' rows ordered by side and id.

    Each row has a ``side`` column (``left``: authoritative, ``right``: ``fix``); ``roles``
    maps each column to its role, which decides how values are compared.
    """
    sides: dict[str, dict[str, list[dict[str, Any]]]] = {
        "left": defaultdict(list), "right": defaultdict(list)
    }  # fmt: skip
    for row in rows:
        sides[str(row["side"])][str(row[key])].append(row)
    left, right = sides["left"], sides["right"]
    value_differences: list[dict[str, Any]] = []
    format_only: list[dict[str, Any]] = []
    for k in sorted(set(left) & set(right)):
        a, b = left[k][0], right[k][0]
        for column, role in roles.items():
            if role == "id" or column == key:
                continue
            verdict = compare(role, a[column], b[column])
            if verdict == "equal":
                continue
            entry = {"key": k, "column": column, "left": a[column], "right": b[column]}
            (format_only if normalize and verdict == "format" else value_differences).append(entry)
    return {
        "only_in_left": sorted(k for k in left if k not in right),
        "only_in_right": sorted(k for k in right if k not in left),
        "duplicate_keys": {fix: sorted(k for k, rs in right.items() if len(rs) > 1)},
        "value_differences": value_differences,
        "format_only_differences": format_only,
    }


def both_tables_sql(auth: str, fix: str) -> str:
    """One read-only query returning both tables' rows, tagged by side, in id order."""
    return (
        f"SELECT 'left' AS side, * FROM \"{auth}\" UNION ALL "
        f"SELECT 'right' AS side, * FROM \"{fix}\" ORDER BY side, id"
    )
