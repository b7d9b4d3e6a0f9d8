"""The ``openai`` format: OpenAI chat records (``{"messages": [...], "tools": [...]}``, or a bare
array of messages) in any file importers read (JSON lines, a JSON array, Parquet...), converted
by :mod:`trajforge.formats.openai`; written as JSON lines."""

from __future__ import annotations

from typing import Any

from trajforge.formats.importer import import_format, record_writer
from trajforge.formats.openai import record_to_trajectory, trajectory_to_json
from trajforge.formats.openai_decode import MESSAGES_KEY, without_null_fill
from trajforge.io.documents import SourceRecord, from_table, undecoded_lines
from trajforge.schema import Trajectory


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one chat record (a line is left undecoded by the reader: decoded once,
    straight into the wire Structs; a Parquet row without its columns' null fill)."""
    if record.raw:
        return [record_to_trajectory(record.raw, location=record.location)]
    data = record.data
    if isinstance(data, dict) and from_table(record):
        data = without_null_fill(data)
    return [record_to_trajectory(data, location=record.location)]


def detect(data: Any) -> bool:
    """Whether a record is an OpenAI chat record: a ``messages`` list of objects with roles (or
    such a list alone)."""
    if isinstance(data, dict) and "schema_version" not in data:
        data = data.get(MESSAGES_KEY)
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(m, dict) and "role" in m for m in data[:3])
    )


FORMAT = import_format(
    "openai",
    "OpenAI chat records with tool calls ({messages, tools}); written as JSON lines",
    convert,
    detect=detect,
    write=record_writer(trajectory_to_json),
    records=undecoded_lines,
)
