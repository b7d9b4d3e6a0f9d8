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


def verify(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    dest: Annotated[str, typer.Option("--out", help="Where to write the annotated trajectories.")],
    replay: Annotated[
        bool, typer.Option(help="Replay generated trajectories in their env.")
    ] = True,
    workers: Annotated[int, typer.Option(help="Processes (1: in this process).", min=1)] = 1,
    quarantine: QuarantineOption = None,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """Check schemas, call/result pairing, replay and outcomes; label every problem found."""
    from trajforge.io import ReadChecks
    from trajforge.report.tables import label_table
    from trajforge.verify import LabelSummary, VerifyOptions, VerifyStage

    fmt = start_job(source, dest, from_format, ReadChecks(shard_hashes=verify_hashes))
    summary = LabelSummary()
    stages = [VerifyStage(VerifyOptions(replay=replay))]
    job = run_batch(
        source, dest, stages, fmt=fmt, workers=workers, quarantine=quarantine, observers=[summary]
    )
    out.print(label_table(summary, title=f"verification of {source}"))
    finish_job(job, dest, "annotated trajectories")
