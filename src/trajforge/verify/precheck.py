"""A fast, sound pre-check of tool arguments: a msgspec type built from the tool's JSON Schema.

``msgspec.convert`` checks arguments against a type in C, several times faster than the generated
validator. The type is built only from keywords whose meaning it keeps exactly, and it may be
stricter than the schema (``1.0`` is no integer to it) but never laxer: arguments it accepts are
valid, and arguments it rejects go to the full validator, which gives the verdict and the error.
A schema with any other keyword (``pattern``, ``$ref``, ``allOf``...) gets no pre-check.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, Union

import msgspec

#: Keywords that assert nothing (``format`` included: the validators do not assert it).
ANNOTATIONS: Final = frozenset(
    {"description", "title", "default", "examples", "format", "$comment", "deprecated"}
)
#: The keywords each ``type`` may come with (besides ``type`` and annotations).
_KEYWORDS: Final[dict[str, frozenset[str]]] = {
    "string": frozenset({"minLength", "maxLength"}),
    "integer": frozenset({"minimum", "maximum"}),
    "number": frozenset(),
    "boolean": frozenset(),
    "null": frozenset(),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
}
_SCALARS: Final[dict[str, Any]] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": None,
}


class UntranslatableError(Exception):
    """The schema uses something the pre-check cannot express exactly."""


def _count(schema: dict[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise UntranslatableError(key)
    return value


def _any_of(types: list[Any]) -> Any:
    return Union[tuple(types)]  # noqa: UP007 - built from a list


def _union(schemas: Any) -> Any:
    if not isinstance(schemas, list) or not schemas:
        raise UntranslatableError("anyOf")
    return _any_of([translate(sub) for sub in schemas])


def _enum(schema: dict[str, Any], keys: set[str]) -> Any:
    values = schema["enum"]
    if (
        keys - {"enum", "type"}
        or schema.get("type", "string") != "string"
        or not isinstance(values, list)
        or not values
        or not all(type(value) is str for value in values)
    ):
        raise UntranslatableError("enum")
    return Literal[tuple(values)]


def _field(name: str, kind: Any, required: bool) -> tuple[str, Any] | tuple[str, Any, Any]:
    """A Struct field (named ``f0``, ``f1``...: the property names are renamings)."""
    return (name, kind) if required else (name, kind, None)


def _object(schema: dict[str, Any]) -> Any:
    """A Struct of the declared properties (unknown ones refused unless allowed), or a dict."""
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if not properties and not required and type(extra) is not bool:
        return dict.__class_getitem__((str, translate(extra)))
    if (
        not isinstance(properties, dict)
        or not isinstance(required, list)
        or not all(type(name) is str for name in required)
        or type(extra) is not bool
    ):
        raise UntranslatableError("object")
    names = list(dict.fromkeys([*properties, *required]))
    fields = [
        _field(f"f{i}", translate(properties.get(name, {})), name in required)
        for i, name in enumerate(names)
    ]
    return msgspec.defstruct(
        "Arguments",
        fields,
        kw_only=True,
        forbid_unknown_fields=not extra,
        rename={f"f{i}": name for i, name in enumerate(names)},
    )


def _typed(kind: str, schema: dict[str, Any], keys: set[str]) -> Any:
    if kind not in _KEYWORDS or keys - {"type"} - _KEYWORDS[kind]:
        raise UntranslatableError(kind)
    if kind == "string":
        length = msgspec.Meta(
            min_length=_count(schema, "minLength"), max_length=_count(schema, "maxLength")
        )
        return Annotated[str, length]
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if any(bound is not None and type(bound) is not int for bound in (low, high)):
            raise UntranslatableError("integer bounds")
        return Annotated[int, msgspec.Meta(ge=low, le=high)]
    if kind == "array":
        items = list.__class_getitem__(translate(schema.get("items", {})))
        length = msgspec.Meta(
            min_length=_count(schema, "minItems"), max_length=_count(schema, "maxItems")
        )
        return Annotated[items, length]
    if kind == "object":
        return _object(schema)
    return _SCALARS[kind]


def translate(schema: Any) -> Any:
    """The msgspec type accepting only values ``schema`` accepts; raises UntranslatableError."""
    if not isinstance(schema, dict):
        raise UntranslatableError("not an object")
    keys = set(schema) - ANNOTATIONS
    if "anyOf" in keys:
        if keys != {"anyOf"}:
            raise UntranslatableError("anyOf")
        return _union(schema["anyOf"])
    if "enum" in keys:
        return _enum(schema, keys)
    kind = schema.get("type")
    if kind is None:
        if keys:
            raise UntranslatableError("no type")
        return Any
    if isinstance(kind, list):
        if keys != {"type"} or not kind:
            raise UntranslatableError("type list")
        return _any_of([_typed(k, {}, {"type"}) for k in kind])
    if not isinstance(kind, str):
        raise UntranslatableError("type")
    return _typed(kind, schema, keys)


def precheck_type(schema: Any) -> type[msgspec.Struct] | None:
    """The pre-check type of a tool's parameters schema, or None when there is none."""
    try:
        checked = translate(schema)
    except Exception:  # UntranslatableError, or a combination typing or msgspec refuses
        return None
    if not (isinstance(checked, type) and issubclass(checked, msgspec.Struct)):
        return None
    try:
        msgspec.convert({}, checked)  # msgspec refuses some unions only when first used
    except msgspec.ValidationError:
        pass
    except Exception:  # TypeError for a union msgspec does not support, say
        return None
    return checked
