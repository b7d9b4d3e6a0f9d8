"""A spill file: records written once to a temporary file and read back in order, so that a
step that must see the whole stream before it decides holds counts in memory, not records.

Each record is a small header (what the step needs to decide) and its payload (the encoded
trajectory); the headers can be read again without the payloads. The file is deleted on close.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from typing import Final

_FRAME: Final = struct.Struct("<II")  # header length, payload length


class Spill:
    """Length-framed (header, payload) pairs in a temporary file."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="trajforge-spill-")  # noqa: SIM115 - close()
        self.count = 0

    def add(self, header: bytes, payload: bytes) -> None:
        """Append one record."""
        self._file.write(_FRAME.pack(len(header), len(payload)))
        self._file.write(header)
        self._file.write(payload)
        self.count += 1

    def headers(self) -> Iterator[bytes]:
        """Every header, in order (the payloads skipped)."""
        for header, size in self._frames():
            self._file.seek(size, 1)
            yield header

    def records(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (header, payload), in order."""
        for header, size in self._frames():
            yield header, self._file.read(size)

    def _frames(self) -> Iterator[tuple[bytes, int]]:
        file = self._file
        file.flush()
        file.seek(0)
        for _ in range(self.count):
            size_header, size_payload = _FRAME.unpack(file.read(_FRAME.size))
            yield file.read(size_header), size_payload

    def close(self) -> None:
        """Delete the file."""
        self._file.close()
