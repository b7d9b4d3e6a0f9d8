"""The rule graders, listed explicitly, and ``grade_rules`` which runs them on a trajectory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import msgspec

from trajforge.envs.base import Environment
from trajforge.envs.registry import ENVIRONMENTS, get_environment
from trajforge.errors import ConfigError
from trajforge.grade.rules import (
    corrected_call,
    efficiency,
    ignored_error,
    invalid_call,
    looping,
    missing_tool,
    policy_violation,
    premature_finish,
    recovery,
    redundant_call,
    ungrounded_argument,
    unnecessary_tool,
    unsupported_claim,
)
from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext
from trajforge.schema import Label, Trajectory

#: Every rule grader by name, in the order they run.
RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        redundant_call.RULE,
        looping.RULE,
        invalid_call.RULE,
        corrected_call.RULE,
        ungrounded_argument.RULE,
        ignored_error.RULE,
        recovery.RULE,
        unsupported_claim.RULE,
        policy_violation.RULE,
        unnecessary_tool.RULE,
        missing_tool.RULE,
        premature_finish.RULE,
        efficiency.RULE,
    )
}

EnvArg = Environment | type[Environment] | str | None


def select_rules(names: str | Iterable[str] | None) -> list[Rule]:
    """Rules by name: ``None`` or ``"all"`` for every rule, or a comma-separated string/list."""
    if names is None:
        return list(RULES.values())
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    chosen = list(dict.fromkeys(names))
    if chosen == ["all"]:
        return list(RULES.values())
    unknown = [n for n in chosen if n not in RULES]
    if unknown:
        raise ConfigError(
            f"unknown rule{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            path="rules",
            hint=f"choose 'all' or from: {', '.join(RULES)}",
        )
    return [RULES[n] for n in chosen]


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
    rules: str | Iterable[str] | None = None,
    env: EnvArg = None,
) -> Trajectory:
    """The trajectory with the rules' labels added to its steps (and trajectory-level labels).

    ``rules``: ``None`` or ``"all"`` for every rule, else names (a list or a comma-separated
    string). ``env``: an environment instance, class or registered name; by default the one
    ``trajectory.task.environment`` names, if registered (without one, the policy rule and the
    read-only knowledge of tools are left out). Labels these rules gave before are replaced, so
    grading again is idempotent; every other label (the generator's, other graders') is kept.
    The input is not modified.
    """
    chosen = select_rules(rules)
    ctx = RuleContext(trajectory, environment_for(trajectory, env))
    return apply_findings(trajectory, chosen, [f for rule in chosen for f in _run(rule, ctx)])


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


class RuleGrader:
    """``grade_rules`` with its rules chosen (and checked) once: a picklable callable for
    streams and worker pools."""

    def __init__(self, rules: str | Iterable[str] | None = None, env: EnvArg = None) -> None:
        self.names = [r.name for r in select_rules(rules)]
        self.env = env

    def __call__(self, trajectory: Trajectory) -> Trajectory:
        """The trajectory graded by the chosen rules."""
        return grade_rules(trajectory, rules=self.names, env=self.env)

    def stream(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Grade a stream of trajectories, lazily and in order."""
        for trajectory in trajectories:
            yield self(trajectory)


def apply_findings(
    trajectory: Trajectory, rules: Sequence[Rule], findings: Iterable[Finding]
) -> Trajectory:
    """A copy of the trajectory carrying the findings, minus earlier labels of the same rules."""
    ids = {r.name for r in rules}
    per_step: list[list[Label]] = [[] for _ in trajectory.steps]
    top: list[Label] = []
    for finding in findings:
        (top if finding.step is None else per_step[finding.step]).append(finding.label)
    steps = [
        msgspec.structs.replace(step, labels=[*_keep(step.labels, ids), *new])
        if new or _has_rule_labels(step.labels, ids)
        else step
        for step, new in zip(trajectory.steps, per_step, strict=True)
    ]
    return msgspec.structs.replace(
        trajectory, steps=steps, labels=[*_keep(trajectory.labels, ids), *top]
    )


def _has_rule_labels(labels: list[Label], ids: set[str]) -> bool:
    return any(lb.source.kind == "rule" and lb.source.id in ids for lb in labels)


def _keep(labels: list[Label], ids: set[str]) -> list[Label]:
    return [lb for lb in labels if not (lb.source.kind == "rule" and lb.source.id in ids)]
