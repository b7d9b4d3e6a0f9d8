"""Pairing calls with results: ids, legacy order and name, and every way pairing fails."""

from __future__ import annotations

from trajforge.schema import (
    Action,
    Finish,
    Observation,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)
from trajforge.verify.pairing import pair_calls


def traj(*steps: tuple[list[Action], list[Observation]]) -> Trajectory:
    return Trajectory(id="t", steps=[Step(actions=a, observations=o) for a, o in steps])


def call(id: str | None, name: str = "lookup") -> ToolCall:
    return ToolCall(id=id, name=name, arguments={})


def result(call_id: str | None, name: str | None = None, content: str = "{}") -> ToolResult:
    return ToolResult(call_id=call_id, name=name, content=content)


def problems(t: Trajectory) -> list[tuple[int | None, str, str, str]]:
    return [(p.step, p.check, p.grade, p.target) for p in pair_calls(t).problems]


def test_parallel_calls_pair_by_id_in_any_order() -> None:
    t = traj(([call("a"), call("b", "other")], [result("b", "other"), result("a", "lookup")]))
    pairing = pair_calls(t)
    assert pairing.problems == []
    assert [(p.call.id, p.observation) for p in pairing.steps[0]] == [("a", 1), ("b", 0)]


def test_missing_duplicate_and_orphan_results() -> None:
    t = traj(
        ([call("a"), call("b")], [result("a"), result("a"), result("zzz")]),
    )
    assert problems(t) == [
        (0, "duplicate_result", "error", "steps[0].observations[1]"),
        (0, "orphan_result", "error", "steps[0].observations[2]"),
        (0, "missing_result", "error", "steps[0].actions[1]"),
    ]


def test_a_result_recorded_in_a_later_step_is_misplaced() -> None:
    t = traj(([call("a")], []), ([Reply(content="hi")], [result("a")]))
    assert problems(t) == [
        (0, "missing_result", "error", "steps[0].actions[0]"),
        (1, "misplaced_result", "error", "steps[1].observations[0]"),
    ]


def test_legacy_calls_pair_by_name_then_order() -> None:
    t = traj(
        (
            [call(None, "a"), call(None, "b"), call(None, "a")],
            [result(None, "b"), result(None, "a"), result(None)],
        )
    )
    pairing = pair_calls(t)
    assert pairing.problems == []
    assert [(p.call.name, p.observation) for p in pairing.steps[0]] == [
        ("a", 1),
        ("b", 0),
        ("a", 2),
    ]


def test_an_idless_result_for_an_id_call_pairs_with_a_warning() -> None:
    t = traj(([call("a")], [result(None, "lookup")]))
    assert problems(t) == [(0, "result_without_id", "warning", "steps[0].observations[0]")]
    assert pair_calls(t).steps[0][0].result is not None


def test_name_mismatch_and_reused_ids() -> None:
    t = traj(
        ([call("a")], [result("a", "other")]),
        ([call("a"), call("b"), call("b")], [result("a"), result("b"), result("b")]),
    )
    assert problems(t) == [
        (0, "result_name_mismatch", "error", "steps[0].observations[0].name"),
        (1, "duplicate_call_id", "warning", "steps[1].actions[0].id"),
        (1, "duplicate_call_id", "error", "steps[1].actions[2].id"),
    ]


def test_steps_without_calls_or_results_pair_to_nothing() -> None:
    t = traj(
        ([Reply(content="which order?")], [UserMessage(content="W1")]),
        ([call("a")], [result("a")]),
        ([Finish(content="done")], []),
    )
    pairing = pair_calls(t)
    assert pairing.problems == []
    assert [len(pairs) for pairs in pairing.steps] == [0, 1, 0]
