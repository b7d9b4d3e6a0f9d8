"""The rule graders by name, and ``grade_rules`` / :class:`RuleGrader` which run them.

Built-in rules are listed here by import path (in the order they run); a user's own rule is
registered with ``@RULES.register()`` on a :class:`Rule`, or by an outside package under the
``trajforge.rules`` entry-point group. Wherever rules are chosen, a :class:`Rule` object is
accepted as well as a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import msgspec

from trajforge.envs.base import Environment
from trajforge.envs.registry import ENVIRONMENTS, get_environment
from trajforge.errors import ConfigError
from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext
from trajforge.pipeline.provenance import clear_labels
from trajforge.pipeline.registry import Registry
from trajforge.schema import Label, Trajectory

_BUILTIN = (
    "redundant_call",
    "looping",
    "invalid_call",
    "corrected_call",
    "ungrounded_argument",
    "ignored_error",
    "recovery",
    "unsupported_claim",
    "policy_violation",
    "unnecessary_tool",
    "missing_tool",
    "premature_finish",
    "efficiency",
)


def _rule(obj: Any) -> Rule:
    if not isinstance(obj, Rule):
        raise TypeError(f"expected a trajforge.grade.rules.Rule, got {type(obj).__name__}")
    return obj


#: Every rule grader by name, built-ins first in the order they run.
RULES: Registry[Rule] = Registry(
    "rule",
    "trajforge.rules",
    {name: f"trajforge.grade.rules.{name}:RULE" for name in _BUILTIN},
    check=_rule,
)

RuleChoice = str | Iterable[str | Rule] | None


def select_rules(names: RuleChoice) -> list[Rule]:
    """Rules by name or as objects: ``None`` or ``"all"`` for every registered rule, or a
    comma-separated string, or a list of names and :class:`Rule` objects."""
    if names is None:
        return [rule for _, rule in RULES.items()]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    chosen = list(dict.fromkeys(names))
    if chosen == ["all"]:
        return [rule for _, rule in RULES.items()]
    unknown = [n for n in chosen if isinstance(n, str) and n not in RULES]
    if unknown:
        raise ConfigError(
            f"unknown rule{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            path="rules",
            hint=f"choose 'all' or from: {', '.join(RULES.names())}",
        )
    return [n if isinstance(n, Rule) else RULES.get(n) for n in chosen]


EnvArg = Environment | type[Environment] | str | None


def environment_for(trajectory: Trajectory, env: EnvArg = None) -> Environment | None:
    """The environment to grade with: the one given (an instance, a class or a registered
    name), else the registered one the task names; ``None`` for unknown environments."""
    if isinstance(env, Environment):
        return env
    if isinstance(env, type):
        return env()
    name = env if isinstance(env, str) else trajectory.task.environment
    cls = get_environment(name) if name and name in ENVIRONMENTS else None
    if cls is None and isinstance(env, str):
        raise ConfigError(f"unknown environment {env!r}", hint=f"one of: {', '.join(ENVIRONMENTS)}")
    return cls() if cls is not None else None


def grade_rules(
    trajectory: Trajectory,
    *,
    rules: RuleChoice = None,
    env: EnvArg = None,
) -> Trajectory:
    """The trajectory with the rules' labels added to its steps (and trajectory-level labels).

    ``rules``: ``None`` or ``"all"`` for every rule, else names or :class:`Rule` objects (a
    list, or a comma-separated string of names). ``env``: an environment instance, class or
    registered name; by default the one ``trajectory.task.environment`` names, if registered
    (without one, the policy rule and the read-only knowledge of tools are left out). Labels
    these rules gave before are replaced, so grading again is idempotent; every other label (the
    generator's, other graders') is kept. The input is not modified.
    """
    chosen = select_rules(rules)
    cleared = clear_labels(trajectory, partial(given_by, {r.name for r in chosen}))
    return with_findings(cleared, _findings(cleared, chosen, env))


def _findings(trajectory: Trajectory, rules: Sequence[Rule], env: EnvArg) -> list[Finding]:
    ctx = RuleContext(trajectory, environment_for(trajectory, env))
    return [f for rule in rules for f in _run(rule, ctx)]


def _run(rule: Rule, ctx: RuleContext) -> list[Finding]:
    """A rule's findings. A rule that fails on a trajectory gives one ``rule-error`` label
    instead (no value, so the score ignores it; the summary table counts it), and the other
    rules still run: a grader's bug on one odd record must not stop a batch or lose the record."""
    try:
        return rule(ctx)
    except Exception as error:  # recorded on the trajectory, with its cause
        label = Label(
            name=rule.name,
            source=rule.source,
            grade="rule-error",
            rationale=f"{rule.name} failed on this trajectory: {type(error).__name__}: {error}",
            target="trajectory",
        )
        return [Finding(None, label)]


def given_by(rules: set[str], label: Label) -> bool:
    """Whether ``label`` was given by one of the named rules."""
    return label.source.kind == "rule" and label.source.id in rules


class RuleGrader:
    """A rule set as a pipeline stage (``rules``): chosen and checked once, picklable for
    worker processes. Calling it on one trajectory grades it like :func:`grade_rules`."""

    name = "rules"
    version = "1"

    def __init__(self, rules: RuleChoice = None, env: EnvArg = None) -> None:
        self.rules = select_rules(rules)
        self.names = {r.name for r in self.rules}
        self.env = env
        #: Labels of the rules in this set (a partial, not a method: called per label).
        self.owns = partial(given_by, self.names)

    @property
    def params(self) -> dict[str, str]:
        """Each rule of the set with its version."""
        return {r.name: r.version for r in self.rules}

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """The trajectory with this set's findings added (earlier ones are the runner's to
        clear)."""
        return with_findings(trajectory, _findings(trajectory, self.rules, self.env))

    def grade(self, trajectory: Trajectory) -> Trajectory:
        """The trajectory graded by the chosen rules (their earlier labels replaced)."""
        return grade_rules(trajectory, rules=self.rules, env=self.env)

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Grade a stream of trajectories, lazily and in order."""
        for trajectory in trajectories:
            yield self.grade(trajectory)


def with_findings(trajectory: Trajectory, findings: Iterable[Finding]) -> Trajectory:
    """A copy of the trajectory carrying the findings besides its labels (the trajectory itself
    when there are none)."""
    per_step: dict[int, list[Label]] = {}
    top: list[Label] = []
    for finding in findings:
        if finding.step is None:
            top.append(finding.label)
        else:
            per_step.setdefault(finding.step, []).append(finding.label)
    if not per_step and not top:
        return trajectory
    steps = [
        msgspec.structs.replace(step, labels=[*step.labels, *per_step[k]])
        if k in per_step
        else step
        for k, step in enumerate(trajectory.steps)
    ]
    return msgspec.structs.replace(trajectory, steps=steps, labels=[*trajectory.labels, *top])
