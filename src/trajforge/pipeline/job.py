"""A batch job: stages from a source to a sink, with the quarantine beside the output.

``run_job`` is what ``verify``, ``grade`` and the pipeline commands call: native trajforge input
is read as raw lines (decoded where the stages run, in worker processes with ``workers`` > 1),
any other reader's trajectories go through in this process; the output is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from trajforge.io import Quarantine, WriteResult, read_raw, write_trajectories
from trajforge.io.quarantine import OnError
from trajforge.pipeline.runner import Observer, RunReport, StageRunner
from trajforge.pipeline.stage import Stage
from trajforge.schema import Trajectory

#: A reader of another format: a source spec and an on_error callback to trajectories.
Reader = Callable[[str, OnError], Iterator[Trajectory]]


@dataclass(frozen=True)
class JobResult:
    """What a job did: the stage report, what was written, and the quarantine's count."""

    report: RunReport
    written: WriteResult
    quarantined: int
    quarantine: Path


def default_quarantine(dest: str) -> Path:
    """Where a job's bad records go unless told: beside the output, ``DEST.quarantine.jsonl``."""
    return Path(f"{dest.rstrip('/')}.quarantine.jsonl")


def run_job(
    source: str,
    dest: str,
    stages: Sequence[Stage],
    *,
    reader: Reader | None = None,
    workers: int = 1,
    quarantine: Path | None = None,
    observers: Sequence[Observer] = (),
    shard_size: int | None = None,
) -> JobResult:
    """Run ``stages`` over ``source`` (native files, or ``reader``'s) and write ``dest``."""
    sink = Quarantine(quarantine or default_quarantine(dest))
    with sink:
        runner = StageRunner(stages, quarantine=sink.add, workers=workers, observers=observers)
        records: Iterator[Trajectory | bytes]
        if reader is None:
            records = runner.stream_raw(read_raw(source, on_error=sink.add))
        else:
            records = iter(runner.stream(reader(source, sink.add)))
        written = write_trajectories(dest, records, shard_size=shard_size)
    return JobResult(runner.report, written, sink.count, sink.path)
