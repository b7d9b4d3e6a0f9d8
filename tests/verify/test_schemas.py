"""Compiled argument validators: compiled once, errors pointing at the field, same verdicts as
jsonschema's Draft 2020-12 validator."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.schema import ToolSpec, TrajectoryDecoder
from trajforge.verify.schemas import ValidatorCache, compile_schema, uses_unsupported

ORDER = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "minLength": 1},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
                "required": ["sku"],
            },
        },
        "express": {"type": "boolean", "default": False},
    },
    "required": ["order_id"],
    "additionalProperties": False,
}


def test_valid_arguments_pass() -> None:
    check = compile_schema(ORDER).check
    assert check({"order_id": "W1", "items": [{"sku": "A", "qty": 2}]}) is None


@pytest.mark.parametrize(
    ("arguments", "path", "words"),
    [
        ({}, ".order_id", "missing required argument 'order_id'"),
        ({"order_id": 7}, ".order_id", "arguments.order_id must be string"),
        ({"order_id": "W1", "colour": "red"}, ".colour", "unexpected argument 'colour'"),
        ({"order_id": "W1", "items": [{"sku": "A", "qty": 0}]}, ".items[0].qty", "bigger than"),
        ({"order_id": "W1", "items": [{"qty": 1}]}, ".items[0].sku", "missing required"),
        ({"order_id": "W1", "express": 1}, ".express", "must be boolean"),
    ],
)
def test_errors_point_at_the_field(arguments: dict[str, Any], path: str, words: str) -> None:
    error = compile_schema(ORDER).check(arguments)
    assert error is not None
    assert error.path == path
    assert words in error.message


def test_each_distinct_schema_is_compiled_once_whatever_the_key_order() -> None:
    cache = ValidatorCache()
    reordered = dict(reversed(list(ORDER.items())))
    tools_a = [ToolSpec(name="a", parameters=ORDER), ToolSpec(name="b", parameters=None)]
    tools_b = [ToolSpec(name="a", description="other text", parameters=reordered)]
    for _ in range(3):
        cache.table(tools_a)
        cache.table(tools_b)
    assert cache.compilations == 2  # ORDER (either key order) and None
    assert cache.table(tools_a) is cache.table(tools_a)
    assert cache.table(tools_a).schemas["a"] is cache.table(tools_b).schemas["a"]


def test_a_decoded_tool_list_is_known_by_its_json() -> None:
    tools = b'[{"name":"a","parameters":' + msgspec.json.encode(ORDER) + b"}]"
    decoded = TrajectoryDecoder().decode(b'{"id":"t","tools":' + tools + b"}").tools
    cache = ValidatorCache()
    table = cache.table(decoded)
    assert list(cache.tables) == [tools]
    assert cache.table(list(decoded)).schemas == table.schemas  # an equal plain list
    assert cache.compilations == 1


def test_an_invalid_schema_is_a_problem_not_a_crash() -> None:
    compiled = compile_schema({"type": "object", "properties": {"x": {"type": "no-such-type"}}})
    assert compiled.problem is not None
    assert "invalid" in compiled.problem
    assert compiled.check({"x": 1}) is None
    table = ValidatorCache().table(
        [ToolSpec(name="t", parameters={"type": 5}), ToolSpec(name="t", parameters=None)]
    )
    assert [(i, check) for i, check, _ in table.problems] == [
        (0, "invalid_tool_schema"),
        (1, "duplicate_tool"),
    ]


def test_draft_2020_keywords_use_the_jsonschema_fallback() -> None:
    schema = {
        "type": "object",
        "properties": {"point": {"type": "array", "prefixItems": [{"type": "number"}] * 2}},
    }
    assert uses_unsupported(schema)
    assert not uses_unsupported({"properties": {"prefixItems": {"type": "string"}}})
    check = compile_schema(schema).check
    assert check({"point": [1, 2]}) is None
    error = check({"point": ["x", 2]})
    assert error is not None
    assert error.path == ".point[0]"


def _env_schemas() -> list[dict[str, Any]]:
    return [
        spec.parameters
        for cls in ENVIRONMENT_CLASSES.values()
        for spec in cls().tool_specs()
        if spec.parameters is not None
    ]


SCHEMAS = _env_schemas()
OURS = [compile_schema(schema).check for schema in SCHEMAS]
THEIRS = [Draft202012Validator(schema) for schema in SCHEMAS]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.floats(-5, 5) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _real_calls() -> list[tuple[int, dict[str, Any]]]:
    """(schema index, arguments) of the expected calls of a few tasks of every environment."""
    index = {}
    for cls in ENVIRONMENT_CLASSES.values():
        for spec in cls().tool_specs():
            if spec.parameters is not None:
                index[(cls.name, spec.name)] = len(index)
    calls = []
    for cls in ENVIRONMENT_CLASSES.values():
        for task in cls.sample_tasks(4, seed=11):
            for action in task.expected_actions:
                if (cls.name, action.name) in index:
                    calls.append((index[(cls.name, action.name)], action.arguments))
    return calls


CALLS = _real_calls()


@st.composite
def schema_and_arguments(draw: st.DrawFn) -> tuple[int, Any]:
    """Real, valid arguments of an environment tool, then maybe one key changed or dropped."""
    index, arguments = draw(st.sampled_from(CALLS))
    arguments = dict(arguments)
    edit = draw(st.sampled_from(["none", "change", "drop", "add"]))
    keys = sorted(arguments)
    if edit == "change" and keys:
        arguments[draw(st.sampled_from(keys))] = draw(JSON)
    elif edit == "drop" and keys:
        del arguments[draw(st.sampled_from(keys))]
    elif edit == "add":
        arguments[draw(st.text(max_size=4))] = draw(JSON)
    return index, arguments


@settings(max_examples=400, deadline=None)
@given(schema_and_arguments())
def test_verdicts_agree_with_jsonschema(case: tuple[int, Any]) -> None:
    index, arguments = case
    ours = OURS[index](arguments)
    theirs = list(THEIRS[index].iter_errors(arguments))
    assert (ours is None) == (not theirs), (ours, [e.message for e in theirs])


def test_remote_refs_are_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to fetch a remote schema")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    for ref in ("https://example.invalid/s.json", "file:///etc/passwd", "other.json#/x"):
        compiled = compile_schema({"type": "object", "properties": {"a": {"$ref": ref}}})
        assert compiled.problem is not None
        assert "not fetched" in compiled.problem
    local = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/n"}},
        "$defs": {"n": {"type": "integer"}},
    }
    assert compile_schema(local).problem is None
    assert compile_schema(local).check({"a": "x"}) is not None
