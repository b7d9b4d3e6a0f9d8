"""The seeded task generator: a world, a request (sometimes ambiguous), its truth and solution.

Every task is built the same way: draft a world, place what the scenario needs (the slot the
meeting must take, a blocking meeting, the user's meeting that is in the way), protect the times the
solution relies on, fill the calendars with background meetings, then compute the expert's answer
with the same calendar arithmetic the tools use and check that it holds (else draw again).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

from trajforge.envs.base import derive_seed
from trajforge.envs.scheduling import availability as av
from trajforge.envs.scheduling import phrasing as ph
from trajforge.envs.scheduling.clock import format_iso, minute_of_day
from trajforge.envs.scheduling.state import EQUIPMENT, Meeting, state_to_parameters
from trajforge.envs.scheduling.world import GROUP_TITLES, LARGE_CAPACITY, Draft
from trajforge.schema import ExpectedAction, GoalCheck, Task

ENV_NAME: Final = "scheduling"
#: the version of the task draws (not of the environment): the same seed keeps giving the same
#: task when only the environment's behaviour changes
DRAWS_VERSION: Final = "1"
DOMAIN: Final = "calendar"
FIRST_NEW_MEETING: Final = "m-2001"

HIDDEN_INFO_KEYS: Final = {
    "attendee": "who the user means by each name (which one, when a first name is shared)",
    "date": "which day the meeting should be on",
    "time_preference": "what time of day the user wants",
    "duration": "how long the meeting should be",
    "room": "which room the user means, or what kind of room they need",
    "meeting": "which existing meeting the user means (e.g. by 'my 3pm')",
}

TITLES: Final = (
    "Budget review", "Design review", "Q3 planning", "Hiring debrief", "Vendor check-in",
    "Roadmap sync", "Launch retro", "Customer escalation", "Onboarding plan",
    "Pricing discussion", "Security review", "Content calendar", "Partnership kickoff",
    "Contract walkthrough", "Analytics deep dive", "Offsite planning", "Brand refresh",
    "API review", "Support backlog triage", "Board deck prep", "Data migration sync",
    "Campaign kickoff", "Compliance check-in", "Team health check",
)  # fmt: skip
LEVEL2_VARIANTS: Final = (
    "amb_attendee", "amb_room", "amb_duration", "amb_time", "amb_date", "amb_meeting",
    "conflict_room", "conflict_slot",
)  # fmt: skip
LEVEL3_AMBIGUITIES: Final = ("attendee", "duration", "room", "date")
_PREFERENCES: Final = (
    (600, 720, "Late morning, between 10am and noon."),
    (690, 840, "Around lunchtime, between 11:30am and 2pm."),
    (780, 1020, "In the afternoon, between 1pm and 5pm."),
    (900, 1080, "Late in the afternoon, after 3pm."),
)

RoomMode = Literal["named", "requirement", "none", "big"]


class _RetryError(Exception):
    """The draw does not give a solvable task: draw again."""


@dataclass
class RoomNeed:
    """What room the request asks for; ``fallback``: the named room may be swapped per a rule."""

    mode: RoomMode
    min_capacity: int
    room_id: str | None = None
    equipment: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    fallback: bool = False


@dataclass
class Booking:
    """The meeting to book and the expert's choice of time and room."""

    title: str
    attendees: list[str]
    refs: list[str]
    day: date
    duration: int
    need: RoomNeed
    start: int = 0
    earliest: int = 0
    latest: int = 0
    exact: bool = True
    room_id: str | None = None


@dataclass
class Move:
    """An existing meeting of the user's to move, and the expert's new time for it."""

    meeting: Meeting
    original_start: int
    start: int = 0
    latest: int = 0
    exact: bool = True


@dataclass
class Spec:
    """Everything a built task needs, before it becomes a Task."""

    draft: Draft
    variant: str
    instruction: str
    ambiguous: list[str]
    hidden: dict[str, str]
    actions: list[ExpectedAction]
    booking: Booking | None = None
    move: Move | None = None


def generate_task(seed: int, difficulty: int, *, version: str) -> Task:
    """A task for ``seed`` at ``difficulty`` (1, 2 or 3); the same inputs give the same task."""
    builders = {1: _level1, 2: _level2, 3: _level3}
    if difficulty not in builders:
        raise ValueError(f"difficulty must be 1, 2 or 3, not {difficulty!r}")
    rng = random.Random(derive_seed(ENV_NAME, DRAWS_VERSION, seed, difficulty))
    for _ in range(200):
        try:
            spec = builders[difficulty](rng)
        except _RetryError:
            continue
        return _to_task(spec, seed, difficulty, version)
    raise RuntimeError(f"could not build a scheduling task for seed {seed}")  # pragma: no cover


# ---------------------------------------------------------------- shared helpers


def _iso(d: Draft, minutes: int) -> str:
    return format_iso(minutes, d.office_off)


def _local_minute(d: Draft, minutes: int) -> int:
    return minute_of_day(minutes, d.office_off)


def _ref(d: Draft, pid: str, rng: random.Random) -> str:
    """How the user names a person: the first name when it is unique (sometimes), else in full."""
    if not d.name_is_shared(pid) and rng.random() < 0.5:
        return d.first_name(pid)
    return d.state.people[pid].name


