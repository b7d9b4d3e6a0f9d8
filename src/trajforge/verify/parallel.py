"""Verification over a local process pool: replay is CPU-bound, trajectories are independent.

The verify stage goes through the stage runner's workers (JSON bytes in chunks, input order,
bounded memory; each worker builds its Verifier and compiles its schemas once). The result is
the same bytes as :func:`~trajforge.verify.pipeline.verify_stream`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from trajforge.io.jsonl import RawLine
from trajforge.pipeline.runner import StageRunner
from trajforge.schema import Trajectory, TrajectoryDecoder, encode
from trajforge.verify.pipeline import Verifier, VerifyOptions, VerifyStage


def verify_parallel(
    trajectories: Iterable[Trajectory],
    options: VerifyOptions | None = None,
    *,
    workers: int = 2,
) -> Iterator[Trajectory]:
    """Verify a stream in ``workers`` processes, yielding the verified trajectories in order.

    ``workers <= 1`` verifies in this process (no pool).
    """
    if workers <= 1:
        yield from Verifier(options).stream(trajectories)
        return
    lines = (RawLine("<stream>", k, encode(t)) for k, t in enumerate(trajectories, start=1))
    runner = StageRunner([VerifyStage(options)], workers=workers)
    decoder = TrajectoryDecoder()
    for verified in runner.stream_raw(lines):
        yield verified if isinstance(verified, Trajectory) else decoder.decode(verified)
