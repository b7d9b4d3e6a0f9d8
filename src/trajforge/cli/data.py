"""Commands on data files: ``schema``, ``convert``, ``stats``, ``head``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from trajforge.cli.common import (
    FromOption,
    QuarantineOption,
    WriterOptions,
    out,
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
        bool, typer.Option("--strict", help="Stop at the first bad record instead of quarantining.")
    ] = False,
    writer_option: WriterOptions = None,
) -> None:
    """Convert between formats (trajforge JSONL/Parquet, OpenAI chat records, tokenized,
    plugins')."""
    from trajforge.formats.registry import get_format, get_reader, get_writer
    from trajforge.io import Quarantine, check_destination
    from trajforge.pipeline.job import default_quarantine

    read = get_reader(from_format)
    write = get_writer(to_format)
    options = writer_options(get_format(to_format, option="--to"), writer_option)
    check_destination(dest, source, option="DEST")
    sink = Quarantine(quarantine or default_quarantine(dest))
    with sink:
        records = read(source, None if strict else sink.add)
        result = write(dest, records, shard_size=shard_size, **options)
    files = len(result.paths)
    out.print(f"wrote {result.count:,} trajectories to {dest} ({files} file{'s' * (files != 1)})")
    report_quarantine(sink.count, sink.path, written=result.count)


def stats(
    path: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    from_format: FromOption = "trajforge",
) -> None:
    """Counts, steps per trajectory, tool calls, status mix (records that cannot be read are
    counted apart, the first with its location)."""
    import msgspec

    from trajforge.formats.registry import get_reader
    from trajforge.report.stats import StatsAccumulator, compute_stats
    from trajforge.report.tables import stats_table

    acc = StatsAccumulator()
    result = compute_stats(get_reader(from_format)(path, acc.bad), acc)
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
) -> None:
    """Pretty-print trajectories as step-by-step transcripts (records that cannot be read are
    skipped, each named on stderr with where it is and why)."""
    import msgspec

    from trajforge.formats.registry import get_reader
    from trajforge.report.transcript import render_transcript

    shown = 0
    for trajectory in get_reader(from_format)(path, warn_skipped):
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
