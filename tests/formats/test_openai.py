"""Unit tests of the OpenAI chat-record converter: mapping, export, and located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.formats.samples import FIXTURES, import_and_export
from tests.formats.trajectories import call, read_rows, reply, trajectory
from trajforge.errors import ConversionError, InputError
from trajforge.formats.openai import (
    arguments_text,
    parse_arguments,
    record_to_trajectory,
    trajectory_to_json,
    trajectory_to_messages,
    trajectory_to_record,
)
from trajforge.formats.openai_decode import SHAPE_KEY, Decoded, canonical_id, decode_record
from trajforge.formats.openai_wire import ChatRecord, PlainChatRecord
from trajforge.formats.registry import get_format, get_reader
from trajforge.io import BadRecord
from trajforge.io.checks import ReadChecks, checking
from trajforge.schema import (
    ClarifyingQuestion,
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
from trajforge.schema.codec import SharedTools


def _call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


SYSTEM = {"role": "system", "content": "You are terse."}
USER = {"role": "user", "content": "Book a table for two."}
CALLING = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        _call("c1", "find", '{"city": "Zürich"}'),
        _call("c2", "book", '{"n":2}'),
    ],
}


FIND = {"name": "find", "arguments": "{}"}


def _record(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": list(messages), **extra}


# ---------------------------------------------------------------- import mapping


def test_import_maps_messages_to_steps() -> None:
    record = _record(
        SYSTEM,
        USER,
        {**CALLING, "reasoning_content": "look it up"},
        {"role": "tool", "tool_call_id": "c2", "content": "Error: full", "name": "book"},
        {"role": "user", "content": "hurry", "name": "ann"},
        {"role": "tool", "tool_call_id": "c1", "content": "[]"},
        {"role": "assistant", "content": ""},
        tools=[{"type": "function", "function": {"name": "find", "parameters": {}}}],
        source="web",
    )
    traj = record_to_trajectory(record, location="chats.jsonl:3")

    assert traj.system_prompt == "You are terse."
    assert traj.task.instruction == "Book a table for two."
    assert traj.tools == [ToolSpec(name="find", parameters={})]
    first, second = traj.steps
    assert first.reasoning == "look it up"
    assert first.actions == [
        ToolCall(
            id="c1", name="find", arguments={"city": "Zürich"}, raw_arguments='{"city": "Zürich"}'
        ),
        ToolCall(id="c2", name="book", arguments={"n": 2}),
    ]
    assert first.observations == [
        ToolResult(call_id="c2", name="book", content="Error: full"),
        UserMessage(content="hurry", name="ann"),
        ToolResult(call_id="c1", content="[]"),
    ]
    assert second.actions == [Reply(content="")]
    assert traj.metadata == {}
    assert traj.provenance.extra == {"$": {"source": "web"}}
    assert traj.provenance.source == "imported"
    assert traj.provenance.original_format == "openai"
    assert traj.provenance.record_location == "chats.jsonl:3"
    assert trajectory_to_record(traj) == record


def test_id_hashes_the_canonical_record_whether_data_or_text() -> None:
    record = _record(USER, {"role": "assistant", "content": "hi"}, z=1, a=2)
    traj = record_to_trajectory(record)
    assert traj.id.startswith("oai-")
    assert len(traj.id) == len("oai-") + 32
    assert record_to_trajectory(dict(reversed(record.items()))).id == traj.id  # key order
    assert record_to_trajectory(_record(USER)).id != traj.id
    assert record_to_trajectory(record, id="mine").id == "mine"
    line = msgspec.json.encode(record)  # a line: its text, as read (no second encoding)
    assert record_to_trajectory(line).id == record_to_trajectory(bytes(line)).id
    assert record_to_trajectory(line.replace(b",", b", ")).id == traj.id  # spacing


def test_content_null_and_absent_both_survive() -> None:
    record = _record(
        USER,
        {"role": "assistant", "tool_calls": [_call("a", "f", "{}")]},
        {"role": "tool", "tool_call_id": "a", "content": ""},
        {"role": "assistant", "content": None, "tool_calls": [_call("b", "f", "{}")]},
        {"role": "tool", "tool_call_id": "b", "content": ""},
        {"role": "assistant"},
    )
    traj = record_to_trajectory(record)
    assert all(not isinstance(a, Reply) for step in traj.steps for a in step.actions)
    assert traj.metadata == {SHAPE_KEY: {"content_absent": [0, 2]}}
    assert trajectory_to_record(traj) == record


def test_empty_tools_list_is_kept_and_absent_tools_stay_absent() -> None:
    with_empty = record_to_trajectory(_record(USER, tools=[]))
    assert trajectory_to_record(with_empty) == _record(USER, tools=[])
    assert trajectory_to_record(record_to_trajectory(_record(USER))) == _record(USER)


def test_tool_spec_keeps_present_keys_only() -> None:
    tools = [
        {"type": "function", "function": {"name": "a"}},
        {
            "type": "function",
            "function": {"name": "b", "description": "", "parameters": {"type": "object"}},
        },
        {"type": "function", "function": {"name": "c", "strict": False}},
    ]
    traj = record_to_trajectory(_record(USER, tools=tools))
    assert traj.tools == [
        ToolSpec(name="a"),
        ToolSpec(name="b", description="", parameters={"type": "object"}),
        ToolSpec(name="c", strict=False),
    ]
    assert trajectory_to_record(traj)["tools"] == tools


def test_legacy_function_call_round_trip() -> None:
    record = _record(
        USER,
        {"role": "assistant", "content": None, "function_call": FIND},
        {"role": "function", "name": "find", "content": "nothing"},
        {"role": "assistant", "content": "No tables."},
    )
    traj = record_to_trajectory(record)
    assert traj.steps[0].actions == [ToolCall(id=None, name="find")]
    assert traj.steps[0].observations == [ToolResult(call_id=None, name="find", content="nothing")]
    assert trajectory_to_record(traj) == record


# ---------------------------------------------------------------- keys the mapping does not know


def test_unknown_keys_are_kept_by_path_and_put_back() -> None:
    calling = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {**_call("c1", "find", "{}"), "index": 0},
            _call("c2", "book", "{}"),
        ],
        "audio": {"id": "a1", "transcript": "one moment"},
        "annotations": [{"type": "url_citation"}],
    }
    calling["tool_calls"][1]["function"]["parsed_arguments"] = {"n": 2}
    record = _record(
        {**DEVELOPER, "name": "ops"},
        {**USER, "name": "ann"},
        calling,
        {"role": "tool", "tool_call_id": "c1", "content": "[]", "valid": False},
        {"role": "tool", "tool_call_id": "c2", "content": "ok"},
        {**ASSISTANT, "parsed": {"answer": "ok"}},
        tools=[
            {
                "type": "function",
                "function": {"name": "find", "response": {"type": "array"}},
                "x-origin": "catalogue",
            }
        ],
    )
    traj = record_to_trajectory(record)
    assert traj.task.instruction == USER["content"]
    assert traj.tools == [ToolSpec(name="find")]
    assert traj.provenance.extra == {
        "messages[0]": {"name": "ops"},
        "messages[1]": {"name": "ann"},
        "messages[2]": {
            "audio": {"id": "a1", "transcript": "one moment"},
            "annotations": [{"type": "url_citation"}],
        },
        "messages[2].tool_calls[0]": {"index": 0},
        "messages[2].tool_calls[1].function": {"parsed_arguments": {"n": 2}},
        "messages[3]": {"valid": False},
        "messages[5]": {"parsed": {"answer": "ok"}},
        "tools[0]": {"x-origin": "catalogue"},
        "tools[0].function": {"response": {"type": "array"}},
    }
    assert trajectory_to_record(traj) == record
    prompt = trajectory_to_messages(traj)  # what an agent sends: no source-only keys
    assert prompt[3] == {"role": "tool", "tool_call_id": "c1", "content": "[]"}
    assert "audio" not in prompt[2]


def test_a_record_whose_only_extra_is_non_empty_annotations_keeps_them() -> None:
    record = _record(USER, {**ASSISTANT, "annotations": [{"type": "url_citation"}]})
    traj = record_to_trajectory(record)
    assert traj.provenance.extra == {"messages[1]": {"annotations": [{"type": "url_citation"}]}}
    assert trajectory_to_record(traj) == record


def test_kept_keys_go_back_only_to_openai_records_and_only_where_they_fit() -> None:
    record = _record(USER, {**ASSISTANT, "score": 0}, {**USER, "valid": True})
    traj = record_to_trajectory(record)
    assert traj.provenance.extra == {"messages[1]": {"score": 0}, "messages[2]": {"valid": True}}
    traj.steps[0].observations.clear()  # the user message the key belonged to is gone
    assert trajectory_to_record(traj) == _record(USER, {**ASSISTANT, "score": 0})
    traj.provenance.original_format = "sharegpt"
    assert trajectory_to_record(traj) == _record(USER, ASSISTANT)


def test_legacy_functions_import_as_tools_and_export_as_functions() -> None:
    functions = [{"name": "find", "description": "Find a table.", "x": 1}, {"name": "book"}]
    record = _record(
        USER,
        {"role": "assistant", "content": None, "function_call": FIND},
        {"role": "function", "name": "find", "content": "a table"},
        {"role": "assistant", "content": "Found one."},
        functions=functions,
        function_call="auto",
    )
    traj = record_to_trajectory(record)
    assert traj.tools == [ToolSpec(name="find", description="Find a table."), ToolSpec(name="book")]
    assert traj.steps[0].actions == [ToolCall(id=None, name="find")]
    assert traj.steps[0].observations == [ToolResult(name="find", content="a table")]
    assert traj.provenance.extra == {"functions[0]": {"x": 1}, "$": {"function_call": "auto"}}
    assert traj.metadata == {SHAPE_KEY: {"functions": True}}
    assert trajectory_to_record(traj) == record
    empty = _record(USER, functions=[])
    assert trajectory_to_record(record_to_trajectory(empty)) == empty


def test_functions_beside_tools_are_kept_as_they_are() -> None:
    tools = [{"type": "function", "function": {"name": "find"}}]
    record = _record(USER, tools=tools, functions=[{"name": "old"}])
    traj = record_to_trajectory(record)
    assert [tool.name for tool in traj.tools] == ["find"]
    assert traj.provenance.extra == {"$": {"functions": [{"name": "old"}]}}
    assert trajectory_to_record(traj) == record


def test_a_bare_array_of_messages_is_a_record() -> None:
    messages = [USER, {"role": "assistant", "content": None, "function_call": FIND}]
    traj = record_to_trajectory(msgspec.json.encode(messages))
    assert traj.task.instruction == USER["content"]
    assert traj.metadata == {SHAPE_KEY: {"bare": True}}
    assert trajectory_to_json(traj) == messages
    assert trajectory_to_record(traj) == _record(*messages)
    traj.metadata["source"] = "web"  # no longer fits a bare array
    assert trajectory_to_json(traj) == _record(*messages, source="web")


# ---------------------------------------------------------------- the real samples

SAMPLES = FIXTURES / "openai_chat"


def test_cookbook_fine_tuning_records_keep_their_top_level_key(tmp_path: Path) -> None:
    path = SAMPLES / "openai_cookbook_drone_training_head2.jsonl"
    source, trajectories = import_and_export("openai", path, tmp_path / "out.jsonl")
    assert len(trajectories) == len(source) == 2
    for traj in trajectories:  # kept like any key no field holds, and written back (above)
        assert traj.provenance.extra == {"$": {"parallel_tool_calls": False}}
        assert "parallel_tool_calls" not in traj.metadata
        assert len(traj.tools) == 16
        assert [type(a) for a in traj.steps[0].actions] == [ToolCall]


def test_trl_rows_with_arguments_as_objects_import_and_are_written_back(tmp_path: Path) -> None:
    written = [
        trajectory("a", call("lookup", "found", q="sofa", n=2), reply("It is there.")),
        trajectory("b", call("lookup", "none"), call("lookup", "x", q={"deep": [1]})),
    ]
    rows = tmp_path / "trl.jsonl"
    write = get_format("trl-sft").write
    assert write is not None
    write(str(rows), written)
    assert read_rows(rows)[0]["messages"][2]["tool_calls"][0]["function"]["arguments"] == {
        "q": "sofa",
        "n": 2,
    }
    _, imported = import_and_export("openai", rows, tmp_path / "again.jsonl")
    for ours, theirs in zip(imported, written, strict=True):
        assert ours.steps == theirs.steps
        assert ours.tools == theirs.tools
        assert [json.loads(c["function"]["arguments"]) for c in _calls(ours)] == [
            c.arguments for step in theirs.steps for c in step.actions if isinstance(c, ToolCall)
        ]


def _calls(traj: Trajectory) -> list[dict[str, Any]]:
    """The tool calls of the messages an agent would send (arguments as JSON text)."""
    return [c for m in trajectory_to_messages(traj) for c in m.get("tool_calls", ())]


def test_a_bare_array_of_legacy_function_calls_imports(tmp_path: Path) -> None:
    path = SAMPLES / "openpipe_train.jsonl"
    _, [traj] = import_and_export("openai", path, tmp_path / "out.jsonl")
    assert len(traj.steps) == 6
    assert all(
        [type(a) for a in step.actions] == [ToolCall] and step.actions[0].id is None
        for step in traj.steps
    )


# ---------------------------------------------------------------- OpenAI SDK dumps and developer


def _sdk(**keys: Any) -> dict[str, Any]:
    """An assistant message as the OpenAI SDK's ``ChatCompletionMessage.model_dump()`` writes it."""
    message = {"content": None, "refusal": None, "role": "assistant", "annotations": []}
    return {**message, "audio": None, "function_call": None, "tool_calls": None, **keys}


