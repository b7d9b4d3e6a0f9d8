"""``trajforge curate``: the steps of a curation config over a dataset, what they removed and
why beside the output, and what is missing (``--fill-plan``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trajforge.cli.common import FromOption, QuarantineOption, finish_job, out, start_job
from trajforge.cli.engine_options import EngineOption, RayAddressOption
from trajforge.engine import engine_in_force


def curate(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    config: Annotated[
        Path, typer.Option("--config", help="The curation config: one table per step, in order.")
    ],
    dest: Annotated[str, typer.Option("--out", help="Where to write the curated trajectories.")],
    exclusions: Annotated[
        bool,
        typer.Option(help="Write what the steps removed, with the reason, to OUT.excluded.jsonl."),
    ] = True,
    fill_plan: Annotated[
        Path | None,
        typer.Option(
            "--fill-plan",
            help="Write a run config for trajforge generate that makes what [balance] misses.",
        ),
    ] = None,
    quarantine: QuarantineOption = None,
    from_format: FromOption = "trajforge",
    engine: EngineOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Filter, deduplicate, balance... a dataset: a curation config's steps, in order."""
    from trajforge.cli.interrupt import unwritten
    from trajforge.curate.config import load_curation_config
    from trajforge.curate.fill_plan import check_planned, write_fill_plan
    from trajforge.curate.run import run_curation
    from trajforge.report.tables import coverage_table, curation_table

    fmt = start_job(source, dest, from_format)
    settings = load_curation_config(config)
    if fill_plan is not None:
        check_planned(settings)
    with unwritten(dest), engine_in_force(engine, ray_address):
        result = run_curation(
            source, dest, settings, fmt=fmt, exclusions=exclusions, quarantine=quarantine
        )
    out.print(curation_table(result.steps, title=f"curation of {source}"))
    for step in result.steps:
        rows = (step.report or {}).get("coverage")
        if rows:
            out.print(coverage_table(rows, title=f"coverage of the {step.name} targets"))
    if fill_plan is not None:
        mixes = write_fill_plan(fill_plan, result.stages, seed=settings.seed)
        out.print(f"wrote the fill plan ({mixes} mixes) to {fill_plan}")
    finish_job(result.job, dest, "curated trajectories")
    if result.exclusions is not None:
        out.print(f"removed trajectories and why: {result.exclusions}")
    out.print(f"reports: {result.report}")
