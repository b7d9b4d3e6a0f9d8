"""The issue's measurement: on 1,000 generated trajectories with injected mistakes of known kinds
(every environment that has a scripted expert, flaky faults, mistake rate 0.2), the rule graders
find at least 95% of the mistakes, with at most 2% false positives on mistake-free expert runs.

What the graders see is sanitized first, to prove they do not peek at the ground truth: the
generator's labels and provenance are dropped, and so are the agent's reasoning, plans, notes
and call rationales (the injector's rationales and reasonings say what it did), and call ids
are renumbered (opaque as they are, a grader must not need them).

A mistake counts as found when a rule of its kind (``FINDS`` below) labels its step or the next
one. False positives: the share of steps of mistake-free runs with a problem label (recovery is a
good move, and efficiency a trajectory-level measure, so neither counts).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from trajforge.agents.registry import with_experts
from trajforge.grade.rules import RULES, grade_rules
from trajforge.io import read_trajectories
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Provenance, Step, ToolCall, ToolResult, Trajectory

#: Which rule labels find which injected mistake kind.
FINDS: dict[str, set[str]] = {
    # a botched argument is rejected, or the agent remakes the call with the value changed, or
    # the value is an identifier nothing mentioned
    "wrong_argument": {"invalid_call", "corrected_call", "ungrounded_argument"},
    "missing_argument": {"invalid_call", "corrected_call"},
    "redundant_call": {"redundant_call", "looping"},
    # the injector may pick the very lookup the agent needs next: then the agent's own call,
    # right after, is the duplicate
    "unnecessary_tool": {"unnecessary_tool", "redundant_call"},
    # a skipped identity or health check: missing where due, or the change it gated breaks policy
    "skipped_verification": {"missing_tool", "policy_violation"},
    "premature_finish": {"premature_finish"},
    "hallucinated_fact": {"unsupported_claim"},
}
PROBLEMS = {name for name, rule in RULES.items() if rule.negative}
WITH_MISTAKES = 1000
CLEAN_PER_ENV = 80
SEED = 2024


def environments() -> list[str]:
    return sorted(with_experts())


def generate(out: Path, counts: list[int], mistakes: float) -> list[Trajectory]:
    mixes = [
        {"env": env, "tasks": n, "mistakes": mistakes, "faults": "flaky"}
        for env, n in zip(environments(), counts, strict=True)
    ]
    spec = spec_from_flags(
        {"mix": mixes, "seed": SEED, "format": "jsonl", "concurrency": 16, "shard_size": 500}
    )
    progress = asyncio.run(Runner(spec, out).run())
    assert progress.errors == 0, (out / "errors.jsonl").read_text()
    return list(read_trajectories(out))


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Trajectory], list[Trajectory]]:
    """1,000 trajectories with mistakes and some mistake-free ones, generated once a session."""
    envs = environments()
    share, extra = divmod(WITH_MISTAKES, len(envs))
    counts = [share + (i < extra) for i in range(len(envs))]
    base = tmp_path_factory.mktemp("grade-measurement")
    mistaken = generate(base / "mistakes", counts, 0.2)
    clean = generate(base / "clean", [CLEAN_PER_ENV] * len(envs), 0.0)
    return mistaken, clean


def sanitized(trajectory: Trajectory) -> Trajectory:
    """The trajectory without anything that tells where the mistakes are."""
    ids: dict[str | None, str] = {}
    steps = []
    for step in trajectory.steps:
        actions = []
        for action in step.actions:
            if isinstance(action, ToolCall):
                ids[action.id] = f"c{len(ids) + 1}"
                actions.append(msgspec.structs.replace(action, id=ids[action.id], rationale=None))
            else:
                actions.append(action)
        observations = [
            msgspec.structs.replace(o, call_id=ids.get(o.call_id, o.call_id))
            if isinstance(o, ToolResult)
            else o
            for o in step.observations
        ]
        faults = [msgspec.structs.replace(f, call_id=ids.get(f.call_id)) for f in step.faults]
        steps.append(
            Step(
                actions=actions,
                observations=observations,
                env_state_digest=step.env_state_digest,
                faults=faults,
            )
        )
    return msgspec.structs.replace(trajectory, steps=steps, labels=[], provenance=Provenance())


def graded(trajectories: list[Trajectory]) -> Iterator[tuple[Trajectory, Trajectory]]:
    for trajectory in trajectories:
        yield trajectory, grade_rules(sanitized(trajectory))


def mistakes_of(trajectory: Trajectory) -> list[tuple[int, str]]:
    return [
        (i, str(label.grade))
        for i, step in enumerate(trajectory.steps)
        for label in step.labels
        if label.name == "injected_mistake" and label.source.kind == "generator"
    ]


def test_rules_find_the_injected_mistakes_with_few_false_alarms(
    runs: tuple[list[Trajectory], list[Trajectory]],
) -> None:
    mistaken, clean = runs
    assert len(mistaken) == WITH_MISTAKES
    injected: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for original, result in graded(mistaken):
        for i, kind in mistakes_of(original):
            injected[kind] += 1
            near = [lb for step in result.steps[i : i + 2] for lb in step.labels]
            if any(lb.source.kind == "rule" and lb.name in FINDS[kind] for lb in near):
                found[kind] += 1
    steps = alarms = 0
    by_rule: Counter[str] = Counter()
    for original, result in graded(clean):
        assert not mistakes_of(original)
        for step in result.steps:
            problems = {lb.name for lb in step.labels if lb.name in PROBLEMS}
            steps += 1
            alarms += bool(problems)
            by_rule.update(problems)

    rate = sum(found.values()) / sum(injected.values())
    fp_rate = alarms / steps
    report = (
        f"found {sum(found.values())}/{sum(injected.values())} = {rate:.3f}; "
        + ", ".join(f"{k} {found[k]}/{n}" for k, n in sorted(injected.items()))
        + f"; false positives {alarms}/{steps} steps = {fp_rate:.4f} {dict(by_rule)}"
    )
    print(report)  # shown with pytest -s: the numbers the issue asks for
    assert set(injected) <= set(FINDS), report
    assert rate >= 0.95, report
    assert fp_rate <= 0.02, report
    for kind, n in injected.items():  # no kind may collapse behind a good average
        assert n < 20 or found[kind] / n >= 0.8, report
