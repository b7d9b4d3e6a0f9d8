"""Goal checks over the final state, against the task's initial world (partial credit per check)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trajforge.envs.scheduling.clock import local_date, parse_iso
from trajforge.envs.scheduling.state import Meeting, SchedulingState
from trajforge.schema import CheckResult, GoalCheck, Task


class _Context:
    """The final and initial states, with the booked meeting found once per attendee list."""

    def __init__(self, state: SchedulingState, initial: SchedulingState) -> None:
        self.state = state
        self.initial = initial
        self._booked: dict[tuple[str, ...], Meeting | None] = {}

    def new_meetings(self) -> list[Meeting]:
        return [
            m
            for mid, m in self.state.meetings.items()
            if mid not in self.initial.meetings and m.status == "confirmed"
        ]

    def booked(self, attendee_ids: list[str]) -> Meeting | None:
        """The new meeting that best matches the wanted attendees (the first one on a tie)."""
        key = tuple(sorted(attendee_ids))
        if key not in self._booked:
            best: Meeting | None = None
            best_score = -1.0
            for m in self.new_meetings():
                score = _jaccard(self._guests(m), set(key))
                if score > best_score:
                    best, best_score = m, score
            self._booked[key] = best
        return self._booked[key]

    def _guests(self, m: Meeting) -> set[str]:
        return {p for p in m.attendee_ids if p != m.organizer_id}

    def invited(self, m: Meeting) -> set[str]:
        """People who got an invite announcing the meeting's current time and room."""
        out: set[str] = set()
        for inv in self.state.invites:
            if inv.meeting_id == m.id and (inv.start, inv.end, inv.room_id) == (
                m.start,
                m.end,
                m.room_id,
            ):
                out.update(inv.person_ids)
        return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _missing(name: str) -> CheckResult:
    return CheckResult(name=name, passed=False, score=0.0, detail="no new meeting was booked")