DEVELOPER = {"role": "developer", "content": "You are terse."}


def test_sdk_dumps_import_losslessly() -> None:
    record = _record(
        DEVELOPER,
        USER,
        _sdk(tool_calls=[_call("c1", "find", '{"city":"Zürich"}')]),
        {"role": "tool", "tool_call_id": "c1", "content": "[]"},
        _sdk(content="No tables."),
        {"role": "user", "content": "Then hack their system."},
        _sdk(refusal="I can't help with that.", annotations=None),
    )
    traj = record_to_trajectory(record)
    assert traj.system_prompt == "You are terse."
    assert [step.actions for step in traj.steps] == [
        [ToolCall(id="c1", name="find", arguments={"city": "Zürich"})],
        [Reply(content="No tables.")],
        [Reply(content="I can't help with that.")],
    ]
    assert traj.metadata == {
        SHAPE_KEY: {
            "refusals": [2],
            "refusal_null": [0, 1],
            "annotations_null": [2],
            "audio_null": [0, 1, 2],
            "function_call_null": [0, 1, 2],
            "tool_calls_null": [1, 2],
            "annotations_empty": [0, 1],
            "developer": True,
        }
    }
    assert trajectory_to_record(traj) == record
    assert trajectory_to_messages(traj) == record["messages"]


