"""``trajforge run``: a pipeline config's stages, each in its folder of the run directory, with
progress bars; a rerun skips finished stages and resumes an interrupted one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from trajforge.cli.common import err, out

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from trajforge.pipeline.config import PipelineConfig
    from trajforge.pipeline.run_pipeline_plan import Outcome, Planned


def run(
    config: Annotated[Path, typer.Argument(help="The pipeline config (TOML).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="The run directory (default: out/ and the config's name)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would run, and run nothing.")
    ] = False,
    from_stage: Annotated[
        str | None,
        typer.Option(help="Run this stage and every one after it again (e.g. grade)."),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE over the config (repeatable; dotted keys, TOML values), "
            "e.g. --set grade.rollouts=2.",
        ),
    ] = None,
) -> None:
    """Run a pipeline: generate or import, verify, grade, curate, export, report."""
    from trajforge.cli.interrupt import on_interrupt
    from trajforge.pipeline.config import load_pipeline_config
    from trajforge.pipeline.run_pipeline_plan import plan_pipeline

    pipeline = load_pipeline_config(config, overrides)
    out_dir = out_dir or Path("out") / config.stem
    if dry_run:
        out.print(plan_table(plan_pipeline(pipeline, out_dir, from_stage), out_dir))
        return
    with on_interrupt(lambda: "run the same command again to resume"):
        run_with_progress(pipeline, out_dir, from_stage)


def run_with_progress(pipeline: PipelineConfig, out_dir: Path, from_stage: str | None) -> None:
    """Run a pipeline with a progress bar per stage, then say what each stage did."""
    from trajforge.pipeline.run_pipeline import run_pipeline

    with ProgressEvents() as events:
        outcomes = run_pipeline(pipeline, out_dir, from_stage=from_stage, events=events)
    out.print(outcome_table(outcomes, out_dir))


class ProgressEvents:
    """A pipeline's events as rich progress bars, one per stage, on stderr."""

    def __init__(self) -> None:
        from rich import progress

        self.progress: Progress = progress.Progress(
            progress.SpinnerColumn(),
            progress.TextColumn("[bold]{task.description:<10}"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TimeElapsedColumn(),
            console=err,
        )
        self.tasks: dict[int, TaskID] = {}

    def __enter__(self) -> ProgressEvents:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def started(self, stage: Planned, total: int | None) -> None:
        """A bar for the stage (pulsing while its total is unknown)."""
        self.tasks[stage.number] = self.progress.add_task(stage.name, total=total)

    def advanced(self, stage: Planned, done: int) -> None:
        """Move the stage's bar."""
        self.progress.update(self.tasks[stage.number], completed=done)

    def finished(self, outcome: Outcome) -> None:
        """Fill the bar of a stage that ran."""
        task = self.tasks.get(outcome.stage.number)
        if task is not None:
            total = self.progress.tasks[task].total or self.progress.tasks[task].completed or 1
            self.progress.update(task, total=total, completed=total)


def plan_table(plan: list[Planned], out_dir: Path) -> Table:
    """What a run would do, stage by stage."""
    table = Table(title=f"plan of {escape(str(out_dir))}", header_style="bold")
    for column in ("stage", "would", "reads", "writes"):
        table.add_column(column, overflow="fold")
    would = {"run": "run", "resume": "resume", "done": "skip (done)", "skip": "skip",
             "given": "read as given"}  # fmt: skip
    for stage in plan:
        table.add_row(
            f"{stage.number:02d} {stage.name}",
            would[stage.status],
            escape(stage.input or "-"),
            escape(stage.output or "-"),
        )
    return table


def outcome_table(outcomes: list[Outcome], out_dir: Path) -> Table:
    """What a run did, stage by stage: how, how long, and its counts."""
    table = Table(title=f"pipeline run in {escape(str(out_dir))}", header_style="bold")
    for column in ("stage", "status", "seconds", "counts", "output"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        counts = ", ".join(f"{key} {value:,}" for key, value in outcome.counts.items() if value)
        table.add_row(
            f"{outcome.stage.number:02d} {outcome.stage.name}",
            outcome.status,
            f"{outcome.seconds:.1f}" if outcome.seconds else "-",
            escape(counts or "-"),
            escape(outcome.stage.output or "-") if outcome.status != "skipped" else "-",
        )
    return table
