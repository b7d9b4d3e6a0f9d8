"""Determinism, snapshot/restore fidelity and fault injection on the support environment."""

from __future__ import annotations

from trajforge.envs import FaultInjector, FaultProfile
from trajforge.envs.support import SupportEnv
from trajforge.schema import Task, ToolCall


def _calls(task: Task) -> list[ToolCall]:
    """The expected actions plus a few failing and read-only calls, as tool calls."""
    calls = [
        ToolCall(id=f"c{n}", name=a.name, arguments=a.arguments)
        for n, a in enumerate(task.expected_actions)
    ]
    customer = task.parameters["truth"]["customer_id"]
    calls.insert(2, ToolCall(id="x1", name="get_customer", arguments={"customer_id": customer}))
    calls.append(ToolCall(id="x2", name="get_order", arguments={"order_id": "W0"}))
    calls.append(ToolCall(id="x3", name="list_orders", arguments={"customer_id": customer}))
    return calls


def _episode(task: Task, calls: list[ToolCall]) -> list[tuple[str, str]]:
    env = SupportEnv()
    env.reset(task)
    return [(env.execute(c).content, env.digest()) for c in calls]


def test_same_task_and_actions_give_same_observations_and_digests() -> None:
    for difficulty in (1, 2, 3):
        for seed in range(20):
            task = SupportEnv.generate_task(seed, difficulty)
            calls = _calls(task)
            assert _episode(task, calls) == _episode(task, calls)


def test_changes_change_the_digest_and_lookups_do_not() -> None:
    task = SupportEnv.generate_task(4, 2)
    env = SupportEnv()
    env.reset(task)
    digests = [env.digest()]
    for action in task.expected_actions:
        env.execute(ToolCall(name=action.name, arguments=action.arguments))
        digests.append(env.digest())
    changing = {
        "verify_identity",
        "cancel_order",
        "refund_order",
        "exchange_item",
        "update_address",
        "update_email",
        "transfer_to_human",
    }
    for action, before, after in zip(task.expected_actions, digests[:-1], digests[1:], strict=True):
        assert (before != after) == (action.name in changing), action.name


def test_snapshot_at_step_k_then_restore_and_replay_is_identical() -> None:
    for difficulty in (1, 2, 3):
        for seed in range(10):
            task = SupportEnv.generate_task(seed, difficulty)
            calls = _calls(task)
            env = SupportEnv()
            env.reset(task)
            k = len(calls) // 2
            for c in calls[:k]:
                env.execute(c)
            snap, at_k = env.snapshot(), env.digest()
            first = [(env.execute(c).content, env.digest()) for c in calls[k:]]
            state_after = env.state()
            env.restore(snap)
            assert env.digest() == at_k
            again = [(env.execute(c).content, env.digest()) for c in calls[k:]]
            assert again == first
            assert env.state() == state_after


def test_restore_isolates_the_snapshot_from_later_changes() -> None:
    task = SupportEnv.generate_task(9, 1)
    env = SupportEnv()
    env.reset(task)
    snap = env.snapshot()
    for action in task.expected_actions:
        env.execute(ToolCall(name=action.name, arguments=action.arguments))
    assert env.check(task).status == "success"
    env.restore(snap)
    assert env.check(task).status != "success"
    env.restore(snap)  # the snapshot itself was not mutated by the episode
    assert not any(c["verified"] for c in env.state()["customers"].values())


def test_fault_injection_is_deterministic_and_recoverable() -> None:
    for seed in range(15):
        task = SupportEnv.generate_task(seed, 3)
        calls = _calls(task)
        runs = []
        for _ in range(2):
            env = FaultInjector(SupportEnv(), "hostile")
            env.reset(task)
            trace = []
            for c in calls:
                result = env.execute(c)
                trace.append(
                    (
                        result.status,
                        result.content,
                        env.digest(),
                        [f.kind for f in env.drain_faults()],
                    )
                )
            runs.append(trace)
        assert runs[0] == runs[1]


def test_stale_faults_serve_the_initial_world_without_changing_state() -> None:
    task = SupportEnv.generate_task(2, 1)
    env = FaultInjector(SupportEnv(), "none")
    env.reset(task)
    for action in task.expected_actions:
        env.execute(ToolCall(name=action.name, arguments=action.arguments))
    digest = env.digest()
    stale = FaultInjector(SupportEnv(), FaultProfile(name="stale", rates={"stale": 1.0}))
    stale.reset(task)
    for action in task.expected_actions:
        stale.execute(ToolCall(name=action.name, arguments=action.arguments))
    customer = task.parameters["truth"]["customer_id"]
    result = stale.execute(ToolCall(name="get_customer", arguments={"customer_id": customer}))
    assert '"verified":false' in result.content  # served from the initial world
    assert [f.kind for f in stale.drain_faults()][-1] == "stale"
    assert stale.digest() == digest
