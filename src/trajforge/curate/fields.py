"""Field paths over a trajectory (``outcome.status``, ``steps.faults.kind``), checked against the
schema when a curation config is read, and the values they give on a trajectory.

A path names fields from the trajectory down; it passes through lists (``steps.faults.kind``
gives the kind of every fault of every step) and into free-form objects (``metadata.batch``,
``task.parameters.order_id``). Two derived fields stand beside the schema's: ``tool_calls``
(the names of the tools called, in order) and ``tokens`` (prompt + completion tokens, from
``metrics`` or else the steps' ``usage``). A typo is a ConfigError naming the fields there are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec.inspect as mi

from trajforge.errors import ConfigError
from trajforge.schema import ToolCall, Trajectory

Getter = Callable[[Trajectory], list[Any]]

#: The key a single-valued field has on a trajectory that lacks it.
MISSING: Final = "missing"


@dataclass(frozen=True)
class FieldPath:
    """A checked path: its text, the type of its values, whether a trajectory can have several
    values (it passes through a list), and how to read them."""

    text: str
    leaf: mi.Type
    multi: bool
    get: Getter

    @property
    def scalar(self) -> bool:
        """Whether its values are plain values (text, numbers, booleans), not records or lists."""
        return all(_is_scalar(t) for t in _members(self.leaf))

    def key(self, trajectory: Trajectory) -> str:
        """A single-valued path's value on ``trajectory`` as text (``MISSING`` if absent)."""
        values = self.get(trajectory)
        return value_key(values[0]) if values else MISSING


