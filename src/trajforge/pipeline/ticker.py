"""Progress of a batch job: an observer of the stage runner that counts what it writes.

Where the stages run in worker processes (or on a Ray cluster) each worker counts its chunk
and the counts are merged here as the chunks come back, so one bar shows the whole run.
"""

from __future__ import annotations

from collections.abc import Callable

from trajforge.schema import Trajectory


class Ticker:
    """Reports each trajectory written as progress (``tick`` gets the running count)."""

    def __init__(self, tick: Callable[[int], None] | None, start: int = 0) -> None:
        self.tick = tick
        self.count = start

    def add(self, trajectory: Trajectory) -> None:
        """One more trajectory done."""
        self.advance(1)

    def advance(self, n: int) -> None:
        """``n`` more done."""
        self.count += n
        if self.tick is not None:
            self.tick(self.count)

    def merge(self, other: Ticker) -> None:
        """What a worker process did."""
        self.advance(other.count)

    def fresh(self) -> Ticker:
        """A counter for a worker process (progress is reported here, as chunks come back)."""
        return Ticker(None)