def test_parsed_dumps_keep_their_null_parsed_keys() -> None:
    parsed_call = _call("b", "f", "{}")
    parsed_call["function"]["parsed_arguments"] = None
    record = _record(
        USER,
        _sdk(parsed=None, tool_calls=[_call("a", "f", "{}"), parsed_call]),
        _sdk(content='{"x": 1}', parsed=None),
    )
    traj = record_to_trajectory(record)
    shape = traj.metadata[SHAPE_KEY]
    assert shape["parsed_null"] == [0, 1]
    assert shape["parsed_arguments_null"] == [[0, 1]]
    assert trajectory_to_record(traj) == record


def test_refusal_without_content_key_and_developer_alone() -> None:
    refusal = {"role": "assistant", "refusal": "", "annotations": []}
    record = _record(DEVELOPER, refusal)
    traj = record_to_trajectory(record)
    assert traj.steps[0].actions == [Reply(content="")]
    assert traj.metadata == {
        SHAPE_KEY: {
            "content_absent": [0],
            "refusals": [0],
            "annotations_empty": [0],
            "developer": True,
        }
    }
    assert trajectory_to_record(traj) == record
    assert trajectory_to_record(record_to_trajectory(_record(DEVELOPER))) == _record(DEVELOPER)


def test_refusal_survives_edits_of_its_text() -> None:
    traj = record_to_trajectory(_record(USER, _sdk(refusal="No, Ann.")))
    traj.steps[0].actions = [Reply(content="No, [NAME].")]
    assert trajectory_to_messages(traj)[1] == _sdk(refusal="No, [NAME].")
    traj.steps[0].actions = []  # nothing left to refuse with: the key stays out
    exported = trajectory_to_messages(traj)[1]
    assert exported == {key: value for key, value in _sdk().items() if key != "refusal"}


