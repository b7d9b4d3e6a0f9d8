"""Scale-out benchmark: the Ray engine against the local one, and the driver's memory.

Run: ``.venv/bin/python bench/scale.py`` (``--episodes 200 --graded 60 --large 100000`` for a
quicker run).
Each Ray case runs on a fresh local Ray cluster of as many CPUs as it has workers, so that
at most that many tasks run at once whatever stage they serve.

- **generation** (wall time, per episode): ``Runner`` over ``--episodes`` support episodes
  (mistakes 0.2), locally in one process vs on Ray with 1 and 2 workers (tasks at once).
- **grading** (wall time, per trajectory): ``run_job`` with the rules, Monte-Carlo rollouts (2
  per step, the expensive part) and the score over a run of ``--graded`` episodes, locally in
  one process vs on Ray with 1 and 2 workers. Target: 2 workers >= 1.7x one.
- **grading by shard** (wall time, per trajectory): the same grading as a pipeline's
  ``[grade]`` runs it, a job per input shard (the graded run is in shards of 10): locally one
  after the other, on Ray a task per shard that reads and writes its files on the worker.
- **driver memory** (peak RSS, ``VmHWM``, and the peak of its own memory, ``RssAnon``:
  ``VmHWM`` also counts the pages of Ray's shared object store the driver touched, which Ray
  bounds by the store's size): a fresh driver process streams ``--small`` and then
  ``--large`` trajectories (the run's records repeated by a generator, never stored) through
  the stage runner on Ray (2 workers; the score stage: the step of grading every trajectory
  passes, cheap enough for a million here) and drops the output. Target: flat.

- **CPU per unit**: the CPU time each generated episode and graded trajectory costs the local
  process, Ray's workers and the Ray driver (the per-core figures ``docs/scaling.md``
  projects a cluster from; on a shared machine wall-time ratios follow the other load, CPU
  time hardly does).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import ray

from trajforge.engine import Engine, get_engine
from trajforge.grade import RuleGrader, select_rules
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.process import ProcessLabelStage, make_options
from trajforge.io import RawLine, read_raw
from trajforge.io.sources import resolve_files
from trajforge.pipeline.job import run_job
from trajforge.pipeline.runner import StageRunner
from trajforge.pipeline.shard_tasks import ShardTask, run_shards
from trajforge.pipeline.stage import Stage
from trajforge.pipeline.ticker import Ticker
from trajforge.run.runner import Runner
from trajforge.run.spec import RunSpec, spec_from_flags

sys.path.insert(0, str(Path(__file__).parent))
from peak_rss import peak_mb
from timing import WALL, Timing, header, legend, row, seconds

WIDTH = 34


def spec(episodes: int, shard_size: int = 100) -> RunSpec:
    """The benchmark's run: support episodes with mistakes, in shards of ``shard_size``."""
    return spec_from_flags(
        {
            "mix": [{"env": "support", "tasks": episodes, "mistakes": 0.2}],
            "seed": 3,
            "shard_size": shard_size,
            "format": "jsonl",
        }
    )


def generate(run: RunSpec, out: Path, engine: Engine, workers: int | None) -> None:
    """One generation into ``out`` (which must not hold a run yet)."""
    progress = asyncio.run(Runner(run, out, engine=engine, workers=workers).run())
    assert progress.pending == 0, progress


def grading(engine: Engine | None, workers: int) -> list[Stage]:
    """The rules, 2 rollouts per step, the score."""
    rollouts = ProcessLabelStage(make_options(rollouts=2, seed=1), workers=workers, engine=engine)
    return [RuleGrader(select_rules("all")), rollouts, ScoreStage()]


Cases = dict[str, Callable[[], object]]
CASES = (("local, 1 process", 0), ("ray, 1 worker", 1), ("ray, 2 workers", 2))


def grade(source: Path, out: Path, engine: Engine | None, workers: int) -> None:
    """One grading of ``source`` into ``out``."""
    run_job(str(source), str(out), grading(engine, workers), engine=engine, workers=workers)


