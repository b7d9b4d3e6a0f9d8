"""Compiled validators for tool-argument JSON Schemas, each distinct schema compiled once.

Schemas are compiled with fastjsonschema (generated Python code, a few microseconds a call).
Two caches keep compilation off the hot path: a tool list seen before (same bytes: the JSON a
decoder-shared list came from, else its encoding) maps straight to its validators, and a schema
seen before under any key order maps to its compiled function through a hash of its canonical
(sorted-key) JSON. A schema that uses keywords fastjsonschema does not know
(Draft 2020-12's ``prefixItems``, ``unevaluatedProperties``...) is validated by ``jsonschema``'s
``Draft202012Validator`` when that package is installed, and reported as unsupported otherwise.
``format`` is an annotation, as Draft 2020-12 says by default: it is not asserted. A ``$ref`` to
another document is never fetched: such a schema is reported as invalid.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import fastjsonschema
import msgspec

from trajforge.schema import ToolSpec
from trajforge.schema.codec import SharedTools

#: Keywords fastjsonschema (drafts 4, 6, 7) does not implement; such schemas use the fallback.
UNSUPPORTED_KEYWORDS: Final = frozenset(
    {
        "prefixItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "minContains",
        "maxContains",
    }
)
#: Keywords whose value maps names (not keywords) to subschemas.
_NAMED_SUBSCHEMAS: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependencies"}
)
#: How many tool lists and schemas the caches keep before starting afresh.
DEFAULT_CACHE_SIZE: Final = 4096


@dataclass(frozen=True, slots=True)
class ArgumentError:
    """Why arguments fail their schema: where (relative to the arguments), what, which keyword.

    ``path`` is ``""`` for the arguments object itself, else ``.name`` / ``[0]`` segments.
    """

    path: str
    message: str
    rule: str


Check = Callable[[Any], ArgumentError | None]


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """One schema, compiled: ``check(arguments)`` gives None or the first ArgumentError.

    ``problem`` says why the schema cannot be used (invalid, or unsupported without the
    fallback); its ``check`` then accepts everything.
    """

    key: str
    check: Check
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ToolTable:
    """The validators of one tool list: by tool name, plus problems with the list itself.

    ``problems`` holds ``(tool index, check, message)``: ``invalid_tool_schema`` for a schema that
    cannot be used, ``duplicate_tool`` for a name declared twice.
    """

    schemas: dict[str, CompiledSchema]
    problems: tuple[tuple[int, str, str], ...] = ()


def _accept(_: Any) -> None:
    return None


def canonical_key(schema: Any) -> str:
    """A hash of the schema's canonical JSON (keys sorted): equal schemas, equal keys."""
    data = msgspec.json.encode(schema, order="sorted")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def uses_unsupported(schema: Any) -> bool:
    """Whether a schema uses a keyword fastjsonschema does not implement."""
    if isinstance(schema, list):
        return any(uses_unsupported(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key in UNSUPPORTED_KEYWORDS:
            return True
        if key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
            if any(uses_unsupported(sub) for sub in value.values()):
                return True
        elif key not in ("enum", "const", "default", "examples") and uses_unsupported(value):
            return True
    return False


def _join(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def _fast_error(exc: fastjsonschema.JsonSchemaValueException) -> ArgumentError:
    """An ArgumentError from fastjsonschema's (first) error, pointing at the offending field."""
    name = exc.name or "data"
    path = name[4:] if name.startswith("data") else name
    rule = exc.rule or "schema"
    value, definition = exc.value, exc.definition or {}
    if rule == "required" and isinstance(value, dict) and isinstance(exc.rule_definition, list):
        missing = [key for key in exc.rule_definition if key not in value]
        if missing:
            extra = f" (also missing: {', '.join(map(repr, missing[1:]))})" if missing[1:] else ""
            message = f"missing required argument {missing[0]!r}{extra}"
            return ArgumentError(_join(path, str(missing[0])), message, rule)
    if (
        rule == "additionalProperties"
        and isinstance(value, dict)
        and "patternProperties" not in definition
    ):
        declared = definition.get("properties", {})
        extra_keys = [key for key in value if key not in declared]
        if extra_keys:
            message = f"unexpected argument {extra_keys[0]!r}"
            if path:
                message += f" in {('arguments' + path)}"
            return ArgumentError(_join(path, str(extra_keys[0])), message, rule)
    message = exc.message
    if message.startswith("data"):
        message = "arguments" + message[4:]
    return ArgumentError(path, message, rule)


def _refuse(uri: str) -> Any:
    raise fastjsonschema.JsonSchemaDefinitionException(
        f"$ref to {uri!r} is not fetched: tool schemas must be self-contained"
    )


class _NoRemoteRefs(dict[str, Callable[[str], Any]]):
    """fastjsonschema's URI handlers: every scheme refused (it would fetch with urllib)."""

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse


def _compile_fast(schema: dict[str, Any]) -> Check:
    validate = fastjsonschema.compile(
        schema, handlers=_NoRemoteRefs(), use_default=False, use_formats=False
    )
    value_error = fastjsonschema.JsonSchemaValueException

    def check(arguments: Any) -> ArgumentError | None:
        try:
            validate(arguments)
        except value_error as exc:
            return _fast_error(exc)
        except Exception as exc:  # generated code meeting data it did not expect
            return ArgumentError("", f"the validator failed: {type(exc).__name__}: {exc}", "error")
        return None

    return check


def _compile_fallback(schema: dict[str, Any]) -> Check | None:
    """A jsonschema Draft 2020-12 validator, or None when the package is not installed."""
    try:
        jsonschema: Any = importlib.import_module("jsonschema")  # optional: no stubs needed
    except ImportError:
        return None
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    best_match = jsonschema.exceptions.best_match

    def check(arguments: Any) -> ArgumentError | None:
        try:
            error = best_match(validator.iter_errors(arguments))
        except Exception as exc:  # an unresolvable $ref, say
            return ArgumentError("", f"the validator failed: {type(exc).__name__}: {exc}", "error")
        if error is None:
            return None
        path = ""
        for part in error.absolute_path:
            path = _join(path, part if isinstance(part, int) else str(part))
        return ArgumentError(path, error.message, str(error.validator))

    return check


def compile_schema(schema: dict[str, Any] | None, key: str | None = None) -> CompiledSchema:
    """Compile one tool's parameter schema (None: any arguments are accepted)."""
    key = key if key is not None else canonical_key(schema)
    if schema is None:
        return CompiledSchema(key, _accept)
    if not isinstance(schema, dict):  # a ToolSpec decoded from JSON always holds a dict here
        return CompiledSchema(key, _accept, "the parameters schema is not a JSON object")
    try:
        if uses_unsupported(schema):
            check = _compile_fallback(schema)
            if check is None:
                return CompiledSchema(
                    key,
                    _accept,
                    "the schema uses Draft 2020-12 keywords that need the jsonschema package",
                )
            return CompiledSchema(key, check)
        return CompiledSchema(key, _compile_fast(schema))
    except Exception as exc:  # fastjsonschema and jsonschema raise several kinds
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return CompiledSchema(key, _accept, f"the parameters schema is invalid: {text}")


Compiler = Callable[[dict[str, Any] | None, str], CompiledSchema]


@dataclass
class ValidatorCache:
    """Compiled schemas by canonical hash, and tool tables by the tool list's exact bytes.

    ``compiler`` turns a schema (and its key) into a CompiledSchema; benchmarks swap it.
    """

    max_size: int = DEFAULT_CACHE_SIZE
    compiler: Compiler = field(default=compile_schema)
    compiled: dict[str, CompiledSchema] = field(default_factory=dict)
    tables: dict[bytes, ToolTable] = field(default_factory=dict)
    compilations: int = 0

    def schema(self, schema: dict[str, Any] | None) -> CompiledSchema:
        """The compiled form of a schema, compiling it on first sight."""
        key = canonical_key(schema)
        found = self.compiled.get(key)
        if found is None:
            if len(self.compiled) >= self.max_size:
                self.compiled.clear()
            found = self.compiled[key] = self.compiler(schema, key)
            self.compilations += 1
        return found

    def table(self, tools: Sequence[ToolSpec]) -> ToolTable:
        """The validators of a trajectory's tools (one dictionary lookup once seen).

        A decoder-shared list is known by the JSON it was decoded from, any other by its encoding:
        either way, equal bytes mean equal tools.
        """
        raw = tools.raw if type(tools) is SharedTools else msgspec.json.encode(tools)
        found = self.tables.get(raw)
        if found is None:
            if len(self.tables) >= self.max_size:
                self.tables.clear()
            found = self.tables[raw] = self._build(tools)
        return found

    def _build(self, tools: Sequence[ToolSpec]) -> ToolTable:
        schemas: dict[str, CompiledSchema] = {}
        problems: list[tuple[int, str, str]] = []
        for index, tool in enumerate(tools):
            compiled = self.schema(tool.parameters)
            if compiled.problem is not None:
                problems.append((index, "invalid_tool_schema", compiled.problem))
            if tool.name in schemas:
                problems.append((index, "duplicate_tool", f"tool {tool.name!r} is declared twice"))
                continue
            schemas[tool.name] = compiled
        return ToolTable(schemas, tuple(problems))


#: The process-wide cache used when none is passed.
DEFAULT_CACHE: Final = ValidatorCache()
