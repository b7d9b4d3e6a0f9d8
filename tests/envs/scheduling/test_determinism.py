"""Same task and actions give the same observations and digests; snapshots restore exactly."""

from __future__ import annotations

from tests.envs.scheduling.helpers import expected_calls, run_calls
from trajforge.envs import FaultInjector
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.schema import ToolCall


def _run(env: SchedulingEnv | FaultInjector, calls: list[ToolCall]) -> list[tuple[str, str]]:
    return [(env.execute(c).content, env.digest()) for c in calls]


def test_two_runs_are_identical() -> None:
    for difficulty in (1, 2, 3):
        task = SchedulingEnv.generate_task(11, difficulty)
        calls = expected_calls(task)
        a, b = SchedulingEnv(), SchedulingEnv()
        a.reset(task)
        b.reset(task)
        assert a.digest() == b.digest()
        assert _run(a, calls) == _run(b, calls)
        assert a.check(task) == b.check(task)


def test_reset_gives_the_initial_world_again() -> None:
    task = SchedulingEnv.generate_task(4, 2)
    env = SchedulingEnv()
    env.reset(task)
    initial = env.digest()
    run_calls(env, task, expected_calls(task))
    assert env.digest() != initial
    env.reset(task)
    assert env.digest() == initial


def test_snapshot_restore_replays_the_same() -> None:
    for difficulty in (1, 2, 3):
        task = SchedulingEnv.generate_task(21, difficulty)
        calls = expected_calls(task)
        env = SchedulingEnv()
        env.reset(task)
        k = len(calls) // 2
        _run(env, calls[:k])
        snap = env.snapshot()
        first = _run(env, calls[k:])
        final = env.state()
        env.restore(snap)
        assert _run(env, calls[k:]) == first
        assert env.state() == final
        assert env.check(task).status == "success"


def test_fault_injection_is_deterministic_and_restorable() -> None:
    task = SchedulingEnv.generate_task(5, 3)
    calls = expected_calls(task) * 2
    runs = []
    for _ in range(2):
        env = FaultInjector(SchedulingEnv(), "hostile")
        env.reset(task)
        runs.append(_run(env, calls))
    assert runs[0] == runs[1]
    env = FaultInjector(SchedulingEnv(), "hostile")
    env.reset(task)
    _run(env, calls[:5])
    snap = env.snapshot()
    rest = _run(env, calls[5:])
    env.restore(snap)
    assert _run(env, calls[5:]) == rest
