"""What each stage of a pipeline run does: library calls composed, never commands.

Verify and grade run through the stage runner (:func:`trajforge.pipeline.job.run_job`) one input
shard at a time, each written atomically as a shard of the stage's dataset, so that an
interrupted stage resumes at the first shard it had not finished.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from trajforge.curate.run import run_curation
from trajforge.engine import active_engine
from trajforge.errors import InputError, TrajforgeError
from trajforge.formats.export import export_dataset
from trajforge.formats.registry import get_format
from trajforge.grade import RuleGrader, read_weights, select_rules
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.process import ProcessLabelStage, make_options
from trajforge.io import Quarantine
from trajforge.io.manifest import Manifest, ShardInfo, sha256_file
from trajforge.io.shards import shard_name
from trajforge.io.sources import resolve_files
from trajforge.pipeline.config import PipelineConfig
from trajforge.pipeline.job import run_job
from trajforge.pipeline.run_pipeline_plan import Events, Planned
from trajforge.pipeline.run_pipeline_state import StageState, save_state
from trajforge.pipeline.shard_tasks import ShardTask, run_shards
from trajforge.pipeline.stage import Stage
from trajforge.pipeline.ticker import Ticker
from trajforge.report.html import write_report
from trajforge.run.llm_hooks import llm_hooks
from trajforge.run.runner import ERRORS_NAME, Progress, Runner
from trajforge.verify import VerifyOptions, VerifyStage

#: The format of the datasets that stages write.
DATA_FORMAT: Final = "jsonl.zst"
REPORT_NAME: Final = "report.html"


@dataclass
class StageContext:
    """What a stage's executor gets: the config, its place in the plan, its folder and state,
    the events to report progress to, and the run directory."""

    config: PipelineConfig
    stage: Planned
    directory: Path
    state: StageState
    events: Events
    run_dir: Path

    @property
    def input(self) -> str:
        """The trajectories the stage reads."""
        assert self.stage.input is not None  # every stage after the source has one
        return self.stage.input

    @property
    def data(self) -> Path:
        """Where the stage writes its trajectories."""
        return self.directory / "data"

    def save(self) -> None:
        """Record the stage's progress."""
        save_state(self.directory, self.state)


def generate(ctx: StageContext) -> None:
    """Generate the run of ``[generate]`` (a resumed run goes on from its journal)."""
    spec = ctx.config.spec.generate
    assert spec is not None  # the plan has a generate stage
    ctx.events.started(ctx.stage, spec.total)

    def show(progress: Progress) -> None:
        ctx.events.advanced(ctx.stage, progress.done + progress.resumed)

    runner = Runner(spec, ctx.data, on_progress=show, llm_hooks=llm_hooks())
    result = asyncio.run(runner.run())
    if result.pending:
        raise TrajforgeError(
            f"generation stopped early: {result.stopped}"
            if result.stopped
            else f"{result.errors:,} episodes failed",
            hint=f"why: {ctx.data / ERRORS_NAME}; run the pipeline again to retry them",
        )
    ctx.state.counts = {
        "episodes": spec.total,
        "trajectories": Manifest.load(ctx.data).count,
        "successes": result.successes,
    }


def import_source(ctx: StageContext) -> None:
    """Import ``[source]``'s dataset in its format (what cannot be imported is set aside)."""
    source = ctx.config.spec.source
    assert source is not None  # the plan has an import stage
    assert source.import_ is not None
    ctx.events.started(ctx.stage, None)
    ticker = Ticker(lambda n: ctx.events.advanced(ctx.stage, n))
    job = run_job(source.path, str(ctx.data), [], fmt=get_format(source.import_),
                  quarantine=ctx.directory / "quarantine.jsonl", observers=[ticker],
                  shard_size=source.shard_size)  # fmt: skip
    read = job.written.count + job.quarantined
    if job.written.count == 0:
        raise InputError(f"nothing imported from {source.path}", hint=f"see {job.quarantine}")
    if job.quarantined / read > source.max_bad:
        raise InputError(
            f"{job.quarantined / read:.1%} of the records of {source.path} were set aside "
            f"(more than source.max_bad {source.max_bad:g})",
            hint=f"see {job.quarantine}",
        )
    ctx.state.counts = {"imported": job.written.count, "quarantined": job.quarantined}


def verify(ctx: StageContext) -> None:
    """Verify: schemas, pairing, replay and outcomes."""
    spec = ctx.config.spec.verify
    assert spec is not None
    by_shard(ctx, [VerifyStage(VerifyOptions(replay=spec.replay))])


def grade(ctx: StageContext) -> None:
    """Grade: the rules, Monte-Carlo process labels when asked, the score."""
    spec = ctx.config.spec.grade
    assert spec is not None
    stages: list[Stage] = []
    if spec.rules != "none":
        stages.append(RuleGrader(select_rules(spec.rules)))
    if spec.rollouts:
        options = make_options(rollouts=spec.rollouts, mistakes=spec.rollout_mistakes,
                               seed=spec.seed, max_steps=spec.rollout_max_steps)  # fmt: skip
        stages.append(ProcessLabelStage(options))
    stages.append(ScoreStage(read_weights(spec.weights) if spec.weights else None))
    by_shard(ctx, stages)


