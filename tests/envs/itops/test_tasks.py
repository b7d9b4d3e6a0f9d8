"""The seeded task generator of the itops environment."""

from __future__ import annotations

import msgspec
import pytest

from tests.envs.itops.helpers import fault_kinds
from trajforge.envs.itops import ItOpsEnv
from trajforge.envs.itops.tasks import KINDS
from trajforge.schema import Task

STEP_RANGES = {1: (4, 8), 2: (8, 15), 3: (15, 40)}


def _key(task: Task) -> bytes:
    return msgspec.json.encode([task.instruction, task.parameters], order="deterministic")


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_at_least_1000_distinct_tasks_per_level(difficulty: int) -> None:
    keys = {_key(ItOpsEnv.generate_task(seed, difficulty)) for seed in range(2000)}
    assert len(keys) >= 1000


def test_generation_is_deterministic() -> None:
    for seed in (0, 7, 123456789, 2**40 + 3):
        for difficulty in (1, 2, 3):
            a = ItOpsEnv.generate_task(seed, difficulty)
            b = ItOpsEnv.generate_task(seed, difficulty)
            assert msgspec.json.encode(a) == msgspec.json.encode(b)


def test_task_fields() -> None:
    task = ItOpsEnv.generate_task(42, 2)
    assert task.environment == "itops"
    assert task.environment_version == ItOpsEnv.version
    assert task.seed == 42
    assert task.difficulty == 2
    assert task.domain == "it_operations"
    assert task.instruction
    assert set(task.hidden_info) == set(ItOpsEnv.hidden_info_keys)
    assert all(isinstance(v, str) and v for v in task.hidden_info.values())
    truth = task.parameters["truth"]
    for key in (
        "root_causes",
        "expected_config",
        "expected_env",
        "expected_versions",
        "cleared_files",
        "allowed_changes",
        "restart_order",
        "drain_before_db_restart",
        "rollback_needs_approval",
    ):
        assert key in truth
    assert len(truth["root_causes"]) == len(task.parameters["faults"])
    names = {c.name for c in task.goal_checks}
    assert names == {"service_healthy", "root_cause_fixed", "no_collateral_changes"}
    # the task survives a JSON round trip (it is stored in trajectories)
    assert msgspec.json.decode(msgspec.json.encode(task), type=Task) == task


def test_invalid_difficulty() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        ItOpsEnv.generate_task(1, 4)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_difficulty_shapes_the_task(difficulty: int) -> None:
    low, high = STEP_RANGES[difficulty]
    counts = set()
    for seed in range(300):
        task = ItOpsEnv.generate_task(seed, difficulty)
        faults = task.parameters["faults"]
        services = task.parameters["services"]
        counts.add(len(faults))
        assert low <= len(task.expected_actions) <= high, (seed, len(task.expected_actions))
        assert len({f["service"] for f in faults}) == len(faults)
        roles = {s["role"] for s in services}
        if difficulty == 1:
            assert len(faults) == 1
        elif difficulty == 2:
            assert len(faults) == 2
            assert (
                roles
                & {"db", "cache", "queue"}
                & {s["role"] for s in services if s["name"] in {f["service"] for f in faults}}
            )
        else:
            assert len(faults) in (3, 4)
            assert roles == {"app", "worker", "db", "cache", "queue", "gateway"}
    assert counts == ({1} if difficulty == 1 else {2} if difficulty == 2 else {3, 4})


def test_every_root_cause_kind_and_variant_occurs() -> None:
    kinds: set[str] = set()
    variants: set[str] = set()
    envs: set[str] = set()
    for seed in range(400):
        for difficulty in (1, 2, 3):
            task = ItOpsEnv.generate_task(seed, difficulty)
            kinds.update(fault_kinds(task))
            variants.update(f.get("variant", "") for f in task.parameters["faults"])
            envs.add(task.parameters["deploy_env"])
    assert kinds == set(KINDS)
    assert {"conn_host", "conn_port", "upstream", "typo", "pool"} <= variants
    assert envs == {"production", "staging"}


def test_sample_tasks_cycles_levels() -> None:
    tasks = ItOpsEnv.sample_tasks(6, seed=3)
    assert [t.difficulty for t in tasks] == [1, 2, 3, 1, 2, 3]


def test_world_is_a_pure_function_of_the_task() -> None:
    task = ItOpsEnv.generate_task(99, 3)
    a, b = ItOpsEnv(), ItOpsEnv()
    a.reset(task)
    b.reset(msgspec.json.decode(msgspec.json.encode(task), type=Task))
    assert a.digest() == b.digest()
    assert a.state() == b.state()


def test_the_world_tells_the_story() -> None:
    """Every task starts broken, and each root cause leaves evidence the expert can find."""
    for seed in range(60):
        for difficulty in (1, 2, 3):
            task = ItOpsEnv.generate_task(seed, difficulty)
            env = ItOpsEnv()
            env.reset(task)
            outcome = env.check(task)
            assert (outcome.status, outcome.score) == ("failure", 0.0)
            assert not all(c.passed for c in outcome.checks)
            state = env.state()
            for fault in task.parameters["faults"]:
                log = state["files"][f"/var/log/{fault['service']}/{fault['service']}.log"]
                if fault["kind"] in ("dependency_down",):
                    assert "signal 9" in log
                if fault["kind"] == "disk_full":
                    assert state["sizes"][fault["path"]] > 10 * 1024**3 * 0.9
                if fault["kind"] == "env_missing":
                    assert fault["var"] not in state["files"][fault["path"]]
                    assert fault["var"] in state["files"][fault["path"] + ".bak"]
                if fault["kind"] in ("bad_config", "cert_expired"):
                    assert fault["bad"] in state["files"][fault["path"]]
