"""Rule graders never crash: whatever the arguments, results and replies of a trajectory hold
(any JSON value, broken JSON, non-ASCII digits and case twins, numbers too large for a float),
grading gives labels, not a traceback. Each environment's expert runs are mutated by hypothesis
and graded with every rule and the environment's own policy check."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.agents.registry import expert_for, with_experts
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.grade.rules import grade_rules
from trajforge.run.episode import generate_episode
from trajforge.schema import Finish, Reply, ToolCall, ToolResult, Trajectory

ENVS = sorted(with_experts())

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_ODD = st.sampled_from(
    ["", "١٢٣", "İstanbul ſ K", "2025-02-30", "25:99", "$1,2,3.4.5", "10" + "0" * 400, "\x00"]
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    _ODD,
)
JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
CONTENT = st.one_of(
    JSON.map(lambda v: msgspec.json.encode(v).decode()), _TEXT, _ODD, st.just('{"a": [}')
)


@cache
def expert_run(env: str) -> bytes:
    """One expert trajectory of the environment, encoded (each example decodes its own copy)."""
    task = ENVIRONMENT_CLASSES[env].sample_tasks(1, seed=7)[0]
    run = generate_episode(
        ENVIRONMENT_CLASSES[env], expert_for(env), task, trajectory_id=env, seed=7
    )
    return msgspec.json.encode(run)


def mutated(env: str, data: st.DataObject) -> Trajectory:
    """The environment's expert run with some arguments, results and replies replaced."""
    trajectory = msgspec.json.decode(expert_run(env), type=Trajectory)
    for step in trajectory.steps:
        for action in step.actions:
            if isinstance(action, ToolCall) and data.draw(st.booleans()):
                keys = sorted(action.arguments) or ["x"]
                key = data.draw(st.sampled_from([*keys, "x"]))
                action.arguments[key] = data.draw(JSON)
            elif isinstance(action, Reply | Finish) and data.draw(st.booleans()):
                action.content = data.draw(CONTENT)
        for observation in step.observations:
            if isinstance(observation, ToolResult) and data.draw(st.booleans()):
                observation.content = data.draw(CONTENT)
    return trajectory


@pytest.mark.parametrize("env", ENVS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rules_grade_any_content_without_crashing(env: str, data: st.DataObject) -> None:
    trajectory = mutated(env, data)
    graded = grade_rules(trajectory)
    assert len(graded.steps) == len(trajectory.steps)
    labels: list[Any] = [*graded.labels, *(lb for s in graded.steps for lb in s.labels)]
    assert [lb.rationale for lb in labels if lb.grade == "rule-error"] == []
    assert all(lb.source.kind in ("rule", "generator") for lb in labels)
