"""The ``xlam`` format: APIGen / xLAM function-calling records (Salesforce's
xlam-function-calling-60k).

A record is ``{"id", "query", "tools", "answers"}`` where ``tools`` is JSON text of
``[{"name", "description", "parameters": {argument: {"type", "description", "default"?}}}]``
(Python type names: ``str``, ``List[int]``, ``"int, optional"``) and ``answers`` JSON text of
``[{"name", "arguments": {...}}]``, the verified calls. The mapping:

- ``query`` is the instruction; each tool's parameters become a JSON Schema object (types through
  :mod:`trajforge.formats.schema_types`; one it cannot name accepts any value), an argument
  required unless its type says ``optional`` or it has a default;
- ``answers`` are the task's expected actions (in any order) and also the one step of the agent,
  its calls (ids ``call_0_i``); there are no observations;
- ``id`` and other keys go to ``provenance.extra``, and so do the ``tools``/``answers`` texts
  where export would write them differently.

Export writes trajectories of that shape only: an instruction, no system prompt, and at most one
step, of tool calls without results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.chat_json import dumps, loads, read_tool
from trajforge.formats.conversation import call_id
from trajforge.formats.extra import ROOT, keep_source_text, put_back, source_text, split_unknown
from trajforge.formats.importer import import_format, record_id, record_writer
from trajforge.formats.schema_types import json_schema, type_schema
from trajforge.io.documents import SourceRecord
from trajforge.schema.records import (
    ExpectedAction,
    Provenance,
    Step,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
)

NAME: Final = "xlam"
QUERY: Final = "query"
TOOLS: Final = "tools"
ANSWERS: Final = "answers"
KEYS: Final = (QUERY, TOOLS, ANSWERS)
OPTIONAL: Final = ", optional"
_PYTHON_TYPES: Final = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "List",
    "object": "dict",
    "null": "None",
}
_TYPE_KEYS: Final = ("type", "items", "anyOf", "uniqueItems")


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one xLAM record."""
    return [record_to_trajectory(record.data)]


def record_to_trajectory(data: Any) -> Trajectory:
    """Import one xLAM record (see the module); ConversionError with a field path."""
    if not isinstance(data, dict):
        raise ConversionError("expected an object", hint="an xLAM record has query, tools, answers")
    for key in KEYS:
        if key not in data:
            raise ConversionError("required key missing", path=key)
    if not isinstance(data[QUERY], str):
        raise ConversionError("expected string", path=QUERY)
    extra: dict[str, Any] = {}
    split_unknown(data, KEYS, ROOT, extra)
    tools = _read_tools(data[TOOLS])
    calls = _read_answers(data[ANSWERS])
    keep_source_text(extra, ROOT, TOOLS, data[TOOLS], _tools_text(tools))
    keep_source_text(extra, ROOT, ANSWERS, data[ANSWERS], _answers_text(calls))
    return Trajectory(
        id=record_id(f"{NAME}-", data),
        task=Task(
            instruction=data[QUERY],
            expected_actions=[ExpectedAction(name=c.name, arguments=c.arguments) for c in calls],
        ),
        tools=tools,
        steps=[Step(actions=list(calls))] if calls else [],
        provenance=Provenance(source="imported", original_format=NAME, extra=extra),
    )


def _json_list(value: Any, path: str) -> list[Any]:
    """A list given as JSON text (as xLAM ships it) or as a list."""
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError:
            raise ConversionError("expected a JSON list", path=path) from None
    if not isinstance(value, list):
        raise ConversionError("expected a list", path=path)
    return value


def _read_tools(value: Any) -> list[ToolSpec]:
    tools = []
    for index, item in enumerate(_json_list(value, TOOLS)):
        where = f"{TOOLS}[{index}]"
        tool = read_tool(item, where)
        if tool.parameters is not None:
            tool.parameters = _parameters(tool.parameters, f"{where}.parameters")
        tools.append(tool)
    return tools


def _parameters(parameters: dict[str, Any], path: str) -> dict[str, Any]:
    """xLAM's ``{argument: {"type", ...}}`` as a JSON Schema object (a JSON Schema as one)."""
    if parameters.get("type") in ("object", "dict") and "properties" in parameters:
        schema: dict[str, Any] = json_schema(parameters, path)
        return schema
    properties: dict[str, Any] = {}
    required = []
    for argument, spec in parameters.items():
        where = f"{path}.{argument}"
        if not isinstance(spec, dict):
            raise ConversionError("expected an object", path=where)
        kind = spec.get("type", "any")
        if not isinstance(kind, str):
            raise ConversionError("expected a type name", path=f"{where}.type")
        name = kind.removesuffix(OPTIONAL)
        try:
            typed = type_schema(name, f"{where}.type")
        except ConversionError:  # a Python type no JSON value has (Callable...): any value
            typed = {}
        properties[argument] = {**typed, **{k: v for k, v in spec.items() if k != "type"}}
        if name == kind and "default" not in spec:
            required.append(argument)
    return {"type": "object", "properties": properties, "required": required}


