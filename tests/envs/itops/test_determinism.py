"""Determinism and snapshot/restore fidelity of the itops environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.envs.itops.helpers import fresh
from trajforge.envs import FaultInjector
from trajforge.envs.itops import ItOpsEnv
from trajforge.schema import ExpectedAction, ToolCall

EXTRA = [
    ExpectedAction(name="list_dir", arguments={"path": "/var/log"}),
    ExpectedAction(
        name="request_approval",
        arguments={"action": "restart", "service": "__APP__", "reason": "testing determinism here"},
    ),
    ExpectedAction(name="drain_service", arguments={"name": "__APP__"}),
    ExpectedAction(name="restart_service", arguments={"name": "__APP__"}),
    ExpectedAction(name="read_file", arguments={"path": "/nope"}),
]


def _actions(seed: int, difficulty: int) -> list[ExpectedAction]:
    task = ItOpsEnv.generate_task(seed, difficulty)
    app = next(s["name"] for s in task.parameters["services"] if s["role"] == "app")
    extra = [
        ExpectedAction(
            name=a.name,
            arguments={k: (app if v == "__APP__" else v) for k, v in a.arguments.items()},
        )
        for a in EXTRA
    ]
    return [*extra, *task.expected_actions]


def _trace(env: Any, actions: list[ExpectedAction]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(actions):
        result = env.execute(ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments))
        out.append((result.content, env.digest()))
    return out


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_same_actions_same_observations_and_digests(difficulty: int) -> None:
    for seed in range(10):
        actions = _actions(seed, difficulty)
        env_a, task = fresh(seed, difficulty)
        env_b = ItOpsEnv()
        env_b.reset(task)
        assert env_a.digest() == env_b.digest()
        assert _trace(env_a, actions) == _trace(env_b, actions)
        assert env_a.check(task) == env_b.check(task)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_snapshot_restore_replays_identically(difficulty: int) -> None:
    for seed in range(10):
        actions = _actions(seed, difficulty)
        env, _ = fresh(seed, difficulty)
        k = len(actions) // 2
        _trace(env, actions[:k])
        snap = env.snapshot()
        at_k = env.digest()
        first = _trace(env, actions[k:])
        final = env.digest()
        env.restore(snap)
        assert env.digest() == at_k
        assert _trace(env, actions[k:]) == first
        assert env.digest() == final


def test_restore_is_isolated_from_later_changes() -> None:
    env, task = fresh(3, 2)
    snap = env.snapshot()
    before = env.state()
    for i, a in enumerate(task.expected_actions):
        env.execute(ToolCall(id=str(i), name=a.name, arguments=a.arguments))
    env.restore(snap)
    assert env.state() == before
    env.restore(snap)  # a snapshot can be restored twice
    assert env.state() == before


def test_fault_injection_replays_identically() -> None:
    for seed in range(5):
        task = ItOpsEnv.generate_task(seed, 3)
        traces = []
        for _ in range(2):
            wrapped = FaultInjector(ItOpsEnv(), "hostile")
            wrapped.reset(task)
            traces.append(_trace(wrapped, task.expected_actions))
        assert traces[0] == traces[1]
