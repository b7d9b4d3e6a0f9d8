"""A stream parked on disk: a step that must see every trajectory before it lets one through
writes them here in the first pass and reads them back, in order, in the second.

The file is a nameless temporary file in ``$TMPDIR`` (gone when closed, or when the process
dies), as JSON lines: it takes about as much disk as the stream's JSON, and no memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Self

from trajforge.schema import Trajectory, TrajectoryDecoder, encode

BUFFER = 1 << 20


class TrajectorySpill:
    """Trajectories written, then read back in the same order (from the start, each time)."""

    def __init__(self) -> None:
        # lives as long as the spill, closed by close() (or the with block); a large buffer,
        # since a line is a whole trajectory (tens of kB): 3x faster to read back than 8 kB
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="trajforge-spill-", buffering=BUFFER
        )

    def write(self, trajectory: Trajectory) -> None:
        """Park one trajectory."""
        self._file.write(encode(trajectory))
        self._file.write(b"\n")

    def read(self) -> Iterator[Trajectory]:
        """The parked trajectories, in the order they were written."""
        self._file.flush()
        self._file.seek(0)
        decoder = TrajectoryDecoder()
        for line in self._file:
            yield decoder.decode(line)

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
