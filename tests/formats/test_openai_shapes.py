"""OpenAI chat shapes other tools write (TRL's rows, content parts, Hugging Face Parquet,
fine-tuning weights) import and go back out as they came; ids do not depend on spelling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trajforge.errors import ConversionError
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import mistakes
from trajforge.formats.openai import (
    WEIGHT_LABEL,
    record_to_trajectory,
    trajectory_to_messages,
    trajectory_to_record,
)
from trajforge.formats.openai_ft import record as ft_record
from trajforge.formats.registry import get_reader
from trajforge.schema import ToolCall, ToolResult, Trajectory

FIXTURES = Path(__file__).parents[1] / "fixtures"
TRL = FIXTURES / "openai_chat" / "trl_docs_tool_calling.jsonl"
USER = {"role": "user", "content": "What is the weather in Paris?"}


def _read(path: Path) -> list[Trajectory]:
    bad: list[Any] = []
    trajectories = list(get_reader("openai")(str(path), bad.append))
    assert bad == []
    return trajectories


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------- TRL's rows


def test_trl_rows_import_with_calls_paired_by_order_and_go_back_as_they_came() -> None:
    records = _lines(TRL)
    trajectories = _read(TRL)
    assert len(trajectories) == len(records)
    two_calls = trajectories[1].steps[0]
    calls = [a for a in two_calls.actions if isinstance(a, ToolCall)]
    results = [o for o in two_calls.observations if isinstance(o, ToolResult)]
    assert [c.id for c in calls] == ["call_0_0", "call_0_1"]  # made up, in order
    assert [r.call_id for r in results] == ["call_0_0", "call_0_1"]
    assert [r.name for r in results] == [c.name for c in calls]
    for trajectory, record in zip(trajectories, records, strict=True):
        assert trajectory_to_record(trajectory) == record


def test_trainers_and_the_api_get_the_made_up_ids_and_no_weights() -> None:
    trajectory = _read(TRL)[1]
    messages = trajectory_to_messages(trajectory)
    calls = messages[1]["tool_calls"]
    assert [(c["id"], c["type"]) for c in calls] == [
        ("call_0_0", "function"),
        ("call_0_1", "function"),
    ]
    assert [m["tool_call_id"] for m in messages[2:4]] == ["call_0_0", "call_0_1"]
    as_source = trajectory_to_messages(trajectory, as_source=True)
    assert as_source[1]["tool_calls"][0].keys() == {"type", "function"}
    weighted = record_to_trajectory(
        {"messages": [USER, {"role": "assistant", "content": "x", "weight": 0}]}
    )
    assert "weight" not in trajectory_to_messages(weighted)[1]


@pytest.mark.parametrize(
    ("messages", "path", "words"),
    [
        (
            [{"role": "tool", "name": "weather", "content": "1"}] * 2,
            "messages[3]",
            "tool result 2 after an assistant message with 1 calls",
        ),
        (
            [{"role": "tool", "name": "clock", "content": "1"}],
            "messages[2].name",
            "answers a call of 'weather'",
        ),
    ],
)
def test_results_that_do_not_pair_with_calls_are_located_errors(
    messages: list[dict[str, Any]], path: str, words: str
) -> None:
    call = {"type": "function", "function": {"name": "weather", "arguments": {"city": "Paris"}}}
    record = {"messages": [USER, {"role": "assistant", "tool_calls": [call]}, *messages]}
    with pytest.raises(ConversionError, match=words) as info:
        record_to_trajectory(record)
    assert info.value.path == path
    assert info.value.hint


def test_missing_types_and_null_tool_content_round_trip() -> None:
    record = {
        "messages": [
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "a", "content": None},
            {"role": "assistant", "content": "Done."},
        ],
        "tools": [{"function": {"name": "f", "parameters": {"type": "object"}}}],
    }
    trajectory = record_to_trajectory(record)
    assert trajectory.steps[0].observations == [ToolResult(call_id="a", content="")]
    assert trajectory_to_record(trajectory) == record


def test_the_null_fill_of_datasets_to_json_imports_and_round_trips() -> None:
    """``Dataset.to_json`` writes every key of the column's struct, ``null`` where unused."""
    filled = {"name": None, "tool_call_id": None, "tool_calls": None}
    call = {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    record = {
        "messages": [
            {"role": "user", "content": "hi", **filled},
            {"role": "assistant", "content": None, **filled, "tool_calls": [call]},
            {"role": "tool", "content": "x", **filled, "tool_call_id": "a"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "description": None}}],
    }
    trajectory = record_to_trajectory(record)
    assert trajectory.task.instruction == "hi"
    assert trajectory.steps[0].observations == [ToolResult(call_id="a", content="x")]
    assert trajectory_to_record(trajectory) == record


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"role": "tool", "tool_call_id": "a", "content": 3}, "messages[2].content"),
        (
            {"role": "tool", "tool_call_id": "a", "content": [{"type": 1}]},
            "messages[2].content[0].type",
        ),
    ],
)
def test_bad_tool_content_is_a_located_error(message: dict[str, Any], path: str) -> None:
    call = {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    record = {"messages": [USER, {"role": "assistant", "tool_calls": [call]}, message]}
    with pytest.raises(ConversionError) as info:
        record_to_trajectory(record)
    assert info.value.path == path


# ---------------------------------------------------------------- content parts

PARTS = [
    {"type": "text", "text": "What is in "},
    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    {"type": "text", "text": "this picture?"},
]


def test_content_parts_join_their_text_and_keep_the_rest() -> None:
    record = {
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": PARTS},
            {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
        ]
    }
    trajectory = record_to_trajectory(record)
    assert trajectory.system_prompt == "Be brief."
    assert trajectory.task.instruction == "What is in this picture?"
    assert trajectory_to_record(trajectory) == record
    trajectory.task.instruction = "What is this?"  # an edited text goes out as a string
    assert trajectory_to_record(trajectory)["messages"][1]["content"] == "What is this?"


# ---------------------------------------------------------------- fine-tuning weights


def test_weight_zero_is_a_step_label_and_openai_ft_round_trips() -> None:
    record = {
        "messages": [
            USER,
            {"role": "assistant", "content": "It rains.", "weight": 0},
            {"role": "user", "content": "Sure?"},
            {"role": "assistant", "content": "It is sunny.", "weight": 1},
        ]
    }
    trajectory = record_to_trajectory(record)
    first, second = trajectory.steps
    assert [label.name for label in first.labels] == [WEIGHT_LABEL]
    assert second.labels == []
    assert trajectory_to_record(trajectory) == record
    assert ft_record(trajectory, mistakes(trajectory, ExportOptions())) == record
    first.labels.clear()  # a reviewer cleared the mistake: the weight follows
    assert trajectory_to_record(trajectory)["messages"][1]["weight"] == 1


def test_a_weight_other_than_zero_or_one_is_a_located_error() -> None:
    record = {"messages": [USER, {"role": "assistant", "content": "x", "weight": 2}]}
    with pytest.raises(ConversionError) as info:
        record_to_trajectory(record)
    assert info.value.path == "messages[1].weight"


# ---------------------------------------------------------------- ids and file types


def _with_null_content(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for record in records:
        for message in record["messages"]:
            message.setdefault("content", None)
    return records


@pytest.fixture(scope="module")
def spellings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The TRL rows (with the API's ``"content": null`` on calling messages, which a table
    cannot tell from an absent key) as compact JSON lines, spaced lines with keys reversed, a
    JSON array and the Parquet file Hugging Face ``datasets`` writes (columns filled with nulls)."""
    records = _with_null_content(_lines(TRL))
    out = tmp_path_factory.mktemp("spellings")

    def reordered(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reordered(v) for k, v in reversed(value.items())}
        return [reordered(v) for v in value] if isinstance(value, list) else value

    files = {
        "compact": out / "compact.jsonl",
        "spaced": out / "spaced.jsonl",
        "array": out / "array.json",
        "parquet": out / "rows.parquet",
    }
    files["compact"].write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in records))
    files["spaced"].write_text(
        "".join(json.dumps(reordered(r), separators=(" , ", " : ")) + "\n" for r in records)
    )
    files["array"].write_text(json.dumps(records, indent=2))
    pq.write_table(pa.Table.from_pylist(records), files["parquet"])
    return files


def test_ids_are_the_same_in_every_spelling_and_file_type(spellings: dict[str, Path]) -> None:
    ids = {name: [t.id for t in _read(path)] for name, path in spellings.items()}
    assert len(set(ids["compact"])) == len(ids["compact"])
    assert ids["spaced"] == ids["array"] == ids["parquet"] == ids["compact"]
    # pinned: the canonical form must not drift between releases
    assert ids["compact"][:2] == [
        "oai-cbb35fef0dd0d1640ed63495087282f3",
        "oai-d18d39b3d825da4417c167c34e91b247",
    ]


def test_parquet_null_fill_reads_as_absent_keys(spellings: dict[str, Path]) -> None:
    table = pq.read_table(spellings["parquet"]).to_pylist()
    assert any(v is None for m in table[0]["messages"] for v in m.values())  # nulls are there
    from_parquet = _read(spellings["parquet"])
    for trajectory, record in zip(from_parquet, _with_null_content(_lines(TRL)), strict=True):
        assert trajectory_to_record(trajectory) == record


def test_a_bad_parquet_row_is_quarantined_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    rows = [{"messages": [USER]}, {"messages": None}]
    pq.write_table(pa.Table.from_pylist(rows), path)
    bad: list[Any] = []
    assert len(list(get_reader("openai")(str(path), bad.append))) == 1
    assert [b.path for b in bad] == ["[1].messages"]
    assert "required key missing" in bad[0].error
