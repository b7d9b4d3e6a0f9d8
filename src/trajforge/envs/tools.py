"""Tools from typed Python functions.

``@tool`` reads a method's type hints and the ``Args:`` section of its docstring and builds, once,
a msgspec Struct of its parameters. That one Struct gives both the JSON Schema the agent sees
(``ToolSpec.parameters``) and the validation of arguments before the function runs, so the two
can never disagree. Invalid arguments produce an error observation naming the field, as a real
API would.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_type_hints, overload

import msgspec

from trajforge.schema import ToolSpec
from trajforge.schema.codec import schema_error

F = TypeVar("F", bound=Callable[..., Any])

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^\s*(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")
_SECTION = re.compile(r"^\s*\w[\w ]*:\s*$")


class ToolError(Exception):
    """Raised by a tool body for an expected failure; becomes an error observation."""

    def __init__(self, message: str, *, kind: str = "invalid_request") -> None:
        super().__init__(message)
        self.kind = kind


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (summary, {argument: description})."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    current: str | None = None
    in_args = False
    for line in lines:
        if _ARGS_HEADER.match(line):
            in_args = True
            continue
        if in_args and _SECTION.match(line) and not line.startswith((" ", "\t")):
            in_args = False
        if not in_args:
            if not args and line.strip() and not _SECTION.match(line):
                summary.append(line.strip())
            continue
        match = _ARG_LINE.match(line)
        if match and not line.startswith("        "):
            current = match.group(1)
            args[current] = match.group(2).strip()
        elif current and line.strip():
            args[current] = f"{args[current]} {line.strip()}".strip()
    return " ".join(summary), args


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace ``$ref``s into ``$defs`` by the definitions (tool schemas are small and acyclic)."""
    defs: dict[str, Any] = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = dict(defs[ref.removeprefix("#/$defs/")])
                target.pop("title", None)
                return walk(target)
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_ENCODE = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class ToolDef:
    """A tool: its spec, its argument type and the function that runs it."""

    name: str
    spec: ToolSpec
    args_type: type[msgspec.Struct]
    func: Callable[..., Any]
    read_only: bool
    #: Whether making the same call again right after it succeeded leaves the state as it was
    #: (MCP's ``idempotentHint``): a cancel or a delete is refused the second time, a
    #: ``type`` sets the same text again; an append, a booking or a restart act twice.
    #: Read-only tools are idempotent.
    idempotent: bool = False

    def parse_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate arguments against the schema; raise ToolError naming the field."""
        try:
            _ENCODE(arguments)  # text that is not Unicode (a lone surrogate) never enters state
        except UnicodeEncodeError:
            raise ToolError(
                f"invalid arguments for {self.name}: text with a lone surrogate is not Unicode"
            ) from None
        try:
            parsed = msgspec.convert(arguments, self.args_type)
        except msgspec.ValidationError as exc:
            raise ToolError(f"invalid arguments for {self.name}: {schema_error(exc)}") from None
        return {f: getattr(parsed, f) for f in parsed.__struct_fields__}


def build_tool(
    func: Callable[..., Any],
    *,
    name: str | None = None,
    read_only: bool = False,
    idempotent: bool = False,
) -> ToolDef:
    """Build a ToolDef from a function (or unbound method: ``self`` is skipped)."""
    tool_name = name or func.__name__
    summary, arg_docs = parse_docstring(func.__doc__)
    hints = get_type_hints(func, include_extras=True)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for param in inspect.signature(func).parameters.values():
        if param.name == "self":
            continue
        hint = hints.get(param.name, Any)
        if param.name in arg_docs:
            hint = Annotated[hint, msgspec.Meta(description=arg_docs[param.name])]
        if param.default is inspect.Parameter.empty:
            fields.append((param.name, hint))
        else:
            fields.append((param.name, hint, param.default))
    args_type = msgspec.defstruct(
        f"{tool_name}_args", fields, kw_only=True, forbid_unknown_fields=True
    )
    parameters = _inline_refs(msgspec.json.schema(args_type))
    parameters.pop("title", None)
    spec = ToolSpec(name=tool_name, description=summary or None, parameters=parameters)
    return ToolDef(tool_name, spec, args_type, func, read_only, read_only or idempotent)


@overload
def tool(func: F, /) -> F: ...
@overload
def tool(
    *, name: str | None = None, read_only: bool = False, idempotent: bool = False
) -> Callable[[F], F]: ...
def tool(
    func: F | None = None,
    /,
    *,
    name: str | None = None,
    read_only: bool = False,
    idempotent: bool = False,
) -> F | Callable[[F], F]:
    """Mark an environment method as a tool (``@tool``, ``@tool(read_only=True)``, or
    ``@tool(idempotent=True)`` for a change that a second identical call leaves as it is)."""

    def mark(f: F) -> F:
        built = build_tool(f, name=name, read_only=read_only, idempotent=idempotent)
        f.__trajforge_tool__ = built  # type: ignore[attr-defined]
        return f

    return mark(func) if func is not None else mark


def collect_tools(cls: type) -> dict[str, ToolDef]:
    """All ``@tool`` methods of a class, by tool name, in definition order."""
    found: dict[str, ToolDef] = {}
    for klass in reversed(cls.__mro__):
        for attr in vars(klass).values():
            tool_def = getattr(attr, "__trajforge_tool__", None)
            if isinstance(tool_def, ToolDef):
                found[tool_def.name] = tool_def
    return found
