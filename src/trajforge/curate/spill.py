"""A stream parked on disk: a step that must see every trajectory before it lets one through
(dedup, balance) writes them here in the first pass and reads them back, in order, in the second,
holding counts in memory, not records.

Each record is the encoded trajectory and an optional small header (what the step needs to
decide), length-framed; the headers can be read again without decoding the trajectories. The
file is a nameless temporary file in ``$TMPDIR``, gone when closed or when the process dies: it
takes about as much disk as the stream's JSON, and no memory.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Final, Self

from trajforge.schema import Trajectory, TrajectoryDecoder, encode

_FRAME: Final = struct.Struct("<II")  # header length, trajectory length
#: A record is a whole trajectory (tens of kB): a large buffer reads it back 3x faster than 8 kB.
BUFFER: Final = 1 << 20


class Spill:
    """Trajectories (each with a header) written, then read back in the same order, from the
    start each time."""

    def __init__(self) -> None:
        # lives as long as the spill, closed by close() (or the with block)
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="trajforge-spill-", buffering=BUFFER
        )
        self.count = 0

    def write(self, trajectory: Trajectory, header: bytes = b"") -> None:
        """Park one trajectory, with what the step needs to decide about it."""
        payload = encode(trajectory)
        self._file.write(_FRAME.pack(len(header), len(payload)))
        self._file.write(header)
        self._file.write(payload)
        self.count += 1

    def headers(self) -> Iterator[bytes]:
        """Every header, in order (the trajectories skipped)."""
        for header, size in self._frames():
            self._file.seek(size, 1)
            yield header

    def records(self) -> Iterator[tuple[bytes, Trajectory]]:
        """Every (header, trajectory), in the order they were written."""
        decoder = TrajectoryDecoder()
        for header, size in self._frames():
            yield header, decoder.decode(self._file.read(size))

    def read(self) -> Iterator[Trajectory]:
        """The parked trajectories, in the order they were written."""
        for _, trajectory in self.records():
            yield trajectory

    def _frames(self) -> Iterator[tuple[bytes, int]]:
        file = self._file
        file.flush()
        file.seek(0)
        for _ in range(self.count):
            size_header, size_payload = _FRAME.unpack(file.read(_FRAME.size))
            yield file.read(size_header), size_payload

    def close(self) -> None:
        """Remove the file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
