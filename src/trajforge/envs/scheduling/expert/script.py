"""The scheduling expert: books and moves meetings the way a careful assistant would.

It asks about what the request leaves open (one question per ambiguity, before changing anything),
looks people up, checks everyone's free time and the room before booking, never double-books,
moves one of the user's own meetings out of the way when the request allows it (asking first if
someone else organised it), sends the invitations and updates, and says what it did. Where the
user's answer carries the information it acts on the answer; the task's ground truth only fills in
what the request states plainly (title, day, length, the room asked for, who is meant by a name).
The steps shared by every route (lookups, rooms, booking, invitations) live in
``steps``; the wording and parsing in ``text``.
"""

from __future__ import annotations

from typing import Any

from trajforge.agents.scripted import Ask, Done, Script
from trajforge.envs.scheduling import availability as av
from trajforge.envs.scheduling.clock import local_date, minute_of_day, parse_iso
from trajforge.envs.scheduling.expert import text as tx
from trajforge.envs.scheduling.expert.steps import (
    ASK,
    BOOK,
    FREE,
    INVITE,
    ROOM,
    UPFRONT,
    WHOAMI,
    Interval,
    Moves,
    SchedulingSteps,
    StuckError,
)
from trajforge.schema import Task

__all__ = ["SchedulingExpert"]

#: Plan items of the routes below (the shared ones are in steps).
BOOK_CALL = "book the call"
ZONES = "find a time inside everyone's working hours"
MAYBE_MOVE = "if one of my meetings is in the way, move it later that day and tell its attendees"
OTHERS_FREE = "find when the others are free"
IN_THE_WAY = "see which of my meetings is in the way"
LATER = "find a later time that day for it"
MOVE_IT = "move it and update its attendees"
CALENDAR = "look at my calendar"
WHICH = "find the meeting meant"
ASK_WHICH = "ask which meeting is meant"
NEW_TIME = "check everyone in it is free at the new time"
MOVE = "move it"
UPDATE = "send its attendees an update"


