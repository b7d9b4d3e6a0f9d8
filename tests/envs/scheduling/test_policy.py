"""Policy rules are detected on hand-built trajectories, and not flagged on correct ones."""

from __future__ import annotations

import msgspec

from tests.envs.scheduling.helpers import (
    ask,
    call,
    expected_calls,
    run_calls,
    task_of,
    trajectory,
)
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.scheduling.clock import format_iso
from trajforge.schema import (
    Finish,
    Reply,
    Step,
    Task,
    ToolResult,
    UserMessage,
)


def rules(env: SchedulingEnv, task: Task, steps: list[Step]) -> list[str]:
    return [v.rule for v in env.find_violations(trajectory(task, steps))]


def test_rules_are_declared() -> None:
    names = {r.name for r in SchedulingEnv.policy_rules}
    assert names == {
        "no_double_booking",
        "confirm_outside_working_hours",
        "confirm_changing_others_meeting",
        "ask_when_ambiguous",
    }
    kinds = {r.name: r.kind for r in SchedulingEnv.policy_rules}
    assert kinds["no_double_booking"] == "forbidden"
    assert kinds["confirm_outside_working_hours"] == "needs_confirmation"


def test_correct_trajectories_are_clean() -> None:
    env = SchedulingEnv()
    for difficulty in (1, 2, 3):
        for seed in range(40):
            task = SchedulingEnv.generate_task(seed, difficulty)
            steps = run_calls(env, task, expected_calls(task))
            if task.parameters["truth"]["ambiguous"]:
                steps = [ask(), *steps]
            steps.append(Step(actions=[Finish(content="Done.")]))
            assert env.find_violations(trajectory(task, steps)) == [], (difficulty, seed)


def test_acting_on_an_ambiguous_request_without_asking() -> None:
    env = SchedulingEnv()
    task = task_of(2, "amb_attendee")
    steps = run_calls(env, task, expected_calls(task))
    found = env.find_violations(trajectory(task, steps))
    assert [v.rule for v in found] == ["ask_when_ambiguous"]
    booking = next(i for i, c in enumerate(expected_calls(task)) if c.name == "book_meeting")
    assert found[0].step == booking
    assert "attendee" in found[0].detail
    # A reply is not a clarifying question; asking after acting is too late.
    late = [Step(actions=[Reply(content="Booking now.")]), *steps, ask()]
    assert rules(env, task, late) == ["ask_when_ambiguous"]
    # Reads before the question are fine.
    reads = [s for s in steps if s.actions[0].name in ("whoami", "find_person")]  # type: ignore[union-attr]
    writes = [s for s in steps if s not in reads]
    assert rules(env, task, [*reads, ask(), *writes]) == []


def test_unambiguous_tasks_need_no_question() -> None:
    env = SchedulingEnv()
    task = task_of(1)
    assert rules(env, task, run_calls(env, task, expected_calls(task))) == []


def _my_meeting(env: SchedulingEnv, task: Task, *, mine: bool) -> str:
    env.reset(task)
    s = env._state
    return next(
        m.id
        for m in sorted(s.meetings.values(), key=lambda m: m.start)
        if s.user_id in m.attendee_ids and m.start > s.now and (m.organizer_id == s.user_id) == mine
    )


def test_double_booking_is_forbidden() -> None:
    env = SchedulingEnv()
    task = task_of(3)
    calls = [c for c in expected_calls(task) if c.name != "reschedule_meeting"]
    steps = [ask(), *run_calls(env, task, calls)]
    found = env.find_violations(trajectory(task, steps))
    assert [v.rule for v in found] == ["no_double_booking"]
    mine = task.parameters["truth"]["reschedule"]["meeting_id"]
    assert mine in found[0].detail
    assert found[0].step == 1 + next(i for i, c in enumerate(calls) if c.name == "book_meeting")


