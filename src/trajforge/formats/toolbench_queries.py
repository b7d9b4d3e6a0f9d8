"""ToolBench query records (``G1_query.json``): tasks with their RapidAPI tools, no steps yet.

A query ``{query, query_id, api_list, relevant APIs}`` becomes a trajectory without steps that
generate or an agent can run: the query is the instruction, each ``api_list`` entry a tool named
and typed the way ToolBench names the functions of its answer files (``api_name_for_tool_name``,
standardised; ``NUMBER`` -> integer, ``BOOLEAN`` -> boolean, anything else a string), and the
``relevant APIs`` pairs are ``task.expected_tools`` under the same names. Each api entry's other
keys (``category_name``, ``method``, ...) are kept in ``provenance.extra``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.schema import Trajectory
from trajforge.schema.records import Provenance, Task, ToolSpec

RELEVANT: Final = "relevant APIs"
_NOT_NAME: Final = re.compile(r"[^\u4e00-\u9fa5^a-zA-Z0-9_]")
_RUNS: Final = re.compile(r"_+")
_RESERVED: Final = frozenset({"from", "class", "return", "false", "true", "id", "and"})
_TYPES: Final = {"NUMBER": "integer", "STRING": "string", "BOOLEAN": "boolean"}
_API_KEYS: Final = (
    "tool_name",
    "api_name",
    "api_description",
    "required_parameters",
    "optional_parameters",
)
_QUERY_KEYS: Final = ("query", "query_id", "api_list", RELEVANT)


def is_query(data: Any) -> bool:
    """Whether a record is a ToolBench query."""
    return isinstance(data, dict) and "query" in data and "api_list" in data


def query_task(data: dict[str, Any], file: str) -> Trajectory:
    """The step-less trajectory of one query record of ``file`` (query ids restart at 1 in each
    of ToolBench's query files, so the file's name is part of the trajectory's id)."""
    extra: dict[str, Any] = {}
    keep_unmapped(extra, "$", data, _QUERY_KEYS)
    apis = member(data, "api_list", list, "$")
    tools = [_tool(expect(api, dict, f"api_list[{i}]"), i, extra) for i, api in enumerate(apis)]
    relevant = expect(data.get(RELEVANT, []), list, RELEVANT)
    return Trajectory(
        id=f"tb-{Path(file).stem}-{data.get('query_id')}",
        task=Task(
            instruction=member(data, "query", str, "$"),
            expected_tools=[_relevant(pair, f"{RELEVANT}[{i}]") for i, pair in enumerate(relevant)],
        ),
        tools=tools,
        provenance=Provenance(extra=extra),
    )


def function_name(tool: str, api: str) -> str:
    """ToolBench's function name for an API of a tool (the last 64 characters of it)."""
    return f"{_parameter_name(api)}_for_{standardize(tool)}"[-64:]


def standardize(name: str) -> str:
    """A name as ToolBench writes it: other characters as ``_``, runs of them as one, lower
    case, no leading or trailing ``_``, ``get_`` before a leading digit."""
    text = _RUNS.sub("_", _NOT_NAME.sub("_", name)).lower().strip("_")
    return f"get_{text}" if text[:1].isdigit() else text


def _parameter_name(name: str) -> str:
    text = standardize(name)
    return f"is_{text}" if text in _RESERVED else text


def _tool(api: dict[str, Any], index: int, extra: dict[str, Any]) -> ToolSpec:
    where = f"api_list[{index}]"
    keep_unmapped(extra, where, api, _API_KEYS)
    properties: dict[str, Any] = {}
    required = []
    for key in ("required_parameters", "optional_parameters"):
        for n, parameter in enumerate(expect(api.get(key, []), list, f"{where}.{key}")):
            spec = expect(parameter, dict, f"{where}.{key}[{n}]")
            name = _parameter_name(member(spec, "name", str, f"{where}.{key}[{n}]"))
            properties[name] = _parameter(spec)
            if key == "required_parameters":
                required.append(name)
    description = api.get("api_description")
    return ToolSpec(
        name=function_name(
            member(api, "tool_name", str, where), member(api, "api_name", str, where)
        ),
        description=description.strip() or None if isinstance(description, str) else None,
        parameters={"type": "object", "properties": properties, "required": required},
    )


def _parameter(spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _TYPES.get(str(spec.get("type")), "string")}
    if isinstance(spec.get("description"), str) and spec["description"]:
        schema["description"] = spec["description"]
    if spec.get("default") not in (None, ""):  # ToolBench shows it as an example value
        schema["examples"] = [spec["default"]]
    return schema


def _relevant(pair: Any, where: str) -> str:
    names = expect(pair, list, where)
    if len(names) != 2 or not all(isinstance(name, str) for name in names):
        raise ConversionError("expected a [tool name, API name] pair", path=where)
    return function_name(names[0], names[1])
