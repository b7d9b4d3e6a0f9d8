"""A pipeline's file stages on a cluster, a shard a task: the worker reads its input shard and
writes its output shard and quarantine itself, so the data never passes through the driver.

Each input shard of a stage maps to one output shard, whose bytes are what ``run_job`` writes
for that shard alone, wherever it runs; the driver gets back counts and the output's sha256.
Where a worker does not see the driver's storage
(:class:`~trajforge.engine.storage.SharedDirectory`) it hands the shard back, and the driver
runs it as it would on one machine (its record stages still in chunks on the cluster).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path

from trajforge.engine import Engine, get_engine
from trajforge.engine.storage import SharedDirectory
from trajforge.io.manifest import check_file_hash, sha256_file
from trajforge.pipeline.job import run_job
from trajforge.pipeline.runner import Observer, StageCount
from trajforge.pipeline.stage import Stage
from trajforge.pipeline.ticker import Ticker

#: Pending shards per worker from which the shards are the tasks (with fewer, chunks of
#: records spread the work more evenly).
SHARDS_PER_WORKER = 2


@dataclass(frozen=True)
class ShardTask:
    """One input shard (and its manifest's sha256, if known) and where its output goes."""

    source: str
    dest: str
    quarantine: str
    sha256: str | None


@dataclass(frozen=True)
class ShardDone:
    """What a shard's job wrote: trajectories, the output's sha256, records set aside, and each
    stage's counts."""

    count: int
    sha256: str
    quarantined: int
    stages: list[StageCount]


def run_shard(
    task: ShardTask,
    stages: Sequence[Stage],
    *,
    engine: Engine,
    workers: int | None = None,
    observers: Sequence[Observer] = (),
) -> ShardDone:
    """Run ``stages`` over one shard on ``engine`` (its input's hash checked first)."""
    if task.sha256 is not None:
        check_file_hash(Path(task.source), task.sha256)
    job = run_job(task.source, task.dest, stages, workers=workers, quarantine=Path(task.quarantine),
                  observers=observers, engine=engine)  # fmt: skip
    return ShardDone(job.written.count, sha256_file(Path(task.dest)), job.quarantined,
                     job.report.stages)  # fmt: skip


@dataclass(frozen=True)
class _ShardWork:
    """Sent to a worker: the stages, and the directory it must see to write there."""

    stages: list[Stage]
    place: SharedDirectory

    def __call__(self, tasks: list[ShardTask]) -> list[ShardDone | None]:
        if not self.place.reachable():
            return [None] * len(tasks)  # not on the driver's storage: the driver runs them
        local = get_engine("local")
        return [run_shard(task, self.stages, engine=local) for task in tasks]


def run_shards(
    tasks: list[ShardTask],
    stages: list[Stage],
    *,
    engine: Engine,
    workers: int | None,
    place: Path,
    progress: Ticker,
) -> Iterator[tuple[ShardTask, ShardDone]]:
    """Each shard's job, in order: a task a shard on a distributed ``engine`` with enough
    shards for its workers (``place``: a directory of the run that the workers must see), else
    (and for a shard a worker handed back) here, its record stages on ``engine``; ``progress``
    counts the trajectories written."""
    count = workers or engine.default_workers()
    here = partial(run_shard, stages=stages, engine=engine, workers=workers, observers=[progress])
    if not engine.distributed or len(tasks) < SHARDS_PER_WORKER * count:
        for task in tasks:
            yield task, here(task)
        return
    shared = SharedDirectory.claim(place)
    try:
        results = engine.map_chunks(_ShardWork(stages, shared), tasks, workers=count, chunk=1)
        for task, shipped in zip(tasks, chain.from_iterable(results), strict=True):
            if shipped is None:
                yield task, here(task)
            else:
                progress.advance(shipped.count)
                yield task, shipped
    finally:
        shared.release()