def _choose_people(
    d: Draft, rng: random.Random, k: int, *, exclude: set[str], office_bias: float = 0.8
) -> list[str]:
    pool = [p for p in d.state.people if p != d.user_id and p not in exclude]
    office = [p for p in pool if d.state.people[p].timezone == d.office_tz]
    chosen: list[str] = []
    for _ in range(k):
        source = office if office and rng.random() < office_bias else pool
        source = [p for p in source if p not in chosen] or [p for p in pool if p not in chosen]
        if not source:
            raise _RetryError
        chosen.append(rng.choice(source))
    return chosen


def _slot(d: Draft, rng: random.Random, pids: list[str], day: date, duration: int) -> int:
    """A random start on the half-hour grid where everyone works and is free for ``duration``."""
    options = [
        t
        for a, b in d.common_hours(pids, day)
        for t in range(a, b - duration + 1, 30)
        if all(d.is_free(p, t, t + duration) for p in pids)
    ]
    if not options:
        raise _RetryError
    return rng.choice(options)


def _room_need(d: Draft, rng: random.Random, n: int, modes: tuple[RoomMode, ...]) -> RoomNeed:
    mode = rng.choice(modes)
    fits = [r for r in d.state.rooms.values() if r.capacity >= n]
    if mode == "none":
        return RoomNeed("none", n)
    if mode == "big":
        large = [r.id for r in d.state.rooms.values() if r.capacity >= LARGE_CAPACITY]
        return RoomNeed("big", n, rng.choice(large), candidates=large)
    if not fits:
        raise _RetryError
    base = rng.choice(fits)
    if mode == "named":
        return RoomNeed("named", n, base.id, candidates=[base.id])
    kit = rng.sample(base.equipment, rng.randint(0, min(2, len(base.equipment))))
    equipment = [e for e in EQUIPMENT if e in kit]
    return RoomNeed("requirement", n, equipment=equipment, candidates=[base.id])


def _protect(d: Draft, pids: list[str], rooms: list[str], start: int, end: int) -> None:
    for key in [*pids, *rooms]:
        d.protect(key, start, end)


def _fill(d: Draft, rng: random.Random, *days: date) -> None:
    d.fill(sorted(set(days) | set(rng.sample(d.horizon(), 2))))


def _room_free(d: Draft, room_id: str, start: int, end: int, exclude: str | None = None) -> bool:
    return not av.room_bookings(d.state, room_id, start, end, exclude)


def _qualifies(d: Draft, room_id: str, need: RoomNeed) -> bool:
    room = d.state.rooms[room_id]
    return room.capacity >= need.min_capacity and set(need.equipment) <= set(room.equipment)


def _pick_room(d: Draft, need: RoomNeed, start: int, end: int) -> str | None:
    """The expert's room: the one asked for, else the smallest free room that qualifies."""
    if need.mode == "none":
        return None
    if need.mode in ("named", "big") and not need.fallback:
        assert need.room_id is not None
        if not _room_free(d, need.room_id, start, end):
            raise _RetryError
        return need.room_id
    options = sorted(
        (r.capacity, r.id)
        for r in d.state.rooms.values()
        if r.id != (need.room_id if need.fallback else None)
        and _qualifies(d, r.id, need)
        and _room_free(d, r.id, start, end)
    )
    if not options:
        raise _RetryError
    return options[0][1]


def _everyone_free(
    d: Draft, pids: list[str], start: int, end: int, exclude: str | None = None
) -> bool:
    day_lo = start - start % 1440 - 1440
    windows = av.free_windows(d.state, pids, day_lo, day_lo + 4 * 1440, end - start, exclude)
    return any(a <= start and end <= b for a, b in windows)


def _settle_exact(d: Draft, b: Booking, start: int) -> None:
    """The booking at a fixed start: check everyone is free, pick the room."""
    end = start + b.duration
    if not _everyone_free(d, [d.user_id, *b.attendees], start, end):
        raise _RetryError
    b.start, b.earliest, b.latest, b.exact = start, start, end, True
    b.room_id = _pick_room(d, b.need, start, end)


def _room_sentence(d: Draft, need: RoomNeed, rng: random.Random) -> str:
    eq = ph.equipment_phrase(need.equipment)
    n = need.min_capacity
    if need.mode == "none":
        return rng.choice(
            ["No room needed, it's a video call.", "We don't need a room; it's on video."]
        )
    if need.mode == "big":
        return rng.choice(
            ["Book the big room.", "Put us in the big room.", "Grab the big room for it."]
        )
    if need.mode == "named":
        assert need.room_id is not None
        name = d.state.rooms[need.room_id].name
        text = rng.choice([f"Book {name} for it.", f"Put it in {name}.", f"We'll use {name}."])
        if need.fallback:
            text += f" If {name} is taken, any other room for {n}{eq} is fine."
        return text
    return rng.choice([f"We need a room for {n}{eq}.", f"Find us a room for {n}{eq}."])


def _room_answer(d: Draft, need: RoomNeed) -> str:
    eq = ph.equipment_phrase(need.equipment)
    if need.mode == "none":
        return "No room; it's a video call."
    if need.room_id is not None:
        room = d.state.rooms[need.room_id]
        if need.mode == "big":
            return f"{room.name}, the big one on floor {room.floor}."
        if need.fallback:
            return f"{room.name}, or any other room for {need.min_capacity}{eq} if it's taken."
        return f"{room.name}."
    return f"Any room for {need.min_capacity}{eq}."