class SchedulingExpert(SchedulingSteps):
    """A scripted calendar assistant for ``SchedulingEnv`` tasks (levels 1 to 3)."""

    def script(self, task: Task) -> Script:
        """Dispatch on what the request is about: a booking, a move, or both."""
        try:
            if "booking" in self.truth and "reschedule" in self.truth:
                yield from self._book_across_zones()
            elif "booking" in self.truth:
                yield from self._book()
            elif "reschedule" in self.truth:
                yield from self._move_my_meeting()
            else:
                raise StuckError("I could not tell what change the request asks for")
        except StuckError as stuck:
            done = " ".join(self.report) or "Nothing was changed."
            yield Done(
                f"I'm sorry, I could not finish: {stuck}. So far: {done}",
                completed=False,
                why=f"{stuck}; stopping and saying so rather than guessing.",
            )

    # -- levels 1 and 2: one booking -------------------------------------------------------------

    def _book(self) -> Script:
        b = self.truth["booking"]
        need, title = b["room_need"], str(b["title"])
        refs = self._refs()
        upfront = [k for k in UPFRONT if k in self.ambiguous]
        plan = [*(ASK[k] for k in upfront), WHOAMI, self._lookup_item(refs), FREE]
        plan += [ROOM] if need["mode"] != "none" else []
        self.plan([*plan, BOOK, INVITE])
        yield from self._ask_upfront(upfront, title)
        yield from self._whoami()
        attendees = yield from self._find_people(refs)
        day, duration = self._day(b), self._duration(b)
        seats = len(attendees) + 1
        windows = yield from self._free(
            [self.me, *attendees], day, duration, "everyone (me included)"
        )
        self.mark_done(FREE)
        if "time_preference" in self.answers:
            start, room = yield from self._time_and_room(windows, day, duration, need, seats)
        else:
            start = self._requested_start(windows, day, duration)
            room = yield from self._room(need, (start, start + duration), seats)
        meeting = yield from self._place(title, attendees, (start, start + duration), room, BOOK)
        yield from self._invite(meeting, attendees)
        yield self._finish("Booked and invited; summarising for the user.")

    def _requested_start(self, windows: list[Interval], day: str, duration: int) -> int:
        """The time the request names, or the earliest one after it when the request allows."""
        said = tx.time_after("at", self.task.instruction or "")
        if said is None:
            start = parse_iso(self.truth["booking"]["start"])
            self.assume("the time is the one first understood")
        else:
            start = self._at(day, said)
        clock = tx.say_clock(start, self.offset)
        if tx.inside((start, start + duration), windows):
            return start
        later = [max(a, start) for a, z in windows if max(a, start) + duration <= z]
        if "earliest time after" not in (self.task.instruction or "") or not later:
            raise StuckError(f"not everyone is free at {clock} and the request gives no other time")
        chosen = later[0]
        item = f"take the earliest time after {clock} when everyone is free"
        self._insert_after(
            FREE,
            item,
            reason=f"Someone is busy at {clock}; the request says to take the earliest time after "
            f"that when everyone is free, which is {tx.say_clock(chosen, self.offset)}.",
        )
        self.mark_done(item)
        self.report.append(
            f"Not everyone was free at {clock}, so, as you asked, I took the earliest time after "
            "that when everyone is free."
        )
        return chosen

    def _time_and_room(
        self, windows: list[Interval], day: str, duration: int, need: dict[str, Any], seats: int
    ) -> Moves[tuple[int, str | None]]:
        """The earliest start in the preferred hours when everyone and a room are free."""
        answer = self.answers["time_preference"]
        said = answer.strip().rstrip(".")
        window = tx.time_window(answer)
        if window is None:
            lo = parse_iso(self.truth["booking"]["earliest_start"])
            hi = parse_iso(self.truth["booking"]["latest_end"])
            self.assume("the preferred hours are the ones first understood")
        else:
            lo = self._at(day, window[0])
            hi = self._at(day, window[1]) if window[1] is not None else lo + 1440
            self.assume(f"the preferred hours: {said}")
        starts = [t for a, z in windows for t in range(max(a, lo), min(z, hi) - duration + 1, 30)]
        if not starts:
            raise StuckError("nobody is free together in the hours you prefer")
        if need["mode"] == "none":
            self.report.append(
                f'You asked for "{said}": {tx.say_clock(starts[0], self.offset)} is the earliest '
                "time then when everyone is free."
            )
            return starts[0], None
        candidates = yield from self._room_candidates(need, seats)
        span, item = (starts[0], starts[-1] + duration), ROOM
        for n, room in enumerate(candidates):
            if n == 1:
                item = "find another room that is free in those hours"
                taken = self._room_name(candidates[0])
                self._swap(ROOM, item, f"{taken} is booked whenever everyone is free; next room.")
            why = f"See when {self._room_name(room)} is booked in the hours the user prefers."
            busy = yield from self._room_busy(room, span, why)
            free = [t for t in starts if not any(tx.overlaps((t, t + duration), x) for x in busy)]
            if free:
                self.mark_done(item)
                self.report.append(
                    f'You asked for "{said}": {tx.say_clock(free[0], self.offset)} is the earliest '
                    "time then when everyone and a room are free."
                )
                return free[0], room
        raise StuckError("no suitable room is free at a time everyone can make")

    # -- level 3: across time zones, with one of my meetings in the way --------------------------

    def _book_across_zones(self) -> Script:
        b = self.truth["booking"]
        need, title = b["room_need"], str(b["title"])
        refs = self._refs()
        upfront = [k for k in UPFRONT if k in self.ambiguous]
        plan = [*(ASK[k] for k in upfront), WHOAMI, self._lookup_item(refs), ZONES, MAYBE_MOVE]
        self.plan([*plan, ROOM, BOOK_CALL, INVITE])
        yield from self._ask_upfront(upfront, title)
        yield from self._whoami()
        attendees = yield from self._find_people(refs)
        day, duration = self._day(b), self._duration(b)
        together = yield from self._free(
            [self.me, *attendees], day, duration, "everyone (me included)"
        )
        if together:
            start = together[0][0]
            self.plan(
                [p for p in self._plan if p != MAYBE_MOVE],
                reason="Everyone, me included, is free then; nothing of mine has to move.",
            )
        else:
            start = yield from self._clear_my_calendar(attendees, day, duration)
        self.mark_done(ZONES)
        span = (start, start + duration)
        room = yield from self._room(need, span, len(attendees) + 1)
        meeting = yield from self._place(title, attendees, span, room, BOOK_CALL)
        yield from self._invite(meeting, attendees)
        yield self._finish("The call is booked and everyone is told; summarising for the user.")

    def _clear_my_calendar(self, attendees: list[str], day: str, duration: int) -> Moves[int]:
        """Find when only my own meeting is in the way, move it later that day, tell its people."""
        plan: list[str] = []
        for item in self._plan:
            plan += [OTHERS_FREE, IN_THE_WAY, LATER, MOVE_IT] if item == MAYBE_MOVE else [item]
        self.plan(
            plan,
            reason="No time works with my calendar included; checking whether one of my own "
            "meetings is what blocks it.",
        )
        theirs = yield from self._free(attendees, day, duration, "the others (without me)")
        self.mark_done(OTHERS_FREE)
        calendar = yield from self._calendar(day, "See my meetings that day and my working hours.")
        start, mine = self._slot_with_one_blocker(calendar, theirs, duration)
        self.mark_done(IN_THE_WAY)
        moved = yield from self._later_time(mine, (start, start + duration), day, calendar)
        self.mark_done(LATER)
        yield from self._move(mine, moved, f'Move "{mine["title"]}" out of the way of the new call')
        guests = [p for p in mine["attendee_ids"] if p != self.me]
        yield from self._invite(mine, guests, update=True)
        self.mark_done(MOVE_IT)
        self.report.append(
            f'To make room, I moved your "{mine["title"]}" to '
            f"{tx.say_clock(moved[0], self.offset)}-{tx.say_clock(moved[1], self.offset)} the same "
            f"day and sent {self._who(guests)} an update."
        )
        return start

    def _slot_with_one_blocker(
        self, calendar: dict[str, Any], theirs: list[Interval], duration: int
    ) -> tuple[int, dict[str, Any]]:
        """The earliest start the others can make, in my hours, where one meeting of mine is in
        the way."""
        hours = tx.intervals(calendar.get("working_hours"))
        events = [tx.as_dict(e) for e in tx.as_list(calendar.get("events"))]
        for a, z in theirs:
            for t in range(a, z - duration + 1, 30):
                span = (t, t + duration)
                if not tx.inside(span, hours):
                    continue
                blockers = [e for e in events if tx.overlaps(span, self._span_of(e))]
                if len(blockers) == 1 and "id" in blockers[0]:
                    return t, blockers[0]
        raise StuckError("no time works for everyone even after moving one of my meetings")

    def _later_time(
        self, mine: dict[str, Any], keep_clear: Interval, day: str, my_calendar: dict[str, Any]
    ) -> Moves[Interval]:
        """The earliest free time later that day for my meeting (and its room), clear of the new
        call."""
        current = self._span_of(mine)
        people = list(mine["attendee_ids"])
        length = current[1] - current[0]
        why = (
            f'"{mine["title"]}" is the only thing in the way at '
            f"{tx.say_clock(keep_clear[0], self.offset)}: find when its people are free later "
            "that day."
        )
        windows = yield from self._free(people, day, length, "", why)
        options = self._later_options(windows, current, keep_clear)
        options = yield from self._with_room(mine, options)
        if not options:
            item = "read its attendees' calendars"
            self._insert_after(
                IN_THE_WAY,
                item,
                reason=f'No later time works while "{mine["title"]}" itself counts as busy; '
                "reading its attendees' calendars to see when they are free apart from it.",
            )
            windows = yield from self._free_apart_from(mine, day, my_calendar)
            self.mark_done(item)
            options = self._later_options(windows, current, keep_clear)
            options = yield from self._with_room(mine, options)
        if not options:
            raise StuckError(f'there is no free time later that day to move "{mine["title"]}" to')
        return options[0]

    def _with_room(self, mine: dict[str, Any], options: list[Interval]) -> Moves[list[Interval]]:
        """The options at which the meeting's room (if it has one) is free, apart from itself."""
        room = mine.get("room_id")
        if not room or not options:
            return options
        span = (options[0][0], max(end for _, end in options))
        why = (
            f'"{mine["title"]}" keeps its room: see when the room is booked from '
            f"{tx.say_clock(span[0], self.offset)} to {tx.say_clock(span[1], self.offset)}."
        )
        busy = yield from self._room_busy(str(room), span, why)
        busy = [b for b in busy if b != self._span_of(mine)]  # its own booking does not count
        return [o for o in options if not any(tx.overlaps(o, b) for b in busy)]

    def _later_options(
        self, windows: list[Interval], current: Interval, keep_clear: Interval
    ) -> list[Interval]:
        """Starts (half-hour steps) later than ``current``'s, clear of ``keep_clear``."""
        length = current[1] - current[0]
        options: list[Interval] = []
        for a, z in windows:
            t = max(a, current[0] + 30)
            if tx.overlaps((t, t + length), keep_clear):
                t = keep_clear[1]
            options += [(s, s + length) for s in range(t, z - length + 1, 30)]
        return options

    def _free_apart_from(
        self, mine: dict[str, Any], day: str, my_calendar: dict[str, Any]
    ) -> Moves[list[Interval]]:
        """When everyone in my meeting is working and free, not counting the meeting itself."""
        common: list[Interval] = [(self.now, self._at(day, 1440))]
        for pid in mine["attendee_ids"]:
            calendar = my_calendar
            if pid != self.me:
                why = f'Is {self._name(pid)} free apart from "{mine["title"]}"? See their calendar.'
                calendar = yield from self._calendar(day, why, pid)
            busy = [
                self._span_of(e)
                for e in (tx.as_dict(e) for e in tx.as_list(calendar.get("events")))
                if e.get("id") != mine["id"] and "start" in e
            ]
            hours = tx.intervals(calendar.get("working_hours"))
            common = av.intersect(common, av.subtract(hours, sorted(busy)))
        return common

    # -- level 2: moving one of my meetings ------------------------------------------------------

    def _move_my_meeting(self) -> Script:
        r = self.truth["reschedule"]
        self.plan([WHOAMI, CALENDAR, WHICH, NEW_TIME, MOVE, UPDATE])
        yield from self._whoami()
        text = self.task.instruction or ""
        original = parse_iso(r["original_start"])
        at = tx.time_after("my", text)
        at = minute_of_day(original, self.offset) if at is None else at
        found: list[dict[str, Any]] = []
        for day in self._calendar_days(r):
            why = f"Find my {tx.say_minute(at)} meetings on {day}."
            calendar = yield from self._calendar(day, why)
            events = [tx.as_dict(e) for e in tx.as_list(calendar.get("events"))]
            found += [e for e in events if "id" in e and self._span_of(e)[0] == self._at(day, at)]
        self.mark_done(CALENDAR)
        meeting = yield from self._which_meeting(found, at)
        self.mark_done(WHICH)
        begin, end = self._span_of(meeting)
        day = local_date(begin, self.offset).isoformat()
        new_at = tx.time_after("to", text)
        new_start = parse_iso(r["start"]) if new_at is None else self._at(day, new_at)
        span = (new_start, new_start + end - begin)
        people = f'the people in "{meeting["title"]}"'
        windows = yield from self._free(list(meeting["attendee_ids"]), day, end - begin, people)
        if not tx.inside(span, windows):
            raise StuckError(f"not everyone in it is free at {tx.say_clock(span[0], self.offset)}")
        if meeting.get("room_id"):
            why = "It keeps its room: check the room is free at the new time."
            busy = yield from self._room_busy(str(meeting["room_id"]), span, why)
            if busy:
                raise StuckError("its room is taken at the new time")
        self.mark_done(NEW_TIME)
        yield from self._move(meeting, span, f'Move "{meeting["title"]}" as asked')
        self.mark_done(MOVE)
        guests = [p for p in meeting["attendee_ids"] if p != self.me]
        yield from self._invite(meeting, guests, update=True)
        self.mark_done(UPDATE)
        self.report.append(
            f'I moved "{meeting["title"]}" to {tx.say_span(span, self.offset)} and sent '
            f"{self._who(guests)} an update."
        )
        yield self._finish("The meeting is moved and everyone on it knows; summarising.")

    def _which_meeting(self, found: list[dict[str, Any]], at: int) -> Moves[dict[str, Any]]:
        clock = tx.say_minute(at)
        if len(found) > 1 or "meeting" in self.ambiguous:
            at_item = self._plan.index(CALENDAR) + 1
            self.plan(
                [*self._plan[:at_item], ASK_WHICH, *self._plan[at_item:]],
                reason=f"I have {len(found)} meetings at {clock}; I must ask which one is meant.",
            )
            answer = yield Ask(
                tx.ask_which_meeting(clock, [str(e["title"]) for e in found]),
                why=f'"My {clock}" could mean more than one meeting; asking before moving any.',
            )
            self.answers["meeting"] = str(answer)
            self.mark_done(ASK_WHICH)
            title = tx.quoted(str(answer))
            chosen = [e for e in found if e["title"] == title]
            if len(chosen) == 1:
                self.assume(f'"my {clock}" is "{title}", as the user said')
                return chosen[0]
            found = [e for e in found if e["id"] == self.truth["reschedule"]["meeting_id"]]
            self.assume("the meeting meant is the one first understood")
        if not found:
            raise StuckError(f"I found no meeting of yours at {clock}")
        return found[0]
