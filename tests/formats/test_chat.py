"""Trajectories as trainer chat messages, by step."""

from __future__ import annotations

from functools import partial

import msgspec

from trajforge.formats.chat import (
    conversation,
    fine_tuning_message,
    tool_schemas,
    tools_column,
    trl_message,
)
from trajforge.formats.openai import record_to_trajectory, trajectory_to_messages
from trajforge.schema import Step, ToolCall, Trajectory

from .trajectories import TOOLS, call, reply, trajectory

TRL = partial(trl_message, json_strings=False)


def test_a_conversation_cuts_only_at_step_boundaries(branched: list[Trajectory]) -> None:
    for run in branched[:4]:
        chat = conversation(run, TRL)
        assert [m["role"] for m in chat.prompt] == ["system", "user"]
        for k, step in enumerate(run.steps):
            assert chat.steps[k][0]["role"] == "assistant"
            assert len(chat.steps[k]) == 1 + len(step.observations)
            assert chat.before(k) + chat.since(k) == chat.before(len(run.steps))
        assert len(chat.before(len(run.steps))) == len(trajectory_to_messages(run))


def test_trl_messages_carry_arguments_as_objects_or_as_their_json_text() -> None:
    odd = Step(actions=[ToolCall(id="c", name="lookup", arguments={}, raw_arguments="{'q': 1}")])
    run = trajectory("t", call("lookup", "found", q="a", n=2), odd, reply("done"))
    chat = conversation(run, TRL)
    first = chat.steps[0][0]["tool_calls"][0]
    assert first == {
        "type": "function",
        "id": "c-lookup-2",
        "function": {"name": "lookup", "arguments": {"q": "a", "n": 2}},
    }
    assert chat.steps[0][1] == {
        "role": "tool",
        "content": "found",
        "name": "lookup",
        "tool_call_id": "c-lookup-2",
    }
    assert chat.steps[1][0]["tool_calls"][0]["function"]["arguments"] == "{'q': 1}"
    strings = conversation(run, partial(trl_message, json_strings=True))
    text = strings.steps[0][0]["tool_calls"][0]["function"]["arguments"]
    assert msgspec.json.decode(text) == {"q": "a", "n": 2}
    assert msgspec.json.decode(tools_column(TOOLS, json_strings=True)) == tool_schemas(TOOLS)


def test_legacy_function_calls_developer_prompts_and_refusals_map_to_trl_roles() -> None:
    record = {
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "f", "arguments": "{}"},
            },
            {"role": "function", "name": "f", "content": "42"},
            {"role": "assistant", "content": None, "refusal": "I cannot."},
        ]
    }
    run = record_to_trajectory(record)
    messages = conversation(run, TRL).before(len(run.steps))
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {}}}],
        },
        {"role": "tool", "content": "42", "name": "f"},
        {"role": "assistant", "content": "I cannot."},
    ]


def test_fine_tuning_messages_keep_only_the_keys_openai_accepts() -> None:
    run = trajectory("t", call("lookup", q="a"))
    run.steps[0].reasoning = "think"
    (assistant, tool) = conversation(run, fine_tuning_message).steps[0]
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c-lookup-1",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"q":"a"}'},
            }
        ],
    }
    assert tool == {"role": "tool", "tool_call_id": "c-lookup-1", "content": "ok", "name": "lookup"}
