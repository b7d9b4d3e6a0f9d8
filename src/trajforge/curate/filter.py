"""``[filter]``: keep and drop trajectories by declarative rules over any field and label.

    [[filter.keep]]                      # removed: what does not pass every keep rule
    field = "task.environment"
    in = ["support", "itops"]

    [[filter.drop]]                      # removed: what passes a drop rule
    why = "unrecovered policy violation"
    label = "policy_violation"
    recovered = false

Each rule is a condition (:mod:`trajforge.curate.conditions`) and an optional ``why`` (the
reason in the exclusion file and the report; else the condition in words). Keep rules run first,
then drop rules, each in the order written; a trajectory is removed by the first rule that
removes it, and that rule counts it. Record by record: nothing is held.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from trajforge.curate.conditions import Condition, Predicate, compile_condition, describe
from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory

NAME = "filter"


class FilterRule(Condition, kw_only=True, forbid_unknown_fields=True):
    """A condition with the reason it removes trajectories for."""

    why: str | None = None


class FilterSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[filter]`` table."""

    keep: list[FilterRule] = []
    drop: list[FilterRule] = []


@dataclass
class _Rule:
    """A compiled rule, and how many trajectories it removed."""

    where: str  # "keep[0]", "drop[2]"
    why: str
    test: Predicate
    keep: bool
    removed: int = 0

    def removes(self, trajectory: Trajectory) -> bool:
        return self.test(trajectory) != self.keep


class FilterStep(SettingsStep[FilterSettings]):
    """The ``[filter]`` step: removes what its rules say, each removal counted by rule."""

    name = NAME

    def __init__(self, settings: FilterSettings, context: StepContext) -> None:
        super().__init__(settings, context)
        self._rules = [
            _compiled(rule, kind, i)
            for kind in ("keep", "drop")
            for i, rule in enumerate(getattr(settings, kind))
        ]

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The trajectories no rule removes; the others go to the exclusion file."""
        rules = self._rules
        for trajectory in trajectories:
            rule = next((r for r in rules if r.removes(trajectory)), None)
            if rule is None:
                yield trajectory
                continue
            rule.removed += 1
            self.exclude(trajectory, rule.why, rule=rule.where)

    def report(self) -> dict[str, Any]:
        """How many each rule removed, and why."""
        return {
            "rules": [{"rule": r.where, "why": r.why, "removed": r.removed} for r in self._rules]
        }


def _compiled(rule: FilterRule, kind: str, index: int) -> _Rule:
    where = f"{kind}[{index}]"
    test = compile_condition(rule, f"[{NAME}].{where}")
    why = rule.why or (describe(rule) if kind == "drop" else f"not {describe(rule)}")
    return _Rule(where, why, test, keep=kind == "keep")


def make_filter(table: Mapping[str, Any], context: StepContext) -> FilterStep:
    """The ``[filter]`` step from its table."""
    settings = step_settings(table, FilterSettings, NAME)
    if not settings.keep and not settings.drop:
        raise ConfigError(
            "no rules", path=f"[{NAME}]", hint="add [[filter.keep]] or [[filter.drop]] rules"
        )
    return FilterStep(settings, context)
