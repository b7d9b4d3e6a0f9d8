"""ATIF: import then export gives the same object (fixtures and generated records, unknown keys
included); other trajectories export as ATIF that imports back to the same steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.test_openai_properties import json_values, texts
from trajforge.errors import ConversionError
from trajforge.formats.atif import FORMAT, atif_to_trajectory
from trajforge.formats.atif_export import trajectory_to_atif
from trajforge.io.documents import iter_records
from trajforge.schema import (
    Finish,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    TrajectoryDecoder,
    UserMessage,
    encode,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "atif"
DECODER = TrajectoryDecoder()


def _round_trip(record: Any) -> Any:
    """Import, serialise and read back, then export."""
    return trajectory_to_atif(DECODER.decode(encode(atif_to_trajectory(record))))


def test_the_fixtures_come_back_unchanged() -> None:
    records = [r.data for r in iter_records(FIXTURES)]
    assert len(records) == 3
    for record in records:
        assert _round_trip(record) == record
    trajectory = atif_to_trajectory(records[-1])  # toucan: a message, a tool call, its result
    assert trajectory.id == "toucan_sample_0"
    assert trajectory.task.instruction is not None
    first = trajectory.steps[0]
    assert [type(a) for a in first.actions] == [Reply, ToolCall]
    assert first.observations == [
        ToolResult(
            call_id="call_000001", name="web_search_exa", content=first.observations[0].content
        )
    ]
    assert trajectory.provenance.extra["$"]["trajectory_id"] == "toucan_sample_0"


# ---------------------------------------------------------------- generated records

names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6)
objects = st.dictionaries(texts, json_values, max_size=2)
counts = st.integers(0, 10**6)


def _unknown(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Keys the spec does not have, with any JSON values."""
    return st.dictionaries(names.filter(lambda k: k not in known), json_values, max_size=2)


