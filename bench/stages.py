"""Stage-runner benchmark: its overhead over calling the stages directly, and ``--workers``.

Run: ``.venv/bin/python bench/stages.py`` (``--n 600`` for a quicker run). The data is the
generated run of ``bench/verify.py`` (every environment with an expert, mistakes 0.2, ``flaky``).

- **overhead** (CPU time of this process, per trajectory): the stages verify (without replay),
  the 13 rules and the score, called directly on each decoded trajectory (``stage.apply``) vs run
  by the ``StageRunner`` (which also clears each stage's earlier labels, records each stage in
  provenance and counts). The trajectories are decoded afresh before every case, untimed, and
  frozen out of the garbage collector's reach (they are the fixture, not the work). The overhead
  is the median of the per-round differences (runner - direct), over the direct median.
  Target: the runner adds < 3%.
- **workers** (wall time, per trajectory): ``run_job`` with verify (replay included), the rules
  and the score, from the JSONL run to a JSONL file, with ``workers=1`` vs ``workers=2``.
  Target: >= 1.7x on two free cores.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.rules import RuleGrader
from trajforge.pipeline.job import run_job
from trajforge.pipeline.runner import StageRunner
from trajforge.pipeline.stage import Stage
from trajforge.schema import Trajectory, TrajectoryDecoder
from trajforge.verify import VerifyOptions, VerifyStage

sys.path.insert(0, str(Path(__file__).parent))
from timing import WALL, header, interleaved, legend, row
from verify import forget_caches, generated, load_lines

WIDTH = 40


def stages(replay: bool) -> list[Stage]:
    """Verify, every rule, the score."""
    return [VerifyStage(VerifyOptions(replay=replay)), RuleGrader(), ScoreStage()]


def measure_overhead(lines: list[bytes], repeats: int) -> None:
    """The runner against calling each stage's ``apply`` in turn."""
    decoder = TrajectoryDecoder()
    batch: list[Trajectory] = []

    def fresh() -> None:
        forget_caches()
        gc.unfreeze()
        batch[:] = [decoder.decode(line) for line in lines]
        gc.collect()
        gc.freeze()  # the batch is the fixture: collections during a case need not walk it

    chosen = stages(replay=False)

    def direct() -> None:
        for trajectory in batch:
            for stage in chosen:
                trajectory = stage.apply(trajectory)  # type: ignore[attr-defined]  # noqa: PLW2901

    def runner() -> None:
        for _ in StageRunner(chosen).stream(batch):
            pass

    cpu = interleaved({"direct": direct, "runner": runner}, repeats, before=fresh)
    n = len(lines)
    base = cpu["direct"].per(n)
    print(f"verify (no replay) + rules + score, time per trajectory; {legend(cpu)}")
    print(header("", ["vs direct"], rate="traj/s", width=WIDTH))
    print(row("stages called directly (baseline)", base, [base], rate="traj/s", width=WIDTH))
    runner_t = cpu["runner"].per(n)
    paired = (cpu["runner"] - cpu["direct"]).per(n)  # round by round: the rounds' noise cancels
    overhead = paired.median / base.median
    note = f"overhead, paired by round: {overhead:+.1%} of the direct median (target < 3%)"
    print(row("the stage runner", runner_t, [base], rate="traj/s", width=WIDTH))
    print(row("  runner - direct, per round", paired, width=WIDTH, note=note))


def measure_workers(source: Path, n: int, repeats: int) -> None:
    """``run_job`` with one process against two workers."""
    out = Path(tempfile.mkdtemp(prefix="trajforge-bench-"))

    def job(workers: int) -> object:
        def case() -> None:
            run_job(str(source), str(out / f"w{workers}.jsonl"), stages(True), workers=workers)

        return case

    wall = interleaved({"one": job(1), "two": job(2)}, repeats, clock=WALL, before=forget_caches)
    same = (out / "w1.jsonl").read_bytes() == (out / "w2.jsonl").read_bytes()
    one = wall["one"].per(n)
    print(f"verify (replay) + rules + score as a job, time per trajectory; {legend(wall)}")
    print(header("", ["vs 1 process"], rate="traj/s", width=WIDTH))
    print(row("--workers 1 (baseline)", one, [one], rate="traj/s", width=WIDTH))
    note = f"(target >= 1.7x; output identical: {same})"
    print(row("--workers 2", wall["two"].per(n), [one], rate="traj/s", note=note, width=WIDTH))


def main() -> None:
    """Run both measurements."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2400, help="trajectories (split over the envs)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    source, _ = generated(args.n)
    lines = load_lines(source)
    measure_overhead(lines, args.repeats)
    measure_workers(source, len(lines), args.repeats)


if __name__ == "__main__":
    main()
