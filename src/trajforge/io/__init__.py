"""Streaming IO: JSONL (.gz/.zst) and nested Parquet, shard directories, atomic writes.

Read with :func:`read_trajectories` (a file, glob or directory), write with
:func:`write_trajectories` (a file by suffix, or a shard directory); bad records go to
``on_error`` callbacks such as :class:`Quarantine`.
"""

from trajforge.io.checks import ReadChecks, checking, read_checks, with_checks
from trajforge.io.jsonl import RawLine, iter_lines, read_jsonl, write_jsonl, write_lines
from trajforge.io.manifest import Manifest, ShardInfo
from trajforge.io.parquet import read_parquet, write_parquet
from trajforge.io.quarantine import BadRecord, OnError, Quarantine
from trajforge.io.shards import ShardedWriter
from trajforge.io.sources import (
    DataFile,
    WriteResult,
    check_destination,
    copy_trajectories,
    read_file,
    read_raw,
    read_rows,
    read_trajectories,
    resolve_files,
    resolve_paths,
    write_trajectories,
)
from trajforge.io.suffixes import SUPPORTED_SUFFIXES, DataFormat

__all__ = [
    "SUPPORTED_SUFFIXES",
    "BadRecord",
    "DataFile",
    "DataFormat",
    "Manifest",
    "OnError",
    "Quarantine",
    "RawLine",
    "ReadChecks",
    "ShardInfo",
    "ShardedWriter",
    "WriteResult",
    "check_destination",
    "checking",
    "copy_trajectories",
    "iter_lines",
    "read_checks",
    "read_file",
    "read_jsonl",
    "read_parquet",
    "read_raw",
    "read_rows",
    "read_trajectories",
    "resolve_files",
    "resolve_paths",
    "with_checks",
    "write_jsonl",
    "write_lines",
    "write_parquet",
    "write_trajectories",
]
