"""Verification over a local process pool: replay is CPU-bound, trajectories are independent.

The stream goes through :func:`~trajforge.io.pool.map_ordered` (JSON bytes in chunks, input
order, bounded memory); each worker builds its Verifier (and compiles its schemas) once. The
result is the same bytes as :func:`~trajforge.verify.pipeline.verify_stream`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from trajforge.io.pool import map_ordered
from trajforge.schema import Trajectory
from trajforge.verify.pipeline import Verifier, VerifyOptions, verifier_for

#: Trajectories per task sent to a worker.
CHUNK = 32


def verify_parallel(
    trajectories: Iterable[Trajectory],
    options: VerifyOptions | None = None,
    *,
    workers: int = 2,
    chunk: int = CHUNK,
) -> Iterator[Trajectory]:
    """Verify a stream in ``workers`` processes, yielding the verified trajectories in order.

    ``workers <= 1`` verifies in this process (no pool).
    """
    if workers <= 1:
        yield from Verifier(options).stream(trajectories)
        return
    work = partial(_verify, options or VerifyOptions())
    yield from map_ordered(work, trajectories, workers=workers, chunk=chunk)


def _verify(options: VerifyOptions, trajectory: Trajectory) -> Trajectory:
    """In a worker: verify with this process's Verifier for ``options``."""
    return verifier_for(options).verify(trajectory)
