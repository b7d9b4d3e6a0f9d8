"""Tool parameter schemas of benchmarks, in JSON Schema: their own type names mapped.

Benchmark tool documents write Python-ish type names (BFCL's ``dict``, ``float``, ``tuple``,
``any``; xLAM's ``str``, ``List[int]``, ``Optional[str]``). Imported as they are, no validator
understands them and verify would skip argument checks on every record. :func:`json_schema`
rewrites every ``type`` of a schema (recursively through ``properties``, ``items`` and
``additionalProperties``) to JSON Schema; a name it does not know is a ConversionError naming
where it was.
"""

from __future__ import annotations

import re
from typing import Any, Final

from trajforge.errors import ConversionError

_SCALARS: Final[dict[str, dict[str, Any]]] = {
    "string": {"type": "string"},
    "str": {"type": "string"},
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "long": {"type": "integer"},  # BFCL's Java and JavaScript names from here to "hashmap"
    "short": {"type": "integer"},
    "byte": {"type": "integer"},
    "bigint": {"type": "integer"},
    "char": {"type": "string"},
    "arraylist": {"type": "array"},
    "hashmap": {"type": "object"},
    "number": {"type": "number"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "object": {"type": "object"},
    "dict": {"type": "object"},
    "array": {"type": "array"},
    "list": {"type": "array"},
    "tuple": {"type": "array"},
    "set": {"type": "array", "uniqueItems": True},
    "null": {"type": "null"},
    "none": {"type": "null"},
    "any": {},
}
_GENERIC: Final = re.compile(r"^\s*(\w+)\s*\[(.*)\]\s*$")
_NESTED_KEYS: Final = ("items", "additionalProperties")


def json_schema(schema: Any, path: str = "parameters") -> Any:
    """``schema`` with every type name in JSON Schema (a new object; the input is untouched)."""
    if isinstance(schema, list):
        return [json_schema(item, f"{path}[{i}]") for i, item in enumerate(schema)]
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        out.pop("type")
        out = {**type_schema(kind, f"{path}.type"), **out}
    elif isinstance(kind, list):
        out["type"] = [_single(k, f"{path}.type[{i}]") for i, k in enumerate(kind)]
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {
            name: json_schema(sub, f"{path}.properties.{name}")
            for name, sub in schema["properties"].items()
        }
    for key in _NESTED_KEYS:
        if isinstance(schema.get(key), dict | list):
            out[key] = json_schema(schema[key], f"{path}.{key}")
    return out


def type_schema(name: str, path: str) -> dict[str, Any]:
    """The JSON Schema of one type name: ``dict`` -> ``{"type": "object"}``, ``List[int]`` ->
    an array of integers, ``Optional[str]`` -> a string or null."""
    key = name.strip().lower()
    if key in _SCALARS:
        return dict(_SCALARS[key])
    generic = _GENERIC.match(name)
    if generic is not None:
        outer, inner = generic.group(1).lower(), generic.group(2)
        if outer == "optional":
            return {"anyOf": [type_schema(inner, path), {"type": "null"}]}
        if outer in ("list", "set", "sequence", "tuple") and "," not in inner:
            return {**_SCALARS.get(outer, _SCALARS["list"]), "items": type_schema(inner, path)}
        if outer in ("list", "set", "sequence", "tuple", "dict", "union", "mapping"):
            return dict(_SCALARS.get(outer, {} if outer == "union" else _SCALARS["dict"]))
    raise ConversionError(
        f"unknown parameter type {name!r}",
        path=path,
        hint="types are JSON Schema names or Python ones (str, int, float, bool, dict, list, "
        "tuple, any, List[...], Optional[...])",
    )


def _single(name: Any, path: str) -> Any:
    """One entry of a ``type`` list, as a JSON Schema type name."""
    if not isinstance(name, str):
        return name
    mapped = type_schema(name, path).get("type")
    return mapped if isinstance(mapped, str) else name
