"""``trl-sft``: TRL conversational rows with tool calls and tools."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import msgspec

from trajforge.formats.chat import tool_schemas
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.trl_sft import write
from trajforge.schema import ToolCall, ToolResult, Trajectory

from .trajectories import read_rows


def test_rows_hold_every_message_with_calls_as_objects_and_the_tools(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "sft.jsonl.gz"
    assert write(str(out), branched).count == len(branched)
    rows = [json.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    for run, row in zip(branched, rows, strict=True):
        assert set(row) == {"messages", "tools"}
        assert row["tools"] == tool_schemas(run.tools)
        calls = [c for m in row["messages"] for c in m.get("tool_calls", ())]
        expected = [a for s in run.steps for a in s.actions if isinstance(a, ToolCall)]
        assert [c["function"] for c in calls] == [
            {"name": a.name, "arguments": a.arguments} for a in expected
        ]
        results = [o for s in run.steps for o in s.observations if isinstance(o, ToolResult)]
        assert [m["content"] for m in row["messages"] if m["role"] == "tool"] == [
            o.content for o in results
        ]
        reasoning = [
            m.get("reasoning_content") for m in row["messages"] if m["role"] == "assistant"
        ]
        assert reasoning == [s.reasoning for s in run.steps]


def test_the_json_strings_option_stores_tools_and_arguments_as_text(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "sft.jsonl"
    write(str(out), branched[:2], export=ExportOptions(json_strings=True))
    for run, row in zip(branched, read_rows(out), strict=False):
        assert msgspec.json.decode(row["tools"]) == tool_schemas(run.tools)
        arguments = [
            c["function"]["arguments"] for m in row["messages"] for c in m.get("tool_calls", ())
        ]
        assert arguments
        assert all(isinstance(text, str) for text in arguments)
