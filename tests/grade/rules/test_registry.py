"""The rule registry and grade_rules: selection, idempotence, what labels carry, and that the
generator's own labels (the ground truth) are never read."""

from __future__ import annotations

import pickle

import msgspec
import pytest

from tests.envs.toy_env import CounterEnv
from tests.grade.rules.build import Build
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.errors import ConfigError
from trajforge.grade.rules import (
    RULES,
    Finding,
    Rule,
    RuleGrader,
    environment_for,
    grade_rules,
    select_rules,
)
from trajforge.schema import ExpectedAction, Label, LabelSource, Provenance, Trajectory


def sample() -> Trajectory:
    t = Build("Cancel W1001.").call("get_order", {"status": "pending"}, order_id="W1001")
    t.call("get_order", {"status": "pending"}, order_id="W1001")
    t.error("cancel_order", "no such order", order_id="W1009")
    t.call("cancel_order", changes=True, order_id="W1001").finish("Cancelled W1001 for $12.")
    return t.build(status="success", optimal=3)


def test_every_rule_is_listed_once_with_a_version_and_description() -> None:
    assert len(RULES) == 13
    for name, rule in RULES.items():
        assert rule.name == name
        assert rule.version
        assert rule.description
    assert [r.name for r in select_rules("all")] == list(RULES)
    assert [r.name for r in select_rules(None)] == list(RULES)
    assert [r.name for r in select_rules("looping, redundant_call")] == [
        "looping",
        "redundant_call",
    ]
    with pytest.raises(ConfigError, match="unknown rule: nope") as error:
        select_rules(["redundant_call", "nope"])
    assert error.value.hint is not None
    assert "redundant_call" in error.value.hint


def test_labels_say_who_gave_them_and_why() -> None:
    graded = grade_rules(sample())
    labels = [lb for step in graded.steps for lb in step.labels] + graded.labels
    assert {lb.name for lb in labels} >= {
        "redundant_call",
        "invalid_call",
        "corrected_call",
        "unsupported_claim",
        "efficiency",
        "recovery",
    }
    for label in labels:
        assert label.source == LabelSource(kind="rule", id=label.name, version="1")
        assert label.rationale
        assert label.grade
        assert label.value is not None
        assert 0.0 <= label.value <= 1.0


def test_grading_again_changes_nothing_and_other_labels_stay() -> None:
    theirs = Label(name="judge_score", source=LabelSource(kind="judge", id="m"), value=0.7)
    original = sample()
    original.steps[0].labels.append(theirs)
    before = msgspec.json.encode(original)
    once = grade_rules(original)
    assert msgspec.json.encode(original) == before  # the input is not modified
    twice = grade_rules(once)
    assert msgspec.json.encode(twice) == msgspec.json.encode(once)
    assert theirs in twice.steps[0].labels
    only = grade_rules(once, rules=["looping"])  # other rules' labels are kept as they were
    assert msgspec.json.encode(only) == msgspec.json.encode(once)


def test_the_generators_ground_truth_is_never_read() -> None:
    plain = sample()
    marked = msgspec.structs.replace(
        plain,
        steps=[
            msgspec.structs.replace(
                step,
                labels=[
                    Label(
                        name="injected_mistake",
                        source=LabelSource(kind="generator", id="mistakes"),
                        grade="redundant_call",
                        details={"kind": "redundant_call"},
                    )
                ],
            )
            for step in plain.steps
        ],
        provenance=Provenance(stages=[]),
        labels=[Label(name="budget_exceeded", source=LabelSource(kind="generator"))],
    )

    def rule_labels(t: Trajectory) -> list[list[Label]]:
        return [[lb for lb in s.labels if lb.source.kind == "rule"] for s in t.steps]

    assert rule_labels(grade_rules(marked)) == rule_labels(grade_rules(plain))


def test_the_environment_comes_from_the_argument_or_the_task() -> None:
    t = sample()
    assert environment_for(t) is None  # the task names no environment
    assert isinstance(environment_for(t, CounterEnv), CounterEnv)
    env = CounterEnv()
    assert environment_for(t, env) is env
    named = msgspec.structs.replace(t, task=msgspec.structs.replace(t.task, environment="support"))
    assert isinstance(environment_for(named), ENVIRONMENT_CLASSES["support"])
    with pytest.raises(ConfigError, match="unknown environment"):
        environment_for(t, "atlantis")


def test_a_rule_grader_checks_its_rules_once_and_travels_to_workers() -> None:
    grader = RuleGrader("redundant_call,invalid_call")
    copy = pickle.loads(pickle.dumps(grader))
    trajectories = [sample(), sample()]
    graded = list(copy(trajectories))
    assert [msgspec.json.encode(t) for t in graded] == [
        msgspec.json.encode(grade_rules(t, rules=["redundant_call", "invalid_call"]))
        for t in trajectories
    ]
    with pytest.raises(ConfigError):
        RuleGrader("nope")


def test_a_number_too_large_for_a_float_is_no_fact_and_no_crash() -> None:
    huge = 10**400  # JSON allows it; msgspec reads it as a Python int
    t = Build("Refund order W1001.").call(
        "get_order",
        {"order_id": "W1001", "total": huge, "items": [{"price": 2, "qty": huge}]},
        order_id="W1001",
    )
    graded = grade_rules(t.finish(f"Order W1001 totals {huge}; I refunded $5.00.").build())
    claims = [lb for lb in graded.steps[-1].labels if lb.name == "unsupported_claim"]
    assert len(claims) == 1  # nothing crashed, and the huge number supports nothing
    assert claims[0].details["facts"] == ["$5"]


def test_an_argument_too_large_for_a_float_still_matches_its_expected_action() -> None:
    huge = 10**400
    expected = [ExpectedAction(name="verify_identity", arguments={"customer_id": huge})]
    t = Build("Verify me.").call("verify_identity", {"verified": True}, customer_id=huge)
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001")
    graded = grade_rules(t.finish("Cancelled W1001.").build(expected=expected))
    assert not [lb for s in graded.steps for lb in s.labels if lb.name == "missing_tool"]


def test_a_rule_that_fails_leaves_a_rule_error_and_the_other_rules_run() -> None:
    def broken(ctx: object) -> list[Finding]:
        raise ValueError("cannot read this")

    rule = Rule("broken", "1", "always fails", broken)
    t = Build().call("get_order", {"status": "ok"}, order_id="W1001")
    t.call("get_order", {"status": "ok"}, order_id="W1001")
    graded = grade_rules(t.finish().build(), rules=[rule, "redundant_call"])
    (error,) = graded.labels
    assert (error.name, error.grade, error.value) == ("broken", "rule-error", None)
    assert error.rationale is not None
    assert "ValueError: cannot read this" in error.rationale
    assert [lb.name for s in graded.steps for lb in s.labels] == ["redundant_call"]
