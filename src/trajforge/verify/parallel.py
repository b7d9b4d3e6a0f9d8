"""Verification over a local process pool: replay is CPU-bound, trajectories are independent.

Trajectories travel to the workers as JSON bytes in chunks and come back verified, in input order;
at most ``2 * workers`` chunks are in flight, so memory stays bounded on any stream. The result is
the same bytes as :func:`~trajforge.verify.pipeline.verify_stream`'s.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from trajforge.schema import Trajectory, TrajectoryDecoder, encode
from trajforge.verify.pipeline import Verifier, VerifyOptions

#: Trajectories per task sent to a worker.
CHUNK = 32

_worker: tuple[VerifyOptions | None, Verifier] | None = None


def _verify_chunk(lines: list[bytes], options: VerifyOptions | None) -> list[bytes]:
    """In a worker: decode, verify and encode a chunk (one Verifier per process and options)."""
    global _worker  # noqa: PLW0603 - a per-process cache of the verifier and its schemas
    if _worker is None or _worker[0] != options:
        _worker = (options, Verifier(options))
    verifier = _worker[1]
    decoder = TrajectoryDecoder()
    return [encode(verifier.verify(decoder.decode(line))) for line in lines]


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
    decoder = TrajectoryDecoder()
    source = iter(trajectories)
    pending: deque[Future[list[bytes]]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        while True:
            while len(pending) < 2 * workers:
                batch = [encode(t) for t in islice(source, chunk)]
                if not batch:
                    break
                pending.append(pool.submit(_verify_chunk, batch, options))
            if not pending:
                return
            for line in pending.popleft().result():
                yield decoder.decode(line)
