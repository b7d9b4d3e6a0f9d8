"""The Hermes function-calling format: the card's real records, the mapping, errors, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.samples import FIXTURES, assert_round_trips, import_and_export
from trajforge.errors import ConversionError
from trajforge.formats.hermes import record_to_trajectory, trajectory_to_record
from trajforge.schema import (
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

SAMPLE = FIXTURES / "hermes" / "hermes_function_calling_v1_card_examples.json"


def test_card_examples_import_whole_and_export_unchanged(tmp_path: Path) -> None:
    source, trajectories = import_and_export("hermes", SAMPLE, tmp_path / "out.jsonl")
    assert len(source) == len(trajectories) == 4
    flights, extraction, movie, agent = trajectories
    assert [tool.name for tool in flights.tools] == ["search_flights"]
    assert flights.tools[0].parameters is not None
    assert flights.tools[0].parameters["required"][0] == "departure_city"
    assert flights.system_prompt is not None
    assert "<tools>" not in flights.system_prompt.replace("<tools> </tools>", "")
    call = flights.steps[0].actions[0]
    assert isinstance(call, ToolCall)
    assert call.arguments["flexible_cancellation"] is True  # a Python literal in the source
    result = flights.steps[0].observations[0]
    assert isinstance(result, ToolResult)
    assert (result.call_id, result.name) == (call.id, "search_flights")
    assert json.loads(result.content)["flights"][0]["flight_number"] == "AA118"
    assert isinstance(flights.steps[1].actions[0], Reply)
    # the extraction's call is not JSON (literal \n escapes, a single-quoted list): still a call
    [broken] = extraction.steps[0].actions
    assert isinstance(broken, ToolCall)
    assert broken.name == "ExpertQAExtractor"
    assert broken.arguments == {}
    assert broken.raw_arguments is not None
    assert broken.raw_arguments.startswith('\\n{"arguments": {"queries": [')
    for json_mode in (movie, agent):
        assert json_mode.tools == []
        assert isinstance(json_mode.steps[0].actions[0], Reply)
    assert flights.provenance.extra["$"] == {
        key: source[0][key] for key in ("id", "category", "subcategory", "task")
    }


def _turn(tag: str, value: str, **keys: Any) -> dict[str, Any]:
    return {"from": tag, "value": value, **keys}


TOOLS = '<tools>\n[{"type": "function", "function": {"name": "find", "parameters": {}}}]\n</tools>'
CALL = '<tool_call>\n{"name": "find", "arguments": {"city": "Bern"}}\n</tool_call>'


def test_turns_map_to_steps_and_back() -> None:
    record = {
        "conversations": [
            _turn("system", f"Use the tools.\n{TOOLS}"),
            _turn("human", "Find a table."),
            _turn("gpt", f"<think>look it up</think>Looking.\n{CALL}\n{CALL}"),
            _turn(
                "tool",
                '<tool_response>\n{"name": "find", "content": {"tables": 2}}\n</tool_response>\n'
                '<tool_response>\n{"name": "find", "content": "none"}\n</tool_response>',
                weight=1,
            ),
            _turn("human", "Thanks."),
            _turn("gpt", "Done."),
        ],
        "id": "r1",
    }
    traj = record_to_trajectory(record)
    assert traj.system_prompt == "Use the tools."
    assert traj.tools == [ToolSpec(name="find", parameters={})]
    assert traj.task == Task(instruction="Find a table.")
    first, second = traj.steps
    assert first.reasoning == "look it up"
    assert first.actions == [
        Reply(content="Looking."),
        ToolCall(id="call_0_0", name="find", arguments={"city": "Bern"}),
        ToolCall(id="call_0_1", name="find", arguments={"city": "Bern"}),
    ]
    assert first.observations == [
        ToolResult(call_id="call_0_0", name="find", content='{"tables": 2}'),
        ToolResult(call_id="call_0_1", name="find", content="none"),
        UserMessage(content="Thanks."),
    ]
    assert second.actions == [Reply(content="Done.")]
    assert traj.provenance.extra == {"$": {"id": "r1"}, "conversations[3]": {"weight": 1}}
    assert trajectory_to_record(traj) == record


def test_chatml_messages_read_like_conversations() -> None:
    turns = [_turn("human", "Find."), _turn("gpt", CALL), _turn("tool", "plain text result")]
    roles = {"human": "user", "gpt": "assistant", "tool": "tool"}
    messages = [{"role": roles[t["from"]], "content": t["value"]} for t in turns]
    messages[2]["name"] = "find"
    traj = record_to_trajectory({"messages": messages})
    assert traj.steps == record_to_trajectory({"conversations": turns}).steps
    assert traj.steps[0].observations == [ToolResult(call_id="call_0_0", content=turns[2]["value"])]
    # the untagged result is kept as written; both go to the same turn of the conversations shape
    assert traj.provenance.extra == {"messages[2]": {"name": "find", "value": turns[2]["value"]}}
    turns[2]["name"] = "find"
    assert trajectory_to_record(traj) == {"conversations": turns}


def test_export_of_a_generated_trajectory_reads_back_the_same() -> None:
    traj = Trajectory(
        id="t",
        system_prompt="Be careful.",
        task=Task(instruction="Refund order 7."),
        tools=[ToolSpec(name="refund", description="Refund </tools> an order.")],
        steps=[
            Step(
                actions=[ToolCall(id="call_0_0", name="refund", arguments={"n": "</tool_call>"})],
                observations=[ToolResult(call_id="call_0_0", content="</tool_response> done")],
            ),
            Step(actions=[Reply(content="Refunded.")]),
        ],
    )
    record = trajectory_to_record(traj)
    assert record["conversations"][:3] == [
        _turn(
            "system",
            'Be careful.\n<tools>\n[{"type": "function", "function": {"name": "refund", '
            '"description": "Refund <\\/tools> an order."}}]\n</tools>',
        ),
        _turn("human", "Refund order 7."),
        _turn(
            "gpt",
            '<tool_call>\n{"name": "refund", "arguments": {"n": "<\\/tool_call>"}}\n</tool_call>',
        ),
    ]
    again = record_to_trajectory(record)
    assert (again.system_prompt, again.tools, again.steps) == (
        traj.system_prompt,
        traj.tools,
        traj.steps,
    )


@pytest.mark.parametrize(
    ("record", "path", "words"),
    [
        ({"conversations": [_turn("function_call", "x")]}, "conversations[0].from", "unknown"),
        ({"conversations": [_turn("tool", "x")]}, "conversations[0]", "tool turn"),
        ({"messages": [{"role": "user", "content": None}]}, "messages[0].content", "string"),
        ({"messages": [{"role": "critic", "content": "x"}]}, "messages[0].role", "'critic'"),
        ({"messages": ["x"]}, "messages[0]", "expected an object"),
        ({"turns": []}, "conversations", "required key missing"),
        ([], None, "expected an object"),
    ],
)
def test_bad_records_raise_located_errors(record: Any, path: str | None, words: str) -> None:
    with pytest.raises(ConversionError, match=words) as info:
        record_to_trajectory(record)
    assert info.value.path == path


# ---------------------------------------------------------------- property: import then export

texts = st.text(st.characters(codec="utf-8"), max_size=10) | st.sampled_from(
    ["", "\n", "<tool_call>", "</tool_call>", "<tool_response>", "<think>a</think>", "<tools>"]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
names = st.text(st.characters(codec="utf-8", exclude_characters="'\"<>"), min_size=1, max_size=6)


def _spelled(draw: st.DrawFn, value: Any) -> str:
    """``value`` as JSON (several spellings) or as a Python literal, as Hermes data has both."""
    style = draw(st.sampled_from(["ours", "ascii", "compact", "literal"]))
    if style == "literal":
        return repr(value)
    return json.dumps(
        value, ensure_ascii=style != "ours", separators=(",", ":") if style == "compact" else None
    )


@st.composite
def system_texts(draw: st.DrawFn) -> str:
    prose = draw(texts)
    if draw(st.booleans()):
        return prose
    tools = [
        {"type": "function", "function": {"name": draw(names), "description": draw(texts)}}
        for _ in range(draw(st.integers(0, 2)))
    ]
    start = draw(st.sampled_from(["", "\n"]))
    element = f"<tools>{start}{_spelled(draw, tools)}\n</tools>"
    return draw(st.sampled_from([f"{prose}\n{element}", f"{prose}{element}\n{prose}", element]))


@st.composite
def assistant_texts(draw: st.DrawFn) -> str:
    pieces = [draw(st.sampled_from(["", "<think>plan</think>"])), draw(texts)]
    for _ in range(draw(st.integers(0, 2))):
        call = {
            "name": draw(names),
            "arguments": draw(st.dictionaries(texts, json_values, max_size=2)),
        }
        body = draw(st.sampled_from([_spelled(draw, call), draw(texts)]))
        gap = draw(st.sampled_from(["", "\n"]))
        pieces.append(f"{gap}<tool_call>\n{body}\n</tool_call>")
    return "".join(pieces)


@st.composite
def tool_texts(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 3)) == 0:
        return draw(texts)
    blocks = []
    for _ in range(draw(st.integers(1, 2))):
        response = {"name": draw(names), "content": draw(json_values)}
        blocks.append(f"<tool_response>\n{_spelled(draw, response)}\n</tool_response>")
    return "\n".join(blocks)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    turns = []
    if draw(st.booleans()):
        turns.append(_turn("system", draw(system_texts())))
    if draw(st.booleans()):
        turns.append(_turn("human", draw(texts)))
    for _ in range(draw(st.integers(0, 3))):
        turns.append(_turn("gpt", draw(assistant_texts())))
        if draw(st.booleans()):  # consecutive tool turns are written as one, as Hermes renders
            turns.append(_turn("tool", draw(tool_texts())))
        turns.extend(_turn("human", draw(texts)) for _ in range(draw(st.integers(0, 1))))
    for turn in turns:
        if draw(st.integers(0, 4)) == 0:
            turn[draw(names.filter(lambda k: k not in ("from", "value")))] = draw(json_values)
    record: dict[str, Any] = {"conversations": turns}
    record.update(
        draw(st.dictionaries(names.filter(lambda k: k != "conversations"), json_values, max_size=2))
    )
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_records_round_trip(record: dict[str, Any]) -> None:
    assert_round_trips(record, record_to_trajectory, trajectory_to_record)