def review(ctx: StageContext) -> None:
    """Merge the human labels of the review database onto the trajectories imported into it."""
    from trajforge.review.db import open_database  # noqa: PLC0415  # the review extra
    from trajforge.review.exporting import ReviewLabels  # noqa: PLC0415  # the review extra

    spec = ctx.config.spec.review
    assert spec is not None
    database = open_database(spec.db)
    try:
        stage = ReviewLabels(database, spec.project)
    finally:
        database.engine.dispose()
    by_shard(ctx, [stage])


def by_shard(ctx: StageContext, stages: list[Stage]) -> None:
    """Run ``stages`` over the input shard by shard, skipping the shards done before (on Ray,
    a shard a task where there are enough: :mod:`trajforge.pipeline.shard_tasks`)."""
    files = resolve_files(ctx.input)
    done = {unit.file: unit for unit in ctx.state.units}
    ticker = Ticker(lambda n: ctx.events.advanced(ctx.stage, n))
    ctx.events.started(ctx.stage, Manifest.count_in(ctx.input))
    ctx.data.mkdir(parents=True, exist_ok=True)
    units = []
    todo = []
    for k, file in enumerate(files):
        name = shard_name(k, DATA_FORMAT)
        dest = ctx.data / name
        unit = done.get(name)
        if unit is not None and dest.is_file() and sha256_file(dest) == unit.sha256:
            ticker.advance(unit.count)
            units.append(unit)
            continue
        quarantine = ctx.directory / "quarantine" / f"{name}.jsonl"
        todo.append(ShardTask(str(file.path), str(dest), str(quarantine), file.sha256))
    shards = run_shards(todo, stages, engine=active_engine(), workers=ctx.config.spec.workers,
                        place=ctx.directory, progress=ticker)  # fmt: skip
    for task, job in shards:
        unit = ShardInfo(file=Path(task.dest).name, count=job.count, sha256=job.sha256)
        units.append(unit)
        ctx.state.units = [*ctx.state.units, unit]
        counts = {f"{c.name}.{what}": getattr(c, what) for c in job.stages
                  for what in ("changed", "set_aside", "failed")}  # fmt: skip
        ctx.state.add({"written": job.count, "quarantined": job.quarantined, **counts})
        ctx.save()
    units.sort(key=lambda unit: unit.file)
    manifest = Manifest(format=DATA_FORMAT, complete=True)
    for unit in units:
        manifest.add(unit)
    manifest.save(ctx.data)


def curate(ctx: StageContext) -> None:
    """Curate with the config's steps (a whole-dataset stage: an interrupted one starts over)."""
    curation = ctx.config.curation
    assert curation is not None
    ctx.events.started(ctx.stage, None)
    result = run_curation(ctx.input, str(ctx.data), curation,
                          quarantine=ctx.directory / "quarantine.jsonl")  # fmt: skip
    counts = {"written": result.job.written.count, "quarantined": result.job.quarantined}
    for step in result.steps:
        counts[f"{step.name}.removed"] = sum(step.removed.values())
    ctx.state.counts = counts


def export(ctx: StageContext) -> None:
    """Write every ``[[export]]`` dataset (with its card), skipping those written before."""
    exports = ctx.config.spec.export
    ctx.events.started(ctx.stage, len(exports))
    for k, spec in enumerate(exports):
        if spec.folder in ctx.state.done:
            continue
        dest = ctx.directory / spec.folder
        shutil.rmtree(dest, ignore_errors=True)
        sink = Quarantine(ctx.directory / f"{spec.folder}.quarantine.jsonl")
        with sink:
            result = export_dataset(spec.format, ctx.input, str(dest), options=spec.options(),
                                    on_error=sink.add)  # fmt: skip
        if result.written.count == 0:
            raise InputError(
                f"the {spec.format} export gave no rows from "
                f"{result.stats.trajectories:,} trajectories",
                path=f"export[{k}]",
                hint=", ".join(f"{what}: {n}" for what, n in result.written.details.items())
                or "is the input empty?",
            )
        ctx.state.done = [*ctx.state.done, spec.folder]
        ctx.state.counts[f"{spec.folder}.rows"] = result.written.count
        ctx.save()
        ctx.events.advanced(ctx.stage, k + 1)


def report(ctx: StageContext) -> None:
    """The HTML report of the run's final trajectories."""
    spec = ctx.config.spec.report
    assert spec is not None
    ctx.events.started(ctx.stage, None)
    reference = Path(spec.reference) if spec.reference else None
    write_report(Path(ctx.input), ctx.directory / REPORT_NAME, run_dir=ctx.run_dir,
                 reference=reference)  # fmt: skip


EXECUTORS: Final[dict[str, Callable[[StageContext], None]]] = {
    "generate": generate,
    "import": import_source,
    "verify": verify,
    "grade": grade,
    "review": review,
    "curate": curate,
    "export": export,
    "report": report,
}
