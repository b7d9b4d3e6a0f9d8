"""``trajforge apply``: registered stages, built-in or a plugin's, over a dataset."""

from __future__ import annotations

from typing import Annotated

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    VerifyHashesOption,
    finish_job,
    run_batch,
    start_job,
)


def apply(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[str, typer.Option("--out", help="Where to write the trajectories.")],
    stage: Annotated[
        list[str],
        typer.Option(help="A registered stage, in the order to run (repeatable; see plugins)."),
    ],
    workers: Annotated[int, typer.Option(help="Processes (1: in this process).", min=1)] = 1,
    quarantine: QuarantineOption = None,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """Run registered stages (with their default settings) over a dataset, in order."""
    from trajforge.io import ReadChecks
    from trajforge.pipeline.stages import build_stage

    fmt = start_job(source, dest, from_format, ReadChecks(shard_hashes=verify_hashes))
    stages = [build_stage(name) for name in stage]
    job = run_batch(source, dest, stages, fmt=fmt, workers=workers, quarantine=quarantine)
    finish_job(job, dest, "trajectories")
