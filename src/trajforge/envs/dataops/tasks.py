"""The seeded task generator: a world with seeded mismatches, its instruction and ground truth.

The world is stored whole in ``Task.parameters`` (tables, columns and rows), so ``build_state`` is a
pure function of the task and a saved task replays even if this generator changes. Layout::

    parameters = {
        "domain": "billing", "now": "2025-06-30T17:00:00",
        "tables": [{"name", "description", "key", "writable", "columns": [{"name", "type", "role"}],
                    "rows": [[id, key, ...], ...]}, ...],     # the two data tables and "currencies"
        "truth": {
            "authoritative": table, "fix_table": table, "key": column,
            "authority_stated": bool, "report_counts": bool, "bulk_limit": int,
            "mismatches": [{"kind", "key", "row_ids", "columns": {col: {"expected", "found"}}}],
            "counts": {"missing": n, "extra": n, "wrong_value": n, "duplicate": n, "format": n},
        },
    }
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from trajforge.envs.dataops.domains import CURRENCIES, DOMAINS, Domain
from trajforge.envs.dataops.normalize import MONTHS, compare
from trajforge.envs.dataops.state import MISMATCH_KINDS
from trajforge.schema import ExpectedAction, GoalCheck, Task

BULK_LIMIT = 5
REFERENCE_TABLE = "currencies"
DATA_ROLES = ("party", "amount", "currency", "date", "status")
_SIMPLE_KINDS = ("missing", "extra", "wrong_value")


def columns_for(domain: Domain) -> list[dict[str, str]]:
    """The columns of both data tables of a domain."""
    return [
        {"name": "id", "type": "INTEGER", "role": "id"},
        {"name": domain.key, "type": "TEXT", "role": "key"},
        {"name": domain.party, "type": "TEXT", "role": "party"},
        {"name": "amount", "type": "REAL", "role": "amount"},
        {"name": "currency", "type": "TEXT", "role": "currency"},
        {"name": domain.date, "type": "TEXT", "role": "date"},
        {"name": "status", "type": "TEXT", "role": "status"},
    ]


def _reference_table() -> dict[str, Any]:
    return {
        "name": REFERENCE_TABLE,
        "description": "Reference list of ISO currency codes (read-only).",
        "key": "code",
        "writable": False,
        "columns": [
            {"name": "id", "type": "INTEGER", "role": "id"},
            {"name": "code", "type": "TEXT", "role": "key"},
            {"name": "name", "type": "TEXT", "role": "text"},
            {"name": "decimals", "type": "INTEGER", "role": "number"},
        ],
        "rows": [[i + 1, code, name, dec] for i, (code, name, dec) in enumerate(CURRENCIES)],
    }


# ---------------------------------------------------------------- values


def _record(rng: random.Random, domain: Domain, key: str, now: dt.date) -> dict[str, Any]:
    low, high = domain.amount_range
    return {
        "key": key,
        "party": rng.choice(domain.parties),
        "amount": round(rng.uniform(low, high), 2),
        "currency": rng.choice(domain.currencies),
        "date": (now - dt.timedelta(days=rng.randrange(1, 150))).isoformat(),
        "status": rng.choice(domain.statuses),
    }


def _wrong(rng: random.Random, domain: Domain, role: str, value: Any) -> Any:
    """A value that really differs from ``value`` (not only in format)."""
    for _ in range(100):
        if role == "amount":
            if rng.random() < 0.5:
                new = round(value * rng.choice([0.5, 0.8, 0.9, 1.1, 1.25, 1.5, 2]), 2)
            else:
                step = rng.randint(1, 500) + 0.01 * rng.randint(0, 99)
                new = round(value + rng.choice([-1, 1]) * step, 2)
        elif role == "party":
            new = rng.choice(domain.parties)
        elif role == "currency":
            new = rng.choice([c for c, _, decimals in CURRENCIES if decimals == 2])
        elif role == "date":
            shift = dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(1, 40))
            new = (dt.date.fromisoformat(value) + shift).isoformat()
        else:
            new = rng.choice(domain.statuses)
        if (role != "amount" or new > 0) and compare(role, value, new) == "different":
            return new
    raise AssertionError(f"could not derive a wrong {role} from {value!r}")  # pragma: no cover


def _drift(rng: random.Random, role: str, value: Any) -> Any:
    """The same value, written differently (the way a sloppy import writes it)."""
    if role == "amount":
        return round(value * 100, 2)  # cents instead of dollars
    if role == "date":
        day = dt.date.fromisoformat(value)
        month = MONTHS[day.month - 1].title()
        options = [
            f"{day.year}/{day.month:02d}/{day.day:02d}",
            f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}",
            f"{day.year}{day.month:02d}{day.day:02d}",
        ]
        if day.day > 12:
            options.append(f"{day.day:02d}/{day.month:02d}/{day.year}")
        return rng.choice(options)
    if role == "currency":
        return rng.choice([value.lower(), f" {value}", f"{value} "])
    options = [f"  {value}", f"{value}  ", f" {value} ", value.upper()]
    if role == "party" and " " in value:
        options.append(value.replace(" ", "  ", 1))
    if role == "status":
        options.append(value.title())
    return rng.choice([o for o in options if o != value])


# ---------------------------------------------------------------- plan


def _plan(rng: random.Random, difficulty: int) -> tuple[int, dict[str, int]]:
    """(number of base records, mismatches per kind) for a difficulty."""
    if difficulty <= 1:
        return rng.randint(8, 14), {rng.choice(_SIMPLE_KINDS): rng.randint(1, 3)}
    if difficulty == 2:
        kinds = rng.sample(_SIMPLE_KINDS, rng.choice([2, 3]))
        return rng.randint(12, 20), {k: rng.randint(1, 3) for k in kinds}
    kinds = rng.sample(_SIMPLE_KINDS, rng.choice([1, 2]))
    plan = {"format": rng.randint(1, 3), "duplicate": rng.randint(1, 2)}
    plan.update({k: rng.randint(1, 2) for k in kinds})
    return rng.randint(16, 26), plan


def _keys(rng: random.Random, domain: Domain, n: int) -> list[str]:
    number = rng.randrange(1_000, 90_000)
    keys = []
    for _ in range(n):
        number += rng.randint(1, 9)
        keys.append(f"{domain.key_prefix}{number:05d}")
    return keys


# ---------------------------------------------------------------- text

_STATED = (
    "{Fix_label} ({fix}) no longer agrees with {auth_label} ({auth}). {auth} is the source of "
    "truth: please reconcile {fix} against it, matching rows on {key}, and submit a short summary "
    "when you are done.",
    "Could you reconcile the {fix} table with {auth}? Treat {auth} as authoritative and match "
    "{noun}s on {key}. Fix whatever is off in {fix}, then submit a summary.",
    "Month-end close: every {noun} in {auth} ({auth_label}) must appear exactly once, and "
    "identically, in {fix} ({fix_label}), keyed on {key}. {auth} is right by definition. Please "
    "correct {fix} and file a reconciliation summary.",
    "An audit found differences between {auth} and {fix}. The records in {auth} are correct; "
    "bring {fix} in line with them (join on {key}) and submit a summary of what you changed.",
    "Please make {fix} match {auth}; {auth_label} is our system of record. Rows correspond on "
    "{key}. When you're finished, submit a summary.",
    "We're closing the books and {fix_label} has to tie out to {auth_label}. Using {auth} as the "
    "reference and {key} as the key, fix the mismatches in {fix} and submit a summary.",
    "Reconciliation request: {auth} (authoritative) vs {fix}, key column {key}. Correct {fix} "
    "so that it agrees with {auth}, leave {auth} untouched, and submit a summary at the end.",
)
_UNSTATED = (
    "The {a} and {b} tables have drifted apart. Please reconcile them on {key} and submit a "
    "summary.",
    "{A_label} and {b_label} don't agree anymore ({a} vs {b}, keyed on {key}). Can you "
    "reconcile them and submit a summary?",
    "Reconcile {a} with {b} (match on {key}) and file a summary of the mismatches.",
    "Our {noun} data in {a} and {b} is out of sync. Please sort it out, matching on {key}, and "
    "submit a summary when done.",
)
_HINTS = {
    "missing": (
        "I think some {noun}s never made it into {fix}.",
        "My guess is that a few rows are missing from {fix}.",
    ),
    "extra": (
        "It looks like {fix} has {noun}s that {auth} doesn't know about.",
        "I suspect {fix} picked up some rows that shouldn't be there.",
    ),
    "wrong_value": (
        "A few {noun}s seem to have the wrong details in {fix}.",
        "Some amounts or other fields in {fix} look off.",
    ),
}
_SEVERAL = (
    "Expect more than one kind of problem.",
    "There's probably a mix of issues.",
    "",
)
_FORMAT = (
    "Formatting counts too: {fix} must end up holding exactly the values {auth} holds.",
    "Values that differ only in formatting must be fixed as well, so that {fix} is identical to "
    "{auth}.",
)
_FORMAT_NEUTRAL = (
    "Formatting counts too: once reconciled, the two tables must hold exactly the same values.",
    "Values that differ only in formatting must be fixed as well, so the tables end up identical.",
)
_COUNTS = (
    "In the summary, report how many mismatches of each kind you found: missing, extra, "
    "wrong_value, duplicate and format (values that differ only in formatting: padding, letter "
    "case, date format, cents instead of dollars). Count each affected {key} once.",
    "The summary must include the mismatch counts by kind (missing, extra, wrong_value, "
    "duplicate, format: format means the same value written differently, e.g. padded, "
    "upper-cased, another date format or cents instead of dollars), one per affected {key}.",
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _instruction(
    rng: random.Random,
    domain: Domain,
    auth_i: int,
    plan: dict[str, int],
    difficulty: int,
    stated: bool,
) -> str:
    auth, fix = domain.tables[auth_i], domain.tables[1 - auth_i]
    auth_label, fix_label = domain.labels[auth_i], domain.labels[1 - auth_i]
    first = rng.randrange(2)
    words = {
        "auth": auth, "fix": fix, "auth_label": auth_label, "fix_label": fix_label,
        "Fix_label": _capital(fix_label), "key": domain.key, "noun": domain.noun,
        "a": domain.tables[first], "b": domain.tables[1 - first],
        "A_label": _capital(domain.labels[first]), "b_label": domain.labels[1 - first],
    }  # fmt: skip
    parts = [rng.choice(_STATED if stated else _UNSTATED)]
    if difficulty <= 1 and rng.random() < 0.5:
        parts.append(rng.choice(_HINTS[next(iter(plan))]))
    elif difficulty == 2:
        parts.append(rng.choice(_SEVERAL))
    if difficulty >= 3:
        parts.append(rng.choice(_FORMAT if stated else _FORMAT_NEUTRAL))
        parts.append(rng.choice(_COUNTS))
    return " ".join(p for p in parts if p).format(**words)


# ---------------------------------------------------------------- the task

_ORDER = ("key", "party", "amount", "currency", "date", "status")


@dataclass
class _World:
    """A generated world: records, seeded mismatches, and the rows of both data tables."""

    domain: Domain
    auth: str
    fix: str
    records: dict[str, dict[str, Any]]
    chosen: dict[str, list[str]]
    diffs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fix_ids: dict[str, int] = field(default_factory=dict)
    dup_ids: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)

    def column(self, role: str) -> str:
        """The column name of a role in this domain."""
        return {"key": self.domain.key, "party": self.domain.party, "date": self.domain.date}.get(
            role, role
        )


def _build_world(
    rng: random.Random, domain: Domain, auth_i: int, difficulty: int, now: dt.date
) -> _World:
    n_base, plan = _plan(rng, difficulty)
    keys = _keys(rng, domain, n_base + plan.get("extra", 0))
    extra_keys = set(rng.sample(keys, plan.get("extra", 0)))
    pool = [k for k in keys if k not in extra_keys]
    base_keys = list(pool)
    records = {k: _record(rng, domain, k, now) for k in keys}
    rng.shuffle(pool)
    chosen: dict[str, list[str]] = {"extra": sorted(extra_keys)}
    for kind in ("missing", "wrong_value", "format", "duplicate"):
        chosen[kind] = sorted(pool[: plan.get(kind, 0)])
        del pool[: plan.get(kind, 0)]
    world = _World(domain, domain.tables[auth_i], domain.tables[1 - auth_i], records, chosen)

    found = {k: dict(records[k]) for k in keys}
    for kind in ("wrong_value", "format"):
        for key in chosen[kind]:
            count = 1 if difficulty <= 1 or kind == "format" else rng.choice([1, 1, 2])
            world.diffs[key] = {}
            for role in sorted(rng.sample(DATA_ROLES, count), key=DATA_ROLES.index):
                value = records[key][role]
                if kind == "wrong_value":
                    new = _wrong(rng, domain, role, value)
                else:
                    new = _drift(rng, role, value)
                found[key][role] = new
                world.diffs[key][role] = {"expected": value, "found": new}

    def row(row_id: int, rec: dict[str, Any]) -> list[Any]:
        return [row_id, *(rec[r] for r in _ORDER)]

    auth_start = rng.choice([1, 1, 101, 5001])
    world.rows[world.auth] = [row(auth_start + i, records[k]) for i, k in enumerate(base_keys)]
    missing = set(chosen["missing"])
    fix_keys = sorted((k for k in keys if k not in missing), key=lambda k: (records[k]["date"], k))
    fix_start = rng.choice([1, 1001, 20001, 700001])
    world.fix_ids = {k: fix_start + i for i, k in enumerate(fix_keys)}
    dup_keys = list(chosen["duplicate"])
    rng.shuffle(dup_keys)
    world.dup_ids = {k: fix_start + len(fix_keys) + i for i, k in enumerate(dup_keys)}
    world.rows[world.fix] = [row(world.fix_ids[k], found[k]) for k in fix_keys] + [
        row(world.dup_ids[k], found[k]) for k in dup_keys
    ]
    return world


def _mismatches(world: _World) -> list[dict[str, Any]]:
    mismatches: list[dict[str, Any]] = []
    for kind in MISMATCH_KINDS:
        for key in world.chosen.get(kind, []):
            entry: dict[str, Any] = {"kind": kind, "key": key}
            if kind in ("extra", "wrong_value", "format"):
                entry["row_ids"] = [world.fix_ids[key]]
            if kind == "duplicate":
                entry["row_ids"] = [world.fix_ids[key], world.dup_ids[key]]
            if key in world.diffs:
                entry["columns"] = {world.column(r): d for r, d in world.diffs[key].items()}
            mismatches.append(entry)
    return mismatches


def _expected_actions(
    world: _World, mismatches: list[dict[str, Any]], counts: dict[str, int], difficulty: int
) -> list[ExpectedAction]:
    fix, key_column = world.fix, world.domain.key
    actions = [
        ExpectedAction(name="list_tables"),
        ExpectedAction(
            name="compare_tables",
            arguments={
                "left": world.auth,
                "right": fix,
                "key": key_column,
                "normalize": difficulty >= 3,
            },
        ),
    ]
    for m in mismatches:
        key, kind = m["key"], m["kind"]
        if kind == "missing":
            values = {world.column(r): world.records[key][r] for r in _ORDER}
            arguments: list[dict[str, Any]] = [{"table": fix, "values": values}]
            name = "insert_record"
        elif kind in ("wrong_value", "format"):
            name = "update_record"
            arguments = [
                {"table": fix, "key": key, "column": column, "value": d["expected"]}
                for column, d in m["columns"].items()
            ]
        elif kind == "duplicate":
            name = "delete_record"
            arguments = [{"table": fix, "key": key, "row_id": world.dup_ids[key]}]
        else:
            name = "delete_record"
            arguments = [{"table": fix, "key": key}]
        actions.extend(ExpectedAction(name=name, arguments=a) for a in arguments)
    found = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    text = f"Reconciled {fix} against {world.auth} on {key_column}. Mismatches fixed: {found}."
    actions.append(
        ExpectedAction(
            name="submit_summary",
            arguments={"text": text, "mismatch_counts": {k: n for k, n in counts.items() if n}},
        )
    )
    return actions


def _goal_checks(
    world: _World, n_mismatches: int, counts: dict[str, int], report_counts: bool
) -> list[GoalCheck]:
    auth, fix = world.auth, world.fix
    goal_checks = [
        GoalCheck(
            name="reconciled",
            description=f"{fix} agrees with {auth} on {world.domain.key}: each seeded mismatch "
            "fixed (partial credit per mismatch)",
            params={"table": fix, "authoritative": auth, "mismatches": n_mismatches},
        ),
        GoalCheck(
            name="no_collateral_changes",
            description=f"{auth}, {REFERENCE_TABLE} and the correct rows of {fix} are unchanged",
            params={"protected": [auth, REFERENCE_TABLE], "table": fix},
        ),
        GoalCheck(name="summary_submitted", description="a reconciliation summary was submitted"),
    ]
    if report_counts:
        goal_checks.append(
            GoalCheck(
                name="summary_counts",
                description="the summary reports the right number of mismatches of each kind",
                params={"counts": counts},
            )
        )
    return goal_checks


def generate_task(
    seed: int, difficulty: int, *, environment: str = "dataops", version: str = "1"
) -> Task:
    """A reconciliation task for a seed and difficulty (1, 2 or 3)."""
    difficulty = min(max(int(difficulty), 1), 3)
    rng = random.Random(f"dataops/{seed}/{difficulty}")
    domain = DOMAINS[rng.choice(sorted(DOMAINS))]
    auth_i = rng.randrange(2)
    now = dt.date(2025, rng.randint(1, 12), 1) + dt.timedelta(days=rng.randint(0, 27))
    world = _build_world(rng, domain, auth_i, difficulty, now)
    auth, fix = world.auth, world.fix
    stated = difficulty < 3 or rng.random() < 0.5
    plan = {k: len(v) for k, v in world.chosen.items() if v}
    mismatches = _mismatches(world)
    counts: dict[str, int] = {kind: len(world.chosen.get(kind, [])) for kind in MISMATCH_KINDS}

    tables: list[dict[str, Any]] = [
        {
            "name": name,
            "description": domain.descriptions[i],
            "key": domain.key,
            "writable": True,
            "columns": columns_for(domain),
            "rows": world.rows[name],
        }
        for i, name in enumerate(domain.tables)
    ]
    tables.append(_reference_table())
    deletions = (
        f"Yes: rows in {fix} with no match in {auth}, and surplus duplicate copies, may be deleted."
        if counts["extra"] or counts["duplicate"]
        else "Nothing should need deleting; if you think something does, ask me first."
    )
    return Task(
        instruction=_instruction(rng, domain, auth_i, plan, difficulty, stated),
        environment=environment,
        environment_version=version,
        seed=seed,
        difficulty=difficulty,
        domain=domain.name,
        parameters={
            "domain": domain.name,
            "now": f"{now.isoformat()}T17:00:00",
            "tables": tables,
            "truth": {
                "authoritative": auth,
                "fix_table": fix,
                "key": domain.key,
                "authority_stated": stated,
                "report_counts": difficulty >= 3,
                "bulk_limit": BULK_LIMIT,
                "mismatches": mismatches,
                "counts": counts,
            },
        },
        goal_checks=_goal_checks(world, len(mismatches), counts, difficulty >= 3),
        expected_actions=_expected_actions(world, mismatches, counts, difficulty),
        hidden_info={
            "authoritative": f"{auth} ({domain.labels[auth_i]}) is the system of record; {fix} "
            "is the table to correct.",
            "deletions": deletions,
            "bulk_changes": f"Changing more than {BULK_LIMIT} rows in one call is fine once "
            "you've told me and I've said yes.",
        },
    )
