"""The msgspec pre-check of tool arguments: built only where exact, never laxer than the schema."""

from __future__ import annotations

from typing import Any

import fastjsonschema
import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trajforge.envs.registry import ENVIRONMENTS
from trajforge.verify.precheck import precheck_type
from trajforge.verify.schemas import compile_schema

NAMES = ["a", "b", "class", "with space"]


def obj(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **more}


@pytest.mark.parametrize(
    "schema",
    [
        obj({}, required=[], additionalProperties=False),
        obj({"a": {"type": "string", "minLength": 1, "maxLength": 9, "description": "d"}}),
        obj({"a": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}}),
        obj({"a": {"enum": ["x", "y"]}, "b": {"type": ["string", "null"]}}, required=["a"]),
        obj({"a": {"type": "array", "items": {"type": "number"}, "minItems": 1}}),
        obj({"a": {"type": "object", "additionalProperties": {"type": "boolean"}}}),
        obj({"a": obj({"b": {"format": "date-time", "type": "string"}})}, required=["c"]),
    ],
)
def test_schemas_of_plain_keywords_get_a_precheck(schema: dict[str, Any]) -> None:
    assert precheck_type(schema) is not None


@pytest.mark.parametrize(
    "schema",
    [
        obj({"a": {"type": "string", "pattern": "^x$"}}),
        obj({"a": {"$ref": "#/$defs/x"}}),
        obj({"a": {"allOf": [{"type": "string"}]}}),
        obj({"a": {"type": "integer", "minimum": 0.5}}),
        obj({"a": {"type": "number", "maximum": 3}}),
        obj({"a": {"enum": [1, "x"]}}),
        obj({"a": {"type": "string", "minLength": True}}),
        obj({"a": {"type": "string"}}, additionalProperties={"type": "string"}),
        obj({"a": {"anyOf": [obj({}), {"type": "object", "additionalProperties": {}}]}}),
        {"type": "string"},
        None,
    ],
)
def test_other_schemas_get_none(schema: Any) -> None:
    assert precheck_type(schema) is None


def test_every_builtin_tool_with_plain_keywords_is_prechecked() -> None:
    specs = [spec for cls in ENVIRONMENTS.values() for spec in cls().tool_specs()]
    prechecked = [spec for spec in specs if precheck_type(spec.parameters) is not None]
    assert len(prechecked) > len(specs) // 2


def test_a_stricter_precheck_leaves_the_verdict_to_the_validator() -> None:
    check = compile_schema(obj({"n": {"type": "integer"}}, required=["n"])).check
    assert check({"n": 1.0}) is None  # no integer to msgspec, an integer to JSON Schema
    error = check({"n": 1.5})
    assert error is not None
    assert error.path == ".n"


# ---------------------------------------------------------------- never laxer than the schema

LEAVES = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={"minLength": st.integers(0, 3), "maxLength": st.integers(0, 3)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("integer")},
        optional={"minimum": st.integers(-2, 2), "maximum": st.integers(-2, 2)},
    ),
    st.sampled_from(
        [{"type": "number"}, {"type": "boolean"}, {"type": "null"}, {}, {"description": "x"}]
    ),
    st.builds(lambda v: {"enum": v}, st.lists(st.sampled_from(["x", "y", ""]), min_size=1)),
    st.builds(
        lambda v: {"type": v},
        st.lists(st.sampled_from(["string", "integer", "number", "null", "boolean"]), min_size=1),
    ),
)


def _objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda properties, required, extra: obj(
            properties, required=required, additionalProperties=extra
        ),
        st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
        st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
        st.booleans(),
    )


SCHEMAS = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(
            lambda items, low: {"type": "array", "items": items, "minItems": low},
            children,
            st.integers(0, 2),
        ),
        _objects(children),
        st.builds(lambda subs: {"anyOf": subs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda sub: {"type": "object", "additionalProperties": sub}, children),
    ),
    max_leaves=6,
)
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.integers(),
        st.sampled_from([1.0, -0.0, 2.5]),
        st.sampled_from(["", "x", "y", "xyz", "xyzw"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(NAMES), children)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(_objects(SCHEMAS), st.lists(st.dictionaries(st.sampled_from(NAMES), VALUES), max_size=6))
def test_what_the_precheck_accepts_the_schema_accepts(
    schema: dict[str, Any], arguments: list[dict[str, Any]]
) -> None:
    try:
        validate = fastjsonschema.compile(schema, use_default=False, use_formats=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        assume(False)  # an invalid schema is never prechecked: it does not compile
    precheck = precheck_type(schema)
    assume(precheck is not None)
    for value in arguments:
        try:
            msgspec.convert(value, precheck)
        except Exception:  # rejected or not convertible: the validator decides
            continue
        validate(value)  # raises if the precheck accepted an invalid value
