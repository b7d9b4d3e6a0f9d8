"""The scheduling tools: schemas, results, and the errors a real calendar API would give."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.envs.scheduling.helpers import call, task_of
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.scheduling.clock import format_iso, parse_iso
from trajforge.schema import Task, ToolResult

READ_ONLY = {
    "whoami",
    "list_people",
    "find_person",
    "get_calendar",
    "get_meeting",
    "find_free_slots",
    "list_rooms",
    "check_room",
}


@pytest.fixture
def task() -> Task:
    return task_of(1)


@pytest.fixture
def env(task: Task) -> SchedulingEnv:
    env = SchedulingEnv()
    env.reset(task)
    return env


def run(env: SchedulingEnv, tool: str, /, **arguments: object) -> ToolResult:
    return env.execute(call(tool, **arguments))


def body(result: ToolResult) -> object:
    return json.loads(result.content)


def test_tool_count_and_schemas_are_valid() -> None:
    specs = SchedulingEnv().tool_specs()
    assert 6 <= len(specs) <= 15
    for spec in specs:
        assert spec.description, spec.name
        assert spec.parameters is not None
        Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object"
        for name, prop in spec.parameters.get("properties", {}).items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"


def test_read_only_flags() -> None:
    flags = {name: t.read_only for name, t in SchedulingEnv.tools.items()}
    assert {n for n, ro in flags.items() if ro} == READ_ONLY


def test_whoami_gives_user_now_and_zone(env: SchedulingEnv, task: Task) -> None:
    out = body(run(env, "whoami"))
    assert isinstance(out, dict)
    assert out["user"]["id"] == task.parameters["user_id"]
    assert out["now"] == task.parameters["now"]
    assert out["now"].endswith(task.parameters["utc_offset"])
    assert out["now"][11:16] == "09:00"


def test_find_person_returns_everyone_sharing_a_first_name(env: SchedulingEnv) -> None:
    people = env._state.people.values()
    firsts = [p.name.split()[0] for p in people]
    shared = next(f for f in firsts if firsts.count(f) > 1)
    found = body(run(env, "find_person", name=shared.lower()))
    assert isinstance(found, list)
    assert len(found) == 2
    assert {p["name"].split()[0] for p in found} == {shared}
    missing = run(env, "find_person", name="Zebulon")
    assert missing.status == "error"
    assert missing.error_kind == "not_found"


def test_list_people_and_unknown_team(env: SchedulingEnv) -> None:
    everyone = body(run(env, "list_people"))
    assert isinstance(everyone, list)
    assert len(everyone) == len(env._state.people)
    team = everyone[0]["team"]
    some = body(run(env, "list_people", team=team))
    assert isinstance(some, list)
    assert all(p["team"] == team for p in some)
    bad = run(env, "list_people", team="Astronauts")
    assert bad.status == "error"
    assert "team" in bad.content


def test_calendar_hides_meetings_the_user_is_not_in(env: SchedulingEnv) -> None:
    s = env._state
    other = next(m for m in s.meetings.values() if s.user_id not in m.attendee_ids)
    pid = other.attendee_ids[0]
    date = format_iso(other.start, s.utc_offset_min)[:10]
    out = body(run(env, "get_calendar", person_id=pid, date=date))
    assert isinstance(out, dict)
    hidden = [e for e in out["events"] if e.get("busy")]
    assert any(e["start"] == format_iso(other.start, s.utc_offset_min) for e in hidden)
    assert all("title" not in e for e in hidden)
    assert other.title not in json.dumps(hidden)


def test_free_slots_respect_working_hours_across_time_zones() -> None:
    task = task_of(3)
    env = SchedulingEnv()
    env.reset(task)
    truth = task.parameters["truth"]["booking"]
    out = body(
        run(
            env,
            "find_free_slots",
            person_ids=truth["attendee_ids"],
            date=truth["date"],
            duration_min=truth["duration_min"],
        )
    )
    assert isinstance(out, dict)
    people = [env._state.people[p] for p in truth["attendee_ids"]]
    for window in out["free"]:
        lo, hi = parse_iso(window["start"]), parse_iso(window["end"])
        for person in people:
            local = (lo + person.utc_offset_min) % 1440
            assert person.work_start_min <= local
            assert local + (hi - lo) <= person.work_end_min
    assert any(
        parse_iso(w["start"]) <= parse_iso(truth["start"])
        and parse_iso(truth["end"]) <= parse_iso(w["end"])
        for w in out["free"]
    )
    with_me = body(
        run(
            env,
            "find_free_slots",
            person_ids=[env._state.user_id, *truth["attendee_ids"]],
            date=truth["date"],
            duration_min=truth["duration_min"],
        )
    )
    assert isinstance(with_me, dict)
    assert with_me["free"] == []


def test_booking_reports_conflicts_and_hours(env: SchedulingEnv) -> None:
    s = env._state
    mine = next(m for m in s.meetings.values() if s.user_id in m.attendee_ids and m.start > s.now)
    off = s.utc_offset_min
    out = body(
        run(
            env,
            "book_meeting",
            title="Clash",
            attendee_ids=[],
            start=format_iso(mine.start, off),
            end=format_iso(mine.end, off),
        )
    )
    assert isinstance(out, dict)
    assert {"type": "attendee", "person_id": s.user_id, "meeting_id": mine.id} in out["conflicts"]
    assert out["invites_sent"] is False
    late = mine.start - (mine.start + off) % 1440 + 23 * 60  # 23:00 local that day
    night = body(
        run(
            env,
            "book_meeting",
            title="Night",
            attendee_ids=[],
            start=format_iso(late, off),
            end=format_iso(late + 30, off),
        )
    )
    assert isinstance(night, dict)
    assert night["outside_working_hours"] == [s.user_id]
    assert night["meeting"]["id"] == "m-2002"


def test_room_capacity_and_past_are_refused(env: SchedulingEnv) -> None:
    s = env._state
    small = min(s.rooms.values(), key=lambda r: r.capacity)
    guests = [p for p in s.people if p != s.user_id][: small.capacity]
    start = s.now + 24 * 60
    args = {
        "title": "Crowd",
        "attendee_ids": guests,
        "start": format_iso(start, s.utc_offset_min),
        "end": format_iso(start + 30, s.utc_offset_min),
        "room_id": small.id,
    }
    full = run(env, "book_meeting", **args)
    assert full.error_kind == "capacity_exceeded"
    assert "room_id" in full.content
    past = run(
        env,
        "book_meeting",
        title="Past",
        attendee_ids=[],
        start=format_iso(s.now - 60, s.utc_offset_min),
        end=format_iso(s.now - 30, s.utc_offset_min),
    )
    assert past.error_kind == "in_past"
    backwards = run(env, "check_room", room_id=small.id, start=args["end"], end=args["start"])
    assert backwards.error_kind == "invalid_time"
    assert "end" in backwards.content


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("get_calendar", {"person_id": "p1", "date": "Jan 14"}, "date"),
        (
            "find_free_slots",
            {"person_ids": [], "date": "2025-01-14", "duration_min": 30},
            "person_ids",
        ),
        (
            "find_free_slots",
            {"person_ids": ["x"], "date": "2025-01-14", "duration_min": 2},
            "duration_min",
        ),
        ("list_rooms", {"equipment": ["hologram"]}, "equipment"),
        ("book_meeting", {"title": "x", "attendee_ids": [], "start": "a"}, "end"),
        ("book_meeting", {"title": "", "attendee_ids": [], "start": "a", "end": "b"}, "title"),
        ("cancel_meeting", {"meeting_id": 7}, "meeting_id"),
        ("notify", {"person_ids": ["x"], "message": "hi", "urgent": True}, "urgent"),
    ],
)
def test_invalid_arguments_name_the_field(
    env: SchedulingEnv, name: str, arguments: dict[str, object], field: str
) -> None:
    result = run(env, name, **arguments)
    assert result.status == "error"
    assert field in result.content


def test_times_need_an_offset(env: SchedulingEnv) -> None:
    room = next(iter(env._state.rooms))
    result = run(
        env, "check_room", room_id=room, start="2025-01-14T10:00:00", end="2025-01-14T11:00:00"
    )
    assert result.error_kind == "invalid_time"
    assert "start" in result.content
    assert "offset" in result.content


@pytest.mark.parametrize(
    ("name", "arguments", "needle"),
    [
        ("get_calendar", {"person_id": "p000", "date": "2025-01-14"}, "p000"),
        (
            "find_free_slots",
            {"person_ids": ["p000"], "date": "2025-01-14", "duration_min": 30},
            "p000",
        ),
        ("get_meeting", {"meeting_id": "m-9"}, "m-9"),
        (
            "check_room",
            {"room_id": "r-moon", "start": "2025-01-14T10:00:00Z", "end": "2025-01-14T11:00:00Z"},
            "r-moon",
        ),
        (
            "reschedule_meeting",
            {"meeting_id": "m-9", "start": "2025-01-14T10:00:00Z", "end": "2025-01-14T11:00:00Z"},
            "m-9",
        ),
        ("cancel_meeting", {"meeting_id": "m-9"}, "m-9"),
        ("send_invite", {"meeting_id": "m-9"}, "m-9"),
        ("notify", {"person_ids": ["p000"], "message": "hello"}, "p000"),
    ],
)
def test_unknown_ids_give_clear_errors(
    env: SchedulingEnv, name: str, arguments: dict[str, object], needle: str
) -> None:
    result = run(env, name, **arguments)
    assert result.status == "error"
    assert result.error_kind == "not_found"
    assert needle in result.content


def test_meetings_off_the_users_calendar_are_off_limits(env: SchedulingEnv) -> None:
    s = env._state
    other = next(m for m in s.meetings.values() if s.user_id not in m.attendee_ids)
    for name in ("get_meeting", "cancel_meeting", "send_invite"):
        result = run(env, name, meeting_id=other.id)
        assert result.error_kind == "permission_denied", name
    assert s.meetings[other.id].status == "confirmed"


def test_reschedule_cancel_and_invites(env: SchedulingEnv) -> None:
    s = env._state
    off = s.utc_offset_min
    mine = next(
        m
        for m in s.meetings.values()
        if m.organizer_id == s.user_id and m.start > s.now and len(m.attendee_ids) > 1
    )
    guests = [p for p in mine.attendee_ids if p != s.user_id]
    stranger = next(p for p in s.people if p not in mine.attendee_ids)
    bad = run(env, "send_invite", meeting_id=mine.id, person_ids=[stranger])
    assert bad.error_kind == "not_an_attendee"
    start = mine.start + 7 * 1440
    moved = body(
        run(
            env,
            "reschedule_meeting",
            meeting_id=mine.id,
            start=format_iso(start, off),
            end=format_iso(start + mine.end - mine.start, off),
        )
    )
    assert isinstance(moved, dict)
    assert moved["meeting"]["start"] == format_iso(start, off)
    assert moved["attendees_notified"] is False
    sent = body(run(env, "send_invite", meeting_id=mine.id))
    assert isinstance(sent, dict)
    assert sent["sent_to"] == guests
    assert s.invites[-1].start == start
    assert body(run(env, "cancel_meeting", meeting_id=mine.id))["status"] == "cancelled"  # type: ignore[index]
    assert run(env, "cancel_meeting", meeting_id=mine.id).error_kind == "meeting_cancelled"
    assert run(env, "send_invite", meeting_id=mine.id).error_kind == "meeting_cancelled"
    note = body(run(env, "notify", person_ids=guests, message="Cancelled, sorry"))
    assert note == {"sent_to": guests}


def test_list_and_check_rooms(env: SchedulingEnv) -> None:
    s = env._state
    rooms = body(run(env, "list_rooms", min_capacity=12, equipment=["video"]))
    assert isinstance(rooms, list)
    assert rooms
    assert all(r["capacity"] >= 12 and "video" in r["equipment"] for r in rooms)
    booked = next(m for m in s.meetings.values() if m.room_id)
    out = body(
        run(
            env,
            "check_room",
            room_id=booked.room_id,
            start=format_iso(booked.start, 0).replace("+00:00", "Z"),
            end=format_iso(booked.end, s.utc_offset_min),
        )
    )
    assert isinstance(out, dict)
    assert out["available"] is False
    assert out["busy"][0]["start"] == format_iso(booked.start, s.utc_offset_min)


def test_build_state_rejects_foreign_parameters() -> None:
    with pytest.raises(ValueError, match="scheduling world"):
        SchedulingEnv().reset(Task(instruction="x", parameters={"target": 3}))