def test_shape_bits_for_steps_that_are_gone_are_ignored() -> None:
    traj = Trajectory(
        id="t",
        steps=[Step()],
        metadata={SHAPE_KEY: {"audio_null": [5, -1], "parsed_arguments_null": [[0, 3]]}},
    )
    assert trajectory_to_messages(traj) == [{"role": "assistant", "content": None}]


def test_real_sdk_dumps_round_trip() -> None:
    chat = pytest.importorskip("openai.types.chat")
    parsed = pytest.importorskip("openai.types.chat.parsed_chat_completion")
    choice = {"index": 0, "finish_reason": "stop", "logprobs": None}
    response = {"id": "r", "object": "chat.completion", "created": 0, "model": "m"}
    calling = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "annotations": [],
        "tool_calls": [_call("c1", "find", '{"city": "Zürich"}')],
    }
    refusing = {"role": "assistant", "content": None, "refusal": "I can't."}
    messages: list[dict[str, Any]] = [DEVELOPER, USER]
    for model, message in [
        (chat.ChatCompletion, calling),
        (parsed.ParsedChatCompletion[object], calling),
        (chat.ChatCompletion, refusing),
    ]:
        completion = model.model_validate({**response, "choices": [{**choice, "message": message}]})
        messages.append(completion.choices[0].message.model_dump())
        messages.extend(
            {"role": "tool", "tool_call_id": call["id"], "content": "[]"}
            for call in message.get("tool_calls", ())
        )
    record = _record(*messages)
    assert trajectory_to_record(record_to_trajectory(record)) == record


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("text", "arguments", "raw"),
    [
        ('{"a":[1,{"b":null}]}', {"a": [1, {"b": None}]}, None),
        ('{"a": 1}', {"a": 1}, '{"a": 1}'),
        ('{"s":"\\u00e9"}', {"s": "é"}, '{"s":"\\u00e9"}'),
        ('{"a":1,"a":2}', {"a": 2}, '{"a":1,"a":2}'),
        ('{"a": 1', {}, '{"a": 1'),
        ("[1, 2]", {}, "[1, 2]"),
        ("null", {}, "null"),
        ("", {}, ""),
    ],
)
def test_parse_arguments(text: str, arguments: dict[str, Any], raw: str | None) -> None:
    assert parse_arguments(text) == (arguments, raw)
    assert arguments_text(ToolCall(name="f", arguments=arguments, raw_arguments=raw)) == text


