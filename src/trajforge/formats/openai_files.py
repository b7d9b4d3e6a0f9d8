"""The ``openai`` format: files of OpenAI chat records (``{"messages": [...], "tools": [...]}``),
one per JSONL line (.jsonl, .jsonl.gz, .jsonl.zst), converted by :mod:`trajforge.formats.openai`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from trajforge.errors import TrajforgeError
from trajforge.formats.base import Format
from trajforge.formats.openai import record_to_trajectory, trajectory_to_record
from trajforge.io import (
    BadRecord,
    OnError,
    WriteResult,
    iter_lines,
    resolve_paths,
    write_lines,
)
from trajforge.schema import Trajectory


def read(source: str, on_error: OnError | None) -> Iterator[Trajectory]:
    """The trajectories of every chat record in the files ``source`` names."""
    for path in resolve_paths(source):
        for line in iter_lines(path, on_error=on_error):
            location = f"{line.file}:{line.line}"
            try:
                yield record_to_trajectory(line.data, location=location)
            except TrajforgeError as exc:
                exc.located(file=line.file, line=line.line)
                if on_error is None:
                    raise
                on_error(BadRecord.from_error(exc, raw=line.data))


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSONL file of chat records (shard options do not apply)."""
    lines = (msgspec.json.encode(trajectory_to_record(t)) for t in trajectories)
    return WriteResult(write_lines(dest, lines), (Path(dest),))


FORMAT = Format(
    name="openai",
    description="OpenAI chat records with tool calls ({messages, tools}), one per JSONL line",
    suffixes=(".jsonl", ".jsonl.gz", ".jsonl.zst"),
    read=read,
    write=write,
)
