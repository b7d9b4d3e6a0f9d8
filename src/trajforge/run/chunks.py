"""Episodes in chunks on an engine's workers (a Ray cluster): what a worker runs, and what it
sends back for the driver to journal.

A worker runs its chunk's items concurrently (``concurrency`` at a time, as the local runner
does). Where it sees the run's directory, it publishes its chunk as a shard when the chunk is
a whole shard and every item finished, or else writes the finished ones to journal segments
(:mod:`trajforge.run.segments`); it returns, per item, its count (or its lines, where it does
not see the directory) or its errors-file entry. Shards and segments are published atomically
and their bytes depend on the items alone, so a worker that dies and is run again duplicates
nothing; the driver publishes the other shards as the local runner does, and a driver killed
and restarted resumes from its journals and the segments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import msgspec

from trajforge.agents.gate import Gate
from trajforge.errors import EndpointDownError
from trajforge.io.atomic import deferred_sync
from trajforge.io.manifest import ShardInfo
from trajforge.run.episodes import EpisodeMaker, error_entry
from trajforge.run.items import make_item
from trajforge.run.segments import SegmentPlace
from trajforge.run.shard_files import write_shard
from trajforge.run.spec import RunSpec

#: Items per task sent to a worker, at least; and always for episodes that wait on a model
#: (a task run again redoes its chunk: small ones lose little and report often).
CHUNK = 16
#: Items per task, at most.
MAX_CHUNK = 512
#: Tasks per worker that a run of scripted episodes is cut into: each task costs the driver and
#: Ray's scheduler ~3 ms of CPU, and a few per worker still even out the load at the end.
TASKS_PER_WORKER = 4


def chunk_size(pending: int, workers: int, *, llm: bool, whole_shards: int | None = None) -> int:
    """Items per task for ``pending`` items on ``workers`` (``llm``: episodes wait on a model).

    ``whole_shards`` (the shard size, where the pending items are whole shards in order): a task
    per shard, which its worker publishes, when that still gives every worker a few tasks."""
    if llm:
        return CHUNK
    shards = pending // whole_shards if whole_shards else 0
    if whole_shards and whole_shards <= MAX_CHUNK and shards >= workers * TASKS_PER_WORKER:
        return whole_shards
    return max(CHUNK, min(MAX_CHUNK, -(-pending // (workers * TASKS_PER_WORKER))))


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome: its lines and whether it succeeded, or its errors-file entry (and,
    when its endpoint went down, why)."""

    index: int
    lines: list[bytes]
    success: bool = False
    error: dict[str, Any] | None = None
    down: str | None = None
    #: The trajectories a journal segment holds instead of ``lines``.
    segmented: int = 0


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's items, and the manifest entry of the shard it published (if it did)."""

    items: list[ItemResult]
    published: ShardInfo | None = None


#: Per worker process: the episode maker of each run spec it has seen (policy makers, clients).
_makers: dict[bytes, EpisodeMaker] = {}


@dataclass(frozen=True)
class EpisodeChunk:
    """The work sent with a chunk of item indices: the run's spec, whether the worker should
    make LLM agents and users (``trajforge.run.llm_hooks``), the engine's gates that bound
    what all workers send to one endpoint (:mod:`trajforge.agents.gate`), and where the
    run's journal segments go."""

    spec: RunSpec
    llm: bool
    gates: Callable[[str], Gate] | None = None
    place: SegmentPlace | None = None

    def __call__(self, chunks: list[list[int]]) -> list[ChunkResult]:
        """Run the chunks (in the worker), one after the other (see :meth:`one`); what it
        writes the driver makes durable (``sync_file``) as it records it."""
        with deferred_sync():
            return [self.one(indices) for indices in chunks]

    def one(self, indices: list[int]) -> ChunkResult:
        """Run a chunk's items. Where this worker sees the run's directory, a chunk that is a
        whole shard, every item finished, is published as the shard; other finished items go
        to journal segments."""
        results = asyncio.run(self._run(indices))
        place = self.place
        if place is None or not place.reachable():
            return ChunkResult(results)
        published = None
        if self._whole_shard(indices) and all(r.error is None for r in results):
            lines = [line for r in results for line in r.lines]
            shard = indices[0] // self.spec.shard_size
            published = write_shard(place.run_directory, shard, self.spec.format, lines)
        else:
            size = self.spec.shard_size
            by_shard: dict[int, list[tuple[int, list[bytes]]]] = {}
            for r in results:
                if r.error is None:
                    by_shard.setdefault(r.index // size, []).append((r.index, r.lines))
            for shard, entries in by_shard.items():
                place.write(shard, entries)
        kept = [r if r.error else replace(r, lines=[], segmented=len(r.lines)) for r in results]
        return ChunkResult(kept, published)

    def _whole_shard(self, indices: list[int]) -> bool:
        size = self.spec.shard_size
        first = indices[0] - indices[0] % size
        return indices == list(range(first, min(first + size, self.spec.total)))

    def _maker(self) -> EpisodeMaker:
        key = msgspec.json.encode(self.spec)
        if key not in _makers:
            hooks = None
            if self.llm:
                from trajforge.run.llm_hooks import llm_hooks  # noqa: PLC0415  # the llm extra

                hooks = llm_hooks(self.gates)
            _makers[key] = EpisodeMaker(self.spec, hooks)
        return _makers[key]

    async def _run(self, indices: list[int]) -> list[ItemResult]:
        maker = self._maker()
        slots = asyncio.Semaphore(self.spec.concurrency)

        async def one(index: int) -> ItemResult:
            async with slots:
                try:
                    episode = await maker.run(make_item(self.spec, index))
                except Exception as exc:  # a failed episode must not sink the chunk
                    down = str(exc) if isinstance(exc, EndpointDownError) else None
                    return ItemResult(index, [], error=error_entry(index, exc), down=down)
                return ItemResult(index, episode.lines, episode.success)

        return list(await asyncio.gather(*(one(index) for index in indices)))