def test_stale_raw_arguments_are_not_exported() -> None:
    call = ToolCall(name="f", arguments={"email": "[REDACTED]"}, raw_arguments='{"email": "a@b.c"}')
    assert arguments_text(call) == '{"email":"[REDACTED]"}'
    repaired = ToolCall(name="f", arguments={"a": 1}, raw_arguments='{"a": 1')
    assert arguments_text(repaired) == '{"a":1}'


# ---------------------------------------------------------------- export of trajforge trajectories


def test_export_of_a_generated_trajectory_gives_modern_messages() -> None:
    traj = Trajectory(
        id="t1",
        system_prompt="Be careful.",
        task=Task(instruction="Refund order 7.", environment="shop"),
        tools=[
            ToolSpec(name="refund", description="Refund an order.", parameters={"type": "object"})
        ],
        steps=[
            Step(actions=[ClarifyingQuestion(content="Which item?")]),
            Step(
                reasoning="refund it",
                actions=[
                    ToolCall(id="r1", name="refund", arguments={"order": 7, "item": "ünï"}),
                    ToolCall(id="r2", name="refund", arguments={}),
                ],
                observations=[
                    ToolResult(call_id="r1", content="done", latency_ms=3.0),
                    ToolResult(call_id="r2", content="missing order", status="error"),
                ],
            ),
            Step(
                actions=[Finish(content="Refunded.", completed=True)],
                observations=[UserMessage(content="thanks")],
            ),
        ],
    )
    traj.steps[0].observations.append(UserMessage(content="The lamp."))
    assert trajectory_to_record(traj) == {
        "messages": [
            {"role": "system", "content": "Be careful."},
            {"role": "user", "content": "Refund order 7."},
            {"role": "assistant", "content": "Which item?"},
            {"role": "user", "content": "The lamp."},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "refund it",
                "tool_calls": [
                    _call("r1", "refund", '{"order":7,"item":"ünï"}'),
                    _call("r2", "refund", "{}"),
                ],
            },
            {"role": "tool", "tool_call_id": "r1", "content": "done"},
            {"role": "tool", "tool_call_id": "r2", "content": "missing order"},
            {"role": "assistant", "content": "Refunded."},
            {"role": "user", "content": "thanks"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "refund",
                    "description": "Refund an order.",
                    "parameters": {"type": "object"},
                },
            }
        ],
    }
    assert trajectory_to_messages(traj) == trajectory_to_record(traj)["messages"]


