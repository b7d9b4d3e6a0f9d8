"""Determinism, snapshot/restore fidelity and the fault wrapper on the web environment."""

from __future__ import annotations

from tests.envs.web.helpers import call, generate_task
from trajforge.envs import FaultInjector
from trajforge.envs.web import WebEnv
from trajforge.schema import ToolCall


def _trace(env: WebEnv | FaultInjector, seed: int, difficulty: int) -> list[tuple[str, str, str]]:
    task = generate_task(seed, difficulty)
    env.reset(task)
    out: list[tuple[str, str, str]] = []
    for i, a in enumerate(task.expected_actions):
        r = env.execute(ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments))
        out.append((r.status, r.content, env.digest()))
    out.append(("read", env.execute(ToolCall(name="read_page")).content, env.digest()))
    return out


def test_same_actions_same_observations_and_digests() -> None:
    for difficulty in (1, 2, 3):
        for seed in range(15):
            assert _trace(WebEnv(), seed, difficulty) == _trace(WebEnv(), seed, difficulty)


def test_reusing_an_env_does_not_leak_state() -> None:
    env = WebEnv()
    first = _trace(env, 4, 3)
    _trace(env, 9, 2)
    assert _trace(env, 4, 3) == first


def test_snapshot_restore_replays_identically() -> None:
    env = WebEnv()
    for difficulty in (1, 2, 3):
        for seed in range(10):
            task = generate_task(seed, difficulty)
            env.reset(task)
            calls = [
                ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments)
                for i, a in enumerate(task.expected_actions)
            ]
            k = len(calls) // 2
            for c in calls[:k]:
                env.execute(c)
            snap = env.snapshot()
            page_at_k = env.execute(ToolCall(name="read_page")).content
            first = [(env.execute(c).content, env.digest()) for c in calls[k:]]
            env.restore(snap)
            assert env.execute(ToolCall(name="read_page")).content == page_at_k
            again = [(env.execute(c).content, env.digest()) for c in calls[k:]]
            assert first == again
            assert env.check(task).status == "success"


def test_restore_refreshes_the_page_seen_by_tools() -> None:
    env = WebEnv()
    task = generate_task(3, 2)
    env.reset(task)
    home = env.snapshot()
    for a in task.expected_actions[:3]:
        env.execute(ToolCall(name=a.name, arguments=a.arguments))
    later = env.snapshot()
    later_page = call(env, "read_page").content
    env.restore(home)
    assert call(env, "read_page").content.startswith("URL: /\n")
    env.restore(later)
    assert call(env, "read_page").content == later_page


def test_state_is_json_able_and_digest_tracks_changes() -> None:
    env = WebEnv()
    task = generate_task(11, 1)
    env.reset(task)
    state = env.state()
    assert state["version"] == task.parameters["site_version"]
    before = env.digest()
    call(env, "read_page")
    call(env, "find", text="cart")
    assert env.digest() == before  # read-only tools change nothing
    a = task.expected_actions[0]
    env.execute(ToolCall(name=a.name, arguments=a.arguments))
    assert env.digest() != before


def test_fault_injection_is_deterministic_and_recoverable() -> None:
    for seed in range(8):
        a = _trace(FaultInjector(WebEnv(), "hostile", seed=1), seed, 2)
        b = _trace(FaultInjector(WebEnv(), "hostile", seed=1), seed, 2)
        assert a == b
    wrapped = FaultInjector(WebEnv(), "flaky")
    task = generate_task(5, 1)
    wrapped.reset(task)
    kinds: set[str] = set()
    for _ in range(300):
        wrapped.execute(ToolCall(name="find", arguments={"text": "cart"}))
        kinds.update(f.kind for f in wrapped.drain_faults())
    assert kinds & {"stale", "empty"}  # read-only tools get read-only faults
