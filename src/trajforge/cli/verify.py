"""``trajforge verify``: schemas, call/result pairing, replay and outcomes."""

from __future__ import annotations

from typing import Annotated

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    VerifyHashesOption,
    finish_job,
    out,
    run_batch,
    start_job,
)
from trajforge.cli.engine_options import EngineOption, RayAddressOption
from trajforge.engine import engine_in_force


def verify(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[str, typer.Option("--out", help="Where to write the annotated trajectories.")],
    replay: Annotated[
        bool, typer.Option(help="Replay generated trajectories in their env.")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes (--engine ray: tasks at once; default 1, or the cluster's CPUs).",
            min=1,
        ),
    ] = None,
    quarantine: QuarantineOption = None,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
    engine: EngineOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Check schemas, call/result pairing, replay and outcomes; label every problem found."""
    from trajforge.io import ReadChecks
    from trajforge.report.tables import label_table
    from trajforge.verify import LabelSummary, VerifyOptions, VerifyStage

    fmt = start_job(source, dest, from_format, ReadChecks(shard_hashes=verify_hashes))
    summary = LabelSummary()
    stages = [VerifyStage(VerifyOptions(replay=replay))]
    seen = [summary]
    with engine_in_force(engine, ray_address):
        job = run_batch(
            source, dest, stages, fmt=fmt, workers=workers, quarantine=quarantine, observers=seen
        )
    out.print(label_table(summary, title=f"verification of {source}"))
    finish_job(job, dest, "annotated trajectories")
