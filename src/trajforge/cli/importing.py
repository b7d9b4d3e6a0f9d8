"""``trajforge import``: other tools' agent datasets, as they ship, to trajforge records."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import QuarantineOption, out, report_quarantine, run_batch, start_job
from trajforge.errors import InputError, TrajforgeError


def import_records(
    format_name: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT",
            help="The source's format (see trajforge plugins), or auto to recognise it.",
        ),
    ],
    source: Annotated[str, typer.Argument(help="File (.json, .jsonl, .parquet...), glob or dir.")],
    dest: Annotated[
        str, typer.Argument(help="Output file (.jsonl[.gz|.zst], .parquet) or directory.")
    ],
    report: Annotated[
        bool, typer.Option("--report", help="Print what was read, imported, set aside and kept.")
    ] = False,
    max_bad: Annotated[
        float,
        typer.Option(help="Share of records that may be set aside before the import fails.", min=0),
    ] = 0.0,
    shard_size: Annotated[
        int, typer.Option(help="Records per shard when DEST is a directory.", min=1)
    ] = 10_000,
    quarantine: QuarantineOption = None,
) -> None:
    """Import a dataset in another format; records that cannot be imported are set aside with
    the reason, and the command fails when more than --max-bad of them were."""
    from trajforge.formats.detect import detect_format
    from trajforge.formats.import_report import ImportTally, quarantine_reasons

    if format_name == "auto":
        found = detect_format(source)
        format_name = found.format.name
        out.print(
            f"recognised [bold]{escape(format_name)}[/] records "
            f"({found.matched} of the first {found.sampled})"
        )
    fmt = start_job(source, dest, format_name)
    tally = ImportTally()
    job = run_batch(
        source, dest, [], fmt=fmt, quarantine=quarantine, observers=[tally], shard_size=shard_size
    )
    reasons = quarantine_reasons(job.quarantine)
    read = tally.records + job.quarantined
    out.print(
        f"imported {tally.trajectories:,} trajectories from {tally.records:,} of {read:,} "
        f"{escape(format_name)} records to {escape(dest)}"
    )
    report_quarantine(job.quarantined, job.quarantine)
    if report:
        from trajforge.report.tables import import_table

        out.print(import_table(format_name, read, tally, reasons))
    if tally.trajectories == 0:
        raise InputError(
            f"nothing imported: none of the {read:,} records could be read as {format_name}",
            hint=f"see {job.quarantine}" if job.quarantined else "is the source empty?",
        )
    if read and job.quarantined / read > max_bad:
        raise TrajforgeError(
            f"{job.quarantined / read:.1%} of the records were set aside "
            f"(more than --max-bad {max_bad:g})",
            hint=f"see {job.quarantine}; what was imported is in {dest}",
        )