def _booking_text(
    d: Draft,
    b: Booking,
    rng: random.Random,
    *,
    requested: int | None = None,
    no_duration: bool = False,
    no_time: bool = False,
    no_day: bool = False,
    slot_fallback: bool = False,
) -> str:
    """The request for a booking at levels 1 and 2 (with the pieces an ambiguity leaves out)."""
    dur = None if no_duration else ph.duration_phrase(b.duration, rng)
    if dur is None:
        noun = rng.choice(
            [f'a meeting called "{b.title}"', f'{ph.article(b.title)} "{b.title}" meeting']
        )
    else:
        noun = rng.choice(
            [
                f'{ph.article(dur)} {dur} meeting called "{b.title}"',
                f'{ph.article(dur)} {dur} "{b.title}" meeting',
            ]
        )
    start = b.start if requested is None else requested
    time = "" if no_time else f" at {ph.time_phrase(_local_minute(d, start), rng)}"
    if no_day:
        when = rng.choice([f"sometime next week{time}", f"one day next week{time}"])
    else:
        day = ph.date_phrase(b.day, d.monday, rng)
        when = (
            f"sometime {day.removeprefix('on ')}"
            if no_time and rng.random() < 0.5
            else f"{day}{time}"
        )
    names = ph.join_names(b.refs)
    opener = rng.choice(ph.OPENERS)
    if rng.random() < 0.25:
        first = f"I'd like {noun} with {names} {when}."
    else:
        mark = "?" if opener.startswith(("Can", "Could")) else "."
        first = f"{opener} {noun} with {names} {when}{mark}"
    parts = [first, _room_sentence(d, b.need, rng)]
    if slot_fallback:
        parts.append(
            "If anyone is busy then, take the earliest time after that on the same day when "
            "everyone is free."
        )
    parts.append(rng.choice(ph.INVITE_LINES))
    return " ".join(parts)


def _hidden(
    d: Draft, b: Booking, *, attendee: str | None = None, time: str | None = None
) -> dict[str, str]:
    people = d.state.people
    if attendee is None:
        attendee = ph.join_names([people[p].name for p in b.attendees]) + "."
    return {
        "attendee": attendee,
        "date": ph.long_date(b.day) + ".",
        "time_preference": time or ph.clock_phrase(_local_minute(d, b.start)) + ".",
        "duration": f"{b.duration} minutes.",
        "room": _room_answer(d, b.need),
    }


def _call(tool_name: str, /, **arguments: Any) -> ExpectedAction:
    return ExpectedAction(name=tool_name, arguments=arguments)


def _lookup_people(b: Booking) -> list[ExpectedAction]:
    return [_call("find_person", name=ref) for ref in dict.fromkeys(b.refs)]


def _room_actions(d: Draft, b: Booking) -> list[ExpectedAction]:
    need = b.need
    start, end = _iso(d, b.start), _iso(d, b.start + b.duration)
    if need.mode == "none" or b.room_id is None:
        return []
    out: list[ExpectedAction] = []
    if need.mode == "big":
        out.append(_call("list_rooms", min_capacity=LARGE_CAPACITY))
    elif need.mode == "named":
        out.append(_call("list_rooms", min_capacity=need.min_capacity))
        if need.fallback:
            out.append(_call("check_room", room_id=need.room_id, start=start, end=end))
            out.append(
                _call("list_rooms", min_capacity=need.min_capacity, equipment=need.equipment)
            )
    else:
        out.append(_call("list_rooms", min_capacity=need.min_capacity, equipment=need.equipment))
    out.append(_call("check_room", room_id=b.room_id, start=start, end=end))
    return out


def _book_actions(
    d: Draft, b: Booking, meeting_id: str = FIRST_NEW_MEETING
) -> list[ExpectedAction]:
    args: dict[str, Any] = {
        "title": b.title,
        "attendee_ids": list(b.attendees),
        "start": _iso(d, b.start),
        "end": _iso(d, b.start + b.duration),
    }
    if b.room_id is not None:
        args["room_id"] = b.room_id
    return [_call("book_meeting", **args), _call("send_invite", meeting_id=meeting_id)]


def _free_call(pids: list[str], day: date, duration: int) -> ExpectedAction:
    return _call(
        "find_free_slots", person_ids=list(pids), date=day.isoformat(), duration_min=duration
    )


def _simple_actions(d: Draft, b: Booking) -> list[ExpectedAction]:
    return [
        _call("whoami"),
        *_lookup_people(b),
        _free_call([d.user_id, *b.attendees], b.day, b.duration),
        *_room_actions(d, b),
        *_book_actions(d, b),
    ]


def _new_booking(
    d: Draft, rng: random.Random, attendees: list[str], day: date, duration: int, need: RoomNeed
) -> Booking:
    refs = [_ref(d, p, rng) for p in attendees]
    return Booking(rng.choice(TITLES), attendees, refs, day, duration, need)


# ---------------------------------------------------------------- level 1


def _level1(rng: random.Random) -> Spec:
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.choice([1, 1, 2, 2, 3]), exclude=set())
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 30, 45, 60, 60, 90])
    start = _slot(d, rng, [d.user_id, *attendees], day, duration)
    need = _room_need(d, rng, len(attendees) + 1, ("named", "requirement", "requirement", "none"))
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, [d.user_id, *attendees], need.candidates, start, start + duration)
    _fill(d, rng, day)
    d.finalize()
    _settle_exact(d, b, start)
    return Spec(
        d, "single_booking", _booking_text(d, b, rng), [], _hidden(d, b), _simple_actions(d, b), b
    )


# ---------------------------------------------------------------- level 2


def _level2(rng: random.Random) -> Spec:
    variant = rng.choice(LEVEL2_VARIANTS)
    return {
        "amb_attendee": _amb_attendee,
        "amb_room": _amb_room,
        "amb_duration": _amb_duration,
        "amb_time": _amb_time,
        "amb_date": _amb_date,
        "amb_meeting": _amb_meeting,
        "conflict_room": _conflict_room,
        "conflict_slot": _conflict_slot,
    }[variant](rng)


