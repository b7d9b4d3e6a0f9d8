"""Property tests: OpenAI records survive import, export and serialisation unchanged."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.formats.openai import (
    canonical_arguments,
    record_to_trajectory,
    trajectory_to_json,
    trajectory_to_messages,
    trajectory_to_record,
)
from trajforge.formats.openai_extra import MESSAGE_KEYS
from trajforge.formats.openai_wire import (
    FunctionCall,
    FunctionDef,
    ToolCallWire,
    ToolDef,
    ToolFunction,
)
from trajforge.schema import TrajectoryDecoder, encode

# every code point but surrogates: astral plane, control characters, NUL included
texts = st.text(st.characters(codec="utf-8"), max_size=20)
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
argument_objects = st.dictionaries(texts, json_values, max_size=4)
long_objects = st.builds(
    lambda unit, n: {"text": (unit * n)[:20_000]},
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=3),
    st.integers(1, 20_000),
)


def _truncated(text: str, cut: int) -> str:
    return text[: max(0, len(text) - cut)]


@st.composite
def argument_texts(draw: st.DrawFn) -> str:
    """Canonical, re-spaced, escaped, truncated, non-object or arbitrary argument text."""
    value = draw(argument_objects | long_objects)
    kind = draw(st.sampled_from(["canonical", "spaced", "pretty", "truncated", "other", "text"]))
    if kind == "canonical":
        return msgspec.json.encode(value).decode()
    if kind == "spaced":
        return json.dumps(value)  # ", " and ": " separators, \\u escapes
    if kind == "pretty":
        return json.dumps(value, ensure_ascii=False, indent=draw(st.integers(0, 2)))
    if kind == "truncated":
        return _truncated(msgspec.json.encode(value).decode(), draw(st.integers(1, 5)))
    if kind == "other":
        return json.dumps(draw(json_values))  # valid JSON, maybe not an object
    return draw(texts)


def _maybe(
    draw: st.DrawFn, message: dict[str, Any], key: str, values: st.SearchStrategy[Any]
) -> None:
    if draw(st.booleans()):
        message[key] = draw(values)


def _unknown(draw: st.DrawFn, obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """``obj``, now and then with a key the OpenAI shapes do not have (kept in extra)."""
    if draw(st.integers(0, 3)) == 0:
        key = draw(names.filter(lambda key: key not in known and key not in obj))
        obj[key] = draw(json_values)
    return obj


@st.composite
def tool_calls(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Modern tool calls; some with the ``"parsed_arguments": null`` of the SDK's ``.parse()``,
    some with their arguments as an object (TRL's rows)."""
    calls = []
    for call_id in draw(st.lists(names, max_size=3, unique=True)):
        arguments = draw(argument_texts() | argument_objects)
        function = {"name": draw(names), "arguments": arguments}
        _maybe(draw, function, "parsed_arguments", st.none() | argument_objects)
        _unknown(draw, function, CALL_FUNCTION_KEYS)
        call = {"id": call_id, "type": "function", "function": function}
        calls.append(_unknown(draw, call, CALL_KEYS))
    return calls


def _result_text(draw: st.DrawFn) -> str:
    return draw(texts | st.builds(lambda t: f"Error: {t}", texts) | st.just(""))


