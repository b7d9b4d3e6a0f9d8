"""What runs trajforge's parallel work: the engine protocol, and the local engine.

An engine maps a picklable function over chunks of a stream and gives the results back in
input order, with a bounded number of chunks in flight (so memory stays flat). The local
engine is the process pool of :mod:`trajforge.io.pool`; the Ray engine
(:mod:`trajforge.engine.ray_engine`) sends the chunks to a Ray cluster as tasks. Everything
else (the episode journal and shards, the stage runner's counts and quarantine, the writers)
stays in the calling process, so the two engines give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from trajforge.agents.gate import Gate
    from trajforge.curate.duplicates import DuplicateFinder, NearSettings

A = TypeVar("A")
B = TypeVar("B")


class Engine(Protocol):
    """Runs chunks of work in parallel: in local processes or on a cluster."""

    #: ``local`` or ``ray``.
    name: str
    #: Whether work leaves this process even with one worker (then the callers always send
    #: their chunks through :meth:`map_chunks`).
    distributed: bool

    def default_workers(self) -> int:
        """Chunks run at once when the caller does not say (local: 1; Ray: the cluster's CPUs)."""
        ...

    def map_chunks(
        self, fn: Callable[[list[A]], B], items: Iterable[A], *, workers: int, chunk: int
    ) -> Iterator[B]:
        """``fn`` over chunks of ``items``, ``workers`` at a time, its results in input order:
        chunks of ``chunk`` items (a distributed engine: at least, grown while items are cheap)."""
        ...

    def duplicate_finder(self, *, exact: bool, near: NearSettings | None) -> DuplicateFinder:
        """The first pass of the ``[dedup]`` step (where signatures and LSH bands are made)."""
        ...

    def endpoint_gates(self, endpoints: Iterable[str], limit: int) -> Callable[[str], Gate] | None:
        """What gives each of the LLM ``endpoints`` (base URLs) one gate of ``limit`` in-flight
        requests for all the engine's workers (None: the local run's own concurrency bounds
        it). Made by the driver, which keeps it for the run."""
        ...


class LocalEngine:
    """This machine: a process pool (``workers`` > 1), or this process."""

    name = "local"
    distributed = False

    def default_workers(self) -> int:
        """One: parallel work on one machine is asked for with ``--workers``."""
        return 1

    def map_chunks(
        self, fn: Callable[[list[A]], B], items: Iterable[A], *, workers: int, chunk: int
    ) -> Iterator[B]:
        """The local process pool (:func:`trajforge.io.pool.map_chunks`), ``chunk`` items a
        chunk (a process costs far less per chunk than a Ray task)."""
        from trajforge.io.pool import map_chunks  # noqa: PLC0415  # io imports engines lazily

        return map_chunks(fn, items, workers=workers, chunk=chunk)

    def duplicate_finder(self, *, exact: bool, near: NearSettings | None) -> DuplicateFinder:
        """The in-process finder (signatures and LSH bands in this process)."""
        from trajforge.curate.duplicates import DuplicateFinder  # noqa: PLC0415

        return DuplicateFinder(exact=exact, near=near)

    def endpoint_gates(self, endpoints: Iterable[str], limit: int) -> Callable[[str], Gate] | None:
        """None: one process's concurrency already bounds its requests."""
        return None