def _amb_attendee(rng: random.Random) -> Spec:
    d = Draft(rng)
    pair = [p for p in d.state.people if d.name_is_shared(p)]
    intended = rng.choice(pair)
    other = next(p for p in pair if p != intended)
    extra = _choose_people(d, rng, rng.choice([0, 0, 1, 2]), exclude=set(pair))
    attendees = [intended, *extra]
    rng.shuffle(attendees)
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 45, 60, 60])
    everyone = [d.user_id, *attendees, other]
    start = _slot(d, rng, everyone, day, duration)
    need = _room_need(d, rng, len(attendees) + 1, ("named", "requirement", "none"))
    b = _new_booking(d, rng, attendees, day, duration, need)
    b.refs = [
        d.first_name(p) if p == intended else r for p, r in zip(attendees, b.refs, strict=True)
    ]
    _protect(d, everyone, need.candidates, start, start + duration)
    _fill(d, rng, day)
    d.finalize()
    _settle_exact(d, b, start)
    person = d.state.people[intended]
    others = [d.state.people[p].name for p in attendees if p != intended]
    answer = f"I mean {person.name} from {person.team}" + (
        f" (and {ph.join_names(others)})." if others else "."
    )
    hidden = _hidden(d, b, attendee=answer)
    return Spec(
        d, "amb_attendee", _booking_text(d, b, rng), ["attendee"], hidden, _simple_actions(d, b), b
    )


def _amb_room(rng: random.Random) -> Spec:
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.randint(2, 5), exclude=set())
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 60, 60, 90])
    start = _slot(d, rng, [d.user_id, *attendees], day, duration)
    need = _room_need(d, rng, len(attendees) + 1, ("big",))
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, [d.user_id, *attendees], need.candidates, start, start + duration)
    _fill(d, rng, day)
    d.finalize()
    _settle_exact(d, b, start)
    return Spec(
        d, "amb_room", _booking_text(d, b, rng), ["room"], _hidden(d, b), _simple_actions(d, b), b
    )


def _amb_duration(rng: random.Random) -> Spec:
    return _booking_without(rng, "duration", Draft.target_days, [30, 45, 60, 90])


def _amb_date(rng: random.Random) -> Spec:
    return _booking_without(rng, "date", lambda d: d.horizon()[5:], [30, 45, 60])


def _booking_without(
    rng: random.Random, missing: str, days: Callable[[Draft], list[date]], durations: list[int]
) -> Spec:
    """A booking at an exact free slot whose request leaves out ``missing`` (``duration`` or
    ``date``), which the agent must ask for."""
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.choice([1, 2, 3]), exclude=set())
    day = rng.choice(days(d))
    duration = rng.choice(durations)
    start = _slot(d, rng, [d.user_id, *attendees], day, duration)
    need = _room_need(d, rng, len(attendees) + 1, ("named", "requirement", "none"))
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, [d.user_id, *attendees], need.candidates, start, start + duration)
    _fill(d, rng, day)
    d.finalize()
    _settle_exact(d, b, start)
    text = _booking_text(d, b, rng, no_duration=missing == "duration", no_day=missing == "date")
    hidden = _hidden(d, b)
    return Spec(d, f"amb_{missing}", text, [missing], hidden, _simple_actions(d, b), b)


def _amb_time(rng: random.Random) -> Spec:
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.choice([1, 2, 3]), exclude=set())
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 45, 60])
    pids = [d.user_id, *attendees]
    hours = d.common_hours(pids, day)
    if len(hours) != 1:
        raise _RetryError
    w_start, w_end = hours[0]
    prefs = []
    for a, z, answer in _PREFERENCES:
        lo, hi = max(d.local(day, a), w_start), min(d.local(day, z), w_end)
        if hi - lo >= duration and w_start + duration <= lo:
            prefs.append((lo, hi, answer))
    if not prefs:
        raise _RetryError
    lo, hi, answer = rng.choice(prefs)
    start = rng.randrange(lo, hi - duration + 1, 30)
    need = _room_need(d, rng, len(pids), ("requirement", "none"))
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, pids, need.candidates, start, start + duration)
    _protect(d, pids, [], w_start, w_start + duration)
    _fill(d, rng, day)
    d.finalize()
    day_lo, day_hi = d.bounds(day)
    windows = av.free_windows(d.state, pids, day_lo, day_hi, duration)
    if not windows or windows[0][0] >= lo:
        raise _RetryError
    slot = _first_slot(d, need, windows, lo, hi, duration)
    if slot is None:
        raise _RetryError
    b.start, b.room_id = slot
    b.earliest, b.latest, b.exact = lo, hi, False
    text = _booking_text(d, b, rng, no_time=True)
    hidden = _hidden(d, b, time=answer)
    return Spec(d, "amb_time", text, ["time_preference"], hidden, _simple_actions(d, b), b)


def _first_slot(
    d: Draft, need: RoomNeed, windows: list[av.Interval], lo: int, hi: int, duration: int
) -> tuple[int, str | None] | None:
    """The earliest start in [lo, hi) inside a free window with a room that fits, and that room."""
    for a, z in windows:
        t = max(a, lo)
        while t + duration <= min(z, hi):
            try:
                return t, _pick_room(d, need, t, t + duration)
            except _RetryError:
                t += 30
    return None


