"""``trajforge verify``: schemas, call/result pairing, replay and outcomes."""

from __future__ import annotations

from typing import Annotated

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    default_quarantine,
    out,
    report_quarantine,
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
) -> None:
    """Check schemas, call/result pairing, replay and outcomes; label every problem found."""
    from trajforge.formats.registry import get_reader
    from trajforge.io import Quarantine, check_destination, write_trajectories
    from trajforge.report.tables import label_table
    from trajforge.verify import LabelSummary, Verifier, VerifyOptions, verify_parallel

    read = get_reader(from_format)
    check_destination(dest, source)
    options = VerifyOptions(replay=replay)
    summary = LabelSummary()
    sink = Quarantine(quarantine or default_quarantine(dest))
    with sink:
        records = read(source, sink.add)
        if workers > 1:
            stream = verify_parallel(records, options, workers=workers)
        else:
            stream = Verifier(options).stream(records)
        result = write_trajectories(dest, summary.watch(stream))
    out.print(label_table(summary, title=f"verification of {source}"))
    out.print(f"wrote {result.count:,} annotated trajectories to {dest}")
    report_quarantine(sink)
