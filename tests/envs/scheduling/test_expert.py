"""The scheduling expert over 210 seeded tasks, without faults and with the flaky profile, plus
the cases the generated tasks rarely or never reach (someone else's meeting, a tool gone for good,
a booking whose reply is cut off) and the parsing of the user's words."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import msgspec
import pytest

from tests.agents.expert_harness import (
    assert_decodes,
    assert_reproducible,
    assert_written_down,
    calls,
    expert_harness,
    steps_per_level,
    success_rate,
)
from trajforge.agents.users import CONFIRMATION, DONT_KNOW
from trajforge.envs.faults import FAULT_KINDS, FaultProfile
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.scheduling.clock import parse_iso, parse_offset
from trajforge.envs.scheduling.expert import SchedulingExpert
from trajforge.envs.scheduling.expert import text as tx
from trajforge.envs.scheduling.policy import ASK_WHEN_AMBIGUOUS, CONFIRM_OTHERS_MEETING
from trajforge.envs.scheduling.tasks import LEVEL2_VARIANTS
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

N_TASKS = 210
PROFILES = ("none", "flaky")
RECOVERABLE = tuple(k for k in FAULT_KINDS if k != "permanent")
CHANGING = ("book_meeting", "reschedule_meeting", "cancel_meeting", "send_invite", "notify")


tasks, episode, runs = expert_harness(SchedulingEnv, SchedulingExpert, N_TASKS)


def first_name(step_actions: Any) -> str | None:
    action = step_actions[0]
    return action.name if isinstance(action, ToolCall) else None


def questions(trajectory: Trajectory) -> list[tuple[int, str, str]]:
    """(step index, question, answer) for every clarifying question."""
    out = []
    for i, step in enumerate(trajectory.steps):
        action = step.actions[0]
        if isinstance(action, ClarifyingQuestion):
            answer = step.observations[0]
            assert isinstance(answer, UserMessage)
            out.append((i, action.content, answer.content))
    return out


def variant(task: Task) -> str:
    return str(task.parameters["truth"]["variant"])


# ---------------------------------------------------------------- the sample and the rates


def test_the_sample_covers_every_level_and_variant() -> None:
    assert {t.difficulty for t in tasks()} == {1, 2, 3}
    assert {variant(t) for t in tasks()} == {"single_booking", "cross_timezone", *LEVEL2_VARIANTS}
    assert {k for t in tasks() for k in t.parameters["truth"]["ambiguous"]} == {
        "attendee", "date", "time_preference", "duration", "room", "meeting",
    }  # fmt: skip


def test_success_rates() -> None:
    assert success_rate(runs("none")) >= 0.98
    assert success_rate(runs("flaky")) >= 0.90


@pytest.mark.parametrize("profile", PROFILES)
def test_no_policy_violations(profile: str) -> None:
    env = SchedulingEnv()
    for traj in runs(profile):
        assert env.find_violations(traj) == [], traj.id


@pytest.mark.parametrize("profile", PROFILES)
def test_never_double_books_or_books_twice(profile: str) -> None:
    for traj in runs(profile):
        checks = {c.name: c.passed for c in traj.outcome.checks}
        assert checks["no_conflicts"], traj.id
        assert checks["nothing_else_changed"], traj.id
        booked = [
            o
            for s in traj.steps
            for o in s.observations
            if isinstance(o, ToolResult)
            and o.name == "book_meeting"
            and o.status in ("ok", "partial")
        ]
        assert len(booked) <= 1, traj.id


# ---------------------------------------------------------------- faults


def test_every_recoverable_fault_is_followed_by_a_recovery() -> None:
    seen: set[str] = set()
    for traj in runs("flaky"):
        for i, step in enumerate(traj.steps):
            for fault in step.faults:
                assert fault.kind in RECOVERABLE
                seen.add(fault.kind)
                nxt = traj.steps[i + 1]
                assert nxt.reasoning, (traj.id, i)
                if fault.kind == "format_drift":
                    assert "different format" in nxt.reasoning, (traj.id, i)
                    continue
                again = nxt.actions[0]
                original = step.actions[0]
                assert isinstance(original, ToolCall)
                if fault.kind == "partial" and fault.tool in SchedulingExpert.run_once:
                    # It ran: never made twice (a booking is looked up on the calendar).
                    assert "do not repeat it" in nxt.reasoning, traj.id
                    assert not isinstance(again, ToolCall) or (again.name, again.arguments) != (
                        original.name,
                        original.arguments,
                    )
                    if fault.tool == "book_meeting":
                        assert isinstance(again, ToolCall)
                        assert again.name == "get_calendar"
                    continue
                assert isinstance(again, ToolCall), (traj.id, i, fault.kind)
                assert again.name in (fault.tool, "list_people"), (traj.id, i)
                if again.name == fault.tool:
                    assert again.arguments == original.arguments
    assert seen == set(RECOVERABLE)


def test_a_cut_off_booking_reply_is_looked_up_not_booked_again() -> None:
    profile = FaultProfile(name="cut", per_tool={"book_meeting": {"partial": 1.0}})
    env = SchedulingEnv()
    for i in range(12):
        traj = episode(tasks()[i], i, profile)
        if "booking" not in traj.task.parameters["truth"]:
            continue
        assert traj.outcome.status == "success", traj.id
        assert [c.name for c in calls(traj)].count("book_meeting") == 1
        assert env.find_violations(traj) == []
        assert traj.metrics.optimal_steps == len(traj.steps) - 1  # the look-up is a recovery


def test_a_directory_search_gone_for_good_falls_back_to_the_directory_list() -> None:
    profile = FaultProfile(name="gone", per_tool={"find_person": {"permanent": 1.0}})
    for i in range(9):
        traj = episode(tasks()[i], i, profile)
        names = [c.name for c in calls(traj)]
        if "booking" not in traj.task.parameters["truth"]:
            continue
        assert "list_people" in names
        assert traj.outcome.status == "success", traj.id


def test_a_tool_gone_with_no_alternative_ends_in_an_honest_failure() -> None:
    profile = FaultProfile(name="gone", per_tool={"find_free_slots": {"permanent": 1.0}})
    traj = episode(tasks()[0], 0, profile)
    final = traj.steps[-1].actions[0]
    assert isinstance(final, Finish)
    assert not final.completed
    assert "could not finish" in final.content
    assert not any(c.name in CHANGING for c in calls(traj))


# ---------------------------------------------------------------- asking


def test_each_ambiguity_is_asked_once_before_anything_changes() -> None:
    for traj in runs("none"):
        task = traj.task
        asked = questions(traj)
        answered = {k for _, _, a in asked for k, v in task.hidden_info.items() if v == a}
        assert set(task.parameters["truth"]["ambiguous"]) <= answered, traj.id
        assert len(asked) == len(task.parameters["truth"]["ambiguous"]), traj.id
        assert all(a not in (DONT_KNOW, CONFIRMATION) for _, _, a in asked)
        first_change = next(
            i
            for i, s in enumerate(traj.steps)
            if isinstance(s.actions[0], ToolCall) and s.actions[0].name in CHANGING
        )
        assert all(i < first_change for i, _, _ in asked), traj.id


def test_it_acts_on_the_answer() -> None:
    """Answers that contradict the truth win: the expert books what the user said."""
    task = copy.deepcopy(next(t for t in tasks() if variant(t) == "amb_duration"))
    said = task.parameters["truth"]["booking"]["duration_min"] - 15  # fits the free slot too
    task.hidden_info["duration"] = f"{said} minutes."
    traj = episode(task, 0)
    booked = next(c for c in calls(traj) if c.name == "book_meeting")
    assert parse_iso(booked.arguments["end"]) - parse_iso(booked.arguments["start"]) == said
    assert SchedulingEnv().find_violations(traj) == []


def test_moving_someone_elses_meeting_needs_a_yes_first() -> None:
    task = copy.deepcopy(next(t for t in tasks() if variant(t) == "amb_meeting"))
    target = task.parameters["truth"]["reschedule"]
    meeting = next(m for m in task.parameters["meetings"] if m["id"] == target["meeting_id"])
    meeting["organizer_id"] = next(
        p for p in meeting["attendee_ids"] if p != meeting["organizer_id"]
    )
    traj = episode(task, 0)
    assert traj.outcome.status == "success"
    assert SchedulingEnv().find_violations(traj) == []
    moved = next(
        i for i, s in enumerate(traj.steps) if first_name(s.actions) == "reschedule_meeting"
    )
    confirm = traj.steps[moved - 1]
    assert isinstance(confirm.actions[0], ClarifyingQuestion)
    assert "confirm" in confirm.actions[0].content.lower()
    assert confirm.observations[0].content == CONFIRMATION
    # Without the question the same move is a violation: the rule is really in force.
    steps = [s for i, s in enumerate(traj.steps) if i != moved - 1]
    skipped = Trajectory(id="t", task=task, steps=steps)
    rules = {v.rule for v in SchedulingEnv().find_violations(skipped)}
    assert rules == {CONFIRM_OTHERS_MEETING}


def test_a_booking_without_the_question_would_be_flagged() -> None:
    traj = next(t for t in runs("none") if t.task.parameters["truth"]["ambiguous"])
    steps = [s for s in traj.steps if not isinstance(s.actions[0], ClarifyingQuestion)]
    bare = Trajectory(id="t", task=traj.task, steps=steps)
    assert ASK_WHEN_AMBIGUOUS in {v.rule for v in SchedulingEnv().find_violations(bare)}


# ---------------------------------------------------------------- what it writes down


@pytest.mark.parametrize("profile", PROFILES)
def test_plans_rationales_and_notes_are_consistent(profile: str) -> None:
    for traj in runs(profile):
        assert_written_down(traj)


def test_it_replans_when_the_picture_changes() -> None:
    revised = {variant(t.task) for t in runs("none") if any(
        s.plan is not None and s.plan.revision > 0 for s in t.steps
    )}  # fmt: skip
    assert {"cross_timezone", "conflict_room", "conflict_slot", "amb_meeting"} <= revised


def _result(traj: Trajectory, tool: str) -> dict[str, Any]:
    for step in traj.steps:
        for obs in step.observations:
            if isinstance(obs, ToolResult) and obs.name == tool and obs.status == "ok":
                body = tx.as_dict(msgspec.json.decode(obs.content))
                return tx.as_dict(body.get("meeting")) or body
    raise AssertionError(f"no {tool} result")


def test_the_summary_says_what_the_observations_show() -> None:
    for traj in runs("none"):
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        truth = traj.task.parameters["truth"]
        offset = parse_offset(traj.task.parameters["utc_offset"])
        for tool in ("book_meeting", "reschedule_meeting"):
            if tool == "book_meeting" and "booking" not in truth:
                continue
            if tool == "reschedule_meeting" and "reschedule" not in truth:
                continue
            meeting = _result(traj, tool)
            start, end = parse_iso(meeting["start"]), parse_iso(meeting["end"])
            assert f'"{meeting["title"]}"' in final.content, traj.id
            assert f"{tx.say_clock(start, offset)}-{tx.say_clock(end, offset)}" in final.content


def test_optimal_steps_is_the_clean_run_length() -> None:
    per_level = steps_per_level(runs("none"), runs("flaky"))
    assert max(per_level[1]) <= 11
    assert max(per_level[2]) <= 13
    assert min(per_level[3]) >= 16
    assert max(per_level[3]) <= 22


# ---------------------------------------------------------------- records


def test_same_task_seed_and_profile_give_identical_trajectories() -> None:
    for profile in ("flaky", "none"):
        assert_reproducible(tasks(), episode, runs(profile), profile, (0, 1, 2, 5, 8, 13))


@pytest.mark.parametrize("profile", PROFILES)
def test_trajectories_decode_to_themselves(profile: str) -> None:
    assert_decodes(runs(profile))


# ---------------------------------------------------------------- reading the user's words


def test_reading_times_days_and_lengths() -> None:
    assert [tx.clock(t) for t in ("2pm", "2:30 pm", "14:30", "noon", "12am", "7")] == [
        840, 870, 870, 720, 0, None,
    ]  # fmt: skip
    assert tx.time_after("at", 'Book "X" with Sam on Monday at 9:30am?') == 570
    assert tx.time_after("to", "Push my 2pm to 3:30pm that day") == 930
    assert tx.time_after("my", "Push my 2pm to 3:30pm that day") == 840
    assert tx.time_window("Late morning, between 10am and noon.") == (600, 720)
    assert tx.time_window("Late in the afternoon, after 3pm.") == (900, None)
    assert tx.time_window("Whenever.") is None
    assert tx.minutes_said("45 minutes.") == 45
    assert tx.minutes_said("An hour and a half, so 1.5 hours") == 90
    assert tx.day_said("Thursday, February 5.", date(2026, 1, 26)) == date(2026, 2, 5)
    assert tx.day_said("Friday, January 2.", date(2025, 12, 29)) == date(2026, 1, 2)
    assert tx.day_said("Next week.", date(2025, 12, 29)) is None


def test_reading_people_meetings_and_drifted_rows() -> None:
    assert tx.person_meant("I mean Sam Hughes from Legal (and Ravi Sato).") == "Sam Hughes"
    assert tx.person_meant("Sam.") is None
    assert tx.quoted('The one on Friday, "Hiring sync" with Ana.') == "Hiring sync"
    assert tx.names_match("sam", "Sam Berg")
    assert not tx.names_match("sam", "Sara Kim")
    assert tx.exactly("Sam", "Sam Berg")
    assert not tx.exactly("Sa", "Sam Berg")
    assert tx.rows({"id": "p1"}) == [{"id": "p1"}]
    assert tx.as_list('["video", "projector"]') == ["video", "projector"]
    assert tx.as_int("12") == 12
    assert tx.as_dict('{"a": 1}') == {"a": 1}