def _conflict_room(rng: random.Random) -> Spec:
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.randint(1, 4), exclude=set())
    n = len(attendees) + 1
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 45, 60, 90])
    start = _slot(d, rng, [d.user_id, *attendees], day, duration)
    end = start + duration
    fits = [r for r in d.state.rooms.values() if r.capacity >= n]
    named = rng.choice(fits)
    kit = rng.sample(named.equipment, rng.randint(0, min(2, len(named.equipment))))
    need = RoomNeed("named", n, named.id, [e for e in EQUIPMENT if e in kit], fallback=True)
    alternatives = [r.id for r in fits if r.id != named.id and _qualifies(d, r.id, need)]
    if not alternatives:
        raise _RetryError
    need.candidates = [rng.choice(alternatives)]
    busy_from = start + rng.choice([-60, -30, 0])
    busy_to = max(start + 30, busy_from + rng.choice([60, 90]))
    outsiders = [
        p
        for p in d.state.people
        if p != d.user_id and p not in attendees and d.is_free(p, busy_from, busy_to)
    ]
    if not outsiders:
        raise _RetryError
    group = rng.sample(outsiders, min(len(outsiders), rng.randint(1, 3)))
    d.add(rng.choice(GROUP_TITLES), group[0], group, busy_from, busy_to, named.id)
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, [d.user_id, *attendees], need.candidates, start, end)
    _fill(d, rng, day)
    d.finalize()
    _settle_exact(d, b, start)
    if _room_free(d, named.id, start, end):
        raise _RetryError  # pragma: no cover - the blocking meeting is always there
    return Spec(
        d, "conflict_room", _booking_text(d, b, rng), [], _hidden(d, b), _simple_actions(d, b), b
    )


def _conflict_slot(rng: random.Random) -> Spec:
    d = Draft(rng)
    attendees = _choose_people(d, rng, rng.choice([1, 2, 3]), exclude=set())
    pids = [d.user_id, *attendees]
    day = rng.choice(d.target_days())
    duration = rng.choice([30, 45, 60])
    blocked = rng.choice([30, 60, 90])
    options = [
        t for a, z in d.common_hours(pids, day) for t in range(a, z - blocked - duration + 1, 30)
    ]
    if not options:
        raise _RetryError
    requested = rng.choice(options)
    start = requested + blocked
    busy = rng.choice(attendees)
    d.add(rng.choice(GROUP_TITLES), busy, [busy], requested, start)
    need = _room_need(d, rng, len(pids), ("named", "requirement", "none"))
    b = _new_booking(d, rng, attendees, day, duration, need)
    _protect(d, pids, need.candidates, start, start + duration)
    _fill(d, rng, day)
    d.finalize()
    day_lo, day_hi = d.bounds(day)
    windows = av.free_windows(d.state, pids, max(day_lo, requested), day_hi, duration)
    if not windows or windows[0][0] != start:
        raise _RetryError
    _settle_exact(d, b, start)
    text = _booking_text(d, b, rng, requested=requested, slot_fallback=True)
    clock = ph.clock_phrase(_local_minute(d, requested))
    hidden = _hidden(
        d, b, time=f"{clock} if everyone is free, else the earliest time after that the same day."
    )
    return Spec(d, "conflict_slot", text, [], hidden, _simple_actions(d, b), b)


def _double_meetings(
    d: Draft, rng: random.Random, days: list[date], hour: int, later: int
) -> list[Meeting]:
    """Two meetings of the user's starting at ``hour`` (one per entry of ``days``), each of which
    could move to ``later`` the same day."""
    me = d.user_id
    office = [p for p in d.state.people if p != me and d.state.people[p].timezone == d.office_tz]
    meetings: list[Meeting] = []
    used: set[str] = set()
    for day, title in zip(days, rng.sample(GROUP_TITLES, 2), strict=True):
        duration = rng.choice([30, 60])
        start, new_start = d.local(day, hour), d.local(day, later)
        fits = [me, *[p for p in office if p not in used]]
        fits = [
            p
            for p in fits
            if d.within(p, start, start + duration) and d.within(p, new_start, new_start + duration)
        ]
        if len(fits) < 2 or fits[0] != me:
            raise _RetryError
        group = rng.sample(fits[1:], min(len(fits) - 1, rng.randint(1, 2)))
        used.update(group)
        rooms = [r.id for r in d.state.rooms.values() if r.capacity >= len(group) + 1]
        room = rng.choice(rooms) if rooms and rng.random() < 0.5 else None
        meeting = d.add(title, me, [me, *group], start, start + duration, room)
        meetings.append(meeting)
        _protect(d, meeting.attendee_ids, [room] if room else [], new_start, new_start + duration)
    return meetings


def _amb_meeting_text(
    d: Draft, rng: random.Random, day: date, hour: int, later: int, same_day: bool
) -> str:
    clock, new_clock = ph.clock_phrase(hour), ph.clock_phrase(later)
    if same_day:
        when = f"{clock} {ph.date_phrase(day, d.monday, rng)}"
        return rng.choice(
            [
                f"I'm double-booked at {when}. Please move my {clock} to {new_clock} the same "
                "day and let the attendees know.",
                f"Two things landed at {when}. Push my {clock} to {new_clock} that day and send "
                "the people on it an update.",
            ]
        )
    return rng.choice(
        [
            f"Can you push my {clock} meeting this week to {new_clock} the same day? Let "
            "everyone on it know.",
            f"Please move my {clock} this week to {new_clock} that day and update the attendees.",
        ]
    )


