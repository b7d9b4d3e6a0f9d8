"""A batch job: stages from a source to a sink, with the quarantine beside the output.

``run_job`` is what ``verify``, ``grade`` and the pipeline commands call: native trajforge input
is read as raw lines (decoded where the stages run, in worker processes with ``workers`` > 1),
another format's trajectories go through in this process; the output is written atomically.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from trajforge.engine import Engine
from trajforge.errors import ConfigError
from trajforge.formats.base import Format
from trajforge.formats.registry import get_format
from trajforge.io import OnError, Quarantine, WriteResult, write_trajectories
from trajforge.pipeline.runner import Observer, RunReport, StageRunner
from trajforge.pipeline.stage import Stage
from trajforge.schema import Trajectory


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
    fmt: Format | None = None,
    workers: int | None = None,
    quarantine: Path | None = None,
    observers: Sequence[Observer] = (),
    shard_size: int | None = None,
    engine: Engine | None = None,
) -> JobResult:
    """Run ``stages`` over ``source`` (trajforge records, or ``fmt``'s) and write ``dest``;
    the leading record stages run on ``engine`` (default: this machine; see
    :class:`~trajforge.pipeline.runner.StageRunner`)."""
    fmt = fmt or get_format("trajforge")
    sink = Quarantine(quarantine or default_quarantine(dest))
    with sink:
        runner = StageRunner(
            stages, quarantine=sink.add, workers=workers, observers=observers, engine=engine
        )
        written = write_trajectories(
            dest, _records(runner, fmt, source, sink.add), shard_size=shard_size
        )
    return JobResult(runner.report, written, sink.count, sink.path)


def _records(
    runner: StageRunner, fmt: Format, source: str, on_error: OnError
) -> Iterator[Trajectory | bytes]:
    if fmt.read_raw is not None:
        return runner.stream_raw(fmt.read_raw(source, on_error))
    if fmt.read is None:
        raise ConfigError(f"the {fmt.name} format cannot be read (it has no reader)")
    return iter(runner.stream(fmt.read(source, on_error)))
