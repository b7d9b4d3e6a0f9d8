"""Trajectories as trainer chat messages, by step."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import msgspec
import pytest

from trajforge.errors import ConversionError, TrajforgeError
from trajforge.formats.chat import (
    conversation,
    fine_tuning_messages,
    tool_schemas,
    tools_column,
    trl_messages,
)
from trajforge.formats.detect import read_detected
from trajforge.formats.openai import record_to_trajectory, trajectory_to_messages
from trajforge.schema import Step, ToolCall, Trajectory

from .samples import FIXTURES
from .trajectories import TOOLS, call, reply, trajectory

TRL = partial(trl_messages, json_strings=False)


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
    strings = conversation(run, partial(trl_messages, json_strings=True))
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
    (assistant, tool) = conversation(run, fine_tuning_messages).steps[0]
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


# ---------------------------------------------------------------- TRL against the OpenAI mapping

_TRL_ROLES = {"developer": "system", "function": "tool"}


def _as_trl(message: dict[str, Any], *, json_strings: bool) -> dict[str, Any]:
    """What an OpenAI API message says, in TRL's terms: the oracle ``trl_messages`` answers to."""
    content = message.get("content")
    out: dict[str, Any] = {
        "role": _TRL_ROLES.get(message["role"], message["role"]),
        "content": content if content is not None else message.get("refusal"),
    }
    out |= {
        key: message[key]
        for key in ("reasoning_content", "name", "tool_call_id")
        if message.get(key) is not None
    }
    calls = [*(message.get("tool_calls") or ()), *filter(None, [message.get("function_call")])]
    if calls:
        out["tool_calls"] = [_as_trl_call(call, json_strings) for call in calls]
    return out


def _as_trl_call(call: dict[str, Any], json_strings: bool) -> dict[str, Any]:
    function = call.get("function", call)  # a legacy function_call is the function itself
    arguments = function["arguments"]
    if not json_strings:
        with contextlib.suppress(msgspec.DecodeError):
            decoded = msgspec.json.decode(arguments)
            arguments = decoded if isinstance(decoded, dict) else arguments
    wire = {"type": "function", "function": {"name": function["name"], "arguments": arguments}}
    return wire | ({"id": call["id"]} if "id" in call else {})


def _fixture_trajectories() -> Iterator[tuple[str, Trajectory]]:
    for path in sorted(FIXTURES.rglob("*")):
        if (
            path.is_file()
            and path.suffix in {".json", ".jsonl"}
            and "possible_answer" not in path.parts
        ):
            with contextlib.suppress(TrajforgeError):
                for trajectory in read_detected(str(path), lambda _: None):
                    yield path.name, trajectory


@pytest.mark.parametrize("json_strings", [False, True])
def test_trl_messages_say_what_the_openai_mapping_says_on_every_real_sample(
    json_strings: bool,
) -> None:
    seen = set()
    for name, run in _fixture_trajectories():
        try:
            expected = [_as_trl(m, json_strings=json_strings) for m in trajectory_to_messages(run)]
        except ConversionError:
            with pytest.raises(ConversionError):
                trl_messages(run, json_strings=json_strings)
            continue
        ours = trl_messages(run, json_strings=json_strings)
        assert json.dumps(ours) == json.dumps(expected), (name, run.id)  # in the same key order
        seen.add(name)
    assert len(seen) >= 25  # the samples of every importer
