"""``[filter]`` on generated, graded trajectories: each kind of rule keeps what it should and
removes the rest with its reason; rules are checked when the config is read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from tests.curate.conftest import Ran, RunStep, refused
from trajforge.schema import Label, ToolCall, ToolResult, Trajectory


def answered(t: Trajectory) -> set[int]:
    """The steps a recovery label points back at."""
    return {
        label.details["setback_step"]
        for step in t.steps
        for label in step.labels
        if label.name == "recovery"
    }


def made_good(t: Trajectory, i: int, label: Label) -> bool:
    """Whether the call an injected mistake at step ``i`` replaced is made later, and works."""
    intended = label.details.get("intended") or {}
    return any(
        a.name == intended.get("name") and a.arguments == intended.get("arguments")
        and any(o.call_id == a.id and o.status == "ok" for o in step.observations
                if isinstance(o, ToolResult))
        for step in t.steps[i + 1 :] for a in step.actions if isinstance(a, ToolCall)
    )  # fmt: skip


def problems(t: Trajectory, name: str) -> list[tuple[int, bool]]:
    """Each step labelled ``name``, and whether it was recovered: a later recovery label
    answers it, or (an injected mistake) the call it replaced was made later and worked."""
    return [
        (i, i in answered(t) or (name == "injected_mistake" and made_good(t, i, label)))
        for i, step in enumerate(t.steps)
        for label in step.labels
        if label.name == name
    ]


def called(t: Trajectory) -> set[str]:
    return {a.name for s in t.steps for a in s.actions if isinstance(a, ToolCall)}


def split_by(ran: Ran, test: Callable[[Trajectory], bool]) -> None:
    """Every kept trajectory passes ``test``, every removed one fails it, and both happen."""
    assert ran.kept
    assert ran.excluded
    assert all(test(t) for t in ran.kept)
    assert not any(test(e.trajectory) for e in ran.excluded)


def test_unrecovered_violations_and_mistakes_go_recovered_mistakes_stay(
    dataset: list[Trajectory], run_step: RunStep
) -> None:
    table = {
        "drop": [
            {
                "why": "unrecovered policy violation",
                "label": "policy_violation",
                "recovered": False,
            },
            {"why": "unrecovered mistake", "label": "injected_mistake", "recovered": False},
        ]
    }
    ran = run_step("filter", table, dataset)

    def clean(t: Trajectory) -> bool:
        found = problems(t, "policy_violation") + problems(t, "injected_mistake")
        return all(recovered for _, recovered in found)

    split_by(ran, clean)
    assert any(problems(t, "injected_mistake") for t in ran.kept)  # recovered mistakes stay
    reasons = Counter(e.reason for e in ran.excluded)
    assert reasons["unrecovered policy violation"] > 0
    violated = [e.trajectory for e in ran.excluded if e.reason == "unrecovered policy violation"]
    assert all(problems(t, "policy_violation") for t in violated)


def test_outcome_status_and_score(dataset: list[Trajectory], run_step: RunStep) -> None:
    table = {
        "keep": [{"field": "outcome.status", "in": ["success", "partial"]}],
        "drop": [{"field": "outcome.score", "lt": 0.5}],
    }
    ran = run_step("filter", table, dataset)
    split_by(
        ran,
        lambda t: t.outcome.status in ("success", "partial") and (t.outcome.score or 0) >= 0.5,
    )
    # a trajectory is counted by the first rule that removes it: keep rules run first
    by_rule = Counter(e.detail["rule"] for e in ran.excluded)
    failed = sum(t.outcome.status == "failure" for t in dataset)
    assert by_rule["keep[0]"] == failed
    report = ran.step.report()["rules"]
    assert [(r["rule"], r["removed"]) for r in report] == [
        ("keep[0]", failed),
        ("drop[0]", by_rule["drop[0]"]),
    ]
    assert report[0]["why"] == "not outcome.status in ['success', 'partial']"
    assert by_rule["drop[0]"] > 0


@pytest.mark.parametrize(
    ("rule", "passes"),
    [
        ({"length": "steps", "gt": 12}, lambda t: len(t.steps) <= 12),
        (
            {"field": "task.environment", "not_in": ["web", "scheduling"]},
            lambda t: t.task.environment in ("web", "scheduling"),
        ),
        (
            {"fault": "*", "recovered": False},
            lambda t: all(i in answered(t) for i, s in enumerate(t.steps) for _ in s.faults),
        ),
        (
            {"field": "steps.faults.kind", "in": ["permanent", "timeout"]},
            lambda t: not {f.kind for s in t.steps for f in s.faults} & {"permanent", "timeout"},
        ),
        ({"field": "tool_calls", "eq": "refund_order"}, lambda t: "refund_order" not in called(t)),
        (
            {"not": {"field": "tool_calls", "all_in": ["get_order", "find_customer_by_email"]}},
            lambda t: called(t) <= {"get_order", "find_customer_by_email"},
        ),
        (
            {"any": [{"length": "tool_calls", "eq": 0}, {"label": "score", "lt": 0.5}]},
            lambda t: bool(called(t)),
        ),
    ],
    ids=["length", "environment", "unrecovered-fault", "fault-kinds", "tool", "tool-set", "any"],
)
def test_each_kind_of_rule(
    dataset: list[Trajectory], run_step: RunStep, rule: dict[str, Any], passes: Any
) -> None:
    split_by(run_step("filter", {"drop": [rule]}, dataset), passes)


def test_tokens_and_source_where_present(dataset: list[Trajectory], run_step: RunStep) -> None:
    def with_(t: Trajectory, i: int) -> Trajectory:
        metrics = msgspec.structs.replace(t.metrics, prompt_tokens=300 * i, completion_tokens=50)
        source = "imported" if i % 3 == 0 else t.provenance.source
        provenance = msgspec.structs.replace(t.provenance, source=source)
        return msgspec.structs.replace(t, metrics=metrics, provenance=provenance)

    mixed = [with_(t, i) for i, t in enumerate(dataset[:12])] + dataset[12:20]
    table = {
        "keep": [{"field": "tokens", "missing": False}],
        "drop": [
            {"field": "tokens", "gt": 2000},
            {"field": "provenance.source", "eq": "imported"},
        ],
    }
    ran = run_step("filter", table, mixed)
    assert [t.id for t in ran.kept] == [mixed[i].id for i in (1, 2, 4, 5)]
    reasons = Counter(e.detail["rule"] for e in ran.excluded)
    assert reasons == {"keep[0]": 8, "drop[0]": 5, "drop[1]": 3}


@pytest.mark.parametrize(
    ("table", "where", "says"),
    [
        (
            {"keep": [{"field": "outcome.stauts", "eq": "success"}]},
            "[filter].keep[0].field",
            "unknown field 'stauts' in outcome",
        ),
        (
            {"drop": [{"field": "outcome.status", "eq": "sucess"}]},
            "[filter].drop[0].eq",
            "outcome.status is never 'sucess'",
        ),
        (
            {"drop": [{"field": "task.difficulty", "in": [1, "3"]}]},
            "[filter].drop[0].in",
            "task.difficulty is never '3'",
        ),
        (
            {"drop": [{"field": "tool_calls", "gt": 3}]},
            "[filter].drop[0].gt",
            "'gt' compares numbers",
        ),
        (
            {"drop": [{"length": "outcome.status", "gt": 1}]},
            "[filter].drop[0].length",
            "'length' counts the values of a list",
        ),
        ({"drop": [{"fault": "timeot"}]}, "[filter].drop[0].fault", "unknown fault kind"),
        (
            {"drop": [{"any": [{"label": "x", "field": "outcome.status", "eq": "success"}]}]},
            "[filter].drop[0].any[0]",
            "about one thing, this one about field and label",
        ),
        (
            {"drop": [{"field": "outcome.status", "eq": "success", "recovered": True}]},
            "[filter].drop[0].recovered",
            "narrows a label or fault",
        ),
        ({"drop": [{"field": "steps", "eq": 1}]}, "[filter].drop[0].field", "is a record or list"),
        ({"drop": [{"field": "outcome.status"}]}, "[filter].drop[0]", "'field' needs a test"),
        ({"drop": [{"label": "x", "bogus": 1}]}, "[filter].drop[0]", "unknown field 'bogus'"),
        ({}, "[filter]", "no rules"),
    ],
)
def test_bad_rules_are_located(
    run_step: RunStep, table: dict[str, Any], where: str, says: str
) -> None:
    refused(run_step, "filter", table, where, says)