def _amb_meeting(rng: random.Random) -> Spec:
    d = Draft(rng)
    me = d.user_id
    hour = rng.choice([600, 660, 840, 900, 960])
    later = hour + rng.choice([60, 90, 120])
    same_day = rng.random() < 0.5
    days = (
        [rng.choice(d.target_days())] * 2 if same_day else sorted(rng.sample(d.horizon()[1:5], 2))
    )
    meetings = _double_meetings(d, rng, days, hour, later)
    if not same_day:  # "my 3pm this week" must mean one of the two
        for other in d.horizon()[:5]:
            if other not in days:
                d.protect(me, d.local(other, hour), d.local(other, hour + 30))
    _fill(d, rng, *days)
    d.finalize()
    intended = rng.choice(meetings)
    duration = intended.end - intended.start
    day = days[meetings.index(intended)]
    new_start = d.local(day, later)
    new_end = new_start + duration
    if not _everyone_free(d, intended.attendee_ids, new_start, new_end, intended.id):
        raise _RetryError
    if intended.room_id and not _room_free(d, intended.room_id, new_start, new_end, intended.id):
        raise _RetryError
    move = Move(intended, intended.start, new_start, new_end, True)
    if same_day:
        answer = f'The "{intended.title}" one'
    else:
        answer = f'The one on {ph.long_date(day)}, "{intended.title}"'
    names = [d.state.people[p].name for p in intended.attendee_ids if p != me]
    hidden = {
        "meeting": f"{answer} with {ph.join_names(names)}.",
        "time_preference": f"{ph.clock_phrase(later)}.",
    }
    actions = [
        _call("whoami"),
        *[_call("get_calendar", person_id=me, date=x.isoformat()) for x in dict.fromkeys(days)],
        _free_call(intended.attendee_ids, day, duration),
        _call(
            "reschedule_meeting",
            meeting_id=intended.id,
            start=_iso(d, new_start),
            end=_iso(d, new_end),
        ),
        _call("send_invite", meeting_id=intended.id),
    ]
    text = _amb_meeting_text(d, rng, day, hour, later, same_day)
    return Spec(d, "amb_meeting", text, ["meeting"], hidden, actions, move=move)


# ---------------------------------------------------------------- level 3


def _cross_zone_attendees(
    d: Draft, rng: random.Random, day: date, duration: int, intended: str | None
) -> tuple[list[str], av.Interval]:
    """3-4 attendees from at least three time zones (with the user's) whose working hours, with
    the user's, overlap by at least ``duration`` + 1 hour on ``day``."""
    me = d.user_id
    pool = [p for p in d.state.people if p != me and not d.name_is_shared(p)]
    fixed = [intended] if intended else []
    for attempt in range(300):
        attendees = fixed + rng.sample(pool, rng.choice([3, 4]) - len(fixed))
        zones = {d.office_tz} | {d.state.people[p].timezone for p in attendees}
        if len(zones) < (3 if attempt < 150 else 2):
            continue
        hours = d.common_hours([me, *attendees], day)
        if len(hours) == 1 and hours[0][1] - hours[0][0] >= duration + 60:
            rng.shuffle(attendees)
            return attendees, hours[0]
    raise _RetryError


def _block_rest_of_window(
    d: Draft, rng: random.Random, attendees: list[str], window: av.Interval, start: int, end: int
) -> None:
    """Busy times for the attendees over the whole window except [start, end)."""
    for seg_start, seg_end in ((window[0], start), (end, window[1])):
        t = seg_start
        while t < seg_end:
            chunk_end = min(seg_end, t + rng.choice([60, 90, 120]))
            who = rng.choice(attendees)
            d.add(rng.choice(GROUP_TITLES), who, [who], t, chunk_end)
            t = chunk_end


def _meeting_in_the_way(
    d: Draft, rng: random.Random, attendees: list[str], start: int, end: int
) -> Meeting:
    """A meeting the user organises with office colleagues that overlaps [start, end); a later
    time the same day is kept free for it."""
    me = d.user_id
    m_duration = rng.choice([30, 60])
    options = [
        t for t in range(start - m_duration + 30, end, 30) if d.within(me, t, t + m_duration)
    ]
    if not options:
        raise _RetryError
    m_start = rng.choice(options)
    m_end = m_start + m_duration
    colleagues = [
        p
        for p in d.state.people
        if p not in (me, *attendees)
        and d.state.people[p].timezone == d.office_tz
        and d.within(p, m_start, m_end)
        and d.is_free(p, m_start, m_end)
    ]
    if not colleagues:
        raise _RetryError
    group = rng.sample(colleagues, min(len(colleagues), rng.randint(1, 2)))
    rooms = [r.id for r in d.state.rooms.values() if len(group) + 1 <= r.capacity < LARGE_CAPACITY]
    room = rng.choice(rooms) if rooms and rng.random() < 0.5 else None
    if len(group) == 1:
        title = f"1:1 {d.first_name(me)} / {d.first_name(group[0])}"
    else:
        title = rng.choice(GROUP_TITLES)
    mine = d.add(title, me, [me, *group], m_start, m_end, room)
    target = max(end, m_start + 30)
    if not all(d.within(p, target, target + m_duration) for p in mine.attendee_ids):
        raise _RetryError
    _protect(d, mine.attendee_ids, [room] if room else [], target, target + m_duration)
    return mine


