"""Matching the agent's calls against the task's expected actions (tau-bench / BFCL style)."""

from __future__ import annotations

from typing import Any

from trajforge.schema import ExpectedAction, ToolCall


def normal(value: Any) -> Any:
    """A value made comparable: strings trimmed and lower-cased, lists as sorted, numbers as
    floats."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((normal(v) for v in value), key=repr)
    return value


def free_text(value: Any) -> bool:
    """Whether a value is prose (a reason, a summary): it can be worded in many ways."""
    return isinstance(value, str) and len(value.split()) > 2


def matches(call: ToolCall, expected: ExpectedAction) -> bool:
    """Whether a call is the expected action: same tool, and every expected argument equal
    (prose arguments only present)."""
    if call.name != expected.name:
        return False
    args = call.arguments
    return all(
        (k in args if free_text(v) else normal(args[k]) == normal(v))
        if k in args
        else v in (None, "", [], {})
        for k, v in expected.arguments.items()
    )


def exact(call: ToolCall, expected: ExpectedAction) -> bool:
    """Whether a call is the expected action with no arguments besides the expected ones."""
    return matches(call, expected) and set(call.arguments) <= set(expected.arguments)
