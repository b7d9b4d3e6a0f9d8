"""Goal checks: expected actions solve every task; partial or wrong work gets partial credit."""

from __future__ import annotations

import pytest

from tests.envs.scheduling.helpers import call, expected_calls, result_of, run_calls, task_of
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.scheduling.clock import format_iso, parse_iso
from trajforge.schema import GoalCheck, Task


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expected_actions_solve_the_task(difficulty: int) -> None:
    env = SchedulingEnv()
    for seed in range(200):
        task = SchedulingEnv.generate_task(seed, difficulty)
        steps = run_calls(env, task, expected_calls(task))
        for step in steps:
            assert result_of(step).status == "ok", (seed, step.actions, result_of(step).content)
        outcome = env.check(task)
        assert outcome.status == "success", (seed, [c for c in outcome.checks if not c.passed])
        assert outcome.score == 1.0


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_incomplete_work_gets_partial_credit(difficulty: int) -> None:
    env = SchedulingEnv()
    for seed in range(30):
        task = SchedulingEnv.generate_task(seed, difficulty)
        calls = [c for c in expected_calls(task) if c.name != "send_invite"]
        run_calls(env, task, calls)
        outcome = env.check(task)
        assert outcome.status == "partial"
        assert outcome.score is not None
        assert 0 < outcome.score < 1
        failed = {c.name for c in outcome.checks if not c.passed}
        assert failed <= {"invites_sent", "reschedule_notified"}


def _booking_call(task: Task) -> dict[str, object]:
    return next(a.arguments for a in task.expected_actions if a.name == "book_meeting")


def test_wrong_person_fails_the_attendee_check() -> None:
    task = task_of(2, "amb_attendee")
    env = SchedulingEnv()
    env.reset(task)
    args = dict(_booking_call(task))
    first = task.hidden_info["attendee"].split()[2]
    namesakes = [p["id"] for p in task.parameters["people"] if p["name"].startswith(first + " ")]
    intended = task.parameters["truth"]["booking"]["attendee_ids"]
    right = next(p for p in namesakes if p in intended)
    wrong = next(p for p in namesakes if p != right)
    args["attendee_ids"] = [wrong if p == right else p for p in intended]
    calls = [c for c in expected_calls(task) if c.name != "book_meeting"]
    at = next(i for i, c in enumerate(expected_calls(task)) if c.name == "book_meeting")
    calls.insert(at, call("book_meeting", **args))
    run_calls(env, task, calls)
    results = {c.name: c for c in env.check(task).checks}
    assert not results["meeting_attendees"].passed
    assert 0 <= (results["meeting_attendees"].score or 0) < 1
    assert results["meeting_time"].passed


def test_wrong_time_duration_and_room() -> None:
    task = task_of(2, "amb_room")
    env = SchedulingEnv()
    env.reset(task)
    args = dict(_booking_call(task))
    truth = task.parameters["truth"]["booking"]
    other_big = next(
        r["id"]
        for r in task.parameters["rooms"]
        if r["capacity"] >= 12 and r["id"] != truth["room_id"]
    )
    start = parse_iso(str(args["start"]))
    off = env._state.utc_offset_min
    args.update(room_id=other_big, end=format_iso(start + truth["duration_min"] + 30, off))
    env.execute(call("book_meeting", **args))
    results = {c.name: c for c in env.check(task).checks}
    assert not results["meeting_room"].passed
    assert not results["meeting_duration"].passed
    assert not results["meeting_time"].passed
    assert results["meeting_time"].score == 0.5  # right day
    assert results["meeting_attendees"].passed


def test_double_booking_and_collateral_changes_fail() -> None:
    task = task_of(3)
    env = SchedulingEnv()
    calls = [c for c in expected_calls(task) if c.name not in ("reschedule_meeting",)]
    run_calls(env, task, calls)
    results = {c.name: c for c in env.check(task).checks}
    assert not results["no_conflicts"].passed
    assert "hold" in (results["no_conflicts"].detail or "")
    assert not results["meeting_rescheduled"].passed
    assert results["nothing_else_changed"].passed
    # Cancelling an unrelated meeting is collateral damage.
    env.reset(task)
    s = env._state
    victim = next(
        m.id
        for m in s.meetings.values()
        if s.user_id in m.attendee_ids
        and m.id != task.parameters["truth"]["reschedule"]["meeting_id"]
    )
    run_calls(env, task, [*expected_calls(task), call("cancel_meeting", meeting_id=victim)])
    results = {c.name: c for c in env.check(task).checks}
    assert not results["nothing_else_changed"].passed
    assert results["nothing_else_changed"].score == 0.5
    assert victim in (results["nothing_else_changed"].detail or "")


def test_doing_nothing_fails_the_meeting_checks() -> None:
    task = task_of(1)
    env = SchedulingEnv()
    env.reset(task)
    outcome = env.check(task)
    assert (outcome.status, outcome.score) == ("failure", 0.0)  # guards alone earn nothing
    failed = {c.name for c in outcome.checks if not c.passed}
    assert {"meeting_attendees", "meeting_time", "invites_sent"} <= failed


def test_invites_must_match_the_final_time() -> None:
    task = task_of(1)
    env = SchedulingEnv()
    run_calls(env, task, expected_calls(task))
    assert env.check(task).status == "success"
    s = env._state
    meeting = s.meetings["m-2001"]
    later = meeting.start + 60
    env.execute(
        call(
            "reschedule_meeting",
            meeting_id="m-2001",
            start=format_iso(later, s.utc_offset_min),
            end=format_iso(later + meeting.end - meeting.start, s.utc_offset_min),
        )
    )
    results = {c.name: c for c in env.check(task).checks}
    assert not results["invites_sent"].passed


def test_unknown_goal_check_fails_clearly() -> None:
    task = task_of(1)
    odd = Task(
        **{
            **{f: getattr(task, f) for f in task.__struct_fields__},
            "goal_checks": [GoalCheck(name="teleport")],
        }
    )
    env = SchedulingEnv()
    env.reset(odd)
    (result,) = env.goal_checks(odd)
    assert not result.passed
    assert result.detail == "unknown goal check"