def _level3_need(d: Draft, rng: random.Random, n: int, ambiguous: list[str]) -> RoomNeed:
    if "room" in ambiguous:
        return _room_need(d, rng, n, ("big",))
    need = RoomNeed("requirement", n, equipment=["video"])
    video = [r.id for r in d.state.rooms.values() if _qualifies(d, r.id, need)]
    if not video:
        raise _RetryError
    need.candidates = [rng.choice(video)]
    return need


def _level3_actions(d: Draft, b: Booking, move: Move) -> list[ExpectedAction]:
    me, mine = d.user_id, move.meeting
    m_dur = mine.end - mine.start
    new_span = {"start": _iso(d, move.start), "end": _iso(d, move.start + m_dur)}
    actions = [
        _call("whoami"),
        *_lookup_people(b),
        _free_call([me, *b.attendees], b.day, b.duration),
        _free_call(b.attendees, b.day, b.duration),
        _call("get_calendar", person_id=me, date=b.day.isoformat()),
        _free_call(mine.attendee_ids, b.day, m_dur),
    ]
    if mine.room_id:
        actions.append(_call("check_room", room_id=mine.room_id, **new_span))
    return [
        *actions,
        _call("reschedule_meeting", meeting_id=mine.id, **new_span),
        _call("send_invite", meeting_id=mine.id),
        *_room_actions(d, b),
        *_book_actions(d, b),
    ]


def _level3(rng: random.Random) -> Spec:
    d = Draft(rng, min_remote=5)
    me = d.user_id
    ambiguous = sorted(rng.sample(LEVEL3_AMBIGUITIES, 2), key=LEVEL3_AMBIGUITIES.index)
    duration = rng.choice([30, 45, 60, 60, 90])
    day = rng.choice(d.horizon()[5:] if "date" in ambiguous else d.target_days())
    pair = [p for p in d.state.people if d.name_is_shared(p)]
    intended = rng.choice(pair) if "attendee" in ambiguous else None
    attendees, window = _cross_zone_attendees(d, rng, day, duration, intended)
    start = rng.randrange(window[0], window[1] - duration + 1, 30)
    end = start + duration
    _protect(d, [me, *attendees], [], start, end)
    _block_rest_of_window(d, rng, attendees, window, start, end)
    mine = _meeting_in_the_way(d, rng, attendees, start, end)
    need = _level3_need(d, rng, len(attendees) + 1, ambiguous)
    _protect(d, [], need.candidates, start, end)
    _fill(d, rng, day)
    d.finalize()
    # The puzzle holds: no slot with the user, a slot without, and only their meeting in the way.
    day_lo, day_hi = d.bounds(day)
    if av.free_windows(d.state, [me, *attendees], day_lo, day_hi, duration):
        raise _RetryError
    if not _everyone_free(d, attendees, start, end):
        raise _RetryError
    if [c["meeting_id"] for c in av.conflicts(d.state, [me], None, start, end)] != [mine.id]:
        raise _RetryError
    move = _later_slot(d, mine, start, end)
    b = _new_booking(d, rng, attendees, day, duration, need)
    if intended is not None:
        b.refs = [
            d.first_name(p) if p == intended else r for p, r in zip(attendees, b.refs, strict=True)
        ]
    b.start, b.earliest, b.latest, b.exact = start, window[0], window[1], False
    b.room_id = _pick_room(d, need, start, end)
    hidden = _hidden(d, b, time="Any time inside everyone's working hours.")
    if intended is not None:
        person = d.state.people[intended]
        others = ph.join_names([d.state.people[p].name for p in attendees if p != intended])
        hidden["attendee"] = f"I mean {person.name} from {person.team}; the others are {others}."
    hidden["meeting"] = f'My "{mine.title}" is in the way; move it later that day.'
    text = _level3_text(d, b, rng, ambiguous)
    return Spec(d, "cross_timezone", text, ambiguous, hidden, _level3_actions(d, b, move), b, move)


def _later_slot(d: Draft, mine: Meeting, start: int, end: int) -> Move:
    """The expert's new time for the user's meeting: the earliest free time later that day."""
    me = d.user_id
    day_lo = mine.start - (mine.start + d.office_off) % 1440
    day_hi = day_lo + 1440
    m_dur = mine.end - mine.start
    user = d.state.people[me]
    latest = day_lo + user.work_end_min
    for a, z in av.free_windows(d.state, mine.attendee_ids, day_lo, day_hi, m_dur, mine.id):
        t = max(a, mine.start + 30)
        while t + m_dur <= z:
            clear = t >= end or t + m_dur <= start
            if clear and (not mine.room_id or _room_free(d, mine.room_id, t, t + m_dur, mine.id)):
                return Move(mine, mine.start, t, latest, False)
            t += 30
    raise _RetryError


def _level3_text(d: Draft, b: Booking, rng: random.Random, ambiguous: list[str]) -> str:
    people = d.state.people
    names = []
    for pid, ref in zip(b.attendees, b.refs, strict=True):
        person = people[pid]
        shared = d.name_is_shared(pid) and " " not in ref
        city = person.timezone.split("/")[1].replace("_", " ")
        remote = person.timezone != d.office_tz and not shared and rng.random() < 0.6
        names.append(f"{ref} (in {city})" if remote else ref)
    dur = "" if "duration" in ambiguous else ph.duration_phrase(b.duration, rng) + " "
    noun = f'{ph.article(dur or b.title)} {dur}"{b.title}" call'
    when = "sometime next week" if "date" in ambiguous else ph.date_phrase(b.day, d.monday, rng)
    first = rng.choice(
        [
            f"I need {noun} with {ph.join_names(names)} {when}.",
            f"Please set up {noun} with {ph.join_names(names)} {when}.",
        ]
    )
    hours = rng.choice(
        [
            "Pick a time inside everyone's working hours; we're spread across time zones.",
            "We're in different time zones, so keep it inside everyone's working hours.",
        ]
    )
    if b.need.mode == "big":
        room = rng.choice(["Book the big room.", "Put us in the big room."])
    else:
        room = f"Book a room for {b.need.min_capacity} with video conferencing."
    move = rng.choice(
        [
            "If one of my own meetings is in the way, move it to a free time later that day and "
            "let its attendees know.",
            "If something of mine clashes, push it to a free time later the same day and update "
            "its attendees.",
        ]
    )
    return " ".join([first, hours, room, move, rng.choice(ph.INVITE_LINES)])


