"""Pipeline benchmark: the demo's wall time and each stage's share, and what running stages as a
pipeline costs over calling them directly.

Run: ``.venv/bin/python bench/pipeline.py`` (``--small`` for the reduced demo).

- **demo** (wall time): ``trajforge demo``'s pipeline (``data/demo.toml``) run once into a fresh
  folder, as the command runs it; each stage's seconds and share of the whole. Target: under
  3 minutes on a 2-core machine. ``--skip-report`` leaves the report out (for a checkout
  without it).
- **overhead** (CPU time of this process, per trajectory): verify (with replay), then the rules
  and the score, over the demo's generated data, (a) as a pipeline (``run_pipeline`` with
  ``[source]``, ``[verify]`` and ``[grade]``: the plan, each stage's record, shard by shard through
  the stage runner, each shard published with its manifest) against (b) the same stages called
  directly on the same shards (``stage(stream)``, read and written with the same readers and
  writers). The overhead is the median of the per-round differences over the direct median.
  Target: < 3%.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from trajforge.demo import demo_config
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.rules import RuleGrader
from trajforge.io import read_trajectories, write_trajectories
from trajforge.io.sources import resolve_files
from trajforge.pipeline.config import PipelineConfig, pipeline_config
from trajforge.pipeline.run_pipeline import run_pipeline
from trajforge.pipeline.stage import Stage
from trajforge.verify import VerifyStage

sys.path.insert(0, str(Path(__file__).parent))
from timing import header, interleaved, legend, row

WIDTH = 44


def measure_demo(out: Path, *, small: bool, skip_report: bool) -> Path:
    """Run the demo pipeline once; print its wall time and each stage's share. Returns the run
    directory."""
    config = demo_config(small=small)
    if skip_report:
        spec = config.spec
        report = msgspec.structs.replace(spec.report, skip=True) if spec.report else None
        config = PipelineConfig(config.file, msgspec.structs.replace(spec, report=report),
                                config.curation)  # fmt: skip
    started = time.perf_counter()
    outcomes = run_pipeline(config, out)
    wall = time.perf_counter() - started
    counts = next(o.counts for o in outcomes if o.stage.name == "generate")
    print(f"demo{' --small' if small else ''}: wall time {wall:.1f} s (target < 180 s); "
          f"{counts['episodes']:,} episodes, {counts['trajectories']:,} trajectories")  # fmt: skip
    print(f"{'stage':<12} {'seconds':>9} {'share':>7}")
    for outcome in outcomes:
        if outcome.status == "ran":
            share = outcome.seconds / wall
            print(f"{outcome.stage.name:<12} {outcome.seconds:>9.2f} {share:>7.1%}")
    accounted = sum(o.seconds for o in outcomes)
    print(f"{'(between)':<12} {wall - accounted:>9.2f} {(wall - accounted) / wall:>7.1%}")
    return out


def verify_and_grade(source: Path, base: Path) -> PipelineConfig:
    """A pipeline of verify, the rules and the score over existing data."""
    data = {"source": {"path": str(source)}, "verify": {}, "grade": {"rollouts": 0}}
    return pipeline_config(data, file="bench", base=base)


def measure_overhead(source: Path, repeats: int) -> None:
    """The pipeline against the same stages called directly, shard by shard."""
    work = Path(tempfile.mkdtemp(prefix="trajforge-bench-pipeline-"))
    config = verify_and_grade(source, work)
    shards = [data.path for data in resolve_files(str(source))]
    n = sum(1 for _ in read_trajectories(source))

    def fresh() -> None:
        shutil.rmtree(work / "run", ignore_errors=True)
        shutil.rmtree(work / "direct", ignore_errors=True)

    def through(stages: list[Stage], src: Path, dest: Path) -> None:
        stream = read_trajectories(src)
        for stage in stages:
            stream = stage(stream)
        write_trajectories(dest, stream)

    def direct() -> None:
        for k, shard in enumerate(shards):
            verified = work / "direct" / "verify" / f"{k}.jsonl.zst"
            verified.parent.mkdir(parents=True, exist_ok=True)
            through([VerifyStage()], shard, verified)
            graded = work / "direct" / "grade" / f"{k}.jsonl.zst"
            graded.parent.mkdir(parents=True, exist_ok=True)
            through([RuleGrader(), ScoreStage()], verified, graded)

    def pipeline() -> None:
        run_pipeline(config, work / "run")

    cpu = interleaved({"direct": direct, "pipeline": pipeline}, repeats, before=fresh)
    base = cpu["direct"].per(n)
    paired = (cpu["pipeline"] - cpu["direct"]).per(n)
    overhead = paired.median / base.median
    print(f"verify (replay) + rules + score over {n:,} trajectories in {len(shards)} shards, "
          f"time per trajectory; {legend(cpu)}")  # fmt: skip
    print(header("", ["vs direct"], rate="traj/s", width=WIDTH))
    print(row("stages called directly (baseline)", base, [base], rate="traj/s", width=WIDTH))
    print(row("trajforge run (verify, grade)", cpu["pipeline"].per(n), [base], rate="traj/s",
              width=WIDTH))  # fmt: skip
    note = f"overhead, paired by round: {overhead:+.1%} of the direct median (target < 3%)"
    print(row("  pipeline - direct, per round", paired, width=WIDTH, note=note))
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Run both measurements."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="the reduced demo")
    parser.add_argument("--skip-report", action="store_true", help="leave the report out")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trajforge-bench-demo-"))
    try:
        run = measure_demo(root / "demo", small=args.small, skip_report=args.skip_report)
        print()
        measure_overhead(run / "01-generate" / "data", args.repeats)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
