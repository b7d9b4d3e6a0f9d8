"""Matching the agent's calls against the task's expected actions (tau-bench / BFCL style)."""

from __future__ import annotations

from typing import Any

from trajforge.schema import ExpectedAction, ToolCall

#: Stands for a prose argument's value: any wording matches, only its presence counts.
_PROSE = object()
#: Expected values that an absent argument matches.
_EMPTY: tuple[Any, ...] = (None, "", [], {})


def normal(value: Any) -> Any:
    """A value made comparable: strings trimmed and lower-cased, lists as sorted, numbers as
    floats."""
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float compares as itself
            return value
    if isinstance(value, dict):
        return {k: normal(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((normal(v) for v in value), key=repr)
    return value


def free_text(value: Any) -> bool:
    """Whether a value is prose (a reason, a summary): it can be worded in many ways."""
    return isinstance(value, str) and len(value.split()) > 2


class Expectation:
    """An expected action made ready for matching: each argument's comparable form worked out
    once (when a call of its tool first comes up), not once per call compared."""

    __slots__ = ("_wanted", "action", "keys", "name")

    def __init__(self, action: ExpectedAction) -> None:
        self.action = action
        self.name = action.name
        self.keys = frozenset(action.arguments)
        self._wanted: list[tuple[str, Any, bool]] | None = None

    def _arguments(self) -> list[tuple[str, Any, bool]]:
        """Per argument: its name, its comparable value (``_PROSE`` for prose), and whether
        leaving it out is fine."""
        if self._wanted is None:
            self._wanted = [
                (k, _PROSE if free_text(v) else normal(v), v in _EMPTY)
                for k, v in self.action.arguments.items()
            ]
        return self._wanted

    def matches(self, call: ToolCall) -> bool:
        """Whether a call is this action: same tool, and every expected argument equal (prose
        arguments only present; an expected empty value may be left out)."""
        if call.name != self.name:
            return False
        args = call.arguments
        for key, want, optional in self._arguments():
            if key not in args:
                if not optional:
                    return False
            elif want is not _PROSE:
                value = args[key]
                if (value.strip().lower() if isinstance(value, str) else normal(value)) != want:
                    return False
        return True

    def exact(self, call: ToolCall) -> bool:
        """Whether a call is this action with no arguments besides the expected ones."""
        return self.matches(call) and self.keys.issuperset(call.arguments)
