"""Environment benchmark: tool calls per second per built-in environment, on one core.

Run: ``.venv/bin/python bench/envs.py``. Each environment executes the expected (correct) actions
of seeded tasks of every difficulty, with resets between episodes excluded from the timing. The
baseline, measured in the same run, is a no-op tool through the same dispatch (argument validation,
result rendering): the ratio shows what the environment's own work costs. Every case (the
no-op, each environment with faults off and ``flaky``) runs once per round, ``--repeats`` rounds;
CPU time of this process per call, min / median, calls/s and the verdict from the median.
Targets (issue 3): >= 5,000 calls/s for in-memory environments, >= 1,000 for dataops (SQLite).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec

from trajforge.envs import Environment, FaultInjector, tool
from trajforge.envs.base import EnvironmentLike
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.schema import CheckResult, Task, ToolCall, Trajectory

sys.path.insert(0, str(Path(__file__).parent))
from timing import CPU, Spent, header, interleaved, legend, row

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


def calls_case(
    env: EnvironmentLike, episodes: list[tuple[Task, list[ToolCall]]], min_calls: int
) -> tuple[Callable[[], Spent], int]:
    """A case executing the episodes' calls (repeating the list) until ``min_calls``, charged
    the calls alone (resets and fault draining left out), and how many calls it makes."""
    per_pass = sum(len(calls) for _, calls in episodes)
    total = -(-min_calls // per_pass) * per_pass

    def case() -> Spent:
        spent = 0.0
        for _ in range(total // per_pass):
            for task, calls in episodes:
                env.reset(task)
                start = CPU.now()
                for call in calls:
                    env.execute(call)
                spent += CPU.now() - start
                env.drain_faults()
        return Spent(spent)

    return case, total


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
    """Measure every registered environment, interleaved with the no-op baseline; print time per
    call (min / median), calls/s and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--calls", type=int, default=20_000, help="calls per case and round")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args()
    # 50 calls an episode: the clock is read around each episode's calls (about 1 us a pair),
    # which one call per episode would charge in full to the baseline
    noop = ToolCall(name="noop", arguments={"value": 1})
    null_episode = [(NullEnv.generate_task(0, 1), [noop] * 50)]
    cases: dict[str, Callable[[], Spent]] = {}
    calls: dict[str, int] = {}
    cases["(no-op tool)"], calls["(no-op tool)"] = calls_case(NullEnv(), null_episode, args.calls)
    for name, cls in ENVIRONMENT_CLASSES.items():
        episodes = episodes_of(cls, args.tasks)
        cases[name], calls[name] = calls_case(cls(), episodes, args.calls)
        cases[f"{name} flaky"], calls[f"{name} flaky"] = calls_case(
            FaultInjector(cls(), "flaky"), episodes, args.calls
        )
    timings = interleaved(cases, args.repeats)
    per_call = {name: t.per(calls[name]) for name, t in timings.items()}
    baseline = per_call["(no-op tool)"]
    print(f"time per tool call; {legend(timings)}")
    print(f"{header('environment', ['vs no-op'], rate='calls/s', width=18)}   target  ok")
    for name, timing in per_call.items():
        text = row(name, timing, [baseline], rate="calls/s", width=18)
        if name in ENVIRONMENT_CLASSES:
            target = TARGETS.get(name, DEFAULT_TARGET)
            verdict = "yes" if 1 / timing.median >= target else "NO"
            text = f"{text} {target:>8,} {verdict:>3}"
        print(text)


if __name__ == "__main__":
    main()