def test_export_without_prompt_instruction_or_tools() -> None:
    traj = Trajectory(id="t", steps=[Step()])
    assert trajectory_to_record(traj) == {"messages": [{"role": "assistant", "content": None}]}


@pytest.mark.parametrize(
    ("traj", "path"),
    [
        (
            Trajectory(id="t", steps=[Step(actions=[Reply(content="a"), Finish(content="b")])]),
            "steps[0].actions",
        ),
        (
            Trajectory(id="t", steps=[Step(actions=[ToolCall(name="a"), ToolCall(name="b")])]),
            "steps[0].actions",
        ),
        (
            Trajectory(
                id="t",
                steps=[
                    Step(),
                    Step(
                        actions=[ToolCall(id="x", name="a")],
                        observations=[UserMessage(content=""), ToolResult(call_id="y", content="")],
                    ),
                ],
            ),
            "steps[1].observations[1].call_id",
        ),
        (
            Trajectory(id="t", steps=[Step(observations=[ToolResult(content="")])]),
            "steps[0].observations[0].call_id",
        ),
        (Trajectory(id="t", metadata={"messages": []}), "metadata.messages"),
        (
            Trajectory(id="t", metadata={SHAPE_KEY: {"content_absent": ["x"]}}),
            f"metadata.{SHAPE_KEY}.content_absent[0]",
        ),
        (
            Trajectory(id="t", metadata={SHAPE_KEY: {"parsed_arguments_null": [[0]]}}),
            f"metadata.{SHAPE_KEY}.parsed_arguments_null[0]",
        ),
        (
            Trajectory(id="t", metadata={SHAPE_KEY: {"audio_nul": [0]}}),
            f"metadata.{SHAPE_KEY}.audio_nul",
        ),
    ],
)
def test_unexportable_trajectories_raise_located_errors(traj: Trajectory, path: str) -> None:
    with pytest.raises(ConversionError) as info:
        trajectory_to_record(traj)
    assert info.value.path == path
    assert info.value.hint


# ---------------------------------------------------------------- unsupported shapes

ASSISTANT = {"role": "assistant", "content": "ok"}


