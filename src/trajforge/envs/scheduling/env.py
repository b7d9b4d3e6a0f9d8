"""SchedulingEnv: calendars, working hours across time zones, meeting rooms and bookings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import msgspec

from trajforge.envs.base import Environment, Violation
from trajforge.envs.scheduling import availability as av
from trajforge.envs.scheduling.checks import evaluate
from trajforge.envs.scheduling.clock import (
    format_iso,
    hhmm,
    local_midnight,
    offset_label,
    parse_date,
    parse_iso,
)
from trajforge.envs.scheduling.policy import POLICY_RULES, find_violations
from trajforge.envs.scheduling.state import (
    Equipment,
    Invite,
    Meeting,
    Note,
    Person,
    SchedulingState,
    state_from_parameters,
)
from trajforge.envs.scheduling.tasks import HIDDEN_INFO_KEYS, generate_task
from trajforge.envs.tools import ToolError, tool
from trajforge.schema import CheckResult, Task, Trajectory

Id = Annotated[str, msgspec.Meta(min_length=1)]
DateTime = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        extra_json_schema={"format": "date-time"},
        examples=["2025-01-14T14:00:00-05:00"],
    ),
]
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2025-01-14"])]
Minutes = Annotated[int, msgspec.Meta(ge=5, le=720)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
MAX_MEETING_MIN = 720
F = TypeVar("F", bound=Callable[..., Any])


def lookup(func: F) -> F:
    """``@tool(read_only=True)`` with its type kept (``tool``'s factory form is typed ``Any``)."""
    marked: F = tool(read_only=True)(func)
    return marked


@dataclass
class Effect:
    """What the last state-changing call did (for policy replay; not part of the state)."""

    kind: str
    meeting_id: str
    organizer_id: str
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    outside_hours: list[str] = field(default_factory=list)


class SchedulingEnv(Environment):
    """Book, move and cancel meetings for a user whose colleagues work across time zones."""

    name = "scheduling"
    #: 2: an idle episode fails with score 0 (checks that held at the start earn nothing)
    version = "2"
    description = (
        "A calendar assistant: people with calendars, working hours and time zones, meeting rooms "
        "with capacity and equipment, existing bookings, at a fixed simulated 'now'. Requests can "
        "be ambiguous (a shared first name, 'the big room', 'my 3pm', no duration or day) so that "
        "the right move is to ask."
    )
    difficulty_levels = {
        1: "one fully specified booking: named attendees, day, time, duration and room need",
        2: "one ambiguity to ask about (which person, room, meeting, day, time or duration) or a "
        "conflict that needs another slot or room, per the user's stated fallback",
        3: "several attendees across time zones, two ambiguities, and one of the user's own "
        "meetings in the way that must be moved first",
    }
    policy_rules = POLICY_RULES
    hidden_info_keys = HIDDEN_INFO_KEYS
    state_type = SchedulingState

    def __init__(self) -> None:
        super().__init__()
        self._state: SchedulingState
        self.last_effect: Effect | None = None

    # -- tasks, state, judging -------------------------------------------------------------------

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A seeded task of the given difficulty (1, 2 or 3)."""
        return generate_task(seed, difficulty, version=cls.version)

    def build_state(self, task: Task) -> SchedulingState:
        """The world described in ``task.parameters``."""
        try:
            return state_from_parameters(task.parameters)
        except (KeyError, TypeError, ValueError, msgspec.ValidationError) as exc:
            raise ValueError(f"task parameters do not describe a scheduling world: {exc}") from None

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """The task's goal checks on the current state (against the task's initial world)."""
        return evaluate(task, self._state, self.build_state(task))

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Policy violations in a trajectory, found by replaying its calls in a fresh world."""
        return find_violations(trajectory, type(self)())

    # -- helpers ---------------------------------------------------------------------------------

    def _iso(self, minutes: int) -> str:
        return format_iso(minutes, self._state.utc_offset_min)

    def _time(self, value: str, field_name: str) -> int:
        try:
            return parse_iso(value)
        except ValueError as exc:
            raise ToolError(f"{field_name}: {exc}", kind="invalid_time") from None

    def _span(self, start: str, end: str) -> tuple[int, int]:
        lo, hi = self._time(start, "start"), self._time(end, "end")
        if hi <= lo:
            raise ToolError("end: must be after start", kind="invalid_time")
        if hi - lo > MAX_MEETING_MIN:
            raise ToolError(
                f"end: a meeting may last at most {MAX_MEETING_MIN} minutes", kind="invalid_time"
            )
        return lo, hi

    def _day(self, value: str) -> tuple[int, int]:
        try:
            day = parse_date(value)
        except ValueError as exc:
            raise ToolError(f"date: {exc}", kind="invalid_date") from None
        lo = local_midnight(day, self._state.utc_offset_min)
        return lo, lo + 1440

    def _person(self, person_id: str, field_name: str = "person_id") -> Person:
        person = self._state.people.get(person_id)
        if person is None:
            raise ToolError(
                f"{field_name}: no person with id {person_id!r}; use find_person to look people up",
                kind="not_found",
            )
        return person

    def _people(self, person_ids: list[str], field_name: str) -> list[str]:
        seen: list[str] = []
        for pid in person_ids:
            self._person(pid, field_name)
            if pid not in seen:
                seen.append(pid)
        return seen

    def _room_check(self, room_id: str, field_name: str = "room_id") -> None:
        if room_id not in self._state.rooms:
            raise ToolError(
                f"{field_name}: no room with id {room_id!r}; use list_rooms to see the rooms",
                kind="not_found",
            )

    def _my_meeting(self, meeting_id: str) -> Meeting:
        meeting = self._state.meetings.get(meeting_id)
        if meeting is None:
            raise ToolError(f"meeting_id: no meeting with id {meeting_id!r}", kind="not_found")
        if self._state.user_id not in meeting.attendee_ids:
            raise ToolError(
                f"meeting_id: {meeting_id} is not on your calendar", kind="permission_denied"
            )
        return meeting

    def _person_view(self, p: Person) -> dict[str, Any]:
        return {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "team": p.team,
            "timezone": p.timezone,
            "utc_offset": offset_label(p.utc_offset_min),
            "working_hours": f"{hhmm(p.work_start_min)}-{hhmm(p.work_end_min)} Mon-Fri local time",
        }

    def _meeting_view(self, m: Meeting) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": m.id,
            "title": m.title,
            "start": self._iso(m.start),
            "end": self._iso(m.end),
            "organizer_id": m.organizer_id,
            "attendee_ids": list(m.attendee_ids),
            "room_id": m.room_id,
        }
        if m.status != "confirmed":
            view["status"] = m.status
        return view

    def _assess(self, m: Meeting) -> dict[str, Any]:
        clashes = av.conflicts(self._state, m.attendee_ids, m.room_id, m.start, m.end, exclude=m.id)
        outside = av.outside_hours(self._state, m.attendee_ids, m.start, m.end)
        return {"conflicts": clashes, "outside_working_hours": outside}

    # -- read-only tools -------------------------------------------------------------------------

    @lookup
    def whoami(self) -> dict[str, Any]:
        """Who the user is, the current date and time, and the time zone all times are shown in."""
        s = self._state
        return {
            "user": self._person_view(s.people[s.user_id]),
            "now": self._iso(s.now),
            "timezone": s.timezone,
            "utc_offset": offset_label(s.utc_offset_min),
        }

    @lookup
    def list_people(self, team: str | None = None) -> list[dict[str, Any]]:
        """List the people in the directory (id, name, team, time zone).

        Args:
            team: only people in this team (e.g. "Design"); all teams when omitted.
        """
        people = list(self._state.people.values())
        if team is not None:
            teams = sorted({p.team for p in people})
            wanted = team.strip().lower()
            people = [p for p in people if p.team.lower() == wanted]
            if not people:
                raise ToolError(
                    f"team: no team {team!r}; teams are {', '.join(teams)}", kind="not_found"
                )
        return [
            {"id": p.id, "name": p.name, "team": p.team, "timezone": p.timezone} for p in people
        ]

    @lookup
    def find_person(self, name: Annotated[str, msgspec.Meta(min_length=1)]) -> list[dict[str, Any]]:
        """Find people by (part of) their name or email; several people may share a first name.

        Args:
            name: a first name, last name, full name or email to look for (case-insensitive).
        """
        query = name.strip().lower()
        words = query.split()
        found = []
        for p in self._state.people.values():
            parts = p.name.lower().split()
            if query in p.email or all(any(part.startswith(w) for part in parts) for w in words):
                found.append(self._person_view(p))
        if not found:
            raise ToolError(f"name: nobody matches {name!r}", kind="not_found")
        return found

    @lookup
    def get_calendar(self, person_id: Id, date: Day) -> dict[str, Any]:
        """A person's calendar for one day (in the user's time zone). Other people's meetings that
        the user is not in show only as busy.

        Args:
            person_id: the person's id (see find_person or whoami).
            date: the day, YYYY-MM-DD, in the user's time zone.
        """
        person = self._person(person_id)
        lo, hi = self._day(date)
        me = self._state.user_id
        events: list[dict[str, Any]] = []
        for m in sorted(self._state.meetings.values(), key=lambda m: (m.start, m.id)):
            if m.status != "confirmed" or m.start >= hi or m.end <= lo:
                continue
            if person_id not in m.attendee_ids:
                continue
            if me in m.attendee_ids:
                events.append(self._meeting_view(m))
            else:
                events.append({"start": self._iso(m.start), "end": self._iso(m.end), "busy": True})
        hours = [
            {"start": self._iso(a), "end": self._iso(b)}
            for a, b in av.work_intervals(person, lo, hi)
        ]
        return {
            "person_id": person.id,
            "name": person.name,
            "date": date,
            "working_hours": hours,
            "events": events,
        }

    @lookup
    def get_meeting(self, meeting_id: Id) -> dict[str, Any]:
        """Details of a meeting on the user's calendar.

        Args:
            meeting_id: the meeting's id (see get_calendar).
        """
        return self._meeting_view(self._my_meeting(meeting_id))

    @lookup
    def find_free_slots(
        self,
        person_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=20)],
        date: Day,
        duration_min: Minutes,
    ) -> dict[str, Any]:
        """Windows on a day when all the given people are inside their working hours and free,
        at least duration_min long and not in the past.

        Args:
            person_ids: everyone who must attend (include the user's own id for their calendar).
            date: the day, YYYY-MM-DD, in the user's time zone.
            duration_min: the meeting length in minutes.
        """
        ids = self._people(person_ids, "person_ids")
        lo, hi = self._day(date)
        windows = av.free_windows(self._state, ids, lo, hi, duration_min)
        return {
            "date": date,
            "duration_min": duration_min,
            "free": [{"start": self._iso(a), "end": self._iso(b)} for a, b in windows],
        }

    @lookup
    def list_rooms(
        self,
        min_capacity: Annotated[int, msgspec.Meta(ge=1, le=500)] = 1,
        equipment: list[Equipment] | None = None,
    ) -> list[dict[str, Any]]:
        """List meeting rooms with at least ``min_capacity`` seats and all the given equipment.

        Args:
            min_capacity: the fewest seats the room must have.
            equipment: equipment the room must have (projector, video, whiteboard).
        """
        wanted = set(equipment or ())
        return [
            {
                "id": r.id,
                "name": r.name,
                "floor": r.floor,
                "capacity": r.capacity,
                "equipment": list(r.equipment),
            }
            for r in self._state.rooms.values()
            if r.capacity >= min_capacity and wanted.issubset(r.equipment)
        ]

    @lookup
    def check_room(self, room_id: Id, start: DateTime, end: DateTime) -> dict[str, Any]:
        """Whether a room is free for a time range, and its bookings overlapping it.

        Args:
            room_id: the room's id (see list_rooms).
            start: ISO 8601 start with a UTC offset, e.g. 2025-01-14T14:00:00-05:00.
            end: ISO 8601 end with a UTC offset.
        """
        self._room_check(room_id)
        lo, hi = self._span(start, end)
        busy = av.room_bookings(self._state, room_id, lo, hi)
        return {
            "room_id": room_id,
            "available": not busy,
            "busy": [{"start": self._iso(m.start), "end": self._iso(m.end)} for m in busy],
        }

    # -- state-changing tools --------------------------------------------------------------------

    @tool
    def book_meeting(
        self,
        title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)],
        attendee_ids: Annotated[list[Id], msgspec.Meta(max_length=50)],
        start: DateTime,
        end: DateTime,
        room_id: str | None = None,
    ) -> dict[str, Any]:
        """Put a meeting organised by the user on everyone's calendar (the user is added).
        Invitations are not sent: use send_invite afterwards.

        Args:
            title: the meeting's title.
            attendee_ids: ids of the people to invite (besides the user).
            start: ISO 8601 start with a UTC offset, e.g. 2025-01-14T14:00:00-05:00.
            end: ISO 8601 end with a UTC offset.
            room_id: the room to book (see list_rooms); omit for a call with no room.
        """
        s = self._state
        lo, hi = self._span(start, end)
        others = self._people(attendee_ids, "attendee_ids")
        attendees = [s.user_id, *[p for p in others if p != s.user_id]]
        if lo < s.now:
            raise ToolError(
                f"start: {start} is in the past (now is {self._iso(s.now)})", kind="in_past"
            )
        if room_id is not None:
            self._room_check(room_id)
            room = s.rooms[room_id]
            if room.capacity < len(attendees):
                raise ToolError(
                    f"room_id: {room.name} seats {room.capacity}, fewer than the "
                    f"{len(attendees)} attendees",
                    kind="capacity_exceeded",
                )
        meeting = Meeting(
            id=f"m-{s.next_meeting_num}",
            title=title,
            organizer_id=s.user_id,
            attendee_ids=attendees,
            start=lo,
            end=hi,
            room_id=room_id,
        )
        report = self._assess(meeting)
        s.next_meeting_num += 1
        s.meetings[meeting.id] = meeting
        self.last_effect = Effect(
            "book", meeting.id, s.user_id, report["conflicts"], report["outside_working_hours"]
        )
        return {"meeting": self._meeting_view(meeting), **report, "invites_sent": False}

    @tool(idempotent=True)
    def reschedule_meeting(
        self, meeting_id: Id, start: DateTime, end: DateTime, room_id: str | None = None
    ) -> dict[str, Any]:
        """Move a meeting on the user's calendar to a new time (and optionally another room).
        Attendees are not told: use send_invite afterwards.

        Args:
            meeting_id: the meeting to move.
            start: new ISO 8601 start with a UTC offset.
            end: new ISO 8601 end with a UTC offset.
            room_id: a new room for it; omit to keep its room.
        """
        s = self._state
        meeting = self._my_meeting(meeting_id)
        if meeting.status != "confirmed":
            raise ToolError(f"meeting_id: {meeting_id} is cancelled", kind="meeting_cancelled")
        lo, hi = self._span(start, end)
        if lo < s.now:
            raise ToolError(
                f"start: {start} is in the past (now is {self._iso(s.now)})", kind="in_past"
            )
        new_room = meeting.room_id if room_id is None else room_id
        if new_room is not None and room_id is not None:
            self._room_check(room_id)
            room = s.rooms[room_id]
            if room.capacity < len(meeting.attendee_ids):
                raise ToolError(
                    f"room_id: {room.name} seats {room.capacity}, fewer than the "
                    f"{len(meeting.attendee_ids)} attendees",
                    kind="capacity_exceeded",
                )
        meeting.start, meeting.end, meeting.room_id = lo, hi, new_room
        report = self._assess(meeting)
        self.last_effect = Effect(
            "reschedule",
            meeting.id,
            meeting.organizer_id,
            report["conflicts"],
            report["outside_working_hours"],
        )
        return {"meeting": self._meeting_view(meeting), **report, "attendees_notified": False}

    @tool(idempotent=True)
    def cancel_meeting(self, meeting_id: Id) -> dict[str, Any]:
        """Cancel a meeting on the user's calendar for everyone.

        Args:
            meeting_id: the meeting to cancel.
        """
        meeting = self._my_meeting(meeting_id)
        if meeting.status == "cancelled":
            raise ToolError(
                f"meeting_id: {meeting_id} is already cancelled", kind="meeting_cancelled"
            )
        meeting.status = "cancelled"
        self.last_effect = Effect("cancel", meeting.id, meeting.organizer_id)
        return {
            "meeting_id": meeting.id,
            "title": meeting.title,
            "organizer_id": meeting.organizer_id,
            "status": "cancelled",
        }

    @tool
    def send_invite(
        self,
        meeting_id: Id,
        person_ids: list[Id] | None = None,
        message: Annotated[str, msgspec.Meta(max_length=2000)] = "",
    ) -> dict[str, Any]:
        """Send a meeting's invitation (or an update after a change) with its current time and room.

        Args:
            meeting_id: the meeting to announce.
            person_ids: who to send it to; all attendees except the user when omitted.
            message: an optional note to include.
        """
        s = self._state
        meeting = self._my_meeting(meeting_id)
        if meeting.status != "confirmed":
            raise ToolError(f"meeting_id: {meeting_id} is cancelled", kind="meeting_cancelled")
        if person_ids is None:
            targets = [p for p in meeting.attendee_ids if p != s.user_id]
        else:
            targets = self._people(person_ids, "person_ids")
            strangers = [p for p in targets if p not in meeting.attendee_ids]
            if strangers:
                raise ToolError(
                    f"person_ids: {', '.join(strangers)} not attendees of {meeting_id}",
                    kind="not_an_attendee",
                )
        if not targets:
            raise ToolError("person_ids: nobody to invite", kind="invalid_request")
        s.invites.append(
            Invite(
                meeting_id=meeting.id,
                person_ids=targets,
                start=meeting.start,
                end=meeting.end,
                room_id=meeting.room_id,
                message=message,
            )
        )
        return {
            "meeting_id": meeting.id,
            "sent_to": targets,
            "start": self._iso(meeting.start),
            "end": self._iso(meeting.end),
        }

    @tool
    def notify(
        self,
        person_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=50)],
        message: Text,
    ) -> dict[str, Any]:
        """Send a short message to people (e.g. to explain a change).

        Args:
            person_ids: who to message.
            message: the text to send.
        """
        targets = self._people(person_ids, "person_ids")
        self._state.notes.append(Note(person_ids=targets, message=message))
        return {"sent_to": targets}
