"""What ``[balance]`` aims at, checked against the schema: mixes (the shares of a field's values)
and minimums (every tool, fault kind or mistake kind in at least N trajectories).

    [[balance.mix]]                       # shares of a field's values (one value per trajectory)
    field = "outcome.status"
    shares = { success = 0.6, partial = 0.2, failure = 0.2 }

    [[balance.mix]]                       # or of a count: 30% answer without any tool
    length = "tool_calls"
    shares = { "0" = 0.3, "*" = 0.7 }     # "*": every value not named

    [[balance.at_least]]                  # every fault kind in >= 10 recovered examples
    each = "fault"
    recovered = true
    count = 10

Shares add up to 1; a value no share names (and no ``"*"``) is wanted at 0%. A minimum counts
trajectories: ``tool`` those that call the tool (every tool the input offers, or ``only``
these), ``fault`` those with a fault of the kind injected, ``mistake`` those with an injected
mistake of the kind; ``recovered`` counts only those the agent recovered from
(:mod:`trajforge.curate.facts`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Final, Literal, cast, get_args

import msgspec

from trajforge.agents.mistakes import MISTAKE_KINDS
from trajforge.curate.facts import INJECTED_MISTAKE, faults, labels, recoveries
from trajforge.curate.fields import FieldPath, check_key, field_path, tool_calls
from trajforge.envs.faults import FAULT_KINDS
from trajforge.errors import ConfigError
from trajforge.schema import Label, Trajectory

Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Each = Literal["tool", "fault", "mistake"]
#: The share key of every value a mix does not name.
REST: Final = "*"


class MixTarget(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One ``[[balance.mix]]``: the shares of a field's values, or of a count's."""

    field: str | None = None
    length: str | None = None
    shares: dict[str, Share]


class AtLeast(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One ``[[balance.at_least]]``: every item of a kind in at least ``count`` trajectories."""

    each: str
    count: Annotated[int, msgspec.Meta(ge=1)]
    recovered: bool = False
    only: list[str] = []


@dataclass(frozen=True)
class Mix:
    """A checked mix: what it is over (``field`` is the path when it is a field's), its
    shares, and the share key of a trajectory."""

    text: str
    field: str | None
    shares: dict[str, float]
    value: Callable[[Trajectory], str]

    def key(self, trajectory: Trajectory) -> str:
        """The share key ``trajectory`` falls under (its value, or ``*``)."""
        value = self.value(trajectory)
        return value if value in self.shares or REST not in self.shares else REST


@dataclass(frozen=True)
class Minimum:
    """A checked minimum: the items it asks for (empty: whatever the input offers) and the
    items a trajectory has."""

    each: Each
    count: int
    recovered: bool
    only: tuple[str, ...]

    def items(self, trajectory: Trajectory) -> set[str]:
        """The items of this kind ``trajectory`` counts for."""
        if self.each == "tool":
            found = set(tool_calls(trajectory))
        else:
            answered = recoveries(trajectory) if self.recovered else None
            found = {
                name
                for step, name, label in self._problems(trajectory)
                if answered is None or answered.recovered(step, label)
            }
        return found & set(self.only) if self.only else found

    def _problems(self, trajectory: Trajectory) -> list[tuple[int | None, str, Label | None]]:
        if self.each == "fault":
            return [(step, f.kind, None) for step, f in faults(trajectory)]
        return [
            (step, lb.grade, lb)
            for step, lb in labels(trajectory)
            if lb.name == INJECTED_MISTAKE and lb.source.kind == "generator" and lb.grade
        ]

    def describe(self, item: str) -> str:
        """The target in words: ``fault timeout (recovered) in >= 10 trajectories``."""
        recovered = " (recovered)" if self.recovered else ""
        return f"{self.each} {item}{recovered} in >= {self.count} trajectories"


def checked_mix(target: MixTarget, where: str) -> Mix:
    """A ``[[balance.mix]]`` checked against the schema (a ConfigError at ``where``)."""
    if (target.field is None) == (target.length is None):
        raise ConfigError("a mix is over one 'field' or one 'length'", path=where)
    if target.length is not None:
        path = _path(target.length, f"{where}.length", multi=True)
        value: Callable[[Trajectory], str] = functools.partial(_length, path)
        text = f"length of {path.text}"
    else:
        path = _path(str(target.field), f"{where}.field", multi=False)
        value, text = path.key, path.text
    total = sum(target.shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"the shares add up to {total:g}, not 1", path=f"{where}.shares")
    for key in target.shares:
        if key != REST:
            _check_share_key(path, key, counted=target.length is not None, where=where)
    return Mix(text, target.field, dict(target.shares), value)


def checked_minimum(target: AtLeast, where: str) -> Minimum:
    """A ``[[balance.at_least]]`` checked (a ConfigError at ``where``)."""
    if target.each not in get_args(Each):
        raise ConfigError(
            f"unknown kind {target.each!r}",
            path=f"{where}.each",
            hint=f"choose one of: {', '.join(get_args(Each))}",
        )
    each = cast(Each, target.each)
    if target.recovered and each == "tool":
        raise ConfigError("a tool call is not recovered from", path=f"{where}.recovered")
    known: dict[str, tuple[str, ...]] = {"fault": FAULT_KINDS, "mistake": MISTAKE_KINDS}
    choices = known.get(target.each)
    for i, name in enumerate(target.only):
        if choices is not None and name not in choices:
            raise ConfigError(
                f"unknown {target.each} kind {name!r}",
                path=f"{where}.only[{i}]",
                hint=f"choose from: {', '.join(choices)}",
            )
    only = tuple(target.only) or choices or ()
    return Minimum(each, target.count, target.recovered, only)


def _path(text: str, where: str, *, multi: bool) -> FieldPath:
    path = field_path(text, where=where)
    if multi and not path.multi:
        raise ConfigError(f"{text} has one value at most: 'length' counts a list", path=where)
    if not multi and (path.multi or not path.scalar):
        raise ConfigError(
            f"a mix needs one plain value per trajectory, and {text} "
            + ("has several" if path.multi else "is a record"),
            path=where,
            hint="'length' mixes by how many values a list has",
        )
    return path


def _length(path: FieldPath, trajectory: Trajectory) -> str:
    return str(len(path.get(trajectory)))


def _check_share_key(path: FieldPath, key: str, *, counted: bool, where: str) -> None:
    at = f"{where}.shares.{key}"
    if not counted:
        check_key(path, key, where=at)
    elif not key.isdigit():
        raise ConfigError(f"a length is a whole number, not {key!r}", path=at)
