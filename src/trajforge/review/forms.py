"""HTML form fields generated from a tool's JSON Schema, the arguments read back from a
submitted form (typed by the same schema), and the text actions a form can make."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trajforge.errors import InputError
from trajforge.schema import ClarifyingQuestion, Finish, HandOff, Reply, TextAction

#: The text actions by the name a form gives them.
TEXT_ACTIONS: dict[str, type[TextAction]] = {
    "reply": Reply,
    "ask": ClarifyingQuestion,
    "handoff": HandOff,
    "finish": Finish,
}

#: The form field's name prefix for a tool argument.
PREFIX = "arg."


@dataclass(frozen=True, slots=True)
class Field:
    """One form input: the argument's name, its widget and what the schema says of it."""

    name: str
    widget: str  # text, number, integer, checkbox, select, json
    required: bool
    description: str
    choices: tuple[str, ...] = ()


def _widget(schema: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "select", tuple(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return "text", ()
    if kind in ("integer", "number", "boolean"):
        return {"integer": "integer", "number": "number", "boolean": "checkbox"}[kind], ()
    return "json", ()


def form_fields(parameters: Mapping[str, Any] | None) -> list[Field]:
    """The fields of a tool's parameters schema, in the schema's order."""
    if not parameters:
        return []
    required = set(parameters.get("required", []))
    fields = []
    for name, schema in (parameters.get("properties") or {}).items():
        widget, choices = _widget(schema if isinstance(schema, Mapping) else {})
        description = str(schema.get("description", "")) if isinstance(schema, Mapping) else ""
        fields.append(Field(name, widget, name in required, description, choices))
    return fields


def _value(field: Field, raw: str) -> Any:
    if field.widget == "checkbox":
        return raw in ("on", "true", "1")
    if field.widget == "integer":
        try:
            return int(raw)
        except ValueError:
            raise InputError(f"{field.name} must be a whole number", path=field.name) from None
    if field.widget == "number":
        try:
            return float(raw)
        except ValueError:
            raise InputError(f"{field.name} must be a number", path=field.name) from None
    if field.widget == "json":
        try:
            return json.loads(raw)
        except ValueError:
            raise InputError(f"{field.name} must be JSON", path=field.name) from None
    return raw


def read_arguments(parameters: Mapping[str, Any] | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The arguments a submitted form gives (empty optional fields left out)."""
    arguments: dict[str, Any] = {}
    for field in form_fields(parameters):
        raw = form.get(PREFIX + field.name, "")
        if field.widget == "checkbox":
            if raw or field.required:
                arguments[field.name] = _value(field, raw)
            continue
        if raw == "" and not field.required:
            continue
        arguments[field.name] = _value(field, raw)
    return arguments


def text_action(kind: str, content: str) -> TextAction:
    """The text action ``kind`` (reply, ask, handoff, finish) saying ``content``; an InputError
    when the message is empty."""
    content = content.strip()
    if not content:
        raise InputError(f"a {kind} needs a message", path="content")
    return TEXT_ACTIONS[kind](content=content)