def _read_answers(value: Any) -> list[ToolCall]:
    calls = []
    for index, item in enumerate(_json_list(value, ANSWERS)):
        where = f"{ANSWERS}[{index}]"
        if not isinstance(item, dict) or not isinstance(name := item.get("name"), str):
            raise ConversionError("expected {'name': str, 'arguments': {...}}", path=where)
        arguments = item.get("arguments", {})
        if not isinstance(arguments, dict):
            raise ConversionError("expected an object", path=f"{where}.arguments")
        calls.append(ToolCall(id=call_id(0, index), name=name, arguments=arguments))
    return calls


# ---------------------------------------------------------------- export


def trajectory_to_record(traj: Trajectory) -> dict[str, Any]:
    """The xLAM record of a trajectory (see the module for which have one)."""
    extra = traj.provenance.extra if traj.provenance.original_format == NAME else {}
    if traj.task.instruction is None:
        raise ConversionError("an xLAM record needs a query", path="task.instruction")
    if traj.system_prompt is not None:
        raise ConversionError(
            "xLAM records have no system prompt",
            path="system_prompt",
            hint="xLAM holds a query, the tools and one step of calls",
        )
    record = {
        QUERY: traj.task.instruction,
        TOOLS: source_text(extra, ROOT, TOOLS, _tools_text(traj.tools), _read_tools),
        ANSWERS: source_text(extra, ROOT, ANSWERS, _answers_text(_calls(traj)), _read_answers),
    }
    return put_back(record, extra, mapped=KEYS)


def _calls(traj: Trajectory) -> list[ToolCall]:
    """The calls of a trajectory's one step of calls without results."""
    if len(traj.steps) > 1:
        raise ConversionError(
            f"{len(traj.steps)} steps; an xLAM record holds one",
            path="steps",
            hint="xLAM holds a query, the tools and one step of calls",
        )
    calls = []
    for step in traj.steps:
        for index, action in enumerate(step.actions):
            if not isinstance(action, ToolCall):
                raise ConversionError(
                    "xLAM answers are tool calls only", path=f"steps[0].actions[{index}]"
                )
            calls.append(action)
        if step.observations:
            raise ConversionError("xLAM records hold no results", path="steps[0].observations")
    return calls


def _answers_text(calls: Sequence[ToolCall]) -> str:
    return dumps([{"name": call.name, "arguments": call.arguments} for call in calls])


def _tools_text(tools: Sequence[ToolSpec]) -> str:
    return dumps([_xlam_tool(tool) for tool in tools])


def _xlam_tool(tool: ToolSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        out["description"] = tool.description
    if tool.parameters is not None:
        out["parameters"] = _xlam_parameters(tool.parameters)
    return out


def _xlam_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema object in xLAM's parameter shape."""
    properties = schema.get("properties")
    required = schema.get("required", [])
    out = {}
    for argument, value in (properties if isinstance(properties, dict) else {}).items():
        spec = value if isinstance(value, dict) else {}
        optional = argument not in required and "default" not in spec
        described = {"description": spec["description"]} if "description" in spec else {}
        rest = {key: value for key, value in spec.items() if key not in _TYPE_KEYS}
        kind = _python_type(spec) + (OPTIONAL if optional else "")
        out[argument] = {**described, "type": kind, **rest}  # xLAM's key order
    return out


def _python_type(schema: dict[str, Any]) -> str:
    """The Python type name of a JSON Schema (the inverse of schema_types for its output)."""
    options = schema.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and options[1] == {"type": "null"}:
        return f"Optional[{_python_type(options[0])}]"
    kind = schema.get("type")
    if kind == "array" and schema.get("uniqueItems") is True:
        return "set"
    if kind == "array" and isinstance(items := schema.get("items"), dict):
        return f"List[{_python_type(items)}]"
    return _PYTHON_TYPES.get(kind, "Any") if isinstance(kind, str) else "Any"


def detect(data: Any) -> bool:
    """Whether a record is an xLAM one: a query string beside tools and answers."""
    return (
        isinstance(data, dict)
        and isinstance(data.get(QUERY), str)
        and all(key in data for key in (TOOLS, ANSWERS))
    )


FORMAT = import_format(
    NAME,
    "APIGen/xLAM function calling (query, tools, answers as JSON text); written as JSON lines",
    convert,
    detect=detect,
    write=record_writer(trajectory_to_record),
)
