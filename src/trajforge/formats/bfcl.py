"""Berkeley Function-Calling Leaderboard question files, as tasks for agents to run.

A BFCL question (``{id, question, function}``, one JSON line each) has no agent steps: it
becomes a trajectory with a task and tools and no steps, which ``trajforge generate`` or an agent
can then run. The first turn's user message is ``task.instruction`` (a system message before it
the system prompt); the later turns of a multi-turn question are ``task.parameters["user_turns"]``,
with its ``initial_config`` and ``involved_classes``. Tools are the question's ``function`` docs
(or, for multi-turn questions, the docs of the involved classes in ``multi_turn_func_doc/``,
less its ``excluded_function``), BFCL's type names mapped to JSON Schema. Expected actions come
from the possible-answer file beside the question file (see :mod:`trajforge.formats.bfcl_answers`):
any order for single-turn questions, in order for multi-turn ones. The question's other keys
(``path``, ``excluded_function``...) and each function doc's keys other than name, description
and parameters are kept in ``provenance.extra``.

Possible-answer lines and function docs are read through their question files: importing them
alone gives nothing.
"""

from __future__ import annotations

from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.bfcl_answers import class_docs, ground_truths, multi_turn, single_turn
from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.formats.importer import import_format
from trajforge.formats.schema_types import json_schema
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import Provenance, Task, ToolSpec

_QUESTION_KEYS: Final = ("id", "question", "function", "initial_config", "involved_classes")
_DOC_KEYS: Final = ("name", "description", "parameters")


def convert(record: SourceRecord) -> list[Trajectory]:
    """The step-less trajectory of a question (none for answer lines and function docs)."""
    data = expect(record.data, dict, "$")
    if "question" not in data:
        return []  # a possible answer or a function doc, read with its question
    qid = member(data, "id", str, "$")
    extra: dict[str, Any] = {}
    keep_unmapped(extra, "$", data, _QUESTION_KEYS)
    system, instruction, later = _turns(member(data, "question", list, "$"))
    multi = "involved_classes" in data
    tools = _class_tools(record.file, data) if multi else _tools(data, extra)
    truth = ground_truths(record.file).get(qid)
    expected = [] if truth is None else (multi_turn if multi else single_turn)(truth, tools)
    parameters = {key: data[key] for key in ("initial_config", "involved_classes") if key in data}
    if later:
        parameters["user_turns"] = later
    return [
        Trajectory(
            id=f"bfcl-{qid}",
            task=Task(
                instruction=instruction,
                parameters=parameters,
                expected_actions=expected,
                expected_actions_ordered=multi and bool(expected),
            ),
            tools=tools,
            system_prompt=system,
            provenance=Provenance(extra=extra),
        )
    ]


def detect(data: Any) -> bool:
    """Whether a record is a BFCL question: an ``id`` and a ``question`` list of turns."""
    return isinstance(data, dict) and isinstance(data.get("question"), list) and "id" in data


def _turns(turns: list[Any]) -> tuple[str | None, str | None, list[Any]]:
    """``(system prompt, instruction, later turns)`` of a question's turns."""
    if not turns:
        return None, None, []
    messages = [
        (f"question[0][{i}]", expect(message, dict, f"question[0][{i}]"))
        for i, message in enumerate(expect(turns[0], list, "question[0]"))
    ]
    system = None
    if messages and messages[0][1].get("role") == "system":
        where, message = messages.pop(0)
        system = member(message, "content", str, where)
    if len(messages) != 1 or messages[0][1].get("role") != "user":
        raise ConversionError(
            "expected one user message in the first turn (after an optional system message)",
            path="question[0]",
            hint="trajforge's task has one instruction; later turns are kept as user_turns",
        )
    where, message = messages[0]
    return system, member(message, "content", str, where), turns[1:]


def _tools(data: dict[str, Any], extra: dict[str, Any]) -> list[ToolSpec]:
    functions = expect(data.get("function", []), list, "function")
    tools = []
    for index, doc in enumerate(functions):
        where = f"function[{index}]"
        keep_unmapped(extra, where, expect(doc, dict, where), _DOC_KEYS)
        tools.append(_tool(doc, where))
    return tools


def _class_tools(file: str, data: dict[str, Any]) -> list[ToolSpec]:
    excluded = set(expect(data.get("excluded_function", []), list, "excluded_function"))
    tools = []
    for index, name in enumerate(member(data, "involved_classes", list, "$")):
        for doc in class_docs(file, expect(name, str, f"involved_classes[{index}]")):
            if doc.get("name") not in excluded:
                tools.append(_tool(doc, f"{name}.{doc.get('name')}"))
    return tools


def _tool(doc: dict[str, Any], where: str) -> ToolSpec:
    description = doc.get("description")
    return ToolSpec(
        name=member(doc, "name", str, where),
        description=description if isinstance(description, str) else None,
        parameters=json_schema(doc.get("parameters"), f"{where}.parameters"),
    )


FORMAT = import_format(
    "bfcl",
    "Berkeley Function-Calling Leaderboard questions with their possible answers (as tasks)",
    convert,
    detect=detect,
)
