"""A finished shard of a run: its file written atomically, and its manifest entry.

The driver writes a shard when its last item is journaled; on a Ray cluster, a worker whose
task is a whole shard writes it itself (:mod:`trajforge.run.chunks`). Both write the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from trajforge.io import write_lines, write_trajectories
from trajforge.io.manifest import ShardInfo, sha256_file
from trajforge.io.shards import shard_name
from trajforge.io.suffixes import DataFormat
from trajforge.schema import TrajectoryDecoder


class _IdOnly(msgspec.Struct):
    id: str


def write_shard(out: Path, shard: int, fmt: DataFormat, lines: list[bytes]) -> ShardInfo:
    """Write shard ``shard`` of the run in ``out`` (its trajectories' JSON ``lines``, in order)
    and return its manifest entry."""
    name = shard_name(shard, fmt)
    path = out / name
    if fmt == "parquet":
        decoder = TrajectoryDecoder()
        write_trajectories(path, (decoder.decode(line) for line in lines))
    else:
        write_lines(path, lines)
    ids = [msgspec.json.decode(line, type=_IdOnly).id for line in (lines[:1] + lines[-1:])]
    return ShardInfo(
        file=name,
        count=len(lines),
        sha256=sha256_file(path),
        first_id=ids[0] if ids else None,
        last_id=ids[-1] if ids else None,
    )
