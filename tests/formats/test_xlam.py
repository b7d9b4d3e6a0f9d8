"""The APIGen/xLAM format.

No public sample of xlam-function-calling-60k could be had (the data is gated on Hugging Face;
see tests/fixtures/SOURCES.md), so these records are written here after its documented shape:
the two rows below are the ones its downstream copies print as examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.samples import assert_round_trips
from trajforge.errors import ConversionError
from trajforge.formats.registry import get_format
from trajforge.formats.xlam import detect, record_to_trajectory, trajectory_to_record
from trajforge.io import BadRecord
from trajforge.schema import ExpectedAction, Reply, Step, Task, ToolCall, ToolResult, Trajectory

SPLIT = {
    "id": 1234,
    "query": "Please split the list [10, 20, 30, 40, 50, 60] into chunks of size 4, and also find "
    "the index of 30 in this list.",
    "answers": json.dumps(
        [
            {"name": "split_list", "arguments": {"lst": [10, 20, 30, 40, 50, 60], "chunk_size": 4}},
            {"name": "binary_search", "arguments": {"arr": [10, 20, 30, 40, 50, 60], "target": 30}},
        ]
    ),
    "tools": json.dumps(
        [
            {
                "name": "split_list",
                "description": "Splits a list into chunks of a specified size.",
                "parameters": {
                    "lst": {"description": "The input list.", "type": "List"},
                    "chunk_size": {"description": "The size of each chunk.", "type": "int"},
                },
            },
            {
                "name": "binary_search",
                "description": "Performs binary search on a sorted list.",
                "parameters": {
                    "arr": {"description": "The sorted list of integers.", "type": "List[int]"},
                    "target": {"description": "The target value.", "type": "int"},
                },
            },
        ]
    ),
}
GIVEAWAYS = {
    "id": 0,
    "query": "Where can I find live giveaways for beta access and games?",
    "answers": json.dumps(
        [
            {"name": "live_giveaways_by_type", "arguments": {"type": "beta"}},
            {"name": "live_giveaways_by_type", "arguments": {"type": "game"}},
        ]
    ),
    "tools": json.dumps(
        [
            {
                "name": "live_giveaways_by_type",
                "description": "Retrieve live giveaways from the GamerPower API.",
                "parameters": {
                    "type": {
                        "description": "The type of giveaways (e.g., game, loot, beta).",
                        "type": "str",
                        "default": "game",
                    },
                    "platform": {"description": "The platform.", "type": "str, optional"},
                    "callback": {
                        "description": "Per item.",
                        "type": "Callable[[str], None]",
                    },
                },
            }
        ]
    ),
}


QUERY = Task(instruction="q")


def test_answers_are_the_expected_actions_and_the_one_step() -> None:
    traj = record_to_trajectory(SPLIT)
    assert traj.task.instruction == SPLIT["query"]
    answers = json.loads(SPLIT["answers"])
    assert traj.task.expected_actions == [ExpectedAction(**answer) for answer in answers]
    assert not traj.task.expected_actions_ordered
    [step] = traj.steps
    assert step.actions == [
        ToolCall(id=f"call_0_{i}", **answer) for i, answer in enumerate(answers)
    ]
    assert step.observations == []
    assert traj.tools[1].parameters == {
        "type": "object",
        "properties": {
            "arr": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "The sorted list of integers.",
            },
            "target": {"type": "integer", "description": "The target value."},
        },
        "required": ["arr", "target"],
    }
    assert traj.provenance.extra == {"$": {"id": 1234}}
    assert trajectory_to_record(traj) == SPLIT


def test_optional_defaulted_and_unnamed_types() -> None:
    traj = record_to_trajectory(GIVEAWAYS)
    parameters = traj.tools[0].parameters
    assert parameters is not None
    assert parameters["required"] == ["callback"]  # not: a default, ", optional"
    assert parameters["properties"]["type"] == {
        "type": "string",
        "description": "The type of giveaways (e.g., game, loot, beta).",
        "default": "game",
    }
    assert parameters["properties"]["platform"]["type"] == "string"
    assert parameters["properties"]["callback"] == {"description": "Per item."}
    assert trajectory_to_record(traj) == GIVEAWAYS  # the tools text was kept as written
    traj.tools[0].description = "Giveaways."  # an edit: the tools are written from the schema
    tools = json.loads(trajectory_to_record(traj)["tools"])
    assert tools[0]["description"] == "Giveaways."
    assert tools[0]["parameters"]["platform"] == {
        "description": "The platform.",
        "type": "str, optional",
    }
    assert tools[0]["parameters"]["callback"] == {"description": "Per item.", "type": "Any"}


@pytest.mark.parametrize(
    ("traj", "path"),
    [
        (Trajectory(id="t"), "task.instruction"),
        (Trajectory(id="t", system_prompt="Hi", task=QUERY), "system_prompt"),
        (Trajectory(id="t", task=QUERY, steps=[Step(), Step()]), "steps"),
        (
            Trajectory(id="t", task=QUERY, steps=[Step(actions=[Reply(content="")])]),
            "steps[0].actions[0]",
        ),
        (
            Trajectory(
                id="t",
                task=QUERY,
                steps=[Step(observations=[ToolResult(content="")])],
            ),
            "steps[0].observations",
        ),
    ],
)
def test_only_single_step_call_trajectories_export(traj: Trajectory, path: str) -> None:
    with pytest.raises(ConversionError) as info:
        trajectory_to_record(traj)
    assert info.value.path == path


def test_the_writer_sets_aside_what_it_cannot_write(tmp_path: Path) -> None:
    write = get_format("xlam").write
    assert write is not None
    dest = tmp_path / "out.jsonl"
    records = [record_to_trajectory(SPLIT), Trajectory(id="bad", task=QUERY, system_prompt="")]
    with pytest.raises(ConversionError) as info:
        write(str(dest), records)
    assert str(info.value) == "trajectory bad: system_prompt: xLAM records have no system prompt"
    assert not dest.exists()
    bad: list[BadRecord] = []
    assert write(str(dest), records, on_error=bad.append).count == 1
    assert [(b.file, b.error) for b in bad] == [
        ("trajectory bad", str(info.value).split(": ", 1)[1])
    ]
    assert [json.loads(line) for line in dest.read_text().splitlines()] == [SPLIT]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"answers": "[{"}, "answers"),
        ({"answers": '[{"arguments": {}}]'}, "answers[0]"),
        ({"answers": '[{"name": "f", "arguments": []}]'}, "answers[0].arguments"),
        ({"tools": '[{"name": "f", "parameters": {"x": "str"}}]'}, "tools[0].parameters.x"),
        (
            {"tools": '[{"name": "f", "parameters": {"x": {"type": 1}}}]'},
            "tools[0].parameters.x.type",
        ),
        ({"tools": "{}"}, "tools"),
        ({"query": None}, "query"),
    ],
)
def test_bad_records_raise_located_errors(change: dict[str, Any], path: str) -> None:
    with pytest.raises(ConversionError) as info:
        record_to_trajectory({**SPLIT, **change})
    assert info.value.path == path


def test_detect_recognises_records_with_query_tools_and_answers() -> None:
    assert detect(SPLIT)
    assert detect({key: SPLIT[key] for key in ("query", "tools", "answers")})
    assert not detect({"query": "q", "tools": "[]"})
    assert not detect({"messages": [], "query": "q"})


# ---------------------------------------------------------------- property: import then export

texts = st.text(st.characters(codec="utf-8"), max_size=10)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
type_names = st.sampled_from(
    ["str", "int", "float", "bool", "List", "List[int]", "dict", "Any", "set", "Optional[str]"]
)


@st.composite
def parameters(draw: st.DrawFn) -> dict[str, Any]:
    out = {}
    for name in draw(st.lists(texts, max_size=3, unique=True)):
        spec: dict[str, Any] = {"description": draw(texts), "type": draw(type_names)}
        if draw(st.booleans()):
            spec["type"] += ", optional"
        if draw(st.booleans()):
            spec["default"] = draw(json_values)
        out[name] = spec
    return out


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    tools = [
        {"name": draw(texts), "description": draw(texts), "parameters": draw(parameters())}
        for _ in range(draw(st.integers(0, 3)))
    ]
    answers = [
        {"name": draw(texts), "arguments": draw(st.dictionaries(texts, json_values, max_size=3))}
        for _ in range(draw(st.integers(0, 3)))
    ]
    ascii_ = draw(st.booleans())
    record = {
        "query": draw(texts),
        "tools": json.dumps(tools, ensure_ascii=ascii_),
        "answers": json.dumps(answers, ensure_ascii=ascii_),
    }
    record.update(draw(st.dictionaries(texts.filter(lambda k: k not in record), json_values)))
    return record


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_records_round_trip(record: dict[str, Any]) -> None:
    assert_round_trips(record, record_to_trajectory, trajectory_to_record)