def _attendees(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.booked(p["attendee_ids"])
    if m is None:
        return _missing(name)
    got, want = ctx._guests(m), set(p["attendee_ids"])
    score = _jaccard(got, want)
    detail = (
        f"{m.id}: missing {sorted(want - got)}, extra {sorted(got - want)}" if score < 1 else m.id
    )
    return CheckResult(name=name, passed=got == want, score=score, detail=detail)


def _time(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.booked(p["attendee_ids"])
    if m is None:
        return _missing(name)
    lo, hi = parse_iso(p["earliest_start"]), parse_iso(p["latest_end"])
    exact = p.get("exact_start")
    ok = lo <= m.start and m.end <= hi and (exact is None or m.start == parse_iso(exact))
    if ok:
        return CheckResult(name=name, passed=True, score=1.0, detail=m.id)
    off = ctx.state.utc_offset_min
    same_day = local_date(m.start, off) == local_date(lo, off)
    return CheckResult(
        name=name,
        passed=False,
        score=0.5 if same_day else 0.0,
        detail=f"{m.id} is outside the wanted time" + (" (right day)" if same_day else ""),
    )


def _duration(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.booked(p["attendee_ids"])
    if m is None:
        return _missing(name)
    got = m.end - m.start
    ok = got == p["duration_min"]
    return CheckResult(name=name, passed=ok, score=float(ok), detail=f"{m.id} lasts {got} min")


def _room(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.booked(p["attendee_ids"])
    if m is None:
        return _missing(name)
    room = ctx.state.rooms.get(m.room_id) if m.room_id else None
    if room is None:
        ok = False
    elif "room_id" in p:
        ok = room.id == p["room_id"]
    else:
        ok = (
            room.capacity >= p.get("min_capacity", 1)
            and set(p.get("equipment", [])) <= set(room.equipment)
            and room.id != p.get("avoid_room_id")
        )
    return CheckResult(name=name, passed=ok, score=float(ok), detail=f"{m.id} room {m.room_id}")


def _invites(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.booked(p["attendee_ids"])
    if m is None:
        return _missing(name)
    want = ctx._guests(m)
    if not want:
        return CheckResult(name=name, passed=True, score=1.0, detail="nobody to invite")
    got = ctx.invited(m) & want
    score = len(got) / len(want)
    return CheckResult(
        name=name, passed=score == 1.0, score=score, detail=f"not invited: {sorted(want - got)}"
    )


def _rescheduled(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.state.meetings.get(p["meeting_id"])
    if m is None or m.status != "confirmed":
        return CheckResult(name=name, passed=False, score=0.0, detail=f"{p['meeting_id']} is gone")
    original = parse_iso(p["original_start"])
    if m.start == original:
        return CheckResult(name=name, passed=False, score=0.0, detail=f"{m.id} was not moved")
    off = ctx.state.utc_offset_min
    right_length = m.end - m.start == p["duration_min"]
    same_day = local_date(m.start, off) == local_date(original, off)
    exact = p.get("exact_start")
    if exact is not None:
        in_time = m.start == parse_iso(exact)
    else:
        in_time = same_day and m.start > original and m.end <= parse_iso(p["latest_end"])
    ok = right_length and in_time
    score = 1.0 if ok else 0.5 * right_length + 0.25 * same_day
    return CheckResult(name=name, passed=ok, score=score, detail=f"{m.id} moved")


def _notified(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    m = ctx.state.meetings.get(p["meeting_id"])
    if m is None or m.status != "confirmed":
        return CheckResult(name=name, passed=False, score=0.0, detail=f"{p['meeting_id']} is gone")
    want = ctx._guests(m) - {ctx.state.user_id}
    if not want:
        return CheckResult(name=name, passed=True, score=1.0, detail="nobody to notify")
    got = ctx.invited(m) & want
    score = len(got) / len(want)
    return CheckResult(
        name=name, passed=score == 1.0, score=score, detail=f"not updated: {sorted(want - got)}"
    )


def _overlaps(state: SchedulingState) -> set[tuple[str, str, str]]:
    """Pairs of confirmed meetings that share a person or room and overlap in time."""
    live = sorted(
        (m for m in state.meetings.values() if m.status == "confirmed"),
        key=lambda m: (m.start, m.id),
    )
    out: set[tuple[str, str, str]] = set()
    for i, a in enumerate(live):
        people = set(a.attendee_ids)
        for b in live[i + 1 :]:
            if b.start >= a.end:
                break
            for pid in sorted(people.intersection(b.attendee_ids)):
                out.add((a.id, b.id, pid))
            if a.room_id is not None and a.room_id == b.room_id:
                out.add((a.id, b.id, a.room_id))
    return out


def _no_conflicts(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    new = sorted(_overlaps(ctx.state) - _overlaps(ctx.initial))
    detail = "; ".join(f"{a} and {b} both hold {who}" for a, b, who in new[:5]) or None
    return CheckResult(name=name, passed=not new, score=float(not new), detail=detail)


def _signature(m: Meeting) -> tuple[Any, ...]:
    return (m.title, m.start, m.end, m.room_id, m.status, tuple(m.attendee_ids))


def _nothing_else(ctx: _Context, name: str, p: dict[str, Any]) -> CheckResult:
    allowed = set(p.get("allowed_meeting_ids", []))
    changed = [
        mid
        for mid, m in ctx.initial.meetings.items()
        if mid not in allowed and _signature(ctx.state.meetings[mid]) != _signature(m)
    ]
    extra = max(0, len(ctx.new_meetings()) - int(p.get("new_meetings", 0)))
    n = len(changed) + extra
    detail = f"changed {changed}, {extra} extra new meeting(s)" if n else None
    return CheckResult(name=name, passed=n == 0, score=1.0 / (1 + n), detail=detail)


CHECKS: dict[str, Callable[[_Context, str, dict[str, Any]], CheckResult]] = {
    "meeting_attendees": _attendees,
    "meeting_time": _time,
    "meeting_duration": _duration,
    "meeting_room": _room,
    "invites_sent": _invites,
    "meeting_rescheduled": _rescheduled,
    "reschedule_notified": _notified,
    "no_conflicts": _no_conflicts,
    "nothing_else_changed": _nothing_else,
}


def evaluate(task: Task, state: SchedulingState, initial: SchedulingState) -> list[CheckResult]:
    """Run the task's goal checks on ``state``; unknown check names fail with a clear detail."""
    ctx = _Context(state, initial)
    results = []
    for check in task.goal_checks:
        fn = CHECKS.get(check.name)
        if fn is None:
            results.append(
                CheckResult(name=check.name, passed=False, score=0.0, detail="unknown goal check")
            )
            continue
        results.append(fn(ctx, check.name, check.params))
    return results


__all__ = ["CHECKS", "GoalCheck", "evaluate"]
