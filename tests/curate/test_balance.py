"""``[balance]`` on generated, graded trajectories: mixes met within a percentage point by a
seeded stratified sample, minimums met where the input allows, and what is missing reported."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.curate.conftest import RunStep, refused
from trajforge.curate.balance import OUTSIDE, SAMPLED_OUT
from trajforge.schema import ToolCall, Trajectory

STATUS = {"success": 0.5, "partial": 0.25, "failure": 0.25}
DIFFICULTY = {"1": 0.5, "2": 0.3, "3": 0.2}
MIXES = [
    {"field": "outcome.status", "shares": STATUS},
    {"field": "task.difficulty", "shares": DIFFICULTY},
]


def shares(trajectories: list[Trajectory], key: Any) -> Counter[str]:
    return Counter(str(key(t)) for t in trajectories)


def called(t: Trajectory) -> set[str]:
    return {a.name for s in t.steps for a in s.actions if isinstance(a, ToolCall)}


def test_two_mixes_within_one_point(dataset: list[Trajectory], run_step: RunStep) -> None:
    ran = run_step("balance", {"mix": MIXES}, dataset, seed=3)
    kept = ran.kept
    assert len(kept) >= 80
    for key, target in (
        (lambda t: t.outcome.status, STATUS),
        (lambda t: t.task.difficulty, DIFFICULTY),
    ):
        counts = shares(kept, key)
        for value, share in target.items():
            assert abs(counts[value] / len(kept) - share) <= 0.01, (value, counts)
    # the input's own mix is far from it: the sampling did the work
    assert abs(shares(dataset, lambda t: t.outcome.status)["success"] / len(dataset) - 0.5) > 0.1
    # kept in input order; the rest removed with the reason and their cell
    order = {t.id: i for i, t in enumerate(dataset)}
    assert [order[t.id] for t in kept] == sorted(order[t.id] for t in kept)
    assert len(kept) + len(ran.excluded) == len(dataset)
    assert {e.reason for e in ran.excluded} == {SAMPLED_OUT}
    assert set(ran.excluded[0].detail["cell"]) == {"outcome.status", "task.difficulty"}
    rows = {r["target"]: r for r in ran.step.report()["coverage"]}
    assert (
        rows["outcome.status = partial"]["kept"]
        == shares(kept, lambda t: t.outcome.status)["partial"]
    )


def test_the_seed_picks_which_not_how_many(dataset: list[Trajectory], run_step: RunStep) -> None:
    def ids(seed: int) -> list[str]:
        return [t.id for t in run_step("balance", {"mix": MIXES}, dataset, seed=seed).kept]

    first, again, other = ids(3), ids(3), ids(4)
    assert first == again
    assert len(other) == len(first)
    assert other != first
    # a [balance] seed of its own wins over the run's
    table = {"mix": MIXES, "seed": 4}
    assert [t.id for t in run_step("balance", table, dataset, seed=3).kept] == other


def test_values_no_share_names_are_outside(dataset: list[Trajectory], run_step: RunStep) -> None:
    table = {"mix": [{"field": "task.environment", "shares": {"support": 0.5, "*": 0.5}}]}
    ran = run_step("balance", table, dataset)
    envs = shares(ran.kept, lambda t: t.task.environment)
    assert envs["support"] == sum(envs.values()) - envs["support"]
    assert {e.reason for e in ran.excluded} == {SAMPLED_OUT}  # "*" takes every other value
    strict = {"mix": [{"field": "task.environment", "shares": {"support": 0.5, "web": 0.5}}]}
    ran = run_step("balance", strict, dataset)
    assert set(shares(ran.kept, lambda t: t.task.environment)) == {"support", "web"}
    outside = {e.trajectory.task.environment for e in ran.excluded if e.reason == OUTSIDE}
    assert outside == {"itops", "scheduling", "dataops"}


def test_coverage_says_what_is_missing(dataset: list[Trajectory], run_step: RunStep) -> None:
    table = {
        "size": 200,
        "mix": [{"length": "tool_calls", "shares": {"0": 0.3, "*": 0.7}}],
        "at_least": [{"each": "fault", "recovered": True, "count": 3}],
    }
    ran = run_step("balance", table, dataset)
    without_tools = sum(not called(t) for t in dataset)
    assert 0 < without_tools < 60
    rows = {r["target"]: r for r in ran.step.report()["coverage"]}
    none = rows["length of tool_calls = 0"]
    assert none == {
        "target": "length of tool_calls = 0",
        "wanted": 60,
        "available": without_tools,
        "kept": without_tools,
        "missing": 60 - without_tools,
        "wanted_share": 0.3,
        "kept_share": pytest.approx(without_tools / len(ran.kept), abs=1e-6),
    }
    assert rows["length of tool_calls = *"]["missing"] == 0
    # no episode recovered from format drift: wanted 3, none there; the others are met
    drift = rows["fault format_drift (recovered) in >= 3 trajectories"]
    assert (drift["available"], drift["kept"], drift["missing"]) == (0, 0, 3)
    assert rows["fault timeout (recovered) in >= 3 trajectories"]["missing"] == 0
    assert ran.step.report()["size"] == {"wanted": 200, "kept": len(ran.kept)}


def test_minimums_are_met_where_the_input_allows(
    dataset: list[Trajectory], run_step: RunStep
) -> None:
    mix = {
        "mix": [
            {"field": "outcome.status", "shares": {"success": 0.4, "partial": 0.3, "failure": 0.3}}
        ]
    }
    available = Counter(tool for t in dataset for tool in called(t))

    def short(kept: list[Trajectory]) -> list[str]:
        have = Counter(tool for t in kept for tool in called(t))
        return [tool for tool, n in available.items() if have[tool] < min(3, n)]

    plain = run_step("balance", mix, dataset)
    assert short(plain.kept)  # a uniform sample loses rare tools
    ran = run_step("balance", {**mix, "at_least": [{"each": "tool", "count": 3}]}, dataset)
    assert short(ran.kept) == []
    assert len(ran.kept) == len(plain.kept)
    assert shares(ran.kept, lambda t: t.outcome.status) == shares(
        plain.kept, lambda t: t.outcome.status
    )
    rows = [r for r in ran.step.report()["coverage"] if r["target"].startswith("tool ")]
    offered = {tool.name for t in dataset for tool in t.tools}
    assert {r["target"].split()[1] for r in rows} == offered  # every tool offered is a target
    assert all(r["missing"] == max(0, 3 - r["kept"]) for r in rows)


@pytest.mark.parametrize(
    ("table", "where", "says"),
    [
        (
            {"mix": [{"field": "outcome.status", "shares": {"success": 0.5, "failure": 0.4}}]},
            "[balance].mix[0].shares",
            "add up to 0.9, not 1",
        ),
        (
            {"mix": [{"field": "outcome.status", "shares": {"sucess": 1.0}}]},
            "[balance].mix[0].shares.sucess",
            "outcome.status is never 'sucess'",
        ),
        (
            {"mix": [{"field": "steps.faults.kind", "shares": {"timeout": 1.0}}]},
            "[balance].mix[0].field",
            "has several",
        ),
        (
            {"mix": [{"length": "tool_calls", "shares": {"none": 1.0}}]},
            "[balance].mix[0].shares.none",
            "a length is a whole number",
        ),
        (
            {"mix": [{"field": "task.difficulty", "length": "steps", "shares": {"1": 1.0}}]},
            "[balance].mix[0]",
            "one 'field' or one 'length'",
        ),
        (
            {"at_least": [{"each": "mistake", "count": 2, "only": ["typo"]}]},
            "[balance].at_least[0].only[0]",
            "unknown mistake kind 'typo'",
        ),
        (
            {"at_least": [{"each": "tool", "count": 2, "recovered": True}]},
            "[balance].at_least[0].recovered",
            "not recovered from",
        ),
        (
            {"at_least": [{"each": "tools", "count": 2}]},
            "[balance].at_least[0].each",
            "unknown kind 'tools'",
        ),
        ({"size": 0}, "[balance].size", "expected"),
        ({}, "[balance]", "nothing to balance"),
    ],
)
def test_bad_targets_are_located(
    run_step: RunStep, table: dict[str, Any], where: str, says: str
) -> None:
    refused(run_step, "balance", table, where, says)
