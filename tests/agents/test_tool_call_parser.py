"""Tests of the text tool-call parser (Hermes blocks and bare JSON)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajforge.agents.tool_call_parser import ParsedCall, parse_tool_calls
from trajforge.errors import ToolCallParseError, TrajforgeError

TOOLS = ("get_order", "refund_order", "list_orders", "transfer_to_human")


def hermes(name: str, arguments: Any) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


# ---------------------------------------------------------------- examples


def test_plain_text_has_no_calls() -> None:
    text = "Your order {W123} has shipped. Anything else?"
    assert parse_tool_calls(text, TOOLS) == ([], text)


def test_one_hermes_call_and_leftover() -> None:
    text = "Let me look.\n" + hermes("get_order", {"order_id": "W1"})
    calls, leftover = parse_tool_calls(text, TOOLS)
    assert calls == [ParsedCall("get_order", {"order_id": "W1"})]
    assert leftover == "Let me look."


def test_several_hermes_calls() -> None:
    text = hermes("get_order", {"order_id": "W1"}) + "\n" + hermes("list_orders", {})
    calls, leftover = parse_tool_calls(text, TOOLS)
    assert [c.name for c in calls] == ["get_order", "list_orders"]
    assert leftover == ""


def test_hermes_block_with_a_list_and_with_two_objects() -> None:
    listed = '<tool_call>[{"name": "get_order", "arguments": {}}, {"name": "list_orders"}]'
    listed += "</tool_call>"
    assert [c.name for c in parse_tool_calls(listed, TOOLS)[0]] == ["get_order", "list_orders"]
    two = '<tool_call>{"name": "get_order", "arguments": {}}\n'
    two += '{"name": "list_orders", "arguments": {}}</tool_call>'
    assert [c.name for c in parse_tool_calls(two, TOOLS)[0]] == ["get_order", "list_orders"]


def test_unclosed_hermes_block_of_whole_json_is_accepted() -> None:
    text = '<tool_call>{"name": "get_order", "arguments": {"order_id": "W1"}}'
    assert parse_tool_calls(text, TOOLS)[0] == [ParsedCall("get_order", {"order_id": "W1"})]


def test_truncated_hermes_block_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="unclosed"):
        parse_tool_calls('<tool_call>{"name": "get_order", "argu', TOOLS)


def test_broken_json_in_a_block_is_an_error_with_a_path() -> None:
    text = hermes("get_order", {}) + "<tool_call>{name: get_order}</tool_call>"
    with pytest.raises(ToolCallParseError) as info:
        parse_tool_calls(text, TOOLS)
    assert info.value.path == "tool_call[1]"
    assert info.value.hint
    assert isinstance(info.value, TrajforgeError)


def test_stray_closing_tag_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="without"):
        parse_tool_calls('{"name": "get_order", "arguments": {}}</tool_call>', TOOLS)


def test_unknown_tool_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="unknown tool 'delete_everything'") as info:
        parse_tool_calls(hermes("delete_everything", {}), TOOLS)
    assert info.value.path == "tool_call[0].name"
    assert "get_order" in (info.value.hint or "")


def test_any_name_is_accepted_without_a_tool_list() -> None:
    assert parse_tool_calls(hermes("anything", {}))[0] == [ParsedCall("anything", {})]


@pytest.mark.parametrize("arguments", [[1, 2], "not json", 3, True, "[1]"])
def test_non_object_arguments_are_an_error(arguments: Any) -> None:
    with pytest.raises(ToolCallParseError, match="arguments"):
        parse_tool_calls(hermes("get_order", arguments), TOOLS)


def test_string_encoded_object_arguments_are_accepted() -> None:
    text = hermes("get_order", json.dumps({"order_id": "W1"}))
    assert parse_tool_calls(text, TOOLS)[0] == [ParsedCall("get_order", {"order_id": "W1"})]


def test_null_or_missing_arguments_are_empty() -> None:
    assert parse_tool_calls(hermes("list_orders", None), TOOLS)[0] == [ParsedCall("list_orders")]
    text = '<tool_call>{"name": "list_orders"}</tool_call>'
    assert parse_tool_calls(text, TOOLS)[0] == [ParsedCall("list_orders")]


def test_a_call_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="must be a JSON object"):
        parse_tool_calls("<tool_call>[1]</tool_call>", TOOLS)
    with pytest.raises(ToolCallParseError, match="empty"):
        parse_tool_calls("<tool_call> </tool_call>", TOOLS)
    with pytest.raises(ToolCallParseError, match="name"):
        parse_tool_calls('<tool_call>{"arguments": {}}</tool_call>', TOOLS)


def test_bare_json_object_and_parameters_key() -> None:
    text = '{"name": "get_order", "parameters": {"order_id": "W1"}}'
    assert parse_tool_calls(text, TOOLS) == ([ParsedCall("get_order", {"order_id": "W1"})], "")


def test_bare_json_list() -> None:
    text = '[{"name": "get_order", "arguments": {}}, {"name": "list_orders", "arguments": {}}]'
    assert [c.name for c in parse_tool_calls(text, TOOLS)[0]] == ["get_order", "list_orders"]


def test_bare_json_inside_text() -> None:
    text = 'Sure. {"name": "get_order", "arguments": {"order_id": "W1"}} Done soon.'
    calls, leftover = parse_tool_calls(text, TOOLS)
    assert calls == [ParsedCall("get_order", {"order_id": "W1"})]
    assert leftover == "Sure.  Done soon."


def test_fenced_json() -> None:
    text = 'Calling:\n```json\n{"name": "get_order", "arguments": {"order_id": "W1"}}\n```\n'
    assert parse_tool_calls(text, TOOLS) == (
        [ParsedCall("get_order", {"order_id": "W1"})],
        "Calling:",
    )


def test_fenced_broken_call_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="fenced"):
        parse_tool_calls('```json\n{"name": "get_order", "arguments": {\n```', TOOLS)


def test_fenced_code_that_is_not_a_call_is_text() -> None:
    text = "```python\nprint({'a': 1})\n```"
    assert parse_tool_calls(text, TOOLS) == ([], text)


def test_openai_function_wrapper_is_unwrapped() -> None:
    text = json.dumps(
        {"type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "W1"}'}}
    )
    assert parse_tool_calls(text, TOOLS)[0] == [ParsedCall("get_order", {"order_id": "W1"})]


def test_json_data_with_a_name_field_is_not_a_call() -> None:
    text = 'Here is the customer: {"name": "Ada Lovelace", "zip": "12345"}'
    assert parse_tool_calls(text, TOOLS) == ([], text)


def test_bare_json_with_arguments_but_unknown_name_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="unknown tool"):
        parse_tool_calls('{"name": "nope", "arguments": {}}', TOOLS)


def test_truncated_bare_json_is_an_error() -> None:
    with pytest.raises(ToolCallParseError, match="cut off"):
        parse_tool_calls('{"name": "get_order", "arguments": {"order_id": "W', TOOLS)


# ---------------------------------------------------------------- properties

_json_leaf = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=12)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_arguments = st.dictionaries(st.text(max_size=8), _json, max_size=4)
_calls = st.lists(st.tuples(st.sampled_from(TOOLS), _arguments), min_size=1, max_size=4)
# Prose around the calls: no braces, brackets, backticks or angle brackets.
_prose = st.text(
    alphabet=st.characters(blacklist_characters='{}[]<>`"', blacklist_categories=("Cs", "Cc")),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(calls=_calls, before=_prose, between=_prose, after=_prose)
def test_hermes_round_trip(
    calls: list[tuple[str, dict[str, Any]]], before: str, between: str, after: str
) -> None:
    blocks = [hermes(name, arguments) for name, arguments in calls]
    text = before + between.join(blocks) + after
    parsed, leftover = parse_tool_calls(text, TOOLS)
    assert parsed == [ParsedCall(name, arguments) for name, arguments in calls]
    for piece in (before, after):
        assert piece.strip() in leftover
    assert "<tool_call>" not in leftover


@settings(max_examples=150, deadline=None)
@given(calls=_calls, key=st.sampled_from(["arguments", "parameters"]), fenced=st.booleans())
def test_bare_json_round_trip(
    calls: list[tuple[str, dict[str, Any]]], key: str, fenced: bool
) -> None:
    objects = [{"name": name, key: arguments} for name, arguments in calls]
    payload = json.dumps(objects[0] if len(objects) == 1 else objects, indent=1)
    text = f"```json\n{payload}\n```" if fenced else payload
    parsed, leftover = parse_tool_calls(text, TOOLS)
    assert parsed == [ParsedCall(name, arguments) for name, arguments in calls]
    assert leftover == ""


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_either_parses_or_raises_a_parse_error(text: str) -> None:
    try:
        calls, leftover = parse_tool_calls(text, TOOLS)
    except ToolCallParseError as exc:
        message = exc.message
        assert message
        return
    assert all(call.name in TOOLS and isinstance(call.arguments, dict) for call in calls)
    if not calls:
        assert leftover == text


@settings(max_examples=100, deadline=None)
@given(calls=_calls, cut=st.integers(min_value=1, max_value=40))
def test_truncated_calls_never_parse_silently_wrong(
    calls: list[tuple[str, dict[str, Any]]], cut: int
) -> None:
    text = "\n".join(hermes(name, arguments) for name, arguments in calls)
    truncated = text[: max(1, len(text) - cut)]
    try:
        parsed, _ = parse_tool_calls(truncated, TOOLS)
    except ToolCallParseError:
        return
    expected = [ParsedCall(name, arguments) for name, arguments in calls]
    # Whatever parses is a prefix of the real calls (a cut may fall after a whole block).
    assert parsed == expected[: len(parsed)]
