"""ToolBench DFSDT answer files: the whole search tree, each root-to-leaf path a trajectory.

An answer file (``G1_answer/10_ChatGPT_DFS_woFilter_w2.json``) holds ``tree.tree``, the depth-first
search tree: below an empty root, ``Thought`` nodes (the model's text), ``Action`` nodes (the
function it called) and ``Action Input`` nodes (the arguments, with the ``observation`` that came
back). Every path from the root to a leaf becomes one trajectory, in depth-first order, so every
explored node -- pruned branches, give-ups and failed calls included -- is in some trajectory:

- a step is an optional Thought (``step.reasoning``) and an Action with its Action Input (a
  ``ToolCall`` without a call id, as ToolBench's ``function_call`` messages have none, and its
  ``ToolResult``); a Thought with no Action under it is a step of reasoning alone;
- a ``Finish`` call is the :class:`~trajforge.schema.Finish` action: ``give_answer`` completed
  with its ``final_answer``, ``give_up_and_restart`` not completed;
- an observation ``{"error": "...", "response": ...}`` with a non-empty error is an ``error``
  result (``timeout`` for ToolBench's "Timeout error..."), ``error_kind`` named after its
  ``observation_code``;
- a path that leaves an earlier one at some node has that path as ``provenance.parent_id`` (the
  first path through the node) and ``branch_step`` = the number of steps they share, the way
  trajforge's branched runs record forks;
- ``win`` is the ``outcome.source_reward`` (1 or 0) of the path that gave the tree's answer (the
  leaf ToolBench marks ``finished``); in a tree without one (every route gave up or was pruned)
  every path gets it;
- ``answer_generation.query`` is the instruction, its ``function`` list the tools (``Finish`` with
  role ``finish``), the system message of ``train_messages`` the system prompt.

What no field holds is kept in ``provenance.extra``: each node's other keys (``Elo``, ``pruned``,
``observation_code``, ...) under its place in the record (``tree.tree.children[0]...``), and the
record's other keys (``forward_args``, ``compare_candidates``, ``train_messages``, ...) under ``$``
in the first path's trajectory only, since every path of the tree would repeat them. The records
of query files (``G1_query.json``) are tasks (see :mod:`trajforge.formats.toolbench_queries`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.formats.importer import import_format
from trajforge.formats.openai import parse_arguments
from trajforge.formats.schema_types import json_schema
from trajforge.formats.toolbench_queries import is_query, query_task
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Action,
    Finish,
    Observation,
    Outcome,
    Provenance,
    ResultStatus,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
)

ROOT: Final = "tree.tree"
FINISH: Final = "Finish"
_NODE_KEYS: Final = ("node_type", "description", "children")
_RECORD_KEYS: Final = ("tree", "answer_generation")
_ANSWER_KEYS: Final = ("function", "query")
#: ToolBench's observation codes (toolbench/inference/server.py) that mean the call failed.
ERROR_KINDS: Final = {
    1: "unknown_tool",  # trajforge's own name for it, which the rules know
    2: "invalid_arguments",
    5: "timeout",
    6: "api_not_working",
    7: "unauthorized",
    8: "unsubscribed",
    9: "too_many_requests",
    10: "rate_limited",
    11: "message_error",
    12: "invalid_request",
}


@dataclass(frozen=True)
class _Node:
    """A tree node and its place in the record."""

    data: dict[str, Any]
    where: str

    @property
    def kind(self) -> str:
        return expect(self.data.get("node_type"), str, f"{self.where}.node_type")

    @property
    def text(self) -> str:
        return expect(self.data.get("description", ""), str, f"{self.where}.description")


Path = tuple[_Node, ...]


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectories of one answer file's tree (one per leaf), or a query file's task."""
    data = expect(record.data, dict, "$")
    if is_query(data):
        return [query_task(data, record.file)]
    answer = member(data, "answer_generation", dict, "$")
    root = _Node(member(member(data, "tree", dict, "$"), "tree", dict, "tree"), ROOT)
    paths = list(_leaf_paths(root))
    groups = [_groups(path) for path in paths]
    places = [
        [tuple(p[i].where for i in g) for g in steps]
        for p, steps in zip(paths, groups, strict=True)
    ]
    task = Task(instruction=member(answer, "query", str, "answer_generation"))
    tools = _tools(member(answer, "function", list, "answer_generation"))
    system = _system_prompt(answer)
    base = _base_id(data)
    rewards = _rewards(data.get("win"), paths)
    parents = _parents(paths)
    trajectories = []
    for n, path in enumerate(paths):
        extra: dict[str, Any] = {}
        steps = [_step([path[i] for i in group], extra) for group in groups[n]]
        keep_unmapped(extra, ROOT, root.data, _NODE_KEYS)
        if n == 0:
            _keep_record(extra, data, answer)
        parent = parents[n]
        trajectories.append(
            Trajectory(
                id=f"{base}-p{n}",
                task=task,
                tools=tools,
                system_prompt=system,
                steps=steps,
                outcome=Outcome(source_reward=rewards[n]),
                provenance=Provenance(
                    parent_id=None if parent is None else f"{base}-p{parent}",
                    branch_step=None if parent is None else _shared(places[parent], places[n]),
                    extra=extra,
                ),
            )
        )
    return trajectories


