"""The whole mutable state of the scheduling world, and its layout in task parameters.

Instants are whole minutes since the epoch (UTC) in the state for speed; task parameters and tool
results show them as ISO strings in the world's local time zone (the user's office) with offsets.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import msgspec

from trajforge.envs.scheduling.clock import format_iso, hhmm, offset_label, parse_iso, parse_offset

Equipment = Literal["projector", "video", "whiteboard"]
EQUIPMENT: tuple[str, ...] = ("projector", "video", "whiteboard")


class Person(msgspec.Struct, kw_only=True):
    """Someone in the directory, with a calendar and working hours in their own time zone."""

    id: str
    name: str
    email: str
    team: str
    timezone: str
    utc_offset_min: int
    work_start_min: int
    work_end_min: int


class Room(msgspec.Struct, kw_only=True):
    """A bookable meeting room."""

    id: str
    name: str
    floor: int
    capacity: int
    equipment: list[str]


class Meeting(msgspec.Struct, kw_only=True):
    """A calendar event; ``attendee_ids`` includes the organizer (alone for a personal block)."""

    id: str
    title: str
    organizer_id: str
    attendee_ids: list[str]
    start: int
    end: int
    room_id: str | None = None
    status: Literal["confirmed", "cancelled"] = "confirmed"


class Invite(msgspec.Struct, kw_only=True):
    """An invitation (or update) sent for a meeting, with the time and room it announced."""

    meeting_id: str
    person_ids: list[str]
    start: int
    end: int
    room_id: str | None = None
    message: str = ""


class Note(msgspec.Struct, kw_only=True):
    """A free-form notification sent to people."""

    person_ids: list[str]
    message: str


class SchedulingState(msgspec.Struct, kw_only=True):
    """People, rooms, meetings and what was sent, at a fixed simulated "now"."""

    now: int
    timezone: str
    utc_offset_min: int
    user_id: str
    people: dict[str, Person]
    rooms: dict[str, Room]
    meetings: dict[str, Meeting]
    invites: list[Invite] = []
    notes: list[Note] = []
    next_meeting_num: int = 2001


# ---------------------------------------------------------------- task parameters layout


def state_to_parameters(state: SchedulingState) -> dict[str, Any]:
    """The world part of task parameters: readable, JSON-able, times as ISO strings."""
    off = state.utc_offset_min
    people = [
        {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "team": p.team,
            "timezone": p.timezone,
            "utc_offset": offset_label(p.utc_offset_min),
            "working_hours": f"{hhmm(p.work_start_min)}-{hhmm(p.work_end_min)}",
        }
        for p in state.people.values()
    ]
    rooms = [msgspec.to_builtins(r) for r in state.rooms.values()]
    meetings = []
    for m in state.meetings.values():
        row: dict[str, Any] = {
            "id": m.id,
            "title": m.title,
            "organizer_id": m.organizer_id,
            "attendee_ids": list(m.attendee_ids),
            "start": format_iso(m.start, off),
            "end": format_iso(m.end, off),
        }
        if m.room_id is not None:
            row["room_id"] = m.room_id
        meetings.append(row)
    return {
        "now": format_iso(state.now, off),
        "timezone": state.timezone,
        "utc_offset": offset_label(off),
        "user_id": state.user_id,
        "people": people,
        "rooms": rooms,
        "meetings": meetings,
    }


@lru_cache(maxsize=256)  # "09:30": pieces of the working hours labels, a few dozen
def _minutes_of(label: str) -> int:
    hours, minutes = label.split(":")
    return int(hours) * 60 + int(minutes)


def state_from_parameters(world: dict[str, Any]) -> SchedulingState:
    """Build the initial state from the ``world`` part of task parameters."""
    people: dict[str, Person] = {}
    for row in world["people"]:
        start, end = row["working_hours"].split("-")
        people[row["id"]] = Person(
            id=row["id"],
            name=row["name"],
            email=row["email"],
            team=row["team"],
            timezone=row["timezone"],
            utc_offset_min=parse_offset(row["utc_offset"]),
            work_start_min=_minutes_of(start),
            work_end_min=_minutes_of(end),
        )
    rooms = {row["id"]: msgspec.convert(row, Room) for row in world["rooms"]}
    meetings = {
        row["id"]: Meeting(
            id=row["id"],
            title=row["title"],
            organizer_id=row["organizer_id"],
            attendee_ids=list(row["attendee_ids"]),
            start=parse_iso(row["start"]),
            end=parse_iso(row["end"]),
            room_id=row.get("room_id"),
        )
        for row in world["meetings"]
    }
    return SchedulingState(
        now=parse_iso(world["now"]),
        timezone=world["timezone"],
        utc_offset_min=parse_offset(world["utc_offset"]),
        user_id=world["user_id"],
        people=people,
        rooms=rooms,
        meetings=meetings,
    )