@pytest.mark.parametrize(
    ("record", "path", "words"),
    [
        (_record(SYSTEM, USER, {"role": "user", "content": "more"}), "messages[2]", "second user"),
        (_record(USER, ASSISTANT, SYSTEM), "messages[2].role", "system message"),
        (
            _record({"role": "user", "content": [{"text": "hi"}]}),
            "messages[0].content[0].type",
            "without a string 'type'",
        ),
        (
            _record(USER, {"role": "assistant", "content": [{"type": "text", "text": 1}]}),
            "messages[1].content[0].text",
            "without a string 'text'",
        ),
        (_record({"role": "user", "content": 3}), "messages[0].content", "got integer"),
        (_record(USER, {"role": "critic", "content": "x"}), "messages[1].role", "invalid value"),
        (
            _record(USER, {"role": "developer", "content": "x"}),
            "messages[1].role",
            "a developer message is only",
        ),
        (
            _record(SYSTEM, {"role": "developer", "content": "x"}),
            "messages[1].role",
            "a developer message is only",
        ),
        (
            _record(
                USER,
                CALLING,
                {"role": "tool", "tool_call_id": "c1", "content": ""},
                ASSISTANT,
                {"role": "tool", "tool_call_id": "c2", "content": ""},
            ),
            "messages[4].tool_call_id",
            "'c2'",
        ),
        (
            _record(USER, {"role": "tool", "tool_call_id": "c1", "content": ""}),
            "messages[1]",
            "tool",
        ),
        (_record({"role": "function", "name": "f", "content": ""}), "messages[0]", "tool"),
        (
            _record(
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": "a", "type": "function", "function": {"name": "f", "arguments": []}}
                    ],
                },
            ),
            "messages[1].tool_calls[0].function.arguments",
            "expected string or object, got array",
        ),
        (
            _record(
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "a", "type": "fn", "function": {"name": "f"}}],
                },
            ),
            "messages[1].tool_calls[0].type",
            "invalid enum value 'fn'",
        ),
        (
            _record(USER, {**ASSISTANT, "refusal": "no"}),
            "messages[1].refusal",
            "both content and a refusal",
        ),
        (_record(USER, {**ASSISTANT, "refusal": 1}), "messages[1].refusal", "string or null"),
        (_record({"content": "x"}), "messages[0].role", "required key missing"),
        (
            _record(
                USER, tools=[{"type": "function", "function": {"name": "f", "description": 1}}]
            ),
            "tools[0].function.description",
            "expected string, got integer",
        ),
        (_record(USER, tools=None), "tools", "expected array, got null"),
        ({"msgs": []}, "messages", "required key missing"),
        (_record(USER, **{SHAPE_KEY: {}}), SHAPE_KEY, "reserved"),
    ],
)
def test_unsupported_shapes_raise_located_errors(
    record: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConversionError) as info:
        record_to_trajectory(record)
    assert info.value.path == path
    assert words in info.value.message
    assert info.value.hint
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("data", "kind"), [(b'"x"', "string"), (b"null", "null"), (b"1", "integer")]
)
def test_non_object_records_are_rejected(data: bytes, kind: str) -> None:
    with pytest.raises(ConversionError, match=f"expected an object, got {kind}$"):
        record_to_trajectory(data)


def test_malformed_json_is_an_input_error() -> None:
    with pytest.raises(InputError, match="truncated"):
        record_to_trajectory(b'{"messages": [')


def test_the_reader_imports_lines_and_sets_bad_ones_aside_where_they_are(
    tmp_path: Path,
) -> None:
    good = msgspec.json.encode(_record(USER, {"role": "assistant", "content": "hi"}))
    lines = [
        good,
        b'{"messages": [',
        b'"x"',
        msgspec.json.encode(_record({"role": "robot", "content": "x"})),
        msgspec.json.encode(_record(USER, source="web")),
        b'{"messages": [], "messages": [' + msgspec.json.encode(USER) + b"]}",
    ]
    path = tmp_path / "chats.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    read = get_reader("openai")
    bad: list[BadRecord] = []
    got = list(read(str(path), bad.append))
    assert [t.provenance.record_location for t in got] == [f"{path}:{n}" for n in (1, 5, 6)]
    assert [t.id for t in got] == [record_to_trajectory(lines[n]).id for n in (0, 4, 5)]
    assert got[1].provenance.extra == {"$": {"source": "web"}}
    assert [(b.line, b.raw) for b in bad] == [(n, lines[n - 1]) for n in (2, 3, 4)]
    assert "truncated" in (bad[0].hint or "")
    assert bad[1].error == "expected an object, got string"
    assert bad[2].error.startswith("messages[0].role: ")
    strict: list[BadRecord] = []
    with checking(ReadChecks(unique_keys=True)):  # the reader decodes lines first then
        assert len(list(read(str(path), strict.append))) == 2
    assert [b.line for b in strict] == [2, 3, 4, 6]


