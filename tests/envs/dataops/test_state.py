"""State: determinism, digests, canonical dumps, snapshot/restore fidelity, fault wrapper."""

from __future__ import annotations

import msgspec

from tests.envs.dataops.helpers import call, started, truth
from trajforge.envs import FaultInjector, FaultProfile
from trajforge.envs.dataops import DataOpsEnv
from trajforge.schema import Task, ToolCall


def _probe_calls(task: Task) -> list[ToolCall]:
    """The expected actions with lookups and a few failing calls mixed in."""
    t = truth(task)
    calls: list[ToolCall] = []
    for i, action in enumerate(task.expected_actions):
        calls.append(ToolCall(id=f"a{i}", name=action.name, arguments=action.arguments))
        calls.append(
            ToolCall(
                id=f"q{i}",
                name="run_query",
                arguments={"sql": f"SELECT * FROM {t['fix_table']} ORDER BY id", "limit": 200},
            )
        )
        if i % 3 == 0:
            calls.append(
                ToolCall(id=f"e{i}", name="get_record", arguments={"table": "x", "key": "y"})
            )
    return calls


def _episode(task: Task, calls: list[ToolCall]) -> list[tuple[str, str]]:
    env = started(task)
    return [(env.execute(c).content, env.digest()) for c in calls]


def test_same_actions_give_same_observations_and_digests() -> None:
    for seed, difficulty in [(1, 1), (2, 2), (3, 3), (4, 3)]:
        task = DataOpsEnv.generate_task(seed, difficulty)
        calls = _probe_calls(task)
        first = _episode(task, calls)
        assert first == _episode(task, calls)
        assert len({d for _, d in first}) > 2  # writes change the digest
    other = DataOpsEnv.generate_task(5, 1)
    assert _episode(other, []) == []
    assert started(other).digest() == started(other).digest()


def test_reads_do_not_change_the_digest_and_writes_do() -> None:
    task = DataOpsEnv.generate_task(6, 2)
    env = started(task)
    digest = env.digest()
    for action in task.expected_actions[:2]:
        env.execute(ToolCall(name=action.name, arguments=action.arguments))
    call(env, "run_query", sql="SELECT count(*) FROM currencies")
    assert env.digest() == digest
    env.execute(ToolCall(name="submit_summary", arguments={"text": "x"}))
    assert env.digest() != digest


def test_state_is_a_canonical_json_dump() -> None:
    task = DataOpsEnv.generate_task(7, 3)
    env = started(task)
    state = env.state()
    msgspec.json.encode(state)  # JSON-able
    assert list(state["tables"]) == sorted(state["tables"])
    for name, table in state["tables"].items():
        ids = [row[0] for row in table["rows"]]
        assert ids == sorted(ids)
        source = next(t for t in task.parameters["tables"] if t["name"] == name)
        assert sorted(table["rows"]) == sorted(source["rows"])
        assert table["columns"] == [c["name"] for c in source["columns"]]
    assert state["summary"] is None
    assert len(state["schema"]) == 3


def test_snapshot_restore_replays_identically() -> None:
    for seed, difficulty in [(8, 1), (9, 2), (10, 3)]:
        task = DataOpsEnv.generate_task(seed, difficulty)
        calls = _probe_calls(task)
        k = len(calls) // 2
        env = started(task)
        for c in calls[:k]:
            env.execute(c)
        snap, digest, state = env.snapshot(), env.digest(), env.state()
        tail = [(env.execute(c).content, env.digest()) for c in calls[k:]]
        assert env.digest() != digest
        env.restore(snap)
        assert env.digest() == digest
        assert env.state() == state
        assert [(env.execute(c).content, env.digest()) for c in calls[k:]] == tail
        # a fresh instance restores the snapshot too
        fresh = DataOpsEnv()
        fresh.restore(snap)
        assert fresh.digest() == digest
        assert [(fresh.execute(c).content, fresh.digest()) for c in calls[k:]] == tail
        assert fresh.check(task) == env.check(task)


def test_snapshot_includes_the_summary() -> None:
    task = DataOpsEnv.generate_task(11, 3)
    env = started(task)
    call(env, "submit_summary", text="first", mismatch_counts={"missing": 1})
    snap = env.snapshot()
    msgspec.msgpack.encode(snap)  # the snapshot serialises
    call(env, "submit_summary", text="second")
    env.restore(snap)
    assert env.state()["summary"]["text"] == "first"
    assert call(env, "submit_summary", text="third").content.startswith(
        '{"submitted":true,"revision":2'
    )


def test_fault_wrapper_runs_on_the_database_state() -> None:
    profile = FaultProfile(name="stale", rates={"stale": 0.5, "partial": 0.2, "format_drift": 0.2})
    task = DataOpsEnv.generate_task(12, 3)
    inner = DataOpsEnv()
    env = FaultInjector(inner, profile, seed=1)
    env.reset(task)
    stale = 0
    for _ in range(3):
        for i, action in enumerate(task.expected_actions):
            before = env.digest()
            result = env.execute(ToolCall(id=str(i), name=action.name, arguments=action.arguments))
            faults = env.drain_faults()
            stale += any(f.kind == "stale" for f in faults)
            if DataOpsEnv.tools[action.name].read_only:
                assert env.digest() == before
            assert result.content
    assert stale > 0
    snap = env.snapshot()
    assert "fault_calls" in snap.extra
    assert "dataops" in snap.extra
    env.restore(snap)
    assert env.digest() == inner.digest()
