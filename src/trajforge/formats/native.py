"""trajforge's own records: JSONL (.gz/.zst), Parquet, and shard directories with a manifest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trajforge.formats.base import Format
from trajforge.io import (
    SUPPORTED_SUFFIXES,
    WriteResult,
    read_raw,
    read_trajectories,
    write_trajectories,
)
from trajforge.schema import Trajectory


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """A file by suffix, or a shard directory (``shard_size`` records per shard)."""
    return write_trajectories(dest, trajectories, **options)


def detect(data: Any) -> bool:
    """Whether a record is trajforge's own: an object with an id and a schema version."""
    return isinstance(data, dict) and "schema_version" in data and "id" in data


FORMAT = Format(
    name="trajforge",
    description="trajforge records: JSONL (.gz/.zst), Parquet, or a shard directory",
    suffixes=SUPPORTED_SUFFIXES,
    read=read_trajectories,
    write=write,
    read_raw=read_raw,
    detect=detect,
)
