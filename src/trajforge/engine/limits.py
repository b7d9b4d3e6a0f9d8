"""One gate per LLM endpoint for every worker of a Ray cluster (:mod:`trajforge.agents.gate`).

The gate is a named Ray actor per endpoint URL, made (or found, for another driver on the
same cluster) by the driver, which holds it for the run: it hands out at most ``limit``
in-flight slots and holds the pause the endpoint last asked for (a 429), so N workers send
what one process would, never N times that, and a rate limit seen by one worker slows them
all.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import ray

#: The Ray namespace of trajforge's named actors.
NAMESPACE = "trajforge"


@ray.remote(num_cpus=0)
class EndpointGate:
    """The actor: ``limit`` slots, and the instant before which no one sends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self.resume_at = 0.0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        """Wait for the end of any pause and a free slot, then take the slot."""
        while True:
            wait = self.resume_at - time.time()
            if wait > 0:  # slept out of the lock: slots are given back meanwhile
                await asyncio.sleep(wait)
                continue
            async with self._changed:
                if self.in_flight < self.limit:
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    return
                await self._changed.wait()

    async def release(self) -> None:
        """Give a slot back."""
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify()

    def pause(self, seconds: float) -> None:
        """No one sends for ``seconds`` from now (a later pause already asked for stays)."""
        self.resume_at = max(self.resume_at, time.time() + seconds)

    def stats(self) -> dict[str, float]:
        """Slots in use, the most ever in use, and the limit."""
        return {"in_flight": self.in_flight, "peak": self.peak, "limit": self.limit}


def gate_actor(base_url: str, limit: int) -> Any:
    """The gate actor of the endpoint at ``base_url`` (made with ``limit`` slots if new)."""
    digest = hashlib.blake2b(base_url.rstrip("/").encode(), digest_size=8).hexdigest()
    return EndpointGate.options(  # type: ignore[attr-defined]
        name=f"endpoint-gate-{digest}", namespace=NAMESPACE, get_if_exists=True
    ).remote(limit)


class RayGate:
    """A client's view of an endpoint's gate actor."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Hold one of the endpoint's slots."""
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        await self.actor.acquire.remote()
        try:
            yield
        finally:
            await self.actor.release.remote()

    async def pause(self, seconds: float) -> None:
        """Every worker waits ``seconds`` before its next attempt at the endpoint."""
        await self.actor.pause.remote(seconds)


@dataclass(frozen=True)
class RayGates:
    """Sent to the workers: the gate actors of the run's endpoints, by base URL."""

    actors: dict[str, Any]

    @classmethod
    def of(cls, endpoints: Iterable[str], limit: int) -> RayGates:
        """The gates of ``endpoints``, ``limit`` requests in flight to each (on the driver)."""
        return cls({url: gate_actor(url, limit) for url in endpoints})

    def __call__(self, base_url: str) -> RayGate:
        """The gate of the endpoint at ``base_url``."""
        return RayGate(self.actors[base_url])
