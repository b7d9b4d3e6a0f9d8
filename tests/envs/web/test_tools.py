"""The web environment's tools: count, schemas, argument validation."""

from __future__ import annotations

import jsonschema

from tests.envs.web.helpers import call, generate_task
from trajforge.envs.web import WebEnv


def test_tool_count_and_names() -> None:
    names = [spec.name for spec in WebEnv().tool_specs()]
    assert 6 <= len(names) <= 15
    assert set(names) == {
        "goto",
        "click",
        "type",
        "select",
        "scroll",
        "back",
        "read_page",
        "find",
        "submit_answer",
    }


def test_every_schema_is_valid_draft_2020_12() -> None:
    for spec in WebEnv().tool_specs():
        assert spec.parameters is not None
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object"
        assert spec.description


def test_arguments_are_described_and_typed() -> None:
    specs = {s.name: s.parameters for s in WebEnv().tool_specs()}
    assert specs["click"] is not None
    assert specs["type"] is not None
    assert specs["scroll"] is not None
    assert specs["click"]["properties"]["element_id"]["type"] == "integer"
    assert specs["click"]["required"] == ["element_id"]
    assert specs["type"]["properties"]["submit"]["default"] is False
    assert sorted(specs["scroll"]["properties"]["direction"]["enum"]) == ["down", "up"]
    for params in specs.values():
        assert params is not None
        for prop in params.get("properties", {}).values():
            assert prop.get("description")


def test_read_only_tools_are_marked() -> None:
    read_only = {name for name, t in WebEnv.tools.items() if t.read_only}
    assert read_only == {"read_page", "find"}


def test_invalid_arguments_name_the_field() -> None:
    env = WebEnv()
    env.reset(generate_task(1, 1))
    result = call(env, "click", element_id="twelve")
    assert result.status == "error"
    assert "element_id" in result.content
    result = call(env, "scroll", direction="sideways")
    assert result.status == "error"
    assert "direction" in result.content
    result = call(env, "type", element_id=1)
    assert result.status == "error"
    assert "text" in result.content
    result = call(env, "goto", url="/", extra=1)
    assert result.status == "error"
    assert "extra" in result.content


def test_unknown_tool() -> None:
    env = WebEnv()
    env.reset(generate_task(1, 1))
    result = call(env, "hover", element_id=1)
    assert result.status == "error"
    assert result.error_kind == "unknown_tool"