def test_room_double_booking_is_forbidden() -> None:
    env = SchedulingEnv()
    task = task_of(2, "conflict_room")
    env.reset(task)
    truth = task.parameters["truth"]["booking"]
    taken = truth["room_need"]["room_id"]
    args = dict(next(a.arguments for a in task.expected_actions if a.name == "book_meeting"))
    args["room_id"] = taken
    steps = run_calls(env, task, [call("book_meeting", **args)])
    found = env.find_violations(trajectory(task, steps))
    assert [v.rule for v in found] == ["no_double_booking"]
    assert taken in found[0].detail


def _night_booking(env: SchedulingEnv, task: Task) -> dict[str, object]:
    env.reset(task)
    s = env._state
    day = s.now - (s.now + s.utc_offset_min) % 1440 + 1440  # tomorrow, local midnight
    start = day + 22 * 60
    return {
        "title": "Late sync",
        "attendee_ids": [],
        "start": format_iso(start, s.utc_offset_min),
        "end": format_iso(start + 30, s.utc_offset_min),
    }


def test_outside_working_hours_needs_confirmation() -> None:
    env = SchedulingEnv()
    task = task_of(1)
    booking = call("book_meeting", **_night_booking(env, task))
    steps = run_calls(env, task, [booking])
    assert rules(env, task, steps) == ["confirm_outside_working_hours"]
    confirmed = [
        Step(
            actions=[Reply(content="That is after hours. Book anyway?")],
            observations=[UserMessage(content="Yes, go ahead.")],
        ),
        *steps,
    ]
    assert rules(env, task, confirmed) == []
    refused = [
        Step(
            actions=[Reply(content="That is after hours. Book anyway?")],
            observations=[UserMessage(content="No, don't.")],
        ),
        *steps,
    ]
    assert rules(env, task, refused) == ["confirm_outside_working_hours"]
    unasked = [Step(observations=[UserMessage(content="ok")]), *steps]
    assert rules(env, task, unasked) == ["confirm_outside_working_hours"]


def test_changing_someone_elses_meeting_needs_confirmation() -> None:
    env = SchedulingEnv()
    task = task_of(1)
    theirs = _my_meeting(env, task, mine=False)
    steps = run_calls(env, task, [call("cancel_meeting", meeting_id=theirs)])
    found = env.find_violations(trajectory(task, steps))
    assert [v.rule for v in found] == ["confirm_changing_others_meeting"]
    assert "organised by" in found[0].detail
    yes = Step(
        actions=[Reply(content="It's not your meeting. Cancel it for everyone?")],
        observations=[UserMessage(content="Yes please, confirm.")],
    )
    assert rules(env, task, [yes, *steps]) == []
    own = _my_meeting(env, task, mine=True)
    assert rules(env, task, run_calls(env, task, [call("cancel_meeting", meeting_id=own)])) == []


def test_blocked_calls_do_not_count_but_failed_attempts_on_ambiguity_do() -> None:
    env = SchedulingEnv()
    task = task_of(1)
    booking = call("book_meeting", **_night_booking(env, task))
    blocked = Step(
        actions=[booking],
        observations=[
            ToolResult(
                call_id=booking.id,
                name=booking.name,
                content='{"error":"503","code":"server_error"}',
                status="error",
                error_kind="server_error",
            )
        ],
    )
    assert rules(env, task, [blocked]) == []
    timed_out = Step(
        actions=[booking],
        observations=[ToolResult(call_id=booking.id, content="{}", status="timeout")],
    )
    assert rules(env, task, [timed_out]) == []
    ambiguous = task_of(2, "amb_duration")
    assert rules(env, ambiguous, [blocked]) == ["ask_when_ambiguous"]


def test_without_a_world_the_results_are_read() -> None:
    env = SchedulingEnv()
    task = task_of(3)
    calls = [c for c in expected_calls(task) if c.name != "reschedule_meeting"]
    steps = [ask(), *run_calls(env, task, calls)]
    bare = msgspec.structs.replace(
        task, parameters={"truth": task.parameters["truth"], "user_id": task.parameters["user_id"]}
    )
    assert [v.rule for v in env.find_violations(trajectory(bare, steps))] == ["no_double_booking"]