@st.composite
def turn(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One assistant message, then its results and follow-up user messages in random order."""
    calls = draw(tool_calls())
    legacy = not calls and draw(st.integers(0, 4)) == 0
    message: dict[str, Any] = {"role": "assistant"}
    content = draw(st.sampled_from(["text", "empty", "null", "absent"]))
    if content != "absent":
        message["content"] = {"text": draw(texts), "empty": "", "null": None}[content]
    if content in ("null", "absent") and draw(st.booleans()):
        message["refusal"] = draw(texts)
    _maybe(draw, message, "reasoning_content", texts)
    if calls:
        message["tool_calls"] = calls
    if legacy:
        legacy_call = {"name": draw(names), "arguments": draw(argument_texts())}
        message["function_call"] = _unknown(draw, legacy_call, CALL_FUNCTION_KEYS)
    # the empty keys of the OpenAI SDK's model_dump(): none, all (as it writes them) or some
    empty = {
        "refusal": st.none(),
        "annotations": st.sampled_from([None, []]),
        "audio": st.none(),
        "function_call": st.none(),
        "tool_calls": st.sampled_from([None, []]),
        "parsed": st.none(),
        "reasoning_content": st.none(),
    }
    style = draw(st.sampled_from(["plain", "sdk", "some"]))
    for key, values in empty.items():
        if key not in message and style != "plain" and (style == "sdk" or draw(st.booleans())):
            message[key] = draw(values)
    # what the SDK writes when they are not empty: kept in provenance.extra
    _maybe(draw, message, "audio", st.fixed_dictionaries({"id": names, "transcript": texts}))
    _maybe(draw, message, "annotations", st.lists(st.just({"type": "url_citation"}), min_size=1))
    _maybe(draw, message, "parsed", argument_objects)
    _unknown(draw, message, MESSAGE_KEYS["assistant"])
    followers: list[dict[str, Any]] = []
    for call in draw(st.permutations(calls))[: draw(st.integers(0, len(calls)))]:
        result = {"role": "tool", "tool_call_id": call["id"], "content": _result_text(draw)}
        _maybe(draw, result, "name", st.just(call["function"]["name"]))
        followers.append(_unknown(draw, result, MESSAGE_KEYS["tool"]))
    if legacy and draw(st.booleans()):
        name = message["function_call"]["name"]
        result = {"role": "function", "name": name, "content": _result_text(draw)}
        followers.append(_unknown(draw, result, MESSAGE_KEYS["function"]))
    for _ in range(draw(st.integers(0, 2))):
        user: dict[str, Any] = {"role": "user", "content": draw(texts)}
        _maybe(draw, user, "name", names)
        followers.append(_unknown(draw, user, MESSAGE_KEYS["user"]))
    return [message, *draw(st.permutations(followers))]


@st.composite
def function_defs(draw: st.DrawFn) -> dict[str, Any]:
    """A ``tools[i].function``, or an entry of the legacy ``functions`` list."""
    function: dict[str, Any] = {"name": draw(names)}
    _maybe(draw, function, "description", texts)
    _maybe(draw, function, "parameters", st.dictionaries(texts, json_values, max_size=3))
    _maybe(draw, function, "strict", st.booleans())
    return _unknown(draw, function, FUNCTION_KEYS)


@st.composite
def tool_defs(draw: st.DrawFn) -> dict[str, Any]:
    return _unknown(draw, {"type": "function", "function": draw(function_defs())}, TOOL_KEYS)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    role = draw(st.sampled_from(["system", "developer", None]))
    if role is not None:
        prompt = {"role": role, "content": draw(texts)}
        messages.append(_unknown(draw, prompt, MESSAGE_KEYS[role]))
    if draw(st.integers(0, 5)) > 0:
        instruction = {"role": "user", "content": draw(texts)}
        _maybe(draw, instruction, "name", names)
        messages.append(_unknown(draw, instruction, MESSAGE_KEYS["user"]))
    for _ in range(draw(st.integers(0, 4))):
        messages.extend(draw(turn()))
    record: dict[str, Any] = {"messages": messages}
    tools = draw(st.sampled_from(["tools", "functions", None]))
    if tools == "tools":
        record["tools"] = draw(st.lists(tool_defs(), max_size=3))
    elif tools == "functions":
        record["functions"] = draw(st.lists(function_defs(), max_size=3))
    reserved = ("messages", "tools", "functions", "_openai_shape")
    extra_keys = texts.filter(lambda k: k not in reserved)
    record.update(draw(st.dictionaries(extra_keys, json_values, max_size=2)))
    return record


def _keys(cls: type[msgspec.Struct]) -> frozenset[str]:
    return frozenset(field.name for field in msgspec.structs.fields(cls))


CALL_KEYS = _keys(ToolCallWire)
CALL_FUNCTION_KEYS = _keys(ToolFunction) | _keys(FunctionCall)
TOOL_KEYS = _keys(ToolDef)
FUNCTION_KEYS = _keys(FunctionDef)

_decoder = TrajectoryDecoder()
_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(records())
def test_record_round_trips_through_trajectory(record: dict[str, Any]) -> None:
    traj = record_to_trajectory(record)
    assert trajectory_to_record(traj) == record
    traj.provenance.extra = {}  # the messages an agent sends: without source-only keys
    messages = trajectory_to_record(traj)["messages"]
    assert trajectory_to_messages(traj, as_source=True) == messages
    for message in messages:  # and arguments as text, which the API takes
        for call in message.get("tool_calls") or ():
            if isinstance(arguments := call["function"]["arguments"], dict):
                call["function"]["arguments"] = canonical_arguments(arguments)
    assert trajectory_to_messages(traj) == messages
    bare = record["messages"]
    assert trajectory_to_json(record_to_trajectory(bare)) == bare


@_settings
@given(records())
def test_round_trip_survives_serialisation(record: dict[str, Any]) -> None:
    traj = record_to_trajectory(record)
    decoded = _decoder.decode(encode(traj))
    assert decoded == traj
    assert trajectory_to_record(decoded) == record


@_settings
@given(records())
def test_bytes_and_dict_input_agree_and_export_is_idempotent(record: dict[str, Any]) -> None:
    traj = record_to_trajectory(record)  # bytes decode straight into Structs where they can
    assert record_to_trajectory(msgspec.json.encode(record), id=traj.id) == traj
    again = record_to_trajectory(trajectory_to_record(traj), id=traj.id)
    assert again == traj
