"""The format reference (``docs/formats.md``), from the record schema (``trajforge schema``)
and the format registry: every record type with its fields, and every format with what it reads
and writes."""

from __future__ import annotations

from typing import Any

from trajforge.reference.markdown import GENERATED, anchor, table


def format_reference() -> str:
    """The whole format reference as Markdown."""
    from trajforge.schema import trajectory_json_schema  # noqa: PLC0415 - loads the records

    schema = trajectory_json_schema()
    lines = [GENERATED, "", "# Format reference", "", _INTRO, "", "## Formats", ""]
    lines += [_formats(), "", "## The trajectory record", "", _RECORD_INTRO, ""]
    for name, definition in schema["$defs"].items():
        lines += [f"### {name}", "", " ".join(definition.get("description", "").split()), ""]
        lines += [_fields(definition), ""]
    return "\n".join(lines).rstrip() + "\n"


_INTRO = (
    "Every command that reads records takes `--from NAME`; `convert` takes `--to NAME`, "
    "`import` and `export` take the format first. A format of an installed package is listed "
    "here only where that package was installed when this page was made: `trajforge plugins` "
    "lists what your installation has."
)
_RECORD_INTRO = (
    "trajforge's own records (`--from trajforge`, JSONL or Parquet) are `Trajectory` objects, "
    "below with every record inside them. `trajforge schema` prints the same as JSON Schema "
    "(draft 2020-12). A field without a default is required; unknown fields are refused."
)


def _formats() -> str:
    from trajforge.formats.registry import FORMATS  # noqa: PLC0415 - loads every format

    loaded, _ = FORMATS.load_all()
    rows = [
        (f"`{name}`", "yes" if fmt.read else "", "yes" if fmt.write else "",
         " ".join(f"`{s}`" for s in fmt.suffixes), fmt.description)
        for name, fmt in sorted(loaded.items())
    ]  # fmt: skip
    return table(("name", "reads", "writes", "suffixes", "what it is"), rows)


def _fields(definition: dict[str, Any]) -> str:
    required = set(definition.get("required", ()))
    rows = []
    for name, prop in definition.get("properties", {}).items():
        default = "required" if name in required else _value(prop.get("default"))
        rows.append((f"`{name}`", _type(prop), default, prop.get("description", "")))
    return table(("field", "type", "default", "note"), rows)


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{anchor(name)})"
    if "anyOf" in prop:
        kinds = [_type(p) for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = any(p.get("type") == "null" for p in prop["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    if "enum" in prop:
        return " or ".join(f"`{_value(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{_value(prop['const'])}`"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop:
        return f"object of {_type(prop['additionalProperties'])}"
    return f"{kind}{_bounds(prop)}"


def _bounds(prop: dict[str, Any]) -> str:
    marks = [f"{sign} {prop[key]:g}" for key, sign in
             (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
              ("exclusiveMaximum", "<")) if key in prop]  # fmt: skip
    return f" ({', '.join(marks)})" if marks else ""


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
