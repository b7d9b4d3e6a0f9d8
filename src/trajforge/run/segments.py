"""Journal segments: the finished items a distributed run's workers write themselves.

On a Ray cluster each task writes its chunk's episodes (per shard it touches) to one segment
file in the run's journal directory, ``seg-SHARD-FIRST.jsonl`` in the journal's line format,
published atomically; it sends the driver only counts and errors. A segment is a pure function
of its items (ids, seeds and branches derive from the run's seed), so a task run again rewrites
the same bytes, and items two segments share (a resumed run cut into other chunks) are the same.
The driver publishes a shard from its segments and its own journal, then removes them.
Like the journal, a segment survives its writer being killed, not the machine being lost: it is
written without fsync (``deferred_sync``); what the driver publishes from it is durable.

A worker writes segments only where it sees the driver's run directory
(:class:`~trajforge.engine.storage.SharedDirectory`); elsewhere it sends its episodes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trajforge.engine.storage import SharedDirectory
from trajforge.io.atomic import atomic_write
from trajforge.run.journal import decode_entry, encode_entry


@dataclass(frozen=True)
class SegmentPlace(SharedDirectory):
    """A run's journal directory, as its workers are told it, and the driver's token there."""

    @property
    def run_directory(self) -> Path:
        """The run's directory (where its shards go)."""
        return Path(self.directory).parent

    def write(self, shard: int, entries: list[tuple[int, list[bytes]]]) -> None:
        """Publish ``entries`` (items of ``shard``, in order, with their lines) as one segment."""
        path = Path(self.directory) / f"seg-{shard:05d}-{entries[0][0]:09d}.jsonl"
        with atomic_write(path) as f:
            for item, lines in entries:
                f.write(encode_entry(item, lines))


def segment_files(directory: Path, shard: int) -> list[Path]:
    """The segments of ``shard`` in ``directory``."""
    return sorted(directory.glob(f"seg-{shard:05d}-*.jsonl"))


def load_segments(paths: Iterable[Path]) -> dict[int, list[bytes]]:
    """The items the segments at ``paths`` hold, with their lines."""
    entries: dict[int, list[bytes]] = {}
    for path in paths:
        for line in path.read_bytes().splitlines(keepends=True):
            item, lines = decode_entry(line)
            entries[item] = lines
    return entries


def remove_segments(paths: Iterable[Path]) -> None:
    """Delete published segments."""
    for path in paths:
        path.unlink(missing_ok=True)
