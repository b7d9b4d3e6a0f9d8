"""Benchmark type names become JSON Schema that validators understand."""

from __future__ import annotations

import fastjsonschema
import pytest

from trajforge.errors import ConversionError
from trajforge.formats.schema_types import json_schema

BFCL = {
    "type": "dict",
    "properties": {
        "base": {"type": "float", "description": "the base"},
        "point": {"type": "tuple", "items": {"type": "integer"}},
        "anything": {"type": "any"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["base"],
}


def test_bfcl_types_map_and_validate() -> None:
    schema = json_schema(BFCL)
    assert schema["type"] == "object"
    assert schema["properties"]["base"] == {"type": "number", "description": "the base"}
    assert schema["properties"]["point"] == {"type": "array", "items": {"type": "integer"}}
    assert schema["properties"]["anything"] == {}
    validate = fastjsonschema.compile(schema)
    validate({"base": 2.5, "point": [1, 2], "anything": None, "tags": ["x"]})
    with pytest.raises(fastjsonschema.JsonSchemaException):
        validate({"base": "two"})
    assert BFCL["type"] == "dict"  # the input is left as it was


def test_python_generics() -> None:
    schema = json_schema(
        {
            "type": "object",
            "properties": {
                "ids": {"type": "List[int]"},
                "name": {"type": "Optional[str]"},
                "pairs": {"type": "Dict[str, int]"},
            },
        }
    )
    assert schema["properties"]["ids"] == {"type": "array", "items": {"type": "integer"}}
    assert schema["properties"]["name"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert schema["properties"]["pairs"] == {"type": "object"}


def test_an_unknown_type_is_named_where_it_is() -> None:
    with pytest.raises(ConversionError) as caught:
        json_schema({"type": "object", "properties": {"x": {"type": "quaternion"}}})
    assert caught.value.path == "parameters.properties.x.type"
    assert "unknown parameter type 'quaternion'" in caught.value.message
