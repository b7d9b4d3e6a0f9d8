"""A seeded draft of a scheduling world: the directory, rooms and a background of meetings.

The task generator places the meetings its scenario needs, protects the times the solution relies
on, then fills everyone's calendar with realistic background meetings around them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from trajforge.envs.scheduling.availability import Interval, work_intervals
from trajforge.envs.scheduling.clock import TIMEZONES, local_midnight
from trajforge.envs.scheduling.state import EQUIPMENT, Meeting, Person, Room, SchedulingState

FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Priya", "Tom", "Lena", "Yuki", "Omar", "Grace", "Mateo", "Chloe",
    "Ravi", "Ines", "Noah", "Fatima", "Liam", "Aisha", "Kenji", "Sofia", "Daniel", "Mei", "Lucas",
    "Hannah", "Diego", "Nadia", "Ethan", "Zara", "Felix", "Amara", "Oscar", "Leila", "Ben",
    "Carmen", "Hugo", "Ana", "Max", "Elena", "Jonas", "Tara", "Victor", "Maya", "Kofi", "Julia",
    "Arjun", "Nina", "Pedro", "Sara", "Chris",
)  # fmt: skip
SHARED_FIRST_NAMES = ("Alex", "Sam", "Jordan", "Chris", "Maya", "Daniel", "Ana", "Max")
LAST_NAMES = (
    "Kim", "Ruiz", "Shah", "Berg", "Fischer", "Tanaka", "Haddad", "Okafor", "Silva", "Novak",
    "Patel", "Moreau", "Larsen", "Costa", "Nguyen", "Brennan", "Mensah", "Ito", "Rossi", "Weber",
    "Chen", "Alvarez", "Kowalski", "Dubois", "Andersen", "Reyes", "Schmidt", "Kapoor", "Hughes",
    "Romero", "Sato", "Ivanova", "Walsh", "Mendes", "Yilmaz", "Murphy", "Lindqvist", "Ortiz",
    "Baker", "Hoffmann", "Das", "Keller", "Quinn", "Farah", "Young", "Park",
)  # fmt: skip
TEAMS = (
    "Design", "Engineering", "Sales", "Finance", "Marketing", "Legal", "Operations", "Product",
    "Support", "People",
)  # fmt: skip
DOMAINS = ("northwind.example", "bluepeak.example", "lumen.example", "harborline.example")
SMALL_ROOMS = (
    "Cedar", "Maple", "Birch", "Aspen", "Willow", "Juniper", "Hazel", "Alder", "Rowan", "Spruce",
    "Linden", "Poplar", "Laurel", "Sequoia", "Magnolia",
)  # fmt: skip
LARGE_ROOMS = (
    "Everest", "Kilimanjaro", "Denali", "Aconcagua", "Matterhorn", "Fuji", "Olympus", "Elbrus",
    "Rainier", "Whitney",
)  # fmt: skip
PERSONAL_TITLES = (
    "Focus time", "Lunch", "Dentist appointment", "Gym", "School pickup", "Deep work",
    "Doctor's appointment", "Personal errand", "Inbox time", "Travel",
)  # fmt: skip
GROUP_TITLES = (
    "Team standup", "Sprint planning", "Project sync", "Budget check-in", "Design critique",
    "Customer call", "Interview", "Hiring sync", "Vendor call", "Roadmap review", "All-hands prep",
    "Quarterly review", "Incident review", "Partner call", "Training session", "Strategy workshop",
    "Pipeline review", "Release planning",
)  # fmt: skip
OFFICE_ZONES = (
    "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
    "Europe/Berlin", "Asia/Singapore",
)  # fmt: skip
#: Mondays whose two-week horizon has no DST change in any zone of clock.TIMEZONES.
MONDAYS = tuple(
    [date(2025, 1, 6) + timedelta(weeks=k) for k in range(8)]
    + [date(2026, 1, 5) + timedelta(weeks=k) for k in range(8)]
)
LARGE_CAPACITY = 12


class Draft:
    """A world under construction, with busy and protected times indexed per person and room."""

    def __init__(self, rng: random.Random, *, min_remote: int = 2, large_rooms: int = 2) -> None:
        self.rng = rng
        self.monday: date = rng.choice(MONDAYS)
        self.office_tz = rng.choice(OFFICE_ZONES)
        self.office_off = TIMEZONES[self.office_tz]
        now = local_midnight(self.monday, self.office_off) + 9 * 60
        people = self._people(min_remote)
        rooms = self._rooms(large_rooms)
        user_id = next(iter(people))
        ordered = dict(sorted(people.items()))
        self.state = SchedulingState(
            now=now,
            timezone=self.office_tz,
            utc_offset_min=self.office_off,
            user_id=user_id,
            people=ordered,
            rooms=dict(sorted(rooms.items())),
            meetings={},
        )
        self.busy: dict[str, list[Interval]] = {}
        self.protected: dict[str, list[Interval]] = {}
        self._tmp = 0

    # -- directory --------------------------------------------------------------------------

    def _people(self, min_remote: int) -> dict[str, Person]:
        rng = self.rng
        n = rng.randint(9, 13)
        shared = rng.choice(SHARED_FIRST_NAMES)
        firsts = rng.sample([f for f in FIRST_NAMES if f != shared], n - 2)
        firsts[1:1] = [shared, shared]  # the user is firsts[0]; two people share a first name
        lasts = rng.sample(LAST_NAMES, n)
        ids = [f"p{num}" for num in rng.sample(range(100, 1000), n)]
        domain = rng.choice(DOMAINS)
        remote = [z for z in TIMEZONES if z != self.office_tz]
        remote_idx = set(rng.sample(range(3, n), min_remote))
        people: dict[str, Person] = {}
        for i, (pid, first, last) in enumerate(zip(ids, firsts, lasts, strict=True)):
            if i in remote_idx or (i > 0 and rng.random() < 0.25):
                zone = rng.choice(remote)
            else:
                zone = self.office_tz
            start = rng.choice([480, 510, 540, 540, 570, 600])
            end = start + rng.choice([480, 480, 510, 540])
            people[pid] = Person(
                id=pid,
                name=f"{first} {last}",
                email=f"{first}.{last}@{domain}".lower(),
                team=rng.choice(TEAMS),
                timezone=zone,
                utc_offset_min=TIMEZONES[zone],
                work_start_min=start,
                work_end_min=end,
            )
        return people

    def _rooms(self, large: int) -> dict[str, Room]:
        rng = self.rng
        rooms: dict[str, Room] = {}
        for name in rng.sample(SMALL_ROOMS, rng.randint(4, 6)):
            kit = [e for e, p in zip(EQUIPMENT, (0.5, 0.5, 0.6), strict=True) if rng.random() < p]
            rooms[f"r-{name.lower()}"] = Room(
                id=f"r-{name.lower()}",
                name=name,
                floor=rng.randint(1, 6),
                capacity=rng.choice([2, 4, 4, 6, 6, 8, 8, 10]),
                equipment=kit,
            )
        for name in rng.sample(LARGE_ROOMS, large):
            kit = ["projector", "video"] + (["whiteboard"] if rng.random() < 0.5 else [])
            rooms[f"r-{name.lower()}"] = Room(
                id=f"r-{name.lower()}",
                name=name,
                floor=rng.randint(1, 6),
                capacity=rng.choice([12, 14, 16, 20]),
                equipment=kit,
            )
        return rooms

    # -- days and hours ---------------------------------------------------------------------

    @property
    def user_id(self) -> str:
        return self.state.user_id

    def first_name(self, pid: str) -> str:
        return self.state.people[pid].name.split()[0]

    def name_is_shared(self, pid: str) -> bool:
        first = self.first_name(pid)
        return sum(1 for q in self.state.people if self.first_name(q) == first) > 1

    def namesake(self, pid: str) -> str | None:
        first = self.first_name(pid)
        return next(
            (q for q in self.state.people if q != pid and self.first_name(q) == first), None
        )

    def horizon(self) -> list[date]:
        """This week's and next week's weekdays."""
        return [self.monday + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]

    def target_days(self) -> list[date]:
        """Days a request can be about: from tomorrow to next Friday."""
        return self.horizon()[1:]

    def bounds(self, day: date) -> Interval:
        lo = local_midnight(day, self.office_off)
        return lo, lo + 1440

    def local(self, day: date, minute: int) -> int:
        """The instant of a local (office) time of day on a day."""
        return self.bounds(day)[0] + minute

    def common_hours(self, pids: list[str], day: date) -> list[Interval]:
        """Where everyone's working hours overlap on an office-local day."""
        lo, hi = self.bounds(day)
        common: list[Interval] = [(max(lo, self.state.now), hi)]
        for pid in pids:
            hours = work_intervals(self.state.people[pid], lo, hi)
            common = [
                (max(a, c), min(b, d)) for a, b in common for c, d in hours if max(a, c) < min(b, d)
            ]
        return common

    # -- busy and protected times -----------------------------------------------------------

    def is_free(self, key: str, start: int, end: int) -> bool:
        """No meeting and no protection for a person or room over [start, end)."""
        for a, b in self.busy.get(key, ()):
            if a < end and start < b:
                return False
        return all(not (a < end and start < b) for a, b in self.protected.get(key, ()))

    def protect(self, key: str, start: int, end: int) -> None:
        self.protected.setdefault(key, []).append((start, end))

    def add(
        self,
        title: str,
        organizer: str,
        attendees: list[str],
        start: int,
        end: int,
        room: str | None = None,
    ) -> Meeting:
        self._tmp += 1
        people = [organizer, *[a for a in attendees if a != organizer]]
        meeting = Meeting(
            id=f"tmp-{self._tmp:04d}",
            title=title,
            organizer_id=organizer,
            attendee_ids=people,
            start=start,
            end=end,
            room_id=room,
        )
        self.state.meetings[meeting.id] = meeting
        for key in [*people, *([room] if room else [])]:
            self.busy.setdefault(key, []).append((start, end))
        return meeting

    def within(self, pid: str, start: int, end: int) -> bool:
        return (start, end) in work_intervals(self.state.people[pid], start, end)

    # -- background -------------------------------------------------------------------------

    def fill(self, days: list[date]) -> None:
        """Background meetings for everyone on ``days``, never over busy or protected times."""
        rng = self.rng
        people = list(self.state.people.values())
        for day in days:
            lo, hi = self.bounds(day)
            for person in people:
                hours = work_intervals(person, lo, hi)
                if not hours:
                    continue
                for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                    self._one_event(person, hours, people)

    def _one_event(self, person: Person, hours: list[Interval], people: list[Person]) -> None:
        rng = self.rng
        for _ in range(5):
            duration = rng.choice([30, 60, 60, 90, 120])
            a, b = rng.choice(hours)
            if b - a < duration:
                continue
            start = rng.randrange(a, b - duration + 1, 30)
            end = start + duration
            if not self.is_free(person.id, start, end):
                continue
            group = [person.id]
            if rng.random() < 0.5:
                others = [
                    p.id
                    for p in people
                    if p.id != person.id
                    and self.within(p.id, start, end)
                    and self.is_free(p.id, start, end)
                ]
                group += rng.sample(others, min(len(others), rng.randint(1, 3)))
            room = None
            if len(group) > 1 and rng.random() < 0.6:
                rooms = [
                    r.id
                    for r in self.state.rooms.values()
                    if r.capacity >= len(group) and self.is_free(r.id, start, end)
                ]
                room = rng.choice(rooms) if rooms else None
            if len(group) == 1:
                title = rng.choice(PERSONAL_TITLES)
            elif len(group) == 2 and rng.random() < 0.4:
                title = f"1:1 {self.first_name(group[0])} / {self.first_name(group[1])}"
            else:
                title = rng.choice(GROUP_TITLES)
            self.add(title, person.id, group, start, end, room)
            return

    def finalize(self) -> SchedulingState:
        """Give meetings their final ids (in order of start) and return the state."""
        ordered = sorted(self.state.meetings.values(), key=lambda m: (m.start, m.id))
        self.state.meetings = {}
        for n, meeting in enumerate(ordered, start=1001):
            meeting.id = f"m-{n}"
            self.state.meetings[meeting.id] = meeting
        return self.state