def detect(data: Any) -> bool:
    """Whether a record is a ToolBench answer file (a ``tree`` and ``answer_generation``) or a
    query (``query``, ``api_list``, ``relevant APIs``)."""
    return isinstance(data, dict) and (
        ("tree" in data and "answer_generation" in data) or is_query(data)
    )


# ---------------------------------------------------------------- the tree


def _leaf_paths(root: _Node) -> Iterator[Path]:
    """The root-to-leaf paths, depth first, children in order."""
    stack: list[Path] = [(root,)]
    while stack:
        path = stack.pop()
        node = path[-1]
        children = expect(node.data.get("children", []), list, f"{node.where}.children")
        if not children:
            yield path
        for index in reversed(range(len(children))):
            where = f"{node.where}.children[{index}]"
            stack.append((*path, _Node(expect(children[index], dict, where), where)))


def _groups(path: Path) -> list[tuple[int, ...]]:
    """The indices into ``path`` of the nodes each step is made of (the root is in none)."""
    steps: list[tuple[int, ...]] = []
    current: list[int] = []
    for index, node in enumerate(path[1:], start=1):
        kind = node.kind
        if kind == "Thought" or (kind == "Action" and _has_action(path, current)):
            if current:
                steps.append(tuple(current))
            current = []
        elif kind == "Action Input" and not _has_action(path, current):
            raise ConversionError("an Action Input without its Action", path=node.where)
        elif kind not in ("Action", "Action Input"):
            raise ConversionError(
                f"unknown node type {kind!r}",
                path=f"{node.where}.node_type",
                hint="DFSDT nodes are Thought, Action or Action Input",
            )
        current.append(index)
        if kind == "Action Input":
            steps.append(tuple(current))
            current = []
    if current:
        steps.append(tuple(current))
    return steps


def _has_action(path: Path, indices: list[int]) -> bool:
    return any(path[i].kind == "Action" for i in indices)


def _parents(paths: list[Path]) -> list[int | None]:
    """For each path, the first path through the node where it leaves the path before it."""
    first: dict[str, int] = {}
    parents: list[int | None] = []
    for n, path in enumerate(paths):
        if n == 0:
            parents.append(None)
        else:
            before, common = paths[n - 1], 0
            while (
                common < min(len(before), len(path)) and before[common].where == path[common].where
            ):
                common += 1
            parents.append(first[path[common - 1].where])
        for node in path:
            first.setdefault(node.where, n)
    return parents


def _shared(parent: list[tuple[str, ...]], child: list[tuple[str, ...]]) -> int:
    """How many leading steps two paths share (steps given as the places of their nodes)."""
    count = 0
    for a, b in zip(parent, child, strict=False):
        if a != b:
            break
        count += 1
    return count


# ---------------------------------------------------------------- steps


def _step(nodes: list[_Node], extra: dict[str, Any]) -> Step:
    """The step of one Thought / Action / Action Input group; node leftovers go to ``extra``."""
    thought = next((node.text for node in nodes if node.kind == "Thought"), None)
    action = next((node for node in nodes if node.kind == "Action"), None)
    given = next((node for node in nodes if node.kind == "Action Input"), None)
    for node in nodes:
        if node is not given:
            keep_unmapped(extra, node.where, node.data, _NODE_KEYS)
    if action is None:
        return Step(reasoning=thought)
    actions: list[Action] = []
    observations: list[Observation] = []
    arguments = given.text if given is not None else "{}"
    finish = _finish(arguments) if action.text == FINISH else None
    if finish is not None:
        actions.append(finish)
    else:
        actions.append(_call(action.text, arguments))
        if given is not None and "observation" in given.data:
            observations.append(_result(action.text, given))
    if given is not None:
        mapped = (*_NODE_KEYS, "observation") if observations else _NODE_KEYS
        keep_unmapped(extra, given.where, given.data, mapped)
    return Step(reasoning=thought, actions=actions, observations=observations)