def value_key(value: Any) -> str:
    """A plain value as the text a config names it by (``true``, ``3``, ``success``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tool_calls(trajectory: Trajectory) -> list[Any]:
    """The names of the tools a trajectory called, in order."""
    return [a.name for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]


def tokens(trajectory: Trajectory) -> list[Any]:
    """Prompt + completion tokens (``metrics``, else the steps' ``usage``); none if unknown."""
    m = trajectory.metrics
    if m.prompt_tokens is not None or m.completion_tokens is not None:
        return [(m.prompt_tokens or 0) + (m.completion_tokens or 0)]
    usages = [s.usage for s in trajectory.steps if s.usage is not None]
    counts = [n for u in usages for n in (u.prompt_tokens, u.completion_tokens) if n is not None]
    return [sum(counts)] if counts else []


_STR: Final = mi.StrType()
#: Derived fields: (type of their values, several per trajectory, getter).
DERIVED: Final[dict[str, tuple[mi.Type, bool, Getter]]] = {
    "tool_calls": (_STR, True, tool_calls),
    "tokens": (mi.IntType(), False, tokens),
}


def field_path(text: str, *, where: str) -> FieldPath:
    """``text`` checked against the schema; a ConfigError at ``where`` (the config's field path)
    names the fields there are when a part is not one of them."""
    if text in DERIVED:
        leaf, multi, get = DERIVED[text]
        return FieldPath(text, leaf, multi, get)
    parts = text.split(".")
    if not all(parts):
        raise ConfigError(f"{text!r} is not a field path", path=where, hint="e.g. outcome.status")
    leaf, multi = _walk(parts, where)
    return FieldPath(text, leaf, multi, functools.partial(_values, tuple(parts)))


def _walk(parts: Sequence[str], where: str) -> tuple[mi.Type, bool]:
    """The type a path leads to and whether it passes through a list."""
    current: mi.Type = _root()
    multi = False
    for depth, part in enumerate(parts):
        members, through_list = _unwrap(current)
        multi = multi or through_list
        if any(isinstance(m, mi.DictType | mi.AnyType) for m in members):
            return mi.AnyType(), multi  # a free-form object: any key below it
        structs = [m for m in members if isinstance(m, mi.StructType)]
        found = [f.type for s in structs for f in s.fields if f.name == part]
        if not found:
            raise _unknown(part, parts[:depth], structs, where)
        current = found[0] if len(found) == 1 else mi.UnionType(tuple(found))
    members, through_list = _unwrap(current)
    leaf = members[0] if len(members) == 1 else mi.UnionType(tuple(members))
    return leaf, multi or through_list


@functools.cache
def _root() -> mi.Type:
    return mi.type_info(Trajectory)


def _unwrap(t: mi.Type) -> tuple[list[mi.Type], bool]:
    """The types a value of ``t`` can be, ``None`` left out and lists opened (and whether one
    was)."""
    through_list = False
    members = list(_members(t))
    while any(isinstance(m, mi.ListType) for m in members):
        through_list = True
        members = [
            inner
            for m in members
            for inner in (_members(m.item_type) if isinstance(m, mi.ListType) else (m,))
        ]
    return members, through_list


def _members(t: mi.Type) -> list[mi.Type]:
    """The non-null types of ``t`` (a union opened, metadata taken off)."""
    if isinstance(t, mi.Metadata):
        return _members(t.type)
    if isinstance(t, mi.UnionType):
        return [m for u in t.types for m in _members(u)]
    return [] if isinstance(t, mi.NoneType) else [t]


def _is_scalar(t: mi.Type) -> bool:
    plain = mi.StrType | mi.IntType | mi.FloatType | mi.BoolType | mi.LiteralType | mi.AnyType
    return isinstance(t, plain)


def _unknown(
    part: str, before: Sequence[str], structs: list[mi.StructType], where: str
) -> ConfigError:
    here = ".".join(before) or "a trajectory"
    names = sorted({f.name for s in structs for f in s.fields})
    if not before:
        names = sorted([*names, *DERIVED])
    if not names:
        return ConfigError(f"{here} has no fields (it is a plain value)", path=where)
    return ConfigError(
        f"unknown field {part!r} in {here}", path=where, hint=f"its fields: {', '.join(names)}"
    )


def _values(parts: tuple[str, ...], trajectory: Trajectory) -> list[Any]:
    """The values at ``parts`` (lists opened, absent values left out)."""
    values: list[Any] = [trajectory]
    for part in parts:
        found: list[Any] = []
        for value in values:
            got = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if isinstance(got, list):
                found.extend(got)
            elif got is not None:
                found.append(got)
        values = found
    return values


def check_value(path: FieldPath, value: Any, *, where: str) -> Any:
    """``value`` (a config's operand) if a value of ``path`` can equal it, else a ConfigError
    at ``where`` saying what is expected (``outcome.status`` is one of its statuses)."""
    members = _members(path.leaf)
    if any(isinstance(m, mi.AnyType) for m in members):
        return value
    choices = [v for m in members if isinstance(m, mi.LiteralType) for v in m.values]
    if value in choices and not isinstance(value, bool):
        return value
    for m in members:
        if isinstance(m, mi.StrType) and isinstance(value, str):
            return value
        if isinstance(m, mi.BoolType) and isinstance(value, bool):
            return value
        if isinstance(m, mi.IntType | mi.FloatType) and _is_number(value):
            return value
    expected = ", ".join(map(repr, choices)) if choices else _kind(members)
    raise ConfigError(f"{path.text} is never {value!r}", path=where, hint=f"its values: {expected}")


def check_key(path: FieldPath, key: str, *, where: str) -> str:
    """A share's key (TOML keys are text) checked against ``path``'s values as ``value_key``
    writes them; ``MISSING`` names trajectories without a value."""
    if key == MISSING:
        return key
    members = _members(path.leaf)
    if any(isinstance(m, mi.StrType | mi.AnyType) for m in members):
        return key
    keys = [value_key(v) for m in members if isinstance(m, mi.LiteralType) for v in m.values]
    if any(isinstance(m, mi.BoolType) for m in members):
        keys += ["true", "false"]
    if key in keys or any(_names_number(m, key) for m in members):
        return key
    expected = ", ".join([*keys, MISSING]) if keys else f"{_kind(members)} or {MISSING}"
    raise ConfigError(f"{path.text} is never {key!r}", path=where, hint=f"its values: {expected}")


def is_numeric(path: FieldPath) -> bool:
    """Whether ``path``'s values are numbers (or free-form, possibly numbers)."""
    return any(_numeric(m) or isinstance(m, mi.AnyType) for m in _members(path.leaf))


def _numeric(t: mi.Type) -> bool:
    return isinstance(t, mi.IntType | mi.FloatType)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _names_number(t: mi.Type, key: str) -> bool:
    """Whether ``key`` is how ``value_key`` writes a number of type ``t`` (``3``, ``0.5``)."""
    kind = int if isinstance(t, mi.IntType) else float if isinstance(t, mi.FloatType) else None
    try:
        return kind is not None and value_key(kind(key)) == key
    except ValueError:
        return False


def _kind(members: list[mi.Type]) -> str:
    names = {mi.StrType: "text", mi.IntType: "a whole number", mi.FloatType: "a number"}
    return " or ".join(dict.fromkeys(names.get(type(m), "a record") for m in members))
