"""Episodes in chunks on an engine's workers (a Ray cluster): what a worker runs, and what it
sends back for the driver to journal.

A worker runs its chunk's items concurrently (``concurrency`` at a time, as the local runner
does) and returns, per item, its lines or its errors-file entry; it writes nothing. The driver
journals and publishes shards as the local runner does, so a worker that dies and is run again
duplicates nothing, and a driver killed and restarted resumes from its journals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from trajforge.agents.gate import Gate
from trajforge.errors import EndpointDownError
from trajforge.run.episodes import EpisodeMaker, error_entry
from trajforge.run.items import make_item
from trajforge.run.spec import RunSpec

#: Items per task sent to a worker (each task costs the driver ~4 ms of Ray's CPU).
CHUNK = 16


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome: its lines and whether it succeeded, or its errors-file entry (and,
    when its endpoint went down, why)."""

    index: int
    lines: list[bytes]
    success: bool = False
    error: dict[str, Any] | None = None
    down: str | None = None


#: Per worker process: the episode maker of each run spec it has seen (policy makers, clients).
_makers: dict[bytes, EpisodeMaker] = {}


@dataclass(frozen=True)
class EpisodeChunk:
    """The work sent with a chunk of item indices: the run's spec, whether the worker should
    make LLM agents and users (``trajforge.run.llm_hooks``), and the engine's gates that bound
    what all workers send to one endpoint (:mod:`trajforge.agents.gate`)."""

    spec: RunSpec
    llm: bool
    gates: Callable[[str], Gate] | None = None

    def __call__(self, indices: list[int]) -> list[ItemResult]:
        """Run the items (in the worker)."""
        return asyncio.run(self._run(indices))

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
