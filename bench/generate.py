"""Generation benchmark: expert episodes per second, and LLM request throughput vs the ideal.

Run: ``.venv/bin/python bench/generate.py``.
1. Expert episodes/s per environment (faults off and ``flaky``) through the episode loop; the
   baseline, measured in the same run, executes the same tasks' expected calls directly on the
   environment (no agent, no recording), so the ratio shows what the loop, the expert's notes
   and the recording cost.
2. LLM agent request throughput against a local OpenAI-compatible endpoint that answers every
   request in a fixed 50 ms, at concurrency 64: the ideal is 64 / 0.05 = 1,280 requests/s; the
   ratio of the sustained rate (after a 0.5 s warm-up, while all 64 are in flight) to it is the
   target (>= 0.9). The whole-run rate, ramp and tail included, is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from trajforge.agents.registry import expert_for, with_experts
from trajforge.envs.base import clear_task_caches
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS
from trajforge.run.episode import generate_episode
from trajforge.schema import Task, ToolCall


def direct_calls_per_episode_s(env_name: str, tasks: list[Task]) -> float:
    """Seconds per episode executing the expected calls directly (the baseline)."""
    env = make_environment(ENVIRONMENT_CLASSES[env_name], "none")
    clear_task_caches()  # every timing starts cold: a run meets each task once
    start = time.perf_counter()
    for task in tasks:
        env.reset(task)
        for i, action in enumerate(task.expected_actions):
            env.execute(ToolCall(id=f"c{i}", name=action.name, arguments=action.arguments))
        env.check(task)
    return (time.perf_counter() - start) / len(tasks)


def expert_episode_s(env_name: str, tasks: list[Task], faults: str) -> tuple[float, float]:
    """Seconds per expert episode and the success share."""
    cls = ENVIRONMENT_CLASSES[env_name]
    expert = expert_for(env_name)
    clear_task_caches()
    start = time.perf_counter()
    successes = 0
    for i, task in enumerate(tasks):
        traj = generate_episode(cls, expert, task, trajectory_id=f"b{i}", seed=i, faults=faults)
        successes += traj.outcome.status == "success"
    return (time.perf_counter() - start) / len(tasks), successes / len(tasks)


def bench_experts(n: int) -> None:
    """Print episodes/s per environment with an expert."""
    print(
        f"{'environment':<12} {'direct ep/s':>12} {'expert ep/s':>12} {'ratio':>6} "
        f"{'success':>8} {'flaky ep/s':>11} {'success':>8}"
    )
    for name in ENVIRONMENTS:
        if name not in with_experts():
            print(f"{name:<12} (no expert)")
            continue
        tasks = ENVIRONMENT_CLASSES[name].sample_tasks(n, seed=99)
        base = direct_calls_per_episode_s(name, tasks)
        clean, ok = expert_episode_s(name, tasks, "none")
        flaky, ok_flaky = expert_episode_s(name, tasks, "flaky")
        print(
            f"{name:<12} {1 / base:>12,.0f} {1 / clean:>12,.0f} {base / clean:>6.2f} "
            f"{ok:>8.0%} {1 / flaky:>11,.0f} {ok_flaky:>8.0%}"
        )


def bench_llm(requests: int, concurrency: int, latency_s: float) -> None:
    """Print LLM-agent request throughput against a fixed-latency local endpoint."""
    try:
        from trajforge.testing.llm_throughput import measure_throughput  # noqa: PLC0415
    except ImportError as exc:  # the llm extra is optional
        print(f"LLM throughput: skipped ({exc}); pip install trajforge[llm]")
        return
    result = asyncio.run(measure_throughput(requests, concurrency, latency_s))
    ideal = concurrency / latency_s
    verdict = "ok" if result.steady / ideal >= 0.9 else "BELOW TARGET"
    print(
        f"LLM agent requests/s at concurrency {concurrency}, {latency_s * 1000:.0f} ms endpoint "
        f"(ideal {ideal:,.0f}), {result.requests:,} requests, "
        f"{result.cpu_ms_per_request:.2f} ms client CPU each:\n"
        f"  sustained {result.steady:,.0f} ratio {result.steady / ideal:.2f} "
        f"(target >= 0.9) {verdict}\n"
        f"  whole run, ramp and tail included {result.overall:,.0f} "
        f"ratio {result.overall / ideal:.2f}"
    )


def main() -> None:
    """Run both parts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    bench_experts(args.tasks)
    bench_llm(args.requests, 64, 0.05)


if __name__ == "__main__":
    main()
