"""The ShareGPT (LLaMA-Factory) format: the real samples, the mapping, errors, and round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.samples import FIXTURES, assert_round_trips, import_and_export
from trajforge.errors import ConversionError
from trajforge.formats.sharegpt import record_to_trajectory, trajectory_to_record
from trajforge.schema import (
    Finish,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

SAMPLES = FIXTURES / "sharegpt_llamafactory"


@pytest.mark.parametrize(
    ("name", "records", "calls"),
    [("glaive_toolcall_en_demo.json", 30, 22), ("glaive_toolcall_zh_demo.json", 10, 6)],
)
def test_llamafactory_samples_import_whole_and_export_unchanged(
    name: str, records: int, calls: int, tmp_path: Path
) -> None:
    source, trajectories = import_and_export("sharegpt", SAMPLES / name, tmp_path / "out.jsonl")
    assert len(source) == len(trajectories) == records
    made = [a for t in trajectories for s in t.steps for a in s.actions if isinstance(a, ToolCall)]
    assert (
        len(made)
        == calls
        == sum(
            turn["from"] == "function_call" for record in source for turn in record["conversations"]
        )
    )
    assert all(call.raw_arguments is None and call.arguments for call in made)
    with_tools = [t for t, r in zip(trajectories, source, strict=True) if r["tools"] != "[]"]
    assert all(t.tools and t.tools[0].parameters for t in with_tools)
    first = trajectories[0]
    assert first.provenance.original_format == "sharegpt"
    assert first.provenance.record_location == f"{SAMPLES / name}[0]"


def _turn(tag: str, value: str, **keys: Any) -> dict[str, Any]:
    return {"from": tag, "value": value, **keys}


FIND = {"name": "find", "arguments": {"city": "Zürich"}}
BOOK = {"name": "book", "arguments": '{"n": 2}'}  # arguments as JSON text


def test_turns_map_to_steps_and_back() -> None:
    record = {
        "conversations": [
            _turn("system", "Be brief."),
            _turn("human", "Book a table."),
            _turn("gpt", "<think>look first</think>Let me look.", weight=0),
            _turn("function_call", json.dumps([FIND, BOOK], ensure_ascii=False)),
            _turn("observation", '{"tables": 1}'),
            _turn("observation", "booked"),
            _turn("human", "Thanks!"),
            _turn("gpt", "You are welcome."),
        ],
        "tools": json.dumps([{"name": "find", "description": "Find.", "parameters": {}}]),
        "id": 7,
    }
    traj = record_to_trajectory(record)
    assert traj.system_prompt == "Be brief."
    assert traj.task == Task(instruction="Book a table.")
    assert traj.tools == [ToolSpec(name="find", description="Find.", parameters={})]
    first, second = traj.steps
    assert first.reasoning == "look first"
    assert first.actions == [
        Reply(content="Let me look."),
        ToolCall(id="call_0_0", name="find", arguments={"city": "Zürich"}),
        ToolCall(id="call_0_1", name="book", arguments={"n": 2}, raw_arguments='{"n": 2}'),
    ]
    assert first.observations == [
        ToolResult(call_id="call_0_0", content='{"tables": 1}'),
        ToolResult(call_id="call_0_1", content="booked"),
        UserMessage(content="Thanks!"),
    ]
    assert second.actions == [Reply(content="You are welcome.")]
    assert traj.provenance.extra == {
        "$": {"id": 7},
        "conversations[2]": {"weight": 0},
        "conversations[3]": {"value": json.dumps([FIND, BOOK], ensure_ascii=False)},
    }
    assert trajectory_to_record(traj) == record


def test_a_top_level_system_key_is_the_prompt_and_stays_a_key_while_unchanged() -> None:
    record = {"conversations": [_turn("human", "hi"), _turn("gpt", "hello")], "system": "Be kind."}
    traj = record_to_trajectory(record)
    assert traj.system_prompt == "Be kind."
    assert trajectory_to_record(traj) == record
    traj.system_prompt = "Be very kind."
    assert trajectory_to_record(traj)["conversations"][0] == _turn("system", "Be very kind.")


def test_a_call_that_does_not_read_is_kept_with_its_text() -> None:
    text = "{'name': 'find', 'arguments': {'city': 'Bern'}}"  # a Python literal, not JSON
    record = {"conversations": [_turn("human", "Find one."), _turn("function_call", text)]}
    traj = record_to_trajectory(record)
    assert traj.steps[0].actions == [ToolCall(id="call_0_0", name="find", raw_arguments=text)]
    assert trajectory_to_record(traj) == record


def test_edits_are_exported_instead_of_the_kept_text() -> None:
    spaced = json.dumps(FIND, separators=(",", ":"))
    record = {"conversations": [_turn("human", "Find."), _turn("function_call", spaced)]}
    traj = record_to_trajectory(record)
    assert trajectory_to_record(traj) == record  # the kept text still reads the same
    call = traj.steps[0].actions[0]
    assert isinstance(call, ToolCall)
    call.arguments = {"city": "Bern"}
    exported = trajectory_to_record(traj)["conversations"][1]["value"]
    assert json.loads(exported) == {"name": "find", "arguments": {"city": "Bern"}}


def test_export_of_a_generated_trajectory() -> None:
    traj = Trajectory(
        id="t",
        system_prompt="Be careful.",
        task=Task(instruction="Refund order 7."),
        tools=[ToolSpec(name="refund", parameters={"type": "object"})],
        steps=[
            Step(
                actions=[ToolCall(id="r1", name="refund", arguments={"order": 7})],
                observations=[ToolResult(call_id="r1", content="done", status="error")],
            ),
            Step(actions=[Finish(content="Refunded.")]),
        ],
    )
    assert trajectory_to_record(traj) == {
        "conversations": [
            _turn("system", "Be careful."),
            _turn("human", "Refund order 7."),
            _turn("function_call", '{"name": "refund", "arguments": {"order": 7}}'),
            _turn("observation", "done"),
            _turn("gpt", "Refunded."),
        ],
        "tools": '[{"name": "refund", "parameters": {"type": "object"}}]',
    }


@pytest.mark.parametrize(
    ("record", "path", "words"),
    [
        ({"conversations": [_turn("bot", "x")]}, "conversations[0].from", "unknown turn 'bot'"),
        ({"conversations": [{"from": "human", "value": 1}]}, "conversations[0].value", "string"),
        ({"conversations": "x"}, "conversations", "expected an array of turns"),
        ({"conversations": [["human", "x"]]}, "conversations[0]", "expected an object"),
        ({"conversations": [_turn("observation", "x")]}, "conversations[0]", "tool turn"),
        (
            {"conversations": [_turn("human", "a"), _turn("human", "b")]},
            "conversations[1]",
            "second user turn",
        ),
        (
            {"conversations": [_turn("human", "a"), _turn("system", "b")]},
            "conversations[1].from",
            "first turn",
        ),
        ({"conversations": [], "tools": "[{"}, "tools", "not JSON"),
        ({"conversations": [], "tools": '[{"description": "x"}]'}, "tools[0].name", "name"),
        ({"conversations": [], "system": 3}, "system", "expected string"),
        ({"messages": []}, "conversations", "required key missing"),
    ],
)
def test_bad_records_raise_located_errors(record: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ConversionError, match=words) as info:
        record_to_trajectory(record)
    assert info.value.path == path


# ---------------------------------------------------------------- property: import then export

texts = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "<think>", "</think>", "<think>a</think>b", "[]", "{}", '{"name": "f"}', "5"]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
names = st.text(st.characters(codec="utf-8", exclude_characters="'\""), min_size=1, max_size=6)


@st.composite
def call_values(draw: st.DrawFn) -> str:
    """A function_call value as different datasets write it, or text that is no call."""
    calls = [
        {"name": draw(names), "arguments": draw(st.dictionaries(texts, json_values, max_size=3))}
        for _ in range(draw(st.integers(1, 2)))
    ]
    if draw(st.booleans()):
        calls[0]["arguments"] = json.dumps(calls[0]["arguments"])
    value: Any = calls[0] if len(calls) == 1 and draw(st.booleans()) else calls
    style = draw(st.sampled_from(["ours", "ascii", "compact", "literal", "text"]))
    text = {
        "ours": json.dumps(value, ensure_ascii=False),
        "ascii": json.dumps(value),
        "compact": json.dumps(value, separators=(",", ":")),
        "literal": repr(value),
        "text": draw(texts),
    }[style]
    return f"<think>{draw(names)}</think>{text}" if draw(st.integers(0, 4)) == 0 else text


def _unknown(draw: st.DrawFn, turn: dict[str, Any]) -> dict[str, Any]:
    if draw(st.integers(0, 3)) == 0:
        turn[draw(names.filter(lambda k: k not in ("from", "value")))] = draw(json_values)
    return turn


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    turns: list[dict[str, Any]] = []
    system = draw(st.sampled_from(["turn", "key", None]))
    if system == "turn":
        turns.append(_turn("system", draw(texts)))
    if draw(st.booleans()):
        turns.append(_turn("human", draw(texts)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["gpt", "call", "both"]))
        if kind != "call":
            turns.append(_turn("gpt", draw(texts)))
        if kind != "gpt":
            turns.append(_turn("function_call", draw(call_values())))
        turns.extend(_turn("observation", draw(texts)) for _ in range(draw(st.integers(0, 2))))
        turns.extend(_turn("human", draw(texts)) for _ in range(draw(st.integers(0, 1))))
    record: dict[str, Any] = {"conversations": [_unknown(draw, turn) for turn in turns]}
    if system == "key":
        record["system"] = draw(texts)
    tools = [
        {"name": draw(names), "description": draw(texts)} for _ in range(draw(st.integers(0, 2)))
    ]
    tools_value = draw(
        st.sampled_from([None, "", json.dumps(tools), json.dumps(tools, ensure_ascii=False), tools])
    )
    if tools_value is not None:
        record["tools"] = tools_value
    others = names.filter(lambda k: k not in ("conversations", "tools", "system"))
    record.update(draw(st.dictionaries(others, json_values, max_size=2)))
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_records_round_trip(record: dict[str, Any]) -> None:
    assert_round_trips(record, record_to_trajectory, trajectory_to_record, same_steps=False)
