"""BFCL ground truth as expected actions, and the files it is read from beside a question file.

A question file ``data/BFCL_v4_simple_python.json`` has its possible answers in
``data/possible_answer/BFCL_v4_simple_python.json`` (the same name, one ``{id, ground_truth}``
line per question); multi-turn questions name classes whose function docs are in
``data/multi_turn_func_doc/<file>.json``. A question without a possible-answer file (BFCL's
``irrelevance``, whose right answer is no call) or without a line in it has no expected actions.

Single-turn ground truth lists, per expected call, every accepted value of each argument:
``{"calc": {"x": [4], "unit": ["cm", ""]}}``. An argument with one accepted value is compared
exactly; with several it gets an ``any_of`` match; ``""`` among them makes it optional (it is
left out of ``arguments`` and kept in ``match``). BFCL writes a dict argument's accepted values
key by key (``[{"limit": [50], "filter": ["", "a"]}]``); they are spelled out into the whole
dicts they accept. Multi-turn ground truth is Python calls (``"cd(folder='docs')"``), parsed
into exact expected actions, in order, positional arguments named after the function doc.
"""

from __future__ import annotations

import ast
import itertools
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, member
from trajforge.io.documents import iter_records
from trajforge.schema.records import ArgumentMatch, ExpectedAction, ToolSpec

ANSWER_FOLDER: Final = "possible_answer"
DOC_FOLDER: Final = "multi_turn_func_doc"
#: The function-doc file of each multi-turn class (bfcl_eval/constants/executable_backend_config).
CLASS_DOCS: Final = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
_ABSENT: Final = object()  # a key BFCL accepts leaving out ("" among its values)
#: The most whole values one argument's key-by-key accepted values may spell out.
MAX_VARIANTS: Final = 256


def answer_path(question_file: str | Path) -> Path:
    """Where the possible answers of a question file are."""
    path = Path(question_file)
    return path.parent / ANSWER_FOLDER / path.name


@lru_cache(maxsize=8)
def ground_truths(question_file: str) -> dict[str, Any]:
    """The ground truth of each question id of a question file (empty if it has no answers)."""
    path = answer_path(question_file)
    if not path.is_file():
        return {}
    truths = {}
    for record in iter_records(path):
        line = expect(record.data, dict, "$")
        truths[member(line, "id", str, "$")] = line.get("ground_truth")
    return truths


@lru_cache(maxsize=16)
def class_docs(question_file: str, name: str) -> tuple[dict[str, Any], ...]:
    """The function docs of a multi-turn class, from the folder beside the question file."""
    stem = CLASS_DOCS.get(name)
    path = Path(question_file).parent / DOC_FOLDER / f"{stem}.json"
    if stem is None or not path.is_file():
        raise ConversionError(
            f"no function docs for class {name!r} (looked for {path})",
            path="involved_classes",
            hint=f"keep BFCL's {DOC_FOLDER}/ folder beside the question file",
        )
    return tuple(expect(record.data, dict, "$") for record in iter_records(path))


def single_turn(truth: Any, tools: list[ToolSpec]) -> list[ExpectedAction]:
    """The expected actions of single-turn ground truth (a list of ``{name: {arg: [values]}}``)."""
    actions = []
    for index, call in enumerate(expect(truth, list, "ground_truth")):
        where = f"ground_truth[{index}]"
        if len(expect(call, dict, where)) != 1:
            raise ConversionError("expected one function name per call", path=where)
        ((name, accepted),) = call.items()
        actions.append(_action(name, expect(accepted, dict, f"{where}.{name}"), tools, where))
    return actions


def multi_turn(truth: Any, tools: list[ToolSpec]) -> list[ExpectedAction]:
    """The expected actions of multi-turn ground truth (per turn, a list of Python calls)."""
    actions = []
    for turn, calls in enumerate(expect(truth, list, "ground_truth")):
        for index, text in enumerate(expect(calls, list, f"ground_truth[{turn}]")):
            where = f"ground_truth[{turn}][{index}]"
            actions.append(_parsed_call(expect(text, str, where), tools, where))
    return actions


def _action(
    name: str, accepted: dict[str, Any], tools: list[ToolSpec], where: str
) -> ExpectedAction:
    arguments: dict[str, Any] = {}
    match: dict[str, ArgumentMatch] = {}
    for arg, values in accepted.items():
        path = f"{where}.{name}.{arg}"
        options = expect(values, list, path)
        schema = (_properties(tools, name) or {}).get(arg)
        schema = schema if isinstance(schema, dict) else {}
        variants = [v for value in options if value != "" for v in _variants(value, schema, path)]
        optional = "" in options
        if not optional:
            if not variants:
                raise ConversionError("no accepted value", path=path)
            arguments[arg] = variants[0]
        if optional or len(variants) > 1:
            match[arg] = ArgumentMatch(mode="any_of", values=variants)
    return ExpectedAction(name=name, arguments=arguments, match=match)


def _variants(value: Any, schema: dict[str, Any], path: str) -> list[Any]:
    """The whole values one accepted value stands for: itself, or for a dict written key by key
    (an object argument, or an array of objects) every combination of its keys' values."""
    found: list[Any]
    if schema.get("type") == "object" and _by_key(value):
        found = _combinations(value)
    elif (
        schema.get("type") == "array"
        and isinstance(schema.get("items"), dict)
        and schema["items"].get("type") == "object"
        and isinstance(value, list)
        and all(_by_key(item) for item in value)
    ):
        found = [list(combo) for combo in itertools.product(*map(_combinations, value))]
    else:
        return [value]
    if len(found) > MAX_VARIANTS:
        raise ConversionError(
            f"the key-by-key accepted values spell out {len(found)} values (at most "
            f"{MAX_VARIANTS} are kept)",
            path=path,
        )
    return found


def _by_key(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, list) for v in value.values())


def _combinations(options: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(options)
    choices = [[v for v in options[k] if v != ""] + [_ABSENT] * ("" in options[k]) for k in keys]
    return [
        {key: v for key, v in zip(keys, combo, strict=True) if v is not _ABSENT}
        for combo in itertools.product(*choices)
    ]


def _parsed_call(text: str, tools: list[ToolSpec], where: str) -> ExpectedAction:
    """The exact expected action of a Python call such as ``mv(source='a', destination='b')``."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not isinstance(node, ast.Call):
            raise ValueError("not a call")
        name = ast.unparse(node.func)
        positional = [_json(ast.literal_eval(arg)) for arg in node.args]
        named = {kw.arg: _json(ast.literal_eval(kw.value)) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError, TypeError) as exc:
        raise ConversionError(
            f"not a Python call with literal arguments ({exc})", path=where
        ) from None
    if positional:
        properties = _properties(tools, name)
        if properties is None:
            raise ConversionError(
                f"{name} is called with positional arguments but has no function doc", path=where
            )
        order = list(properties)
        if len(positional) > len(order):
            raise ConversionError(f"{name} takes {len(order)} arguments", path=where)
        named = {**dict(zip(order, positional, strict=False)), **named}
    return ExpectedAction(name=name, arguments=named)


def _properties(tools: list[ToolSpec], name: str) -> dict[str, Any] | None:
    """The parameter schemas of tool ``name`` by argument (None when there is no such tool)."""
    tool = next((t for t in tools if t.name == name), None)
    if tool is None:
        return None
    properties = (tool.parameters or {}).get("properties")
    return properties if isinstance(properties, dict) else {}


def _json(value: Any) -> Any:
    """A Python literal as JSON data (tuples and sets as arrays)."""
    if isinstance(value, tuple | list | set | frozenset):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    return value
