"""The JSON Schema (draft 2020-12) of a trajectory record."""

from __future__ import annotations

from typing import Any

import msgspec

from trajforge.schema.records import SCHEMA_VERSION, Trajectory


def trajectory_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of one trajectory record (one JSONL line)."""
    body = msgspec.json.schema(Trajectory)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://trajforge.dev/schema/trajectory-{SCHEMA_VERSION}.json",
        "title": "trajforge trajectory",
        **body,
    }
