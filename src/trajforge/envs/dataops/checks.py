"""Goal checks over the final database: reconciled, no collateral changes, summary (and counts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from trajforge.envs.dataops.database import Database
from trajforge.envs.dataops.normalize import exact
from trajforge.envs.dataops.state import MISMATCH_KINDS, Summary
from trajforge.schema import CheckResult, Task

_MAX_DETAIL = 5


def _detail(problems: list[str]) -> str:
    shown = "; ".join(problems[:_MAX_DETAIL])
    more = len(problems) - _MAX_DETAIL
    return shown + (f"; and {more} more" if more > 0 else "")


def _same_values(roles: Sequence[str], row: Any, reference: Any) -> bool:
    """Whether two rows hold the same canonical values (the id aside)."""
    return all(exact(roles[i], row[i], reference[i]) for i in range(1, len(roles)))


class _World:
    """The task's initial tables and the database's current ones, indexed for the checks."""

    def __init__(self, task: Task, db: Database) -> None:
        params = task.parameters
        truth = params["truth"]
        self.auth: str = truth["authoritative"]
        self.fix: str = truth["fix_table"]
        self.mismatches: list[dict[str, Any]] = truth["mismatches"]
        self.initial = {t["name"]: t["rows"] for t in params["tables"]}
        meta = db.tables[self.fix]
        self.roles = [c.role for c in meta.columns]
        self.key_at = [c.name for c in meta.columns].index(meta.key)
        self.auth_rows = {row[self.key_at]: row for row in self.initial[self.auth]}
        self.current: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in db.rows(self.fix):
            self.current[row[self.key_at]].append(row)


def reconciled(world: _World) -> CheckResult:
    """Each seeded mismatch fixed: partial credit is the share fixed."""
    problems: list[str] = []
    for m in world.mismatches:
        key, kind = m["key"], m["kind"]
        rows = world.current.get(key, [])
        if kind == "extra":
            ok = not rows
        else:
            ok = len(rows) == 1 and _same_values(world.roles, rows[0], world.auth_rows[key])
        if not ok:
            problems.append(f"{kind} {key} not fixed ({len(rows)} row(s) in {world.fix})")
    total = len(world.mismatches)
    fixed = total - len(problems)
    return CheckResult(
        name="reconciled",
        passed=not problems,
        score=fixed / total if total else 1.0,
        detail=f"{fixed}/{total} mismatches fixed" + (f": {_detail(problems)}" if problems else ""),
    )


def no_collateral_changes(world: _World, params: dict[str, Any], db: Database) -> CheckResult:
    """Protected tables unchanged, correct rows of the fixed table untouched, no stray keys."""
    problems: list[str] = []
    protected = params.get("protected", [world.auth])
    for table in protected:
        if table in db.tables and [list(r) for r in db.rows(table)] != world.initial[table]:
            problems.append(f"{table} was modified")
    expected_tables = {(t, "table") for t in db.tables}
    if {(name, kind) for kind, name, _ in db.schema()} != expected_tables:
        problems.append("the schema was modified")
    involved = {m["key"] for m in world.mismatches}
    initial_fix = {row[world.key_at]: row for row in world.initial[world.fix]}
    for key, rows in world.current.items():
        if key in involved:
            continue
        if key not in initial_fix:
            problems.append(f"unexpected {key} in {world.fix}")
        elif len(rows) != 1 or not _same_values(world.roles, rows[0], initial_fix[key]):
            problems.append(f"correct row {key} of {world.fix} was changed")
    for key in initial_fix:
        if key not in involved and key not in world.current:
            problems.append(f"correct row {key} was deleted from {world.fix}")
    return CheckResult(
        name="no_collateral_changes",
        passed=not problems,
        score=0.0 if problems else 1.0,
        detail=_detail(problems) if problems else "nothing else changed",
    )


def summary_submitted(summary: Summary | None) -> CheckResult:
    """A non-empty summary was submitted."""
    ok = summary is not None and bool(summary.text.strip())
    return CheckResult(
        name="summary_submitted",
        passed=ok,
        score=1.0 if ok else 0.0,
        detail="summary submitted" if ok else "no summary was submitted",
    )


def summary_counts(summary: Summary | None, expected: dict[str, int]) -> CheckResult:
    """The reported counts by kind: partial credit is the share of kinds reported right."""
    reported = (summary.counts if summary else None) or {}
    wrong = [
        f"{kind}: reported {reported.get(kind, 0)}, expected {expected.get(kind, 0)}"
        for kind in MISMATCH_KINDS
        if reported.get(kind, 0) != expected.get(kind, 0)
    ]
    if summary is None or summary.counts is None:
        return CheckResult(
            name="summary_counts", passed=False, score=0.0, detail="no mismatch counts reported"
        )
    right = len(MISMATCH_KINDS) - len(wrong)
    return CheckResult(
        name="summary_counts",
        passed=not wrong,
        score=right / len(MISMATCH_KINDS),
        detail=_detail(wrong) if wrong else "all counts right",
    )


def evaluate(task: Task, db: Database, summary: Summary | None) -> list[CheckResult]:
    """Every goal check of the task, in the task's order."""
    world = _World(task, db)
    results: list[CheckResult] = []
    for check in task.goal_checks:
        if check.name == "reconciled":
            results.append(reconciled(world))
        elif check.name == "no_collateral_changes":
            results.append(no_collateral_changes(world, check.params, db))
        elif check.name == "summary_submitted":
            results.append(summary_submitted(summary))
        elif check.name == "summary_counts":
            results.append(summary_counts(summary, check.params.get("counts", {})))
        else:
            results.append(
                CheckResult(name=check.name, passed=False, score=0.0, detail="unknown goal check")
            )
    return results
