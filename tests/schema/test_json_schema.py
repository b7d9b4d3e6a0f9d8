"""The exported JSON Schema is valid draft 2020-12 and agrees with the decoder."""

from __future__ import annotations

import json

import jsonschema

from tests.schema.test_codec import rich_trajectory
from trajforge.schema import encode, trajectory_json_schema


def test_schema_is_valid_draft_2020_12() -> None:
    schema = trajectory_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_accepts_a_real_record_and_rejects_a_bad_one() -> None:
    validator = jsonschema.Draft202012Validator(trajectory_json_schema())
    record = json.loads(encode(rich_trajectory()))
    assert list(validator.iter_errors(record)) == []
    record["steps"][0]["actions"][0]["arguments"] = "not an object"
    assert list(validator.iter_errors(record))