def test_non_json_dict_values_are_rejected() -> None:
    with pytest.raises(ConversionError, match="not JSON data"):
        record_to_trajectory({"messages": [], "when": object()})


@pytest.mark.parametrize(
    "assistant",
    [
        {"role": "assistant", "content": "no calls", "tool_calls": []},
        {"role": "assistant", "content": None, "tool_calls": [], "reasoning_content": None},
        {**ASSISTANT, "reasoning_content": None},
    ],
    ids=["empty-tool-calls", "empty-calls-null-reasoning", "null-reasoning"],
)
def test_vllm_and_deepseek_empty_forms_import_and_export_unchanged(
    assistant: dict[str, Any],
) -> None:
    """vLLM writes ``"tool_calls": []`` and DeepSeek-style servers ``"reasoning_content": null``
    on turns without calls or reasoning: both import, and export as they came."""
    record = _record(USER, assistant)
    traj = record_to_trajectory(record)
    assert not any(isinstance(a, ToolCall) for a in traj.steps[0].actions)
    assert traj.steps[0].reasoning is None
    assert trajectory_to_record(traj) == record


# ---------------------------------------------------------------- plain and general shapes


def _plain_record() -> dict[str, Any]:
    """A record in the plain shape: every text canonical but one, one text not an object."""
    calls = [_call("a", "f", '{"x":1}'), _call("b", "f", '{"x": 2}'), _call("c", "f", "[1]")]
    results = [{"role": "tool", "tool_call_id": c, "content": "ok"} for c in "abc"]
    return _record(USER, {"role": "assistant", "content": None, "tool_calls": calls}, *results)


def test_arguments_texts_are_kept_only_where_not_canonical_whatever_the_route() -> None:
    record = _plain_record()
    for source in (record, msgspec.json.encode(record)):
        calls = record_to_trajectory(source).steps[0].actions
        assert [(c.arguments, c.raw_arguments) for c in calls if isinstance(c, ToolCall)] == [
            ({"x": 1}, None),
            ({"x": 2}, '{"x": 2}'),
            ({}, "[1]"),
        ]


def test_a_record_in_the_general_shape_imports_as_its_plain_twin() -> None:
    plain = _plain_record()
    general = json.loads(json.dumps(plain))
    general["messages"][1]["weight"] = 1  # a key only the general Structs hold
    ours, theirs = record_to_trajectory(plain), record_to_trajectory(general)
    assert ours.steps == theirs.steps
    assert theirs.metadata == {SHAPE_KEY: {"weights": [[0, 1]]}}
    assert ours.metadata == {}


def test_the_id_of_a_plain_record_is_that_of_the_general_structs() -> None:
    line = msgspec.json.encode(_plain_record())
    general = Decoded(msgspec.json.decode(line, type=ChatRecord), {}, {}, False)
    assert type(decode_record(line).chat) is PlainChatRecord
    assert record_to_trajectory(line).id == "oai-" + canonical_id(general)


def test_records_with_the_same_tools_share_one_read_only_list() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    first, second = (
        record_to_trajectory(msgspec.json.encode(_record(USER, tools=tools, n=n))) for n in (1, 2)
    )
    assert first.tools is second.tools
    assert isinstance(first.tools, SharedTools)
    assert first.tools.raw == msgspec.json.encode(first.tools)  # what verify's cache keys on
    assert first.tools == record_to_trajectory(_record(USER, tools=tools, n=1)).tools
    empty = [record_to_trajectory(msgspec.json.encode(_record(USER, tools=[]))) for _ in "ab"]
    assert empty[0].tools == []
    assert empty[0].tools is not empty[1].tools


def test_ids_of_records_with_integers_beyond_64_bits_do_not_depend_on_the_route() -> None:
    big = {"type": "integer", "maximum": 2**70}
    tools = [{"type": "function", "function": {"name": "f", "parameters": big}}]
    for record in (
        _record(USER, tools=tools),
        _record({**USER, "content": [{"type": "text", "text": "hi", "n": 2**70}]}, tools=[]),
    ):
        line = msgspec.json.encode(record)
        assert record_to_trajectory(line).id == record_to_trajectory(record).id
