"""Property tests: OpenAI records survive import, export and serialisation unchanged."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.formats.openai import (
    record_to_trajectory,
    trajectory_to_messages,
    trajectory_to_record,
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


@st.composite
def tool_calls(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Modern tool calls; some with the ``"parsed_arguments": null`` of the SDK's ``.parse()``."""
    calls = []
    for call_id in draw(st.lists(names, max_size=3, unique=True)):
        function = {"name": draw(names), "arguments": draw(argument_texts())}
        _maybe(draw, function, "parsed_arguments", st.none())
        calls.append({"id": call_id, "type": "function", "function": function})
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
        message["function_call"] = {"name": draw(names), "arguments": draw(argument_texts())}
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
    followers: list[dict[str, Any]] = []
    for call in draw(st.permutations(calls))[: draw(st.integers(0, len(calls)))]:
        result = {"role": "tool", "tool_call_id": call["id"], "content": _result_text(draw)}
        _maybe(draw, result, "name", st.just(call["function"]["name"]))
        followers.append(result)
    if legacy and draw(st.booleans()):
        name = message["function_call"]["name"]
        followers.append({"role": "function", "name": name, "content": _result_text(draw)})
    for _ in range(draw(st.integers(0, 2))):
        user: dict[str, Any] = {"role": "user", "content": draw(texts)}
        _maybe(draw, user, "name", names)
        followers.append(user)
    return [message, *draw(st.permutations(followers))]


@st.composite
def tool_defs(draw: st.DrawFn) -> dict[str, Any]:
    function: dict[str, Any] = {"name": draw(names)}
    _maybe(draw, function, "description", texts)
    _maybe(draw, function, "parameters", st.dictionaries(texts, json_values, max_size=3))
    _maybe(draw, function, "strict", st.booleans())
    return {"type": "function", "function": function}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    role = draw(st.sampled_from(["system", "developer", None]))
    if role is not None:
        messages.append({"role": role, "content": draw(texts)})
    if draw(st.integers(0, 5)) > 0:
        messages.append({"role": "user", "content": draw(texts)})
    for _ in range(draw(st.integers(0, 4))):
        messages.extend(draw(turn()))
    record: dict[str, Any] = {"messages": messages}
    _maybe(draw, record, "tools", st.lists(tool_defs(), max_size=3))
    extra_keys = texts.filter(lambda k: k not in ("messages", "tools", "_openai_shape"))
    record.update(draw(st.dictionaries(extra_keys, json_values, max_size=2)))
    return record


_decoder = TrajectoryDecoder()
_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(records())
def test_record_round_trips_through_trajectory(record: dict[str, Any]) -> None:
    traj = record_to_trajectory(record)
    assert trajectory_to_record(traj) == record
    assert trajectory_to_messages(traj) == record["messages"]


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
    traj = record_to_trajectory(record)
    assert record_to_trajectory(msgspec.json.encode(record)) == traj
    again = record_to_trajectory(trajectory_to_record(traj), id=traj.id)
    assert again == traj
