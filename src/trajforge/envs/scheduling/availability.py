"""Calendar arithmetic over the state: working hours, busy times, free windows and conflicts.

Shared by the tools, the task generator (which checks that its tasks are solvable) and the goal
checks, so all three agree on what "free" and "conflict" mean. Intervals are half-open
``(start, end)`` pairs of epoch minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trajforge.envs.scheduling.clock import MINUTES_PER_DAY, is_weekday
from trajforge.envs.scheduling.state import Meeting, Person, SchedulingState

Interval = tuple[int, int]


def work_intervals(person: Person, lo: int, hi: int) -> list[Interval]:
    """The person's working hours (Monday to Friday, in their own zone) clipped to [lo, hi)."""
    off = person.utc_offset_min
    out: list[Interval] = []
    first = (lo + off) // MINUTES_PER_DAY - 1
    last = (hi + off) // MINUTES_PER_DAY + 1
    for day_no in range(first, last + 1):
        if not is_weekday(day_no):
            continue
        base = day_no * MINUTES_PER_DAY - off
        start = max(base + person.work_start_min, lo)
        end = min(base + person.work_end_min, hi)
        if start < end:
            out.append((start, end))
    return out


def within_hours(person: Person, start: int, end: int) -> bool:
    """Whether [start, end) lies inside one stretch of the person's working hours."""
    return (start, end) in work_intervals(person, start, end)


def busy_intervals(
    state: SchedulingState, person_id: str, lo: int, hi: int, exclude: str | None = None
) -> list[Interval]:
    """Sorted busy intervals of a person overlapping [lo, hi) (confirmed meetings only)."""
    out = [
        (m.start, m.end)
        for m in state.meetings.values()
        if m.status == "confirmed"
        and m.start < hi
        and m.end > lo
        and m.id != exclude
        and person_id in m.attendee_ids
    ]
    out.sort()
    return out


def subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    """Sorted ``free`` minus sorted ``busy``."""
    out: list[Interval] = []
    for start, end in free:
        cursor = start
        for b_start, b_end in busy:
            if b_end <= cursor:
                continue
            if b_start >= end:
                break
            if b_start > cursor:
                out.append((cursor, b_start))
            cursor = max(cursor, b_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Intersection of two sorted, non-overlapping interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def free_windows(
    state: SchedulingState,
    person_ids: Iterable[str],
    lo: int,
    hi: int,
    duration: int,
    exclude: str | None = None,
) -> list[Interval]:
    """Windows in [lo, hi), not in the past, where everyone is working and free for ``duration``."""
    lo = max(lo, state.now)
    common: list[Interval] | None = [(lo, hi)] if lo < hi else []
    for pid in person_ids:
        person = state.people[pid]
        free = subtract(work_intervals(person, lo, hi), busy_intervals(state, pid, lo, hi, exclude))
        common = intersect(common or [], free)
        if not common:
            return []
    return [w for w in common or [] if w[1] - w[0] >= duration]


def room_bookings(
    state: SchedulingState, room_id: str, lo: int, hi: int, exclude: str | None = None
) -> list[Meeting]:
    """Confirmed meetings in a room overlapping [lo, hi), by start."""
    found = [
        m
        for m in state.meetings.values()
        if m.room_id == room_id
        and m.status == "confirmed"
        and m.start < hi
        and m.end > lo
        and m.id != exclude
    ]
    found.sort(key=lambda m: (m.start, m.id))
    return found


def conflicts(
    state: SchedulingState,
    attendee_ids: list[str],
    room_id: str | None,
    start: int,
    end: int,
    exclude: str | None = None,
) -> list[dict[str, Any]]:
    """Double bookings a meeting at [start, end) would have: per attendee and for the room."""
    out: list[dict[str, Any]] = []
    wanted = set(attendee_ids)
    for m in sorted(state.meetings.values(), key=lambda m: (m.start, m.id)):
        if m.status != "confirmed" or m.id == exclude or m.start >= end or m.end <= start:
            continue
        for pid in m.attendee_ids:
            if pid in wanted:
                out.append({"type": "attendee", "person_id": pid, "meeting_id": m.id})
        if room_id is not None and m.room_id == room_id:
            out.append({"type": "room", "room_id": room_id, "meeting_id": m.id})
    return out


def outside_hours(
    state: SchedulingState, attendee_ids: list[str], start: int, end: int
) -> list[str]:
    """Attendees for whom [start, end) is not inside their working hours."""
    return [pid for pid in attendee_ids if not within_hours(state.people[pid], start, end)]
