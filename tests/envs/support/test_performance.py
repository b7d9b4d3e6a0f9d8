"""Tool calls are the hot path: the support environment must run >= 5,000 calls/s on one core."""

from __future__ import annotations

import time

from trajforge.envs.support import SupportEnv
from trajforge.schema import ToolCall


def test_tool_calls_per_second() -> None:
    episodes = []
    for seed in range(60):
        task = SupportEnv.generate_task(seed, seed % 3 + 1)
        calls = [
            ToolCall(id=str(n), name=a.name, arguments=a.arguments)
            for n, a in enumerate(task.expected_actions)
        ]
        episodes.append((task, calls))
    env = SupportEnv()
    count, elapsed = 0, 0.0
    for _ in range(3):
        for task, calls in episodes:
            env.reset(task)
            start = time.perf_counter()
            for c in calls:
                env.execute(c)
            elapsed += time.perf_counter() - start
            count += len(calls)
    assert count / elapsed >= 5_000, f"{count / elapsed:.0f} calls/s"
