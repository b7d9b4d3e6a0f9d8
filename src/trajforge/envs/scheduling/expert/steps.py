"""The steps every route of the scheduling expert shares: asking, lookups, rooms, changes, invites.

Each step is a small generator of moves (``yield from`` it in a script) that writes its own
rationale, marks its plan item done and records what the user should hear at the end. A step that
cannot go on raises ``StuckError``; the expert turns that into an honest report.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, ClassVar, TypeAlias, TypeVar

from trajforge.agents.scripted import Ask, Call, Done, Move, Result, ScriptedExpert
from trajforge.envs.scheduling.clock import (
    format_iso,
    local_date,
    local_midnight,
    parse_date,
    parse_iso,
    parse_offset,
)
from trajforge.envs.scheduling.expert import text as tx
from trajforge.schema import Task, ToolSpec

T = TypeVar("T")
Moves: TypeAlias = Generator[Move, Any, T]
Interval = tx.Interval

#: Plan items shared by the routes.
WHOAMI = "check who I am and my time zone"
FREE = "check when everyone is free"
ROOM = "find a free room"
BOOK = "book the meeting"
INVITE = "send the invitations"
ASK = {
    "duration": "ask how long it should be",
    "date": "ask which day",
    "time_preference": "ask what time of day",
    "room": "ask which room is meant",
}
#: Open points asked about before anything else (a person or a meeting is asked about once the
#: lookup shows who or what could be meant).
UPFRONT = ("duration", "date", "time_preference", "room")


class StuckError(Exception):
    """Nothing sensible is left to try: the expert reports what happened, honestly."""


class SchedulingSteps(ScriptedExpert):
    """The scheduling expert's shared steps and what it has learnt so far."""

    name: ClassVar[str] = "expert"
    #: changes never repeated after a cut-off reply (a second booking double-books, a second
    #: invitation reaches everyone twice)
    run_once: ClassVar[frozenset[str]] = frozenset(
        {"book_meeting", "reschedule_meeting", "send_invite"}
    )

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        super().__init__(task, tools, seed, system_prompt=system_prompt)
        self.me = ""
        self.offset = 0
        self.now = 0
        self.people: dict[str, dict[str, Any]] = {}
        self.rooms: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, str] = {}
        self.ambiguous: list[str] = [str(k) for k in self.truth.get("ambiguous", [])]
        self.report: list[str] = []

    # -- talking ---------------------------------------------------------------------------------

    def _call(
        self, tool: str, why: str, fallbacks: Sequence[Call] = (), /, **args: Any
    ) -> Moves[Any]:
        return (yield from self._call_result(tool, why, fallbacks, **args)).data

    def _call_result(
        self, tool: str, why: str, fallbacks: Sequence[Call] = (), /, **args: Any
    ) -> Moves[Result]:
        """``_call``, giving the whole Result (its ``kind`` says whether a reply was cut off)."""
        result: Result = yield Call(tool, dict(args), why=why, fallbacks=list(fallbacks))
        if not result.ok:
            raise StuckError(f"{tool} said: {result.error}")
        return result

    def _ask_upfront(self, keys: list[str], title: str) -> Moves[None]:
        for key in keys:
            answer = yield Ask(
                tx.QUESTIONS[key].format(title=title),
                why=f"The request does not say {ASK[key].removeprefix('ask ')}; asking first.",
            )
            self.answers[key] = str(answer)
            self.mark_done(ASK[key])

    def _ensure_asked(self) -> Moves[None]:
        """The last check before changing anything: every open point was asked about."""
        title = str(self.truth.get("booking", {}).get("title", "new"))
        for key in self.ambiguous:
            if key not in self.answers:
                why = f"The request leaves the {key.replace('_', ' ')} open; asking before acting."
                answer = yield Ask(tx.QUESTIONS[key].format(title=title), why=why)
                self.answers[key] = str(answer)

    def _insert_after(self, anchor: str, item: str, reason: str) -> None:
        """Re-plan: a new item after ``anchor`` (at the end when it is not in the plan)."""
        at = self._plan.index(anchor) + 1 if anchor in self._plan else len(self._plan)
        self.plan([*self._plan[:at], item, *self._plan[at:]], reason=reason)

    def _swap(self, old: str, new: str, reason: str) -> None:
        """Re-plan: ``old`` becomes ``new``."""
        self.plan([new if p == old else p for p in self._plan], reason=reason)

    def _finish(self, why: str) -> Done:
        return Done(" ".join(self.report), why=why)

    # -- lookups -------------------------------------------------------------------------------

    def _whoami(self) -> Moves[None]:
        why = "Learn my id, today's date and the time zone that times are shown in."
        data = tx.as_dict((yield from self._call("whoami", why)))
        user = tx.as_dict(data.get("user"))
        self.me = str(user["id"])
        self.offset = parse_offset(str(data["utc_offset"]))
        self.now = parse_iso(str(data["now"]))
        self.people[self.me] = user
        self.assume(f"times are in my time zone, {data.get('timezone')} (UTC{data['utc_offset']})")
        self.mark_done(WHOAMI)

    def _refs(self) -> list[str]:
        """How the request names the attendees."""
        refs = [
            str(a.arguments["name"]) for a in self.task.expected_actions if a.name == "find_person"
        ]
        if not refs:
            raise StuckError("I could not tell who should attend")
        return list(dict.fromkeys(refs))

    def _lookup_item(self, refs: list[str]) -> str:
        return f"look up {tx.join(refs)}"

    def _find_people(self, refs: list[str]) -> Moves[list[str]]:
        ids: list[str] = []
        for ref in refs:
            data = yield from self._call(
                "find_person",
                f"Find {ref} in the directory to get their id.",
                [Call("list_people", why=f"Look for {ref} in the whole directory.")],
                name=ref,
            )
            found = [
                r
                for r in tx.rows(data)
                if tx.names_match(ref, str(r.get("name", "")), str(r.get("email", "")))
            ]
            exact = [r for r in found if tx.exactly(ref, str(r["name"]))] or found
            if not exact:
                raise StuckError(f"nobody called {ref} is in the directory")
            person = exact[0] if len(exact) == 1 else (yield from self._which_person(ref, exact))
            self.people[str(person["id"])] = person
            ids.append(str(person["id"]))
        self.mark_done(self._lookup_item(refs))
        return ids

    def _which_person(self, ref: str, candidates: list[dict[str, Any]]) -> Moves[dict[str, Any]]:
        item = f"ask which {ref} is meant"
        self._insert_after(
            self._lookup_item(self._refs()),
            item,
            reason=f"{len(candidates)} people are called {ref}; I must ask which one is meant.",
        )
        answer = yield Ask(
            tx.ask_which_person(ref, candidates),
            why=f"{ref} could be more than one person; asking before booking anyone.",
        )
        self.answers["attendee"] = str(answer)
        self.mark_done(item)
        name = tx.person_meant(str(answer)) or ""
        chosen = [c for c in candidates if str(c["name"]).lower() == name.lower()]
        if len(chosen) != 1:
            wanted = set(self.truth.get("booking", {}).get("attendee_ids", []))
            chosen = [c for c in candidates if c["id"] in wanted]
            if not chosen:
                raise StuckError(f"I could not tell which {ref} you mean")
            self.assume(f"{ref} is {chosen[0]['name']}, as first understood")
            return chosen[0]
        self.assume(f"{ref} is {chosen[0]['name']}, as the user said")
        return chosen[0]

    def _free(
        self, ids: list[str], day: str, duration: int, who: str, why: str = ""
    ) -> Moves[list[Interval]]:
        data = yield from self._call(
            "find_free_slots",
            why or f"Find when {who} can meet for {duration} minutes on {day}, in working hours.",
            person_ids=ids,
            date=day,
            duration_min=duration,
        )
        return tx.intervals(tx.as_dict(data).get("free"))

    def _calendar(self, day: str, why: str, person: str | None = None) -> Moves[dict[str, Any]]:
        data = yield from self._call("get_calendar", why, person_id=person or self.me, date=day)
        return tx.as_dict(data)

    # -- rooms -----------------------------------------------------------------------------------

    def _room_candidates(self, need: dict[str, Any], seats: int) -> Moves[list[str]]:
        """Rooms that would do, best first: the one asked for, else the smallest that fits."""
        kit = [str(e) for e in need.get("equipment") or []]
        args: dict[str, Any] = {"min_capacity": seats}
        if need["mode"] == "requirement" and kit:
            args["equipment"] = kit
        what = f"for {seats}" + (f" with {tx.join(kit)}" if kit else "")
        data = yield from self._call("list_rooms", f"List the rooms {what}.", **args)
        for row in tx.rows(data):
            self.rooms[str(row["id"])] = row
        ordered = [
            rid
            for _, rid in sorted(
                (tx.as_int(r["capacity"]), str(r["id"]))
                for r in tx.rows(data)
                if set(kit) <= {str(e) for e in tx.as_list(r.get("equipment"))}
            )
        ]
        if need["mode"] == "big":
            said = self.answers.get("room", "").lower()
            named = [rid for rid, r in self.rooms.items() if str(r["name"]).lower() in said]
            if named:
                self.assume(f"the big room is {self._room_name(named[0])}, as the user said")
                return named[:1]
            self.assume("the big room is the one first understood")
            return [str(need["room_id"])]
        if need["mode"] == "named":
            first = str(need["room_id"])
            if first not in self.rooms:
                raise StuckError(f"the room you named does not seat {seats}")
            return [first, *([r for r in ordered if r != first] if need.get("fallback") else [])]
        if not ordered:
            raise StuckError(f"there is no room {what}")
        return ordered

    def _room(self, need: dict[str, Any], span: Interval, seats: int) -> Moves[str | None]:
        """A room free for ``span`` (None when the meeting needs none)."""
        if need["mode"] == "none":
            return None
        candidates = yield from self._room_candidates(need, seats)
        item = ROOM
        for n, room in enumerate(candidates):
            if n == 1:
                taken = self._room_name(candidates[0])
                item = f"find another room, {taken} being taken"
                allowed = "the request allows another room" if need.get("fallback") else "it is"
                self._swap(
                    ROOM, item, f"{taken} is taken then; {allowed}; trying the next that fits."
                )
                if need.get("fallback"):
                    self.report.append(
                        f"{taken} was taken, so I used another room, as you allowed."
                    )
            why = f"Check {self._room_name(room)} is free then before booking it."
            busy = yield from self._room_busy(room, span, why)
            if not busy:
                self.mark_done(item)
                return room
        raise StuckError("no suitable room is free then")

    def _room_busy(self, room: str, span: Interval, why: str) -> Moves[list[Interval]]:
        data = yield from self._call(
            "check_room",
            why,
            room_id=room,
            start=self._iso(span[0]),
            end=self._iso(span[1]),
        )
        return tx.intervals(tx.as_dict(data).get("busy"))

    # -- changes ---------------------------------------------------------------------------------

    def _place(
        self, title: str, attendees: list[str], span: Interval, room: str | None, item: str
    ) -> Moves[dict[str, Any]]:
        """Book the meeting (everyone and the room were found free) and return it."""
        yield from self._ensure_asked()
        args: dict[str, Any] = {
            "title": title,
            "attendee_ids": attendees,
            "start": self._iso(span[0]),
            "end": self._iso(span[1]),
        }
        if room is not None:
            args["room_id"] = room
        where = f"in {self._room_name(room)}" if room else "as a video call"
        free = "Everyone and the room are" if room else "Everyone is"
        why = f"{free} free then: book it {where}."
        result: Result = yield Call("book_meeting", args, why=why)
        if not result.ok:
            raise StuckError(f"booking failed: {result.error}")
        if result.kind == "partial":
            meeting = yield from self._find_booked(title, span)
        else:
            booked = tx.as_dict(result.data)
            self._check_clean(booked, "the booking")
            meeting = tx.as_dict(booked.get("meeting"))
        self.mark_done(item)
        names = tx.join([self._name(p) for p in attendees])
        self.report.append(
            f'I booked "{title}" for {tx.say_span(span, self.offset)} (your time) {where} '
            f"with {names}."
        )
        return meeting

    def _find_booked(self, title: str, span: Interval) -> Moves[dict[str, Any]]:
        self.optimal_steps -= 1  # a recovery step, not part of the shortest route
        day = local_date(span[0], self.offset).isoformat()
        calendar = yield from self._calendar(day, "Find the new booking on my calendar.")
        found = [
            e
            for e in (tx.as_dict(e) for e in tx.as_list(calendar.get("events")))
            if e.get("title") == title and "start" in e and self._span_of(e)[0] == span[0]
        ]
        if not found:
            raise StuckError(
                "the booking's reply was cut off and the meeting is not on my calendar"
            )
        return found[0]

    def _move(self, meeting: dict[str, Any], span: Interval, why: str) -> Moves[None]:
        yield from self._confirm_if_theirs(meeting, span)
        yield from self._ensure_asked()
        moved = yield from self._call(
            "reschedule_meeting",
            f"{why}, to {tx.say_clock(span[0], self.offset)}; everyone in it is free then.",
            meeting_id=meeting["id"],
            start=self._iso(span[0]),
            end=self._iso(span[1]),
        )
        self._check_clean(moved, "the move")

    def _confirm_if_theirs(self, meeting: dict[str, Any], span: Interval) -> Moves[None]:
        organizer = str(meeting.get("organizer_id", self.me))
        if organizer == self.me:
            return
        answer = yield Ask(
            tx.ask_to_move_theirs(self._name(organizer), tx.say_clock(span[0], self.offset)),
            why="Someone else organised this meeting; moving it needs the user's go-ahead.",
        )
        if not str(answer).strip().lower().startswith(("yes", "ok", "sure", "go ahead")):
            raise StuckError(f'you did not confirm moving "{meeting.get("title")}"')
        self.assume(f'the user agreed to move "{meeting.get("title")}"')

    def _invite(
        self, meeting: dict[str, Any], people: list[str], *, update: bool = False
    ) -> Moves[None]:
        title = meeting.get("title", "the meeting")
        if update:
            why = f'Tell the people in "{title}" about its new time.'
            message = "This meeting has moved; the update has the new time."
        else:
            why, message = f'Send the invitations for "{title}" to all attendees.', ""
        note = {"message": message} if message else {}
        sent = yield from self._call_result("send_invite", why, meeting_id=meeting["id"], **note)
        # a cut-off reply cannot say who got it; the invitation went out all the same
        got = {str(p) for p in tx.as_list(tx.as_dict(sent.data).get("sent_to"))}
        missing = [p for p in people if p not in got]
        if missing and sent.kind != "partial":
            raise StuckError(
                f"the invitation did not reach {tx.join([self._name(p) for p in missing])}"
            )
        if not update:
            self.mark_done(INVITE)
            self.report.append(f"Invitations went to {tx.join([self._name(p) for p in people])}.")

    def _check_clean(self, result: Any, what: str) -> None:
        body = tx.as_dict(result)
        if tx.as_list(body.get("conflicts")) or tx.as_list(body.get("outside_working_hours")):
            raise StuckError(f"{what} reported a clash that the checks before it did not show")

    # -- small helpers ---------------------------------------------------------------------------

    def _day(self, b: dict[str, Any]) -> str:
        if "date" in self.answers:
            day = tx.day_said(self.answers["date"], local_date(self.now, self.offset))
            if day is not None:
                self.assume(f"the day is {day.isoformat()}, as the user said")
                return day.isoformat()
            self.assume("the day is the one first understood")
        return str(b["date"])

    def _duration(self, b: dict[str, Any]) -> int:
        if "duration" in self.answers:
            said = tx.minutes_said(self.answers["duration"])
            if said is not None:
                self.assume(f"it lasts {said} minutes, as the user said")
                return said
            self.assume("the length is the one first understood")
        return int(b["duration_min"])

    def _calendar_days(self, r: dict[str, Any]) -> list[str]:
        days = [
            str(a.arguments["date"]) for a in self.task.expected_actions if a.name == "get_calendar"
        ]
        return list(dict.fromkeys(days)) or [str(r["original_start"])[:10]]

    def _at(self, day: str, minute: int) -> int:
        return local_midnight(parse_date(day), self.offset) + minute

    def _iso(self, minutes: int) -> str:
        return format_iso(minutes, self.offset)

    def _span_of(self, event: dict[str, Any]) -> Interval:
        return parse_iso(str(event["start"])), parse_iso(str(event["end"]))

    def _name(self, pid: str) -> str:
        return str(self.people.get(pid, {}).get("name", pid))

    def _who(self, pids: list[str]) -> str:
        """Names of people I looked up; else how many."""
        if all(p in self.people for p in pids):
            return tx.join([self._name(p) for p in pids])
        return "its attendee" if len(pids) == 1 else f"its {len(pids)} attendees"

    def _room_name(self, room: str | None) -> str:
        return str(self.rooms.get(room or "", {}).get("name", room))
