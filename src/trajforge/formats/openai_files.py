"""The ``openai`` format: OpenAI chat records (``{"messages": [...], "tools": [...]}``) in any
file importers read (JSON lines, a JSON array, Parquet...), converted by
:mod:`trajforge.formats.openai`; written as JSON lines."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from trajforge.formats.importer import import_format
from trajforge.formats.openai import MESSAGES_KEY, record_to_trajectory, trajectory_to_record
from trajforge.io import WriteResult, write_lines
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one chat record (its raw line when there is one: no second encoding)."""
    return [record_to_trajectory(record.raw or record.data, location=record.location)]


def detect(data: Any) -> bool:
    """Whether a record is an OpenAI chat record: a ``messages`` list of objects with roles."""
    if not isinstance(data, dict) or "schema_version" in data:
        return False
    messages = data.get(MESSAGES_KEY)
    return (
        isinstance(messages, list)
        and bool(messages)
        and all(isinstance(m, dict) and "role" in m for m in messages[:3])
    )


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSONL file of chat records (shard options do not apply)."""
    lines = (msgspec.json.encode(trajectory_to_record(t)) for t in trajectories)
    return WriteResult(write_lines(dest, lines), (Path(dest),))


FORMAT = import_format(
    "openai",
    "OpenAI chat records with tool calls ({messages, tools}); written as JSON lines",
    convert,
    detect=detect,
    write=write,
)