def grade_by_shard(source: Path, out: Path, engine: Engine, workers: int) -> None:
    """What a pipeline's ``[grade]`` does: a job per input shard (on Ray, with two shards or
    more per worker, a task per shard that reads and writes its files itself)."""
    out.mkdir(parents=True)
    tasks = [
        ShardTask(str(file.path), str(out / f"part-{k:05d}.jsonl"), str(out / f"q{k}.jsonl"), None)
        for k, file in enumerate(resolve_files(str(source)))
    ]
    rollouts = ProcessLabelStage(make_options(rollouts=2, seed=1))
    stages: list[Stage] = [RuleGrader(select_rules("all")), rollouts, ScoreStage()]
    done = run_shards(tasks, stages, engine=engine, workers=workers, place=out,
                      progress=Ticker(None))  # fmt: skip
    assert len(list(done)) == len(tasks)


def ray_workers_cpu() -> float:
    """CPU seconds used so far by the processes Ray titles ``ray::`` (its workers; the
    cluster's own daemons are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if not (stat.parent / "cmdline").read_bytes().startswith(b"ray::"):
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def timed(cases: Cases) -> dict[str, float]:
    """Wall seconds of one run of each case, and the CPU seconds this process (``"NAME cpu"``:
    on Ray, the driver) and Ray's workers (``"NAME workers"``) spent in it."""
    spent = {}
    for name, case in cases.items():
        start, cpu, workers = time.perf_counter(), time.process_time(), ray_workers_cpu()
        case()
        spent[name] = time.perf_counter() - start
        spent[f"{name} cpu"] = time.process_time() - cpu
        spent[f"{name} workers"] = ray_workers_cpu() - workers
    return spent


def on_cluster(cpus: int, cases: Cases) -> dict[str, float]:
    """:func:`timed` on a fresh local Ray cluster of ``cpus`` CPUs (so at most ``cpus`` tasks
    run at once, whichever stage they serve), after one untimed run of each case (the workers
    start and import trajforge then)."""
    ray.init(num_cpus=cpus, include_dashboard=False, logging_level=logging.WARNING)
    try:
        for case in cases.values():
            case()
        return timed(cases)
    finally:
        ray.shutdown()


def cases_for(run: RunSpec, source: Path, fresh: Iterator[Path], cpus: int) -> Cases:
    """Generation and grading into fresh places, locally (``cpus`` 0) or on Ray."""
    engine = get_engine("ray") if cpus else None

    def generation() -> None:
        generate(run, next(fresh), engine or get_engine("local"), cpus or None)

    def grading_() -> None:
        grade(source, next(fresh), engine, cpus or 1)

    def by_shard() -> None:
        grade_by_shard(source, next(fresh), engine or get_engine("local"), cpus or 1)

    return {"generation": generation, "grading": grading_, "grading by shard": by_shard}


def measure(work: Path, run: RunSpec, source: Path, repeats: int) -> dict[str, dict[str, Timing]]:
    """Generation and grading locally and on Ray clusters of 1 and 2 CPUs, ``repeats`` rounds
    of the three in turn: ``{"generation": {case: timing}, "generation cpu": ..., ...}``."""
    fresh = (work / f"{n}" for n in itertools.count())
    samples: dict[str, dict[str, list[float]]] = {}
    for _ in range(repeats):
        for label, cpus in CASES:
            cases = cases_for(run, source, fresh, cpus)
            spent = on_cluster(cpus, cases) if cpus else timed(cases)
            for what, value in spent.items():
                samples.setdefault(what, {}).setdefault(label, []).append(value)
    return {
        what: {label: Timing(tuple(values), WALL) for label, values in by_case.items()}
        for what, by_case in samples.items()
    }


