"""Any Unicode (lone surrogates included) and any JSON shape as tool arguments, to every tool of
every environment: a ToolResult every time, never an exception, and the state still digests."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.envs.base import Environment
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.schema import ToolCall, ToolResult

#: Text of any code point, lone surrogates often (what a model's JSON may carry: "\ud800").
TEXT = st.text(st.characters(codec=None) | st.characters(categories=["Cs"]), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
TOOLS = [(env, tool) for env, cls in ENVIRONMENT_CLASSES.items() for tool in cls.tools]
_envs: dict[str, Environment] = {}


def environment(name: str) -> Environment:
    """One reset environment per name, reused: the state drifts, which is fine here."""
    if name not in _envs:
        cls = ENVIRONMENT_CLASSES[name]
        env = cls()
        env.reset(cls.generate_task(3, 1))
        _envs[name] = env
    return _envs[name]


def shaped(env: str, tool: str) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments with the tool's own parameter names (so validation often passes) and any values,
    surrogate-laden text most of all."""
    properties = ENVIRONMENT_CLASSES[env].tools[tool].spec.parameters.get("properties", {})
    values = TEXT | JSON
    return st.fixed_dictionaries({}, optional=dict.fromkeys(properties, values))


@pytest.mark.parametrize(("env", "tool"), TOOLS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_arguments_give_a_tool_result(env: str, tool: str, data: st.DataObject) -> None:
    arguments = data.draw(shaped(env, tool) | st.dictionaries(TEXT, JSON, max_size=4))
    environment_ = environment(env)
    result = environment_.execute(ToolCall(id="call_1", name=tool, arguments=arguments))
    assert isinstance(result, ToolResult)
    assert result.name == tool
    environment_.digest()  # nothing that entered the state breaks it
