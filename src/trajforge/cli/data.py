"""Commands on data files: ``schema``, ``convert``, ``stats``, ``head``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    VerifyHashesOption,
    WriterOptions,
    out,
    reader,
    report_quarantine,
    warn_skipped,
    writer_options,
)
from trajforge.errors import ConfigError


def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of a trajectory record."""
    from trajforge.schema import trajectory_json_schema

    out.print_json(json.dumps(trajectory_json_schema()))


def convert(
    source: Annotated[str, typer.Argument(help="File, glob or directory to read.")],
    dest: Annotated[
        str, typer.Argument(help="Output file (.jsonl[.gz|.zst], .parquet) or directory.")
    ],
    from_format: FromOption = "trajforge",
    to_format: Annotated[
        str,
        typer.Option(
            "--to", help="Output records: trajforge, openai, or a plugin's (see trajforge plugins)."
        ),
    ] = "trajforge",
    shard_size: Annotated[
        int, typer.Option(help="Records per shard when DEST is a directory.", min=1)
    ] = 10_000,
    quarantine: QuarantineOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Stop at the first bad record instead of quarantining; a record that repeats a "
            "key in an object is bad (otherwise the last one wins).",
        ),
    ] = False,
    verify_hashes: VerifyHashesOption = True,
    writer_option: WriterOptions = None,
) -> None:
    """Convert between formats (trajforge JSONL/Parquet, OpenAI chat records, tokenized,
    plugins')."""
    from trajforge.cli.interrupt import unwritten
    from trajforge.formats.registry import get_format, get_writer
    from trajforge.io import Quarantine, ReadChecks, check_destination, checking, copy_trajectories
    from trajforge.pipeline.job import default_quarantine

    checks = ReadChecks(shard_hashes=verify_hashes, unique_keys=strict)
    read = reader(from_format, checks)
    write = get_writer(to_format)
    options = writer_options(get_format(to_format, option="--to"), writer_option)
    check_destination(dest, source, option="DEST")
    sink = Quarantine(quarantine or default_quarantine(dest))
    with unwritten(dest), sink:
        on_error = None if strict else sink.add
        if from_format == to_format == "trajforge":  # no Trajectory made of a JSONL record
            with checking(checks):
                result = copy_trajectories(source, dest, on_error, shard_size=shard_size)
        else:
            result = write(dest, read(source, on_error), shard_size=shard_size, **options)
    files = len(result.paths)
    out.print(f"wrote {result.count:,} trajectories to {dest} ({files} file{'s' * (files != 1)})")
    report_quarantine(sink.count, sink.path, written=result.count)


def stats(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """Counts, steps per trajectory, tool calls, status mix (records that cannot be read are
    counted apart, the first with its location)."""
    import msgspec

    from trajforge.io import ReadChecks
    from trajforge.report.stats import StatsAccumulator, compute_stats
    from trajforge.report.tables import stats_table

    acc = StatsAccumulator()
    read = reader(from_format, ReadChecks(shard_hashes=verify_hashes))
    result = compute_stats(read(path, acc.bad), acc)
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        out.print(stats_table(result, title=path))


def head(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    n: Annotated[int, typer.Option("-n", help="How many trajectories to show.", min=1)] = 1,
    trajectory_id: Annotated[str | None, typer.Option("--id", help="Show this id only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    max_chars: Annotated[int, typer.Option(help="Clip long texts to this many characters.")] = 400,
    from_format: FromOption = "trajforge",
    verify_hashes: VerifyHashesOption = True,
) -> None:
    """Pretty-print trajectories as step-by-step transcripts (records that cannot be read are
    skipped, each named on stderr with where it is and why)."""
    import msgspec

    from trajforge.io import ReadChecks
    from trajforge.report.transcript import render_transcript

    shown = 0
    read = reader(from_format, ReadChecks(shard_hashes=verify_hashes))
    for trajectory in read(path, warn_skipped):
        if trajectory_id is not None and trajectory.id != trajectory_id:
            continue
        if as_json:
            sys.stdout.write(msgspec.json.format(msgspec.json.encode(trajectory)).decode() + "\n")
        else:
            out.print(render_transcript(trajectory, max_chars=max_chars))
        shown += 1
        if shown >= n:
            break
    if shown == 0:
        what = f"no trajectory with id {trajectory_id!r}" if trajectory_id else "no trajectories"
        raise ConfigError(f"{what} in {path}")
