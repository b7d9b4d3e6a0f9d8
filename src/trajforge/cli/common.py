"""What the commands share: the consoles, common options, the readers with the checks the options
chose, and quarantine reporting."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from trajforge.errors import ConfigError, InputError

if TYPE_CHECKING:
    from trajforge.formats.base import Format, Reader
    from trajforge.io import BadRecord, ReadChecks
    from trajforge.pipeline.job import JobResult
    from trajforge.pipeline.runner import Observer
    from trajforge.pipeline.stage import Stage

out = Console()
err = Console(stderr=True)

#: Where a batch command sets bad input records aside.
QuarantineOption = Annotated[
    Path | None,
    typer.Option(
        help="Where bad input records go (default: the output's path + .quarantine.jsonl)."
    ),
]
#: The format of the records a command reads.
FromOption = Annotated[
    str,
    typer.Option(
        "--from", help="Input records: trajforge, openai, or a plugin's (see trajforge plugins)."
    ),
]

#: Options of the writer of the ``--to`` format, passed on as text.
WriterOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--writer-option",
        "-W",
        help="KEY=VALUE for the --to format's writer (repeatable), e.g. for tokenized: "
        "tokenizer=PATH, chat_template=FILE, max_length=N, overflow=drop|truncate|split, "
        "mask_mistakes=true|false.",
    ),
]


def writer_options(fmt: Format, pairs: list[str] | None) -> dict[str, str]:
    """The ``--writer-option`` pairs as a dict; a ConfigError for a malformed pair or a key the
    format's writer does not take."""
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"expected KEY=VALUE, got {pair!r}", path="--writer-option")
        if key not in fmt.writer_options:
            raise ConfigError(
                f"the {fmt.name} writer has no option {key!r}",
                path="--writer-option",
                hint=f"its options: {', '.join(fmt.writer_options) or 'none'}",
            )
        options[key] = value
    return options


#: Whether reading checks the shards of a dataset directory against their manifest's sha256.
VerifyHashesOption = Annotated[
    bool,
    typer.Option(
        "--verify-hashes/--no-verify-hashes",
        help="Check each shard of a dataset directory against the sha256 in its manifest as it "
        "is read (a mismatch stops the command); --no-verify-hashes skips it, for speed.",
    ),
]


def warn_skipped(bad: BadRecord) -> None:
    """Name a record that cannot be read on stderr, with where it is and why."""
    err.print(f"[yellow]skipped {escape(bad.describe())}[/]")


def report_quarantine(count: int, path: Path, *, written: int | None = None) -> None:
    """Say how many bad records were set aside, and where; when that was every record
    (``written`` is 0), the command fails: nothing usable came out."""
    if count:
        err.print(f"[yellow]{count:,} bad records set aside in {escape(str(path))}[/]")
    if count and written == 0:
        raise InputError(
            f"nothing usable: all {count:,} records were set aside", hint=f"see {path}"
        )


def start_job(source: str, dest: str, from_format: str, checks: ReadChecks | None = None) -> Format:
    """The format a batch command reads, its readers reading with ``checks`` in force (the
    default checks if None), once the options are known to be sound: the format exists and the
    output would not overwrite the input."""
    from trajforge.formats.registry import get_format
    from trajforge.io import check_destination, with_checks

    fmt = get_format(from_format)
    check_destination(dest, source)
    if checks is None:
        return fmt
    read, read_raw = fmt.read, fmt.read_raw
    return dataclasses.replace(
        fmt,
        read=read and with_checks(read, checks),
        read_raw=read_raw and with_checks(read_raw, checks),
    )


def reader(from_format: str, checks: ReadChecks) -> Reader:
    """The reader of the format ``from_format`` (``--from``), reading with ``checks`` in force."""
    from trajforge.formats.registry import get_reader
    from trajforge.io import with_checks

    return with_checks(get_reader(from_format), checks)


def run_batch(
    source: str,
    dest: str,
    stages: Sequence[Stage],
    *,
    fmt: Format,
    workers: int | None = 1,
    quarantine: Path | None,
    observers: Sequence[Observer] = (),
    shard_size: int | None = None,
) -> JobResult:
    """A batch command's job (``run_job``, its record stages on the engine the command put in
    force) with a progress bar on stderr (one for the whole run, on a cluster too); stopped by
    Ctrl-C or SIGTERM, it says what became of ``dest``."""
    from rich import progress

    from trajforge.cli.interrupt import unwritten
    from trajforge.engine import active_engine
    from trajforge.pipeline.job import run_job
    from trajforge.pipeline.ticker import Ticker

    bar = progress.Progress(
        progress.SpinnerColumn(),
        progress.TextColumn("[bold]{task.description}"),
        progress.BarColumn(),
        progress.MofNCompleteColumn(),
        progress.TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("trajectories", total=_dataset_count(source, fmt))
    ticker = Ticker(lambda n: bar.update(task, completed=n))
    with unwritten(dest), bar:
        return run_job(
            source,
            dest,
            stages,
            fmt=fmt,
            workers=workers,
            quarantine=quarantine,
            observers=[*observers, ticker],
            shard_size=shard_size,
            engine=active_engine(),
        )


def _dataset_count(source: str, fmt: Format) -> int | None:
    """The trajectories a trajforge dataset directory's manifest counts (None: not known)."""
    from trajforge.io.manifest import Manifest

    if fmt.name != "trajforge" or not Path(source).is_dir():
        return None
    return Manifest.count_in(source)


def finish_job(job: JobResult, dest: str, what: str) -> None:
    """Say what each stage of a batch command did, what it wrote (``what``: "graded
    trajectories"), and what it set aside."""
    from trajforge.report.tables import stage_table

    out.print(stage_table(job.report))
    out.print(f"wrote {job.written.count:,} {what} to {dest}")
    report_quarantine(job.quarantined, job.quarantine, written=job.written.count)
