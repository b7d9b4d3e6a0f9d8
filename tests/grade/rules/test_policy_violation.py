"""policy_violation: the environment's own rules, from its find_violations."""

from __future__ import annotations

from tests.envs.toy_env import CounterEnv
from tests.grade.rules.build import Build, labels, steps_of


def test_the_environments_violations_become_labels() -> None:
    t = Build("Bring the counter to 3.").call("add", {"value": 3}, changes=True, amount=3)
    t.call("reset_counter", "reset", changes=True).finish()
    found = labels(t.build(), "policy_violation", env=CounterEnv)
    assert list(found) == [1]
    label = found[1][0]
    assert label.grade == "violation"
    assert label.value == 0.0
    assert label.details == {"rule": "no_reset", "rule_kind": "forbidden"}
    assert label.target == "steps[1].actions[0]"
    assert "never reset" in (label.rationale or "")


def test_no_violation_no_label() -> None:
    t = Build("Bring the counter to 3.").call("add", {"value": 3}, changes=True, amount=3)
    assert steps_of(t.finish().build(), "policy_violation", env=CounterEnv()) == []


def test_without_an_environment_there_is_no_policy_to_check() -> None:
    t = Build("Bring the counter to 3.").call("reset_counter", "reset", changes=True)
    assert steps_of(t.build(), "policy_violation") == []