# ---------------------------------------------------------------- the Task


def _to_task(spec: Spec, seed: int, difficulty: int, version: str) -> Task:
    d = spec.draft
    truth: dict[str, Any] = {"variant": spec.variant, "ambiguous": list(spec.ambiguous)}
    checks: list[GoalCheck] = []
    b, move = spec.booking, spec.move
    if b is not None:
        truth["booking"] = _booking_truth(d, b)
        checks += _booking_checks(d, b)
    if move is not None:
        truth["reschedule"] = _move_truth(d, move)
        checks += _move_checks(d, move)
    checks.append(
        GoalCheck(
            name="no_conflicts",
            description="no attendee or room is double-booked by a meeting created or moved",
        )
    )
    checks.append(
        GoalCheck(
            name="nothing_else_changed",
            description="no other meeting was created, moved, changed or cancelled",
            params={
                "allowed_meeting_ids": [move.meeting.id] if move else [],
                "new_meetings": 1 if b else 0,
            },
        )
    )
    hidden = {k: v for k, v in spec.hidden.items() if k in HIDDEN_INFO_KEYS}
    return Task(
        instruction=spec.instruction,
        environment=ENV_NAME,
        environment_version=version,
        seed=seed,
        difficulty=difficulty,
        domain=DOMAIN,
        parameters={**state_to_parameters(d.state), "truth": truth},
        goal_checks=checks,
        expected_actions=spec.actions,
        hidden_info=hidden,
    )


def _booking_truth(d: Draft, b: Booking) -> dict[str, Any]:
    need = b.need
    return {
        "meeting_id": FIRST_NEW_MEETING,
        "title": b.title,
        "attendee_ids": list(b.attendees),
        "date": b.day.isoformat(),
        "duration_min": b.duration,
        "start": _iso(d, b.start),
        "end": _iso(d, b.start + b.duration),
        "earliest_start": _iso(d, b.earliest),
        "latest_end": _iso(d, b.latest),
        "exact_time": b.exact,
        "room_id": b.room_id,
        "room_need": {
            "mode": need.mode,
            "room_id": need.room_id,
            "min_capacity": need.min_capacity,
            "equipment": list(need.equipment),
            "fallback": need.fallback,
        },
    }


def _booking_checks(d: Draft, b: Booking) -> list[GoalCheck]:
    who = {"attendee_ids": list(b.attendees)}
    time: dict[str, Any] = {
        **who,
        "earliest_start": _iso(d, b.earliest),
        "latest_end": _iso(d, b.latest),
    }
    if b.exact:
        time["exact_start"] = _iso(d, b.start)
    checks = [
        GoalCheck(
            name="meeting_attendees",
            description="the meeting has exactly the right attendees",
            params=who,
        ),
        GoalCheck(
            name="meeting_time", description="the meeting is at the requested time", params=time
        ),
        GoalCheck(
            name="meeting_duration",
            description="the meeting lasts as long as asked",
            params={**who, "duration_min": b.duration},
        ),
    ]
    need = b.need
    if need.mode != "none":
        room: dict[str, Any] = {**who}
        if need.mode == "big" or (need.mode == "named" and not need.fallback):
            room["room_id"] = need.room_id
        else:
            room["min_capacity"] = need.min_capacity
            room["equipment"] = list(need.equipment)
            if need.fallback:
                room["avoid_room_id"] = need.room_id
        checks.append(
            GoalCheck(
                name="meeting_room", description="the meeting has the right room", params=room
            )
        )
    checks.append(
        GoalCheck(
            name="invites_sent",
            description="every attendee got an invite with the meeting's final time and room",
            params=who,
        )
    )
    return checks


def _move_truth(d: Draft, move: Move) -> dict[str, Any]:
    m = move.meeting
    duration = m.end - m.start
    return {
        "meeting_id": m.id,
        "original_start": _iso(d, move.original_start),
        "start": _iso(d, move.start),
        "end": _iso(d, move.start + duration),
        "duration_min": duration,
        "exact_time": move.exact,
        "latest_end": _iso(d, move.latest),
        "attendee_ids": list(m.attendee_ids),
    }


def _move_checks(d: Draft, move: Move) -> list[GoalCheck]:
    m = move.meeting
    params: dict[str, Any] = {
        "meeting_id": m.id,
        "original_start": _iso(d, move.original_start),
        "duration_min": m.end - m.start,
        "latest_end": _iso(d, move.latest),
    }
    if move.exact:
        params["exact_start"] = _iso(d, move.start)
    return [
        GoalCheck(
            name="meeting_rescheduled",
            description="the meeting was moved (not cancelled) to the requested time",
            params=params,
        ),
        GoalCheck(
            name="reschedule_notified",
            description="the moved meeting's attendees got an update with its new time",
            params={"meeting_id": m.id},
        ),
    ]
