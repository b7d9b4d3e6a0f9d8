"""A curation run: the config's steps from a source to a sink, what they removed in an exclusion
file, and every step's report in one JSON file.

Beside the output ``OUT``: ``OUT.excluded.jsonl`` holds each removed trajectory with the step
and the reason (:func:`trajforge.curate.step.excluded_record`), ``OUT.curation.json`` what
every step saw, kept and removed by reason, and its report; bad input records go to the
quarantine as in every job. All are published atomically: a failed run leaves none of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import msgspec

from trajforge.curate.config import CurationConfig, build_steps
from trajforge.curate.step import Exclude, Reporting, excluded_record
from trajforge.formats.base import Format
from trajforge.io.atomic import KeepOrDiscard, atomic_write
from trajforge.io.jsonl import LineWriter
from trajforge.pipeline.job import JobResult, run_job
from trajforge.pipeline.runner import StageCount
from trajforge.pipeline.stage import Stage
from trajforge.schema import Trajectory

#: The reason counted for what a step dropped without saying why (a plugin's bug).
UNSAID = "(removed without a reason)"


def beside(dest: str, suffix: str) -> Path:
    """A file named after the output: ``OUT.excluded.jsonl``, ``OUT.curation.json``."""
    return Path(f"{dest.rstrip('/')}{suffix}")


class Exclusions(KeepOrDiscard):
    """Where removed trajectories go: counted by step and reason, and written to ``path`` as
    JSON lines (published when the run ends cleanly) unless ``path`` is ``None``.

    The file is started at the first removal: starting the output clears temporary files
    named after it, this one's included.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._writer: LineWriter | None = None

    def for_step(self, step: str) -> Exclude:
        """The ``exclude`` callback of one step."""

        def exclude(trajectory: Trajectory, reason: str, **detail: Any) -> None:
            self.counts[step][reason] += 1
            writer = self._started()
            if writer is not None:
                record = excluded_record(trajectory, step, reason, **detail)
                writer.write_line(msgspec.json.encode(record))

        return exclude

    def _started(self) -> LineWriter | None:
        if self._writer is None and self.path is not None:
            self._writer = LineWriter(self.path)
        return self._writer

    def close(self) -> None:
        """Publish the file (empty if nothing was removed)."""
        writer = self._started()
        if writer is not None:
            writer.close()

    def abort(self) -> None:
        """Discard the file."""
        if self._writer is not None:
            self._writer.abort()


@dataclass(frozen=True)
class StepSummary:
    """What one step did: seen, kept (``changed`` of them changed), removed by reason, and its
    report (if it has one)."""

    name: str
    version: str
    seen: int
    kept: int
    changed: int
    removed: dict[str, int]
    report: dict[str, Any] | None


@dataclass(frozen=True)
class CurationResult:
    """A curation run: the job, each step's summary, and the files written beside the output."""

    job: JobResult
    steps: list[StepSummary]
    stages: list[Stage]
    exclusions: Path | None
    report: Path


def run_curation(
    source: str,
    dest: str,
    config: CurationConfig,
    *,
    fmt: Format | None = None,
    exclusions: bool = True,
    quarantine: Path | None = None,
) -> CurationResult:
    """Run the curation ``config`` over ``source`` into ``dest``, with its exclusion file (unless
    ``exclusions`` is off) and its report beside it."""
    excluded = Exclusions(beside(dest, ".excluded.jsonl") if exclusions else None)
    stages = build_steps(config, excluded.for_step)
    with excluded:
        job = run_job(source, dest, stages, fmt=fmt, quarantine=quarantine)
    names = [name for name, _ in config.tables]
    steps = [
        _summary(name, stage, count, excluded)
        for name, stage, count in zip(names, stages, job.report.stages, strict=True)
    ]
    report = beside(dest, ".curation.json")
    document = {
        "source": source,
        "output": dest,
        "config": config.file,
        "seed": config.seed,
        "written": job.written.count,
        "quarantined": job.quarantined,
        "steps": [asdict(step) for step in steps],
    }
    with atomic_write(report) as out:
        out.write(msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n")
    return CurationResult(job, steps, stages, excluded.path, report)


def _summary(name: str, stage: Stage, count: StageCount, excluded: Exclusions) -> StepSummary:
    removed = dict(excluded.counts[name].most_common())
    unsaid = count.set_aside - sum(removed.values())
    if unsaid > 0:
        removed[UNSAID] = unsaid
    report = stage.report() if isinstance(stage, Reporting) else None
    return StepSummary(
        stage.name, stage.version, count.seen, count.kept, count.changed, removed, report
    )
