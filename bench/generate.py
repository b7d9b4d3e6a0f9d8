"""Generation benchmark: expert episodes per second, and LLM request throughput vs the ideal.

Run: ``.venv/bin/python bench/generate.py`` (``--tasks``, ``--repeats`` and ``--requests`` size it).
1. Expert episodes per environment (faults off and ``flaky``) through the episode loop; the
   baseline executes the same tasks' expected calls directly on the environment (no agent, no
   recording), so the ratio shows what the loop, the expert's notes and the recording cost. The
   three alternate round by round; CPU time of this process, min / median, every pass starting
   with cold task caches (a run meets each task once).
2. LLM agent request throughput against a local OpenAI-compatible endpoint that answers every
   request in a fixed 50 ms, at concurrency 64: the ideal is 64 / 0.05 = 1,280 requests/s; the
   ratio of the sustained rate (after a 0.5 s warm-up, while all 64 are in flight) to it is the
   target (>= 0.9). The whole-run rate, ramp and tail included, is printed beside it. Wall time
   (the point is requests in flight at once), against the ideal rather than a measured baseline;
   the run repeats and the best / median of each rate are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from trajforge.agents.registry import expert_for, with_experts
from trajforge.envs.base import clear_task_caches
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS
from trajforge.run.episode import generate_episode
from trajforge.schema import Task, ToolCall

sys.path.insert(0, str(Path(__file__).parent))
from timing import header, interleaved, legend, row


def direct_case(env_name: str, tasks: list[Task]) -> Callable[[], object]:
    """The baseline: execute each task's expected calls directly on the environment."""
    env = make_environment(ENVIRONMENT_CLASSES[env_name], "none")

    def case() -> None:
        for task in tasks:
            env.reset(task)
            for i, action in enumerate(task.expected_actions):
                env.execute(ToolCall(id=f"c{i}", name=action.name, arguments=action.arguments))
            env.check(task)

    return case


def expert_case(
    env_name: str, tasks: list[Task], faults: str
) -> tuple[Callable[[], object], list[float]]:
    """Expert episodes over the tasks, and the success share of every pass (appended)."""
    cls = ENVIRONMENT_CLASSES[env_name]
    expert = expert_for(env_name)
    shares: list[float] = []

    def case() -> None:
        successes = 0
        for i, task in enumerate(tasks):
            traj = generate_episode(cls, expert, task, trajectory_id=f"b{i}", seed=i, faults=faults)
            successes += traj.outcome.status == "success"
        shares.append(successes / len(tasks))

    return case, shares


def bench_experts(n: int, repeats: int) -> None:
    """Print time per episode per environment with an expert, against direct execution."""
    first = True
    for name in ENVIRONMENTS:
        if name not in with_experts():
            print(f"{name:<12} (no expert)")
            continue
        tasks = ENVIRONMENT_CLASSES[name].sample_tasks(n, seed=99)
        clean, clean_ok = expert_case(name, tasks, "none")
        flaky, flaky_ok = expert_case(name, tasks, "flaky")
        cases = {"direct": direct_case(name, tasks), "expert": clean, "flaky": flaky}
        timings = interleaved(cases, repeats, before=clear_task_caches)
        t = {case: timing.per(len(tasks)) for case, timing in timings.items()}
        if first:
            print(f"time per episode, {n} tasks per environment; {legend(timings)}")
            print(header("environment", ["vs direct"], rate="ep/s", width=30) + "  success")
            first = False
        print(row(f"{name} direct (baseline)", t["direct"], [t["direct"]], rate="ep/s", width=30))
        for case, shares in (("expert", clean_ok), ("flaky", flaky_ok)):
            label = f"{name} expert" + (", flaky" if case == "flaky" else "")
            print(
                row(
                    label,
                    t[case],
                    [t["direct"]],
                    rate="ep/s",
                    width=30,
                    note=f"{min(shares):>6.0%}",
                )
            )


def bench_llm(requests: int, concurrency: int, latency_s: float, repeats: int) -> None:
    """Print LLM-agent request throughput against a fixed-latency local endpoint."""
    try:
        from trajforge.testing.llm_throughput import measure_throughput  # noqa: PLC0415
    except ImportError as exc:  # the llm extra is optional
        print(f"LLM throughput: skipped ({exc}); pip install trajforge[llm]")
        return
    results = [
        asyncio.run(measure_throughput(requests, concurrency, latency_s)) for _ in range(repeats)
    ]
    ideal = concurrency / latency_s
    steady = sorted((r.steady for r in results), reverse=True)  # best first
    overall = sorted((r.overall for r in results), reverse=True)
    cpu_ms = statistics.median(r.cpu_ms_per_request for r in results)
    verdict = "ok" if statistics.median(steady) / ideal >= 0.9 else "BELOW TARGET"
    print(
        f"LLM agent requests/s at concurrency {concurrency}, {latency_s * 1000:.0f} ms endpoint "
        f"(ideal {ideal:,.0f}), {requests:,} requests a run, wall time, best / median of "
        f"{repeats} runs; {cpu_ms:.2f} ms client CPU each (median):\n"
        f"  sustained {steady[0]:,.0f} / {statistics.median(steady):,.0f} ratio "
        f"{steady[0] / ideal:.2f} / {statistics.median(steady) / ideal:.2f} "
        f"(target >= 0.9 on the median) {verdict}\n"
        f"  whole run, ramp and tail included {overall[0]:,.0f} / "
        f"{statistics.median(overall):,.0f} ratio {overall[0] / ideal:.2f} / "
        f"{statistics.median(overall) / ideal:.2f}"
    )


def main() -> None:
    """Run both parts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100, help="tasks per environment")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--requests", type=int, default=10_000, help="LLM requests a run")
    parser.add_argument("--llm-repeats", type=int, default=3, help="LLM throughput runs")
    args = parser.parse_args()
    bench_experts(args.tasks, args.repeats)
    bench_llm(args.requests, 64, 0.05, args.llm_repeats)


if __name__ == "__main__":
    main()
