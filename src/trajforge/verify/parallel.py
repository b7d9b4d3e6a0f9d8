"""Verification over a local process pool: replay is CPU-bound, trajectories are independent.

The stream goes through :func:`~trajforge.io.pool.map_ordered` (JSON bytes in chunks, input
order, bounded memory); each worker builds its Verifier (and compiles its schemas) once. The
result is the same bytes as :func:`~trajforge.verify.pipeline.verify_stream`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from trajforge.io.pool import map_ordered
from trajforge.schema import Trajectory
from trajforge.verify.pipeline import Verifier, VerifyOptions

#: Trajectories per task sent to a worker.
CHUNK = 32

_worker: tuple[VerifyOptions | None, Verifier] | None = None


class _Verify:
    """Verification with ``options``; only the options travel, the Verifier is per process."""

    def __init__(self, options: VerifyOptions | None) -> None:
        self.options = options

    def __call__(self, trajectory: Trajectory) -> Trajectory:
        global _worker  # noqa: PLW0603 - a per-process cache of the verifier and its schemas
        if _worker is None or _worker[0] != self.options:
            _worker = (self.options, Verifier(self.options))
        return _worker[1].verify(trajectory)


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
    yield from map_ordered(_Verify(options), trajectories, workers=workers, chunk=chunk)
