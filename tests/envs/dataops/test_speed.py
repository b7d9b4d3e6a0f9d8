"""Tool calls are the hot path: the target is >= 1,000 calls/s on one core for dataops."""

from __future__ import annotations

import time

from trajforge.envs.dataops import DataOpsEnv
from trajforge.schema import ToolCall


def test_at_least_1000_tool_calls_per_second() -> None:
    tasks = [DataOpsEnv.generate_task(seed, 1 + seed % 3) for seed in range(60)]
    calls = [
        [
            ToolCall(id=str(i), name=a.name, arguments=a.arguments)
            for i, a in enumerate(t.expected_actions)
        ]
        for t in tasks
    ]
    env = DataOpsEnv()
    best = 0.0
    for _ in range(3):  # best of three, against noisy neighbours
        n = 0
        start = time.perf_counter()
        for task, episode in zip(tasks, calls, strict=True):
            env.reset(task)
            for c in episode:
                env.execute(c)
                env.digest()
                n += 1
        best = max(best, n / (time.perf_counter() - start))
    assert best >= 1_000, f"{best:.0f} calls/s"
