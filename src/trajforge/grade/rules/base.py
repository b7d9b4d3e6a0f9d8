"""What a rule grader is: a named, versioned function from a trajectory to labelled findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trajforge.grade.rules.context import RuleContext
from trajforge.schema import Label, LabelSource


@dataclass(frozen=True)
class Finding:
    """A label a rule gives, and where: a step, or the trajectory (``step`` is ``None``)."""

    step: int | None
    label: Label


@dataclass(frozen=True)
class Rule:
    """A rule grader. ``negative``: its labels mark problems (else they mark good moves)."""

    name: str
    version: str
    description: str
    check: Callable[[RuleContext], list[Finding]]
    negative: bool = True

    @property
    def source(self) -> LabelSource:
        """The source its labels carry."""
        return LabelSource(kind="rule", id=self.name, version=self.version)

    def find(
        self,
        step: int | None,
        grade: str,
        rationale: str,
        *,
        value: float | None = None,
        target: str | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of this rule: value 0 for a problem, 1 for a good move unless given."""
        if value is None:
            value = 0.0 if self.negative else 1.0
        label = Label(
            name=self.name,
            source=self.source,
            value=value,
            grade=grade,
            rationale=rationale,
            target=target if target is not None else _step_target(step),
            details=details,
        )
        return Finding(step, label)

    def __call__(self, ctx: RuleContext) -> list[Finding]:
        return self.check(ctx)


def _step_target(step: int | None) -> str:
    return "trajectory" if step is None else f"steps[{step}]"