def _maybe(draw: st.DrawFn, obj: dict[str, Any], key: str, values: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        obj[key] = draw(values)


@st.composite
def messages(draw: st.DrawFn) -> Any:
    """A message string, or multimodal parts."""
    if draw(st.integers(0, 4)):
        return draw(texts)
    text = st.builds(lambda t: {"type": "text", "text": t}, texts)
    image = st.builds(lambda p: {"type": "image", "source": {"path": p}}, texts)
    return draw(st.lists(text | image, max_size=3))


@st.composite
def agent_steps(draw: st.DrawFn) -> dict[str, Any]:
    step: dict[str, Any] = {"source": "agent", "message": draw(messages())}
    _maybe(draw, step, "reasoning_content", st.none() | texts)
    ids = draw(st.lists(names, max_size=3, unique=True))
    if ids or draw(st.booleans()):
        step["tool_calls"] = []
        for call_id in ids:
            call = {"tool_call_id": call_id, "function_name": draw(names)}
            call["arguments"] = draw(objects)
            _maybe(draw, call, "extra", objects)
            step["tool_calls"].append(call)
    if draw(st.booleans()):
        results = []
        for _ in range(draw(st.integers(0, 3))):
            result: dict[str, Any] = {"content": draw(texts)}
            _maybe(
                draw, result, "source_call_id", st.sampled_from([*ids, None]) if ids else st.none()
            )
            _maybe(draw, result, "extra", objects)
            results.append(result)
        step["observation"] = {"results": results}
        _maybe(draw, step["observation"], "extra", objects)
    if draw(st.booleans()):
        metrics: dict[str, Any] = {}
        _maybe(draw, metrics, "prompt_tokens", counts)
        _maybe(draw, metrics, "completion_tokens", counts)
        _maybe(draw, metrics, "cost_usd", st.floats(0, 1))
        _maybe(draw, metrics, "extra", objects)
        step["metrics"] = metrics
    _maybe(draw, step, "model_name", names)
    _maybe(draw, step, "timestamp", texts)
    _maybe(draw, step, "extra", objects)
    step.update(draw(_unknown({*step, "source", "message", "step_id", "tool_calls", "metrics"})))
    return step


@st.composite
def plain_steps(draw: st.DrawFn, source: str) -> dict[str, Any]:
    step: dict[str, Any] = {"source": source, "message": draw(messages())}
    _maybe(draw, step, "timestamp", texts)
    _maybe(draw, step, "extra", objects)
    return step


@st.composite
def atif_records(draw: st.DrawFn) -> dict[str, Any]:
    steps = []
    if draw(st.booleans()):
        steps.append(draw(plain_steps("system")))
    if draw(st.booleans()):
        steps.append(draw(plain_steps("user")))
    for _ in range(draw(st.integers(0, 3))):
        steps.append(draw(agent_steps()))
        steps.extend(draw(st.lists(plain_steps("user"), max_size=2)))
    for number, step in enumerate(steps, start=1):
        step["step_id"] = number if draw(st.integers(0, 9)) else draw(st.integers(0, 50))
    agent: dict[str, Any] = {"name": draw(names), "version": draw(texts)}
    _maybe(draw, agent, "model_name", st.none() | names)
    _maybe(draw, agent, "extra", objects)
    if draw(st.booleans()):
        tool = st.fixed_dictionaries(
            {"name": names}, optional={"description": texts, "parameters": objects}
        )
        agent["tool_definitions"] = draw(
            st.lists(st.builds(lambda f: {"type": "function", "function": f}, tool), max_size=2)
        )
    record: dict[str, Any] = {
        "schema_version": draw(st.sampled_from(["ATIF-v1.4", "ATIF-v1.7"])),
        "session_id": draw(texts),
        "agent": agent,
        "steps": steps,
    }
    if draw(st.booleans()):
        final: dict[str, Any] = {}
        _maybe(draw, final, "total_prompt_tokens", counts)
        _maybe(draw, final, "total_cost_usd", st.floats(0, 1))
        record["final_metrics"] = final
    _maybe(draw, record, "notes", texts)
    _maybe(draw, record, "trajectory_id", texts)
    _maybe(draw, record, "extra", objects)
    record.update(draw(_unknown(set(record) | {"final_metrics", "steps"})))
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(atif_records())
def test_import_then_export_is_the_identity(record: dict[str, Any]) -> None:
    assert _round_trip(record) == record


# ---------------------------------------------------------------- other trajectories


def test_a_trajforge_trajectory_exports_and_imports_back() -> None:
    trajectory = Trajectory(
        id="t-1",
        task=Task(instruction="find it"),
        tools=[ToolSpec(name="search", description="looks", role="finish")],
        system_prompt="be brief",
        steps=[
            Step(
                reasoning="look first",
                actions=[ToolCall(name="search", arguments={"q": "x"})],
                observations=[
                    ToolResult(name="search", content="found"),
                    UserMessage(content="thanks"),
                ],
            ),
            Step(actions=[Finish(content="it is x")]),
        ],
    )
    record = trajectory_to_atif(trajectory)
    assert [(s["step_id"], s["source"], s["message"]) for s in record["steps"]] == [
        (1, "system", "be brief"),
        (2, "user", "find it"),
        (3, "agent", ""),
        (4, "user", "thanks"),
        (5, "agent", "it is x"),
    ]
    assert record["steps"][2]["tool_calls"] == [
        {"tool_call_id": "call_0_0", "function_name": "search", "arguments": {"q": "x"}}
    ]
    assert record["steps"][2]["observation"] == {"results": [{"content": "found"}]}
    assert record["agent"]["tool_definitions"] == [
        {"type": "function", "function": {"name": "search", "description": "looks"}}
    ]
    back = atif_to_trajectory(record)
    assert back.steps[0].actions == [ToolCall(id="call_0_0", name="search", arguments={"q": "x"})]
    assert back.steps[0].observations[1] == UserMessage(content="thanks")
    assert back.steps[1].actions == [Reply(content="it is x")]  # ATIF has no finish action
    assert _round_trip(record) == record


def test_the_writer_writes_json_lines_the_reader_reads(tmp_path: Path) -> None:
    records = [r.data for r in iter_records(FIXTURES)]
    assert FORMAT.write is not None
    assert FORMAT.read is not None
    dest = tmp_path / "out.jsonl"
    FORMAT.write(str(dest), [atif_to_trajectory(r) for r in records])
    assert [json.loads(line) for line in dest.read_text().splitlines()] == records
    assert [t.id for t in FORMAT.read(str(dest), None)] == [r["session_id"] for r in records]


@pytest.mark.parametrize(
    ("steps", "path"),
    [
        ([{"source": "agent", "message": "a"}, {"source": "system", "message": "s"}], "steps[1]"),
        ([{"source": "user", "message": "a"}, {"source": "user", "message": "b"}], "steps[1]"),
    ],
)
def test_steps_without_a_place_are_refused(steps: list[dict[str, Any]], path: str) -> None:
    with pytest.raises(ConversionError, match="message here has no place") as caught:
        atif_to_trajectory({"session_id": "s", "agent": {}, "steps": steps})
    assert caught.value.path == f"{path}.source"


def test_an_edited_trajectory_whose_kept_keys_lost_their_place_is_refused() -> None:
    record = next(iter_records(FIXTURES / "adp_toucan_1_5m_sample_atif.json")).data
    trajectory = atif_to_trajectory(record)
    trajectory.steps = trajectory.steps[:1]  # steps[2] of the record is gone
    with pytest.raises(ConversionError, match="no object to go back into"):
        trajectory_to_atif(trajectory)
