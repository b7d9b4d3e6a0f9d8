"""The @tool decorator: JSON Schema from type hints and docstrings, argument validation."""

from __future__ import annotations

import jsonschema

from tests.envs.toy_env import CounterEnv
from trajforge.envs.tools import parse_docstring
from trajforge.schema import ToolCall


def test_docstring_args_section_is_parsed() -> None:
    summary, args = parse_docstring(
        """Book a room.

        Longer text.

        Args:
            room_id: the room
                to book
            start (str): ISO time

        Returns:
            the booking
        """
    )
    assert summary == "Book a room. Longer text."
    assert args == {"room_id": "the room to book", "start": "ISO time"}


def test_schema_has_types_enums_defaults_and_nested_objects() -> None:
    specs = {s.name: s for s in CounterEnv().tool_specs()}
    assert list(specs) == ["add", "read", "items", "ship", "reset_counter"]
    add = specs["add"].parameters
    assert add is not None
    assert add["required"] == ["amount"]
    assert add["properties"]["amount"] == {"description": "how much to add", "type": "integer"}
    assert add["properties"]["mode"]["enum"] == ["fast", "slow"]
    assert add["additionalProperties"] is False
    ship = specs["ship"].parameters
    assert ship is not None
    assert ship["properties"]["address"]["required"] == ["city"]
    assert "$defs" not in ship
    assert "$ref" not in str(ship)
    for spec in specs.values():
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
    assert specs["add"].description == "Add to the counter."


def _run(name: str, **arguments: object) -> tuple[str, str | None, str]:
    env = CounterEnv()
    env.reset(CounterEnv.generate_task(1, 1))
    result = env.execute(ToolCall(id="c", name=name, arguments=dict(arguments)))
    return result.status, result.error_kind, result.content


def test_invalid_arguments_name_the_field() -> None:
    status, kind, content = _run("add", amount="three")
    assert (status, kind) == ("error", "invalid_request")
    assert "amount: expected integer, got string" in content
    _, _, content = _run("ship", address={"city": 5})
    assert "address.city: expected string, got integer" in content
    _, _, content = _run("add", amount=1, colour="red")
    assert "unknown field 'colour'" in content
    _, _, content = _run("add")
    assert "missing required field 'amount'" in content
    _, _, content = _run("add", amount=1, mode="warp")
    assert "mode" in content


def test_tool_errors_and_unknown_tools_become_error_observations() -> None:
    assert _run("add", amount=-1)[:2] == ("error", "invalid_amount")
    status, kind, content = _run("teleport")
    assert (status, kind) == ("error", "unknown_tool")
    assert "available: add, read" in content


def test_malformed_argument_text_is_an_error_observation() -> None:
    env = CounterEnv()
    env.reset(CounterEnv.generate_task(1, 1))
    result = env.execute(ToolCall(id="c", name="add", raw_arguments='{"amount": 1'))
    assert (result.status, result.error_kind) == ("error", "invalid_arguments")


def test_valid_call_runs_and_returns_json() -> None:
    assert _run("add", amount=2) == ("ok", None, '{"value":2}')
    assert _run("ship", address={"city": "Oslo"})[2] == "shipped to Oslo"
