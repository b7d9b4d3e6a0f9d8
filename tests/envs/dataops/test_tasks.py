"""The task generator: distinct, deterministic, meaningful difficulty levels, consistent truth."""

from __future__ import annotations

import re

import msgspec
import pytest

from tests.envs.dataops.helpers import counts, started, truth
from trajforge.envs.dataops import DataOpsEnv
from trajforge.envs.dataops.normalize import compare, normalize
from trajforge.schema import Task


def _key(task: Task) -> bytes:
    return msgspec.json.encode([task.instruction, task.parameters], order="deterministic")


def test_at_least_1000_distinct_tasks_over_seeds_and_every_level() -> None:
    seen = set()
    instructions = set()
    for difficulty in (1, 2, 3):
        for seed in range(2000):
            task = DataOpsEnv.generate_task(seed, difficulty)
            assert task.difficulty == difficulty
            seen.add(_key(task))
            instructions.add(task.instruction)
    assert len(seen) >= 3 * 1000
    assert len(instructions) >= 1000  # the requests themselves vary, not only the data


def test_generation_is_deterministic() -> None:
    for seed in (0, 1, 12345, 2**40):
        for difficulty in (1, 2, 3):
            a = DataOpsEnv.generate_task(seed, difficulty)
            b = DataOpsEnv.generate_task(seed, difficulty)
            assert msgspec.json.encode(a) == msgspec.json.encode(b)
    assert _key(DataOpsEnv.generate_task(5, 1)) != _key(DataOpsEnv.generate_task(5, 2))
    assert [t.seed for t in DataOpsEnv.sample_tasks(6, seed=3)] == [
        t.seed for t in DataOpsEnv.sample_tasks(6, seed=3)
    ]


def test_task_metadata() -> None:
    task = DataOpsEnv.generate_task(11, 2)
    assert task.environment == "dataops"
    assert task.environment_version == DataOpsEnv.version
    assert task.domain == task.parameters["domain"]
    assert set(task.hidden_info) == set(DataOpsEnv.hidden_info_keys)
    assert all(isinstance(v, str) and v for v in task.hidden_info.values())
    assert {g.name for g in task.goal_checks} == {
        "reconciled",
        "no_collateral_changes",
        "summary_submitted",
    }


def test_difficulty_levels_change_the_task() -> None:
    unstated = 0
    for seed in range(300):
        one, two, three = (DataOpsEnv.generate_task(seed, d) for d in (1, 2, 3))
        kinds = [{k for k, n in counts(t).items() if n} for t in (one, two, three)]
        assert len(kinds[0]) == 1
        assert kinds[0] <= {"missing", "extra", "wrong_value"}
        assert len(kinds[1]) >= 2
        assert kinds[1] <= {"missing", "extra", "wrong_value"}
        assert {"format", "duplicate"} <= kinds[2]
        assert len(kinds[2]) >= 3
        assert truth(one)["authority_stated"]
        assert truth(two)["authority_stated"]
        assert truth(three)["report_counts"]
        assert not truth(one)["report_counts"]
        assert "summary_counts" in {g.name for g in three.goal_checks}
        assert "format" in (three.instruction or "")
        if not truth(three)["authority_stated"]:
            unstated += 1
            text = three.instruction or ""
            assert not re.search(
                r"authoritative|source of truth|system of record|is right|are correct|"
                r"reference|must end up holding",
                text,
            ), text
        else:
            assert truth(three)["authoritative"] in (three.instruction or "")
    assert 90 < unstated < 210  # about half of the level-3 tasks leave the authority unstated


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_truth_is_consistent_with_the_world(difficulty: int) -> None:
    for seed in range(150):
        task = DataOpsEnv.generate_task(seed, difficulty)
        t = truth(task)
        tables = {x["name"]: x for x in task.parameters["tables"]}
        auth_rows = tables[t["authoritative"]]["rows"]
        roles = [c["role"] for c in tables[t["authoritative"]]["columns"]]
        for row in auth_rows:  # the authoritative table is canonical
            for role, value in zip(roles, row, strict=True):
                if isinstance(value, str) and role != "date":
                    assert value == " ".join(value.split())
                if role == "currency":
                    assert value == value.upper()
                if role == "status":
                    assert value == normalize("status", value)
        role_of = {c["name"]: c["role"] for c in tables[t["fix_table"]]["columns"]}
        for m in t["mismatches"]:
            for column, d in m.get("columns", {}).items():
                role = role_of[column]
                verdict = compare(role, d["expected"], d["found"])
                assert verdict == ("format" if m["kind"] == "format" else "different")
        assert sum(t["counts"].values()) == len(t["mismatches"])
        assert len({m["key"] for m in t["mismatches"]}) == len(t["mismatches"])


def test_world_is_a_pure_function_of_the_task_even_after_json_round_trip() -> None:
    task = DataOpsEnv.generate_task(21, 3)
    copy = msgspec.json.decode(msgspec.json.encode(task), type=Task)
    assert started(task).digest() == started(copy).digest()
    assert started(task).state() == started(copy).state()
