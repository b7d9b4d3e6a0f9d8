"""A shard's journal: finished episodes appended one line each, so a killed run loses none.

Each line is written with a single ``write`` on an ``O_APPEND`` descriptor. After a crash a torn
last line is cut off on reopening; every whole line is an episode that need not run again.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from trajforge.io._oserror import write_error


class JournalEntry(msgspec.Struct, array_like=True):
    """One finished work item and the trajectories it produced (JSON kept byte-exact)."""

    item: int
    trajectories: list[msgspec.Raw]


_decoder = msgspec.json.Decoder(JournalEntry)
_encoder = msgspec.json.Encoder()


def encode_entry(item: int, trajectories: list[bytes]) -> bytes:
    """One journal line: the item and its trajectories' JSON, byte-exact."""
    return _encoder.encode(JournalEntry(item, [msgspec.Raw(t) for t in trajectories])) + b"\n"


def decode_entry(line: bytes) -> tuple[int, list[bytes]]:
    """A journal line's item and trajectories (``msgspec.DecodeError`` if it is torn)."""
    entry = _decoder.decode(line)
    return entry.item, [bytes(t) for t in entry.trajectories]


class Journal:
    """An append-only file of JournalEntry lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[int, list[bytes]] = {}
        self._fd: int | None = None

    def load(self) -> dict[int, list[bytes]]:
        """Read every whole entry (and cut off a torn last line)."""
        if not self.path.exists():
            return self.entries
        data = self.path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                item, trajectories = decode_entry(line)
            except msgspec.DecodeError:
                break
            self.entries[item] = trajectories
            good += len(line)
        if good < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(good)
        return self.entries

    def append(self, item: int, trajectories: list[bytes]) -> None:
        """Record a finished item."""
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.write(self._fd, encode_entry(item, trajectories))
        except OSError as exc:  # a full disk, say: the error names the journal
            raise write_error(self.path, exc) from exc
        self.entries[item] = trajectories

    def remove(self) -> None:
        """Delete the journal (its shard has been published)."""
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the file descriptor."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