def show(title: str, timings: dict[str, Timing], units: int, unit: str) -> None:
    """A table: each case's time per unit, its rate, and its speed-up over local and 1 worker."""
    print(f"\n{title} ({units:,} {unit} a round)")
    print(header("", ["vs local", "vs 1 worker"], rate=f"{unit}/s", width=WIDTH))
    per = {name: t.per(units) for name, t in timings.items()}
    base, one = per["local, 1 process"], per["ray, 1 worker"]
    for name, timing in per.items():
        print(row(name, timing, [base, one], rate=unit, width=WIDTH))
    print(legend(timings))


def show_cpu(what: str, timings: dict[str, dict[str, Timing]], units: int) -> None:
    """CPU seconds per unit (median): the local process; on Ray (2 workers) the workers and the
    driver, and the rates one core of each keeps up with (what a cluster is projected from)."""
    local = timings[f"{what} cpu"]["local, 1 process"].per(units).median
    driver = timings[f"{what} cpu"]["ray, 2 workers"].per(units).median
    workers = timings[f"{what} workers"]["ray, 2 workers"].per(units).median
    print(f"\n{what}: CPU time a unit (median), and units a second one core keeps up with")
    for name, cost in (("local process", local), ("ray workers", workers), ("ray driver", driver)):
        print(f"  {name:<14} {seconds(cost):>10} {1 / cost:>10,.0f} /s")


def repeated(lines: list[RawLine], count: int) -> Iterator[RawLine]:
    """``count`` lines, the given ones over and over (a stream of any length, never stored)."""
    return itertools.islice(itertools.cycle(lines), count)


def private_mb() -> float:
    """This process's resident memory of its own (``RssAnon``: not the pages of Ray's shared
    object store it has touched, which ``VmHWM`` counts too), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no RssAnon in /proc/self/status")


def stream_child(source: str, count: int) -> None:
    """In a fresh driver process: ``count`` trajectories through the score stage on Ray."""
    logging.disable(logging.WARNING)
    engine = get_engine("ray", "auto")
    lines = list(read_raw(source))
    baseline = peak_mb()
    runner = StageRunner([ScoreStage()], engine=engine, workers=2)
    private = 0.0
    for passed, _ in enumerate(runner.stream_raw(repeated(lines, count)), 1):
        if passed % 1000 == 0:
            private = max(private, private_mb())
    assert passed == count, passed
    print(f"{baseline:.1f} {peak_mb():.1f} {private:.1f}")


def driver_peak(source: Path, count: int) -> tuple[float, float, float]:
    """A fresh driver's peak RSS (MB) before streaming (its records loaded) and after, and the
    peak of its private memory while streaming (sampled every 1,000 trajectories)."""
    done = subprocess.run(
        [sys.executable, __file__, "--stream-child", str(source), str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after, private = done.stdout.split()[-3:]
    return float(before), float(after), float(private)


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="generated per case")
    parser.add_argument("--graded", type=int, default=150, help="episodes of the graded run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--stream-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream_child:
        stream_child(args.stream_child[0], int(args.stream_child[1]))
        return
    run = spec(args.episodes)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "source"
        # in shards of 10: enough for a task per shard on 2 workers
        generate(spec(args.graded, shard_size=10), source, get_engine("local"), None)
        trajectories = sum(1 for _ in read_raw(str(source)))
        timings = measure(work, run, source, args.repeats)
        show("generation", timings["generation"], args.episodes, "episodes")
        title = "grading: rules, 2 rollouts a step, score"
        show(title, timings["grading"], trajectories, "trajectories")
        title = "grading by shard (a pipeline's [grade]: on Ray a task per input shard)"
        show(title, timings["grading by shard"], trajectories, "trajectories")
        units = {"generation": args.episodes, "grading": trajectories}
        units["grading by shard"] = trajectories
        for what, count in units.items():
            show_cpu(what, timings, count)
        print("\ndriver peak RSS streaming through the score stage on Ray (2 workers)")
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
        try:
            for count in (args.small, args.large):
                before, after, private = driver_peak(source, count)
                print(f"  {count:>10,} trajectories: {after:7.1f} MB ({before:.1f} MB before;"
                      f" its own memory {private:.1f} MB at most)")  # fmt: skip
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
