"""Fault injection: rates, recording, determinism, recoverability, snapshots."""

from __future__ import annotations

import math
from collections import Counter

import msgspec
import pytest

from tests.envs.toy_env import CounterEnv
from trajforge.envs import FAULT_KINDS, FaultInjector, FaultProfile, load_profile
from trajforge.errors import ConfigError
from trajforge.schema import ToolCall

TASK = CounterEnv.generate_task(3, 1)


def test_each_kind_appears_at_its_configured_rate() -> None:
    rate = 0.05
    profile = FaultProfile(name="even", rates=dict.fromkeys(FAULT_KINDS, rate))  # type: ignore[arg-type]
    env = FaultInjector(CounterEnv(), profile)
    n = 16_000
    seen: Counter[str] = Counter()
    for episode in range(n):  # one call per episode so a permanent fault does not spill over
        env.reset(TASK, seed=episode)
        env.execute(ToolCall(id="c", name="items"))
        faults = env.drain_faults()
        assert len(faults) <= 1
        seen.update(f.kind for f in faults)
    sigma = math.sqrt(n * rate * (1 - rate))
    for kind in FAULT_KINDS:
        assert abs(seen[kind] - n * rate) < 4 * sigma, (kind, seen[kind])


def test_per_tool_rates_override_the_profile() -> None:
    profile = FaultProfile(name="p", rates={"timeout": 1.0}, per_tool={"read": {}})
    env = FaultInjector(CounterEnv(), profile)
    env.reset(TASK)
    assert env.execute(ToolCall(id="1", name="read")).status == "ok"
    assert env.execute(ToolCall(id="2", name="add", arguments={"amount": 1})).status == "timeout"


def test_faults_are_recorded_with_call_and_tool() -> None:
    env = FaultInjector(CounterEnv(), FaultProfile(name="p", rates={"rate_limit": 1.0}))
    env.reset(TASK)
    result = env.execute(ToolCall(id="c9", name="read"))
    assert (result.status, result.error_kind) == ("error", "rate_limit")
    (fault,) = env.drain_faults()
    assert (fault.kind, fault.tool, fault.call_id) == ("rate_limit", "read", "c9")
    assert fault.params["retry_after_s"] == msgspec.json.decode(result.content)["retry_after"]
    assert env.drain_faults() == []


def test_blocking_faults_do_not_run_the_tool_and_retry_recovers() -> None:
    env = FaultInjector(
        CounterEnv(), FaultProfile(name="p", per_tool={"add": {"server_error": 1.0}})
    )
    env.reset(TASK)
    assert env.execute(ToolCall(name="add", arguments={"amount": 4})).status == "error"
    assert env.state()["value"] == 0
    # a different profile instance for the retry: flaky faults are transient by construction
    flaky = FaultInjector(CounterEnv(), "flaky")
    flaky.reset(TASK)
    statuses = [flaky.execute(ToolCall(name="read")).status for _ in range(200)]
    assert statuses.count("ok") > 150  # transient: most calls go through


def test_permanent_fault_disables_the_tool_for_the_episode() -> None:
    env = FaultInjector(CounterEnv(), FaultProfile(name="p", per_tool={"read": {"permanent": 1.0}}))
    env.reset(TASK)
    first = env.execute(ToolCall(name="read"))
    again = env.execute(ToolCall(name="read"))
    assert first.error_kind == again.error_kind == "permanent"
    assert [f.permanent for f in env.drain_faults()] == [True, True]
    assert env.execute(ToolCall(name="items")).status == "ok"  # the alternative tool still works


def test_partial_empty_drift_and_stale_change_the_result() -> None:
    def run(kind: str, name: str = "items", **arguments: int) -> tuple[str, str]:
        env = FaultInjector(CounterEnv(), FaultProfile(name="p", rates={kind: 1.0}))  # type: ignore[dict-item]
        env.reset(TASK)
        env.inner.execute(ToolCall(name="add", arguments={"amount": 5}))
        result = env.execute(ToolCall(name=name, arguments=dict(arguments)))
        assert [f.kind for f in env.drain_faults()] == ([] if name == "add" else [kind])
        return result.status, result.content

    assert run("partial")[0] == "partial"
    assert run("partial")[1].endswith("…[truncated]")
    assert run("empty") == ("ok", "[]")
    drifted = run("format_drift")[1]
    assert drifted.startswith(("id,qty", '[{"Id"'))
    assert run("stale", "read") == ("ok", '{"value":0}')  # served from the initial state
    assert run("stale", "add", amount=1) == ("ok", '{"value":6}')  # write tools are never stale


def test_fault_stream_is_deterministic_and_snapshots_include_it() -> None:
    def trace(env: FaultInjector, n: int) -> list[tuple[str, str]]:
        return [
            (r.status, r.content) for r in (env.execute(ToolCall(name="items")) for _ in range(n))
        ]

    a, b = FaultInjector(CounterEnv(), "hostile"), FaultInjector(CounterEnv(), "hostile")
    a.reset(TASK, seed=11)
    b.reset(TASK, seed=11)
    assert trace(a, 50) == trace(b, 50)
    snap = a.snapshot()
    rest = trace(a, 30)
    a.restore(snap)
    assert trace(a, 30) == rest
    b.reset(TASK, seed=12)
    assert trace(b, 50) != trace(a, 50)


def test_profiles_are_validated() -> None:
    assert load_profile("flaky").name == "flaky"
    with pytest.raises(ConfigError, match="unknown fault profile"):
        load_profile("chaos")
    with pytest.raises(ConfigError, match="sum to at most 1"):
        load_profile(FaultProfile(name="x", rates={"timeout": 0.7, "empty": 0.6}))