def _call(name: str, text: str) -> ToolCall:
    arguments, raw = parse_arguments(text)
    return ToolCall(name=name, arguments=arguments, raw_arguments=raw)


def _finish(text: str) -> Finish | None:
    """The Finish action of a ``Finish`` call's arguments, or None when they are not ToolBench's
    ``{"return_type": ..., "final_answer": ...}``."""
    arguments, _ = parse_arguments(text)
    kind, answer = arguments.get("return_type"), arguments.get("final_answer", "")
    if kind not in ("give_answer", "give_up_and_restart") or not isinstance(answer, str):
        return None
    return Finish(content=answer, completed=kind == "give_answer")


def _result(name: str, node: _Node) -> ToolResult:
    content = expect(node.data["observation"], str, f"{node.where}.observation")
    code = node.data.get("observation_code")
    status, kind = _status(content, code if isinstance(code, int) else None)
    return ToolResult(name=name, content=content, status=status, error_kind=kind)


def _status(content: str, code: int | None) -> tuple[ResultStatus, str | None]:
    """The status and error kind of an observation, from its ``error`` field and its code."""
    try:
        error = msgspec.json.decode(content).get("error")
    except (msgspec.DecodeError, AttributeError, RecursionError):
        error = None
    if not error and code not in ERROR_KINDS:
        return "ok", None
    kind = ERROR_KINDS.get(code) if code is not None else None
    if kind == "timeout" or (isinstance(error, str) and error.startswith("Timeout error")):
        return "timeout", "timeout"
    return "error", kind or "tool_error"


# ---------------------------------------------------------------- the record


def _tools(functions: list[Any]) -> list[ToolSpec]:
    tools = []
    for index, function in enumerate(functions):
        where = f"answer_generation.function[{index}]"
        spec = expect(function, dict, where)
        name = member(spec, "name", str, where)
        tools.append(
            ToolSpec(
                name=name,
                description=spec.get("description"),
                parameters=json_schema(spec.get("parameters"), f"{where}.parameters"),
                role="finish" if name == FINISH else None,
            )
        )
    return tools


def _system_prompt(answer: dict[str, Any]) -> str | None:
    """The system message of the first recorded chain (every path had the same one)."""
    chains = answer.get("train_messages")
    if not (isinstance(chains, list) and chains and isinstance(chains[0], list) and chains[0]):
        return None
    first = chains[0][0]
    if isinstance(first, dict) and first.get("role") == "system":
        content = first.get("content")
        return content if isinstance(content, str) else None
    return None


def _rewards(win: Any, paths: list[Path]) -> list[float | None]:
    if not isinstance(win, bool):
        return [None] * len(paths)
    reward = float(win)
    answered = [path[-1].data.get("finished") is True for path in paths]
    if not any(answered):
        return [reward] * len(paths)
    return [reward if done else None for done in answered]


def _keep_record(extra: dict[str, Any], data: dict[str, Any], answer: dict[str, Any]) -> None:
    """The record's own keys that no field holds, under ``$``."""
    keep_unmapped(extra, "$", data, _RECORD_KEYS)
    rest = {key: value for key, value in answer.items() if key not in _ANSWER_KEYS}
    tree = {key: value for key, value in data["tree"].items() if key != "tree"}
    extra.setdefault("$", {}).update(answer_generation=rest, tree=tree)


def _base_id(data: dict[str, Any]) -> str:
    """``tb-`` and a hash of the record, so that the same file always gives the same ids."""
    digest = hashlib.blake2b(msgspec.json.encode(data, order="sorted"), digest_size=8)
    return "tb-" + digest.hexdigest()


FORMAT = import_format(
    "toolbench",
    "ToolBench DFSDT answer files (every path of the search tree) and query files (tasks)",
    convert,
    detect=detect,
)
