"""Integrity of what is read: compressed streams' checksums and the sha256 of shards.

Damage is found only at the end of a checked unit: gzip checks a member's CRC-32 when the member
ends, zstd a frame's content checksum when the frame ends (trajforge writes one in every frame;
frames written without one are read unchecked), and a shard's sha256 from its manifest is known
when the file has been read through. By then the records read from that unit have gone
downstream, and some may be altered (one flipped bit in a deflate stream changes bytes and still
decodes). A stream that ends early after giving lines fails too: its check never ran. Holding
the records back until the check would take memory in proportion to the unit, and a
single-member gzip of gigabytes is common; so nothing is held. Instead a failed check raises
:class:`~trajforge.errors.IntegrityError`, which readers raise even when given ``on_error``: it is
not one bad record to set aside. Every command publishes its output only when its input has
been read through (a file is written beside its target and renamed at close, a shard directory
is complete only when its manifest says so, and ``write_trajectories`` deletes the shards it
wrote when the input fails a check), so an integrity error leaves no output, and the command
exits non-zero naming the file (``head`` shows records as it reads them, and stops with the
error if it gets that far). A compressed file that breaks before giving a single record (an
empty file, one that is not gzip at all, a document decoded whole) passed nothing on: it is an
ordinary bad file, reported through ``on_error``.

The sha256 of a JSONL shard is computed on the bytes as they are read (no second pass). Parquet
is read out of order (the footer first), so a Parquet shard is hashed before it is read, and a
mismatch is found before any of its rows.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from trajforge.errors import InputError, IntegrityError
from trajforge.io.manifest import hash_mismatch


def stream_error(
    file: str, exc: BaseException, *, line: int | None = None, read: str | None = None
) -> InputError:
    """The error for a compressed stream that broke with ``exc``: an IntegrityError when
    records were already read from it (``read`` says which, "lines 1-40"), since they may be
    altered; else an ordinary InputError, a bad file to set aside."""
    detail = str(exc) or type(exc).__name__
    message = "compressed stream is truncated or corrupt"
    if read:
        return IntegrityError(
            f"{message} ({detail})",
            file=file,
            line=line,
            hint=f"{read} were read before the damage showed, and may be altered: restore the "
            "file, or leave it out of the input",
        )
    return InputError(
        message, file=file, line=line, hint=f"the file may be cut short or damaged ({detail})"
    )


class HashingReader(io.RawIOBase):
    """A file read once, front to back, whose sha256 is checked against ``expected`` by
    :meth:`check` at the end."""

    def __init__(self, path: str | Path, expected: str) -> None:
        super().__init__()
        self.path = Path(path)
        self.expected = expected
        self._file = io.FileIO(path, "r")
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._file.readinto(buffer)
        if n:
            self._hash.update(buffer[:n])
        return n or 0

    def check(self) -> None:
        """Read what is left (a reader may stop short of the end) and compare the hashes."""
        while chunk := self._file.read(1 << 20):
            self._hash.update(chunk)
        actual = self._hash.hexdigest()
        if actual != self.expected:
            raise hash_mismatch(self.path, self.expected, actual)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()
