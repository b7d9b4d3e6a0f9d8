"""Strict decoding with located errors, and encoding round trips."""

from __future__ import annotations

import pytest

from trajforge.errors import InputError, SchemaError
from trajforge.schema import (
    ClarifyingQuestion,
    FaultRecord,
    Finish,
    HandOff,
    Label,
    LabelSource,
    Outcome,
    Plan,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    TrajectoryDecoder,
    UserMessage,
    encode,
    from_builtins,
    to_builtins,
)


def rich_trajectory() -> Trajectory:
    return Trajectory(
        id="t-1",
        task=Task(instruction="Refund order W1 ✓", environment="support", seed=3, difficulty=2),
        steps=[
            Step(
                reasoning="look it up",
                plan=Plan(steps=["find", "refund"]),
                actions=[
                    ToolCall(id="c1", name="get_order", arguments={"id": "W1", "n": [1, 2.5]})
                ],
                observations=[
                    ToolResult(call_id="c1", content="{}", status="timeout", error_kind="timeout")
                ],
                faults=[FaultRecord(kind="timeout", tool="get_order", call_id="c1")],
                state_notes=StateNotes(done=[], remaining=["find", "refund"]),
                labels=[Label(name="recovery", source=LabelSource(kind="rule"), value=1.0)],
            ),
            Step(
                actions=[ClarifyingQuestion(content="Which item?")],
                observations=[UserMessage(content="the lamp")],
            ),
            Step(actions=[Reply(content="ok"), HandOff(content="passing on", reason="limit")]),
            Step(actions=[Finish(content="done", completed=False)]),
        ],
        outcome=Outcome(status="partial", score=0.5),
    )


def test_encode_decode_round_trip() -> None:
    traj = rich_trajectory()
    data = encode(traj)
    assert TrajectoryDecoder().decode(data) == traj
    assert from_builtins(to_builtins(traj)) == traj
    assert encode(TrajectoryDecoder().decode(data)) == data


def test_schema_version_is_always_written() -> None:
    assert b'"schema_version":"1.0"' in encode(Trajectory(id="x"))


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        (
            b'{"id":"x","steps":[{},{},{},{},{"actions":[{"kind":"tool_call","name":"f","arguments":"s"}]}]}',
            "steps[4].actions[0].arguments",
            "expected object, got string",
        ),
        (b'{"id":1}', "id", "expected string, got integer"),
        (b'{"id":"x","outcome":{"score":1.5}}', "outcome.score", "expected number <= 1.0"),
        (
            b'{"id":"x","steps":[{"actions":[{"kind":"dance"}]}]}',
            "steps[0].actions[0].kind",
            "invalid value 'dance'",
        ),
        (b'{"id":"x","task":{"instruction":"a","colour":1}}', "task", "unknown field 'colour'"),
        (b'{"steps":[]}', None, "missing required field 'id'"),
        (b'{"id":"x","schema_version":"9"}', "schema_version", "invalid enum value '9'"),
    ],
)
def test_schema_errors_are_located(line: bytes, path: str | None, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        TrajectoryDecoder().decode(line)
    assert info.value.path == path
    assert message in info.value.message
    located = info.value.located(file="runs/a.jsonl", line=1832)
    prefix = f"line 1832 of runs/a.jsonl: {path + ': ' if path else ''}"
    assert str(located).startswith(prefix)


def test_syntax_errors_name_the_column_and_truncation() -> None:
    decoder = TrajectoryDecoder()
    with pytest.raises(InputError) as info:
        decoder.decode(b'{"id": "x",, }')
    assert "column 12" in str(info.value)
    with pytest.raises(InputError) as info:
        decoder.decode(b'{"id": "x", "steps": [')
    assert info.value.hint is not None
    assert "truncated" in info.value.hint
