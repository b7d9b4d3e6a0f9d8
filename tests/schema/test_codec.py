"""Strict decoding with located errors, and encoding round trips."""

from __future__ import annotations

import copy
import pickle

import msgspec
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
    codec,
    encode,
    from_builtins,
    to_builtins,
)
from trajforge.schema.codec import SharedTools, refuse_repeated_keys


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


# ---------------------------------------------------------------- shared tool lists

TOOLS = (
    b'[{"name":"get_order","parameters":{"type":"object","properties":{"id":{"type":"string"}}}},'
    b'{"name":"refund","description":"refund an order"}]'
)


def line_with(tools: bytes, trajectory_id: str = "t", rest: bytes = b"") -> bytes:
    return b'{"id":"' + trajectory_id.encode() + b'","tools":' + tools + rest + b"}"


def test_equal_tool_lists_are_decoded_once_and_shared() -> None:
    decoder = TrajectoryDecoder()
    a = decoder.decode(line_with(TOOLS, "a"))
    b = decoder.decode(line_with(TOOLS, "b").decode())  # str input shares too
    assert a.tools is b.tools
    assert isinstance(a.tools, SharedTools)
    assert a.tools.raw == TOOLS
    plain = msgspec.json.decode(line_with(TOOLS, "a"), type=Trajectory)
    assert a == plain
    assert a.tools == plain.tools
    assert encode(a) == encode(plain)


def test_empty_and_absent_tool_lists_are_never_shared() -> None:
    decoder = TrajectoryDecoder()
    first, second = decoder.decode(line_with(b"[]")), decoder.decode(b'{"id":"x"}')
    assert first.tools == second.tools == []
    assert first.tools is not second.tools
    assert type(first.tools) is list
    assert type(second.tools) is list


def test_copies_and_pickles_of_a_shared_list_are_plain_lists() -> None:
    traj = TrajectoryDecoder().decode(line_with(TOOLS))
    for tools in (
        copy.copy(traj.tools),
        copy.deepcopy(traj).tools,
        pickle.loads(pickle.dumps(traj)).tools,
    ):
        assert type(tools) is list
        assert tools == traj.tools


def test_the_shared_lists_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "SHARED_TOOL_LISTS", 2)
    decoder = TrajectoryDecoder()
    lists = [line_with(b'[{"name":"f%d"}]' % k) for k in range(3)]
    first = decoder.decode(lists[0]).tools
    assert decoder.decode(lists[0]).tools is first
    decoder.decode(lists[1])
    decoder.decode(lists[2])  # the third distinct list: the decoder starts afresh
    again = decoder.decode(lists[0]).tools
    assert again is not first
    assert again == first


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        (line_with(b'[{"name":"a"},{"name":5}]'), "tools[1].name", "expected string, got integer"),
        (line_with(b'{"name":"a"}'), "tools", "expected array, got object"),
        (line_with(b"null"), "tools", "expected array, got null"),
        (line_with(b'[{"name":"a","colour":1}]'), "tools[0]", "unknown field 'colour'"),
        (line_with(b'[{"name":"a","parameters":[1]}]'), "tools[0].parameters", "expected object"),
        # the first error in the document is reported, before or after the tools
        (line_with(b'[{"name":1}]', rest=b',"metadata":5'), "tools[0].name", "expected string"),
        (b'{"id":"x","metadata":5,"tools":[{"name":1}]}', "metadata", "expected object"),
    ],
)
def test_bad_tool_lists_give_the_located_error(line: bytes, path: str, message: str) -> None:
    decoder = TrajectoryDecoder()
    decoder.decode(line_with(TOOLS))
    with pytest.raises(SchemaError) as info:
        decoder.decode(line)
    assert info.value.path == path
    assert message in info.value.message
    assert str(info.value) == str(plain_error(line))


@pytest.mark.parametrize(
    "line", [line_with(b'[{"name":"a"}}'), line_with(b"[,"), line_with(b'[{"name":"a\xff"}]')]
)
def test_malformed_tool_lists_give_the_same_input_error(line: bytes) -> None:
    with pytest.raises(InputError) as info:
        TrajectoryDecoder().decode(line)
    assert str(info.value) == str(plain_error(line))


def plain_error(line: bytes) -> Exception:
    """The error of the plain msgspec decoder, as the codec words it."""
    try:
        msgspec.json.decode(line, type=Trajectory)
    except msgspec.ValidationError as exc:
        return codec.schema_error(exc)
    except msgspec.DecodeError as exc:
        return codec.syntax_error(exc)
    except UnicodeDecodeError as exc:
        return InputError(f"invalid UTF-8 in a string: {exc.reason}")
    raise AssertionError("the line decodes")


REPEATED = b'{"id":"first","metadata":{"k":1,"k":2},"id":"last"}'


def test_a_repeated_key_the_last_one_wins_unless_keys_must_be_unique() -> None:
    trajectory = TrajectoryDecoder().decode(REPEATED)
    assert (trajectory.id, trajectory.metadata) == ("last", {"k": 2})
    with pytest.raises(InputError) as info:
        TrajectoryDecoder(unique_keys=True).decode(REPEATED)
    assert info.value.message == "the key 'k' appears twice in one object"
    assert TrajectoryDecoder(unique_keys=True).decode(b'{"id":"x","metadata":{"k":{"k":1}}}')


@pytest.mark.parametrize("line", [b'{"id":', b'{"id":"caf\xe9"}', b"[" * 5000])
def test_unique_keys_leave_malformed_json_to_the_decoder(line: bytes) -> None:
    refuse_repeated_keys(line)  # nothing to say: the decoder reports what is wrong
    with pytest.raises(InputError) as strict:
        TrajectoryDecoder(unique_keys=True).decode(line)
    with pytest.raises(InputError) as plain:
        TrajectoryDecoder().decode(line)
    assert strict.value.message == plain.value.message
