"""A gate in front of an LLM endpoint, shared by every client that sends to it.

A client with a gate holds one of its slots for each attempt it sends, and tells it when the
endpoint asked for a pause (a 429's ``Retry-After``, or a back-off): every other client behind
the same gate then waits too. On one machine a run needs none (its own concurrency bounds it);
on a Ray cluster, :mod:`trajforge.engine.limits` makes one gate per endpoint for all workers.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class Gate(Protocol):
    """In-flight slots and a shared pause for one endpoint."""

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Hold one in-flight slot (waiting for a free one, and out any pause)."""
        ...

    async def pause(self, seconds: float) -> None:
        """Make every client behind the gate wait ``seconds`` from now before sending again."""
        ...
