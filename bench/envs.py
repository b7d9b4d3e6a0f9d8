"""Environment benchmark: tool calls per second per built-in environment, on one core.

Run: ``.venv/bin/python bench/envs.py``. Each environment executes the expected (correct) actions
of seeded tasks of every difficulty, with resets between episodes excluded from the timing. The
baseline, measured in the same run, is a no-op tool through the same dispatch (argument validation,
result rendering): the ratio shows what the environment's own work costs. Targets (issue 3):
>= 5,000 calls/s for in-memory environments, >= 1,000 for dataops (SQLite).
"""

from __future__ import annotations

import argparse
import time

import msgspec

from trajforge.envs import Environment, FaultInjector, tool
from trajforge.envs.base import EnvironmentLike
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.schema import CheckResult, Task, ToolCall, Trajectory

TARGETS = {"dataops": 1_000}
DEFAULT_TARGET = 5_000


class _Empty(msgspec.Struct):
    pass


class NullEnv(Environment):
    """One tool that does nothing: the cost of dispatch alone."""

    name = "null"
    state_type = _Empty

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A task with one expected no-op call."""
        return Task(instruction="noop", seed=seed, difficulty=difficulty)

    def build_state(self, task: Task) -> _Empty:
        """No state."""
        return _Empty()

    @tool(read_only=True)
    def noop(self, value: int = 0) -> dict[str, int]:
        """Do nothing.

        Args:
            value: echoed back
        """
        return {"value": value}

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """No checks."""
        return []

    def find_violations(self, trajectory: Trajectory) -> list:  # type: ignore[type-arg]
        """No rules."""
        return []


def calls_per_second(
    env: EnvironmentLike, episodes: list[tuple[Task, list[ToolCall]]], min_calls: int
) -> float:
    """Execute the episodes' calls (repeating the list) until ``min_calls``; return calls/s."""
    done, spent = 0, 0.0
    while done < min_calls:
        for task, calls in episodes:
            env.reset(task)
            start = time.perf_counter()
            for call in calls:
                env.execute(call)
            spent += time.perf_counter() - start
            env.drain_faults()
            done += len(calls)
    return done / spent


def episodes_of(cls: type[Environment], n: int) -> list[tuple[Task, list[ToolCall]]]:
    """``n`` seeded tasks over all levels with their expected calls as ToolCalls."""
    tasks = cls.sample_tasks(n, seed=2024)
    return [
        (
            t,
            [
                ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments)
                for i, a in enumerate(t.expected_actions)
            ],
        )
        for t in tasks
    ]


def main() -> None:
    """Measure every registered environment and print calls/s with ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    null_episode = [(NullEnv.generate_task(0, 1), [ToolCall(name="noop", arguments={"value": 1})])]
    baseline = calls_per_second(NullEnv(), null_episode * 50, args.calls)
    print(
        f"{'environment':<14} {'calls/s':>10} {'vs no-op':>9} {'target':>8} {'ok':>4}"
        f" {'flaky calls/s':>14}"
    )
    print(f"{'(no-op tool)':<14} {baseline:>10,.0f} {1.0:>9.2f}")
    for name, cls in ENVIRONMENT_CLASSES.items():
        episodes = episodes_of(cls, args.tasks)
        rate = calls_per_second(cls(), episodes, args.calls)
        flaky = calls_per_second(FaultInjector(cls(), "flaky"), episodes, args.calls)
        target = TARGETS.get(name, DEFAULT_TARGET)
        verdict = "yes" if rate >= target else "NO"
        print(
            f"{name:<14} {rate:>10,.0f} {rate / baseline:>9.2f} {target:>8,} {verdict:>4}"
            f" {flaky:>14,.0f}"
        )


if __name__ == "__main__":
    main()
