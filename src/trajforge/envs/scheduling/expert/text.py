"""What the scheduling expert reads and writes: the user's words, tool rows, times for people.

The scheduling expert (``scheduling.py``) acts on what it is told. This module turns the user's
phrasing into values (``"30 minutes."``, ``"Thursday, February 5."``, ``"between 11:30am and
2pm"``, ``'The "Hiring sync" one'``), reads tool results whatever format they came back in (rows
from CSV carry strings; a one-row list may have been unwrapped into an object), and words the
questions so that each one is plainly about one thing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec

from trajforge.envs.scheduling.clock import WEEKDAYS, local_date, minute_of_day, parse_iso

Interval = tuple[int, int]

MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_TIME = r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}|noon|midday)"
_ONE_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s?(am|pm)?|noon|midday", re.I)
_DATE = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})\b", re.I)
_MINUTES = re.compile(r"(\d+)\s*(?:minutes|min)\b", re.I)
_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s*hours?\b", re.I)
_QUOTED = re.compile(r"\"([^\"]+)\"")
_I_MEAN = re.compile(r"\bI mean ([A-Z][\w'-]*(?: [A-Z][\w'-]*)+)")


# ---------------------------------------------------------------- the user's words


def clock(text: str) -> int | None:
    """Minutes after midnight of one written time: ``2pm``, ``2:30 pm``, ``14:30``, ``noon``."""
    match = _ONE_TIME.fullmatch(text.strip())
    if match is None:
        return None
    if match.group(1) is None:
        return 12 * 60
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix == "pm" and hours < 12:
        hours += 12
    elif suffix == "am" and hours == 12:
        hours = 0
    if hours > 23 or minutes > 59 or (not suffix and match.group(2) is None):
        return None
    return hours * 60 + minutes


def time_after(word: str, text: str) -> int | None:
    """The time written right after ``word`` (``at``, ``my``, ``to``), as minutes of the day."""
    match = re.search(rf"\b{word} ({_TIME})(?![\w:])", text, re.I)
    return clock(match.group(1)) if match else None


def time_window(text: str) -> tuple[int, int | None] | None:
    """A time-of-day preference: ``between 10am and noon`` or ``after 3pm`` (no upper bound)."""
    between = re.search(rf"between ({_TIME}) and ({_TIME})", text, re.I)
    if between:
        lo, hi = clock(between.group(1)), clock(between.group(2))
        return (lo, hi) if lo is not None and hi is not None and lo < hi else None
    after = re.search(rf"(?:after|from) ({_TIME})", text, re.I)
    if after:
        lo = clock(after.group(1))
        return (lo, None) if lo is not None else None
    return None


def minutes_said(text: str) -> int | None:
    """A duration: ``30 minutes``, ``1 hour``, ``1.5 hours``."""
    match = _MINUTES.search(text)
    if match:
        return int(match.group(1))
    match = _HOURS.search(text)
    return round(float(match.group(1)) * 60) if match else None


def day_said(text: str, today: date) -> date | None:
    """A day named by month and day (``Thursday, February 5``), the next one on or after today."""
    match = _DATE.search(text)
    if match is None:
        return None
    month, day = MONTHS.index(match.group(1).lower()) + 1, int(match.group(2))
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= today:
            return found
    return None  # pragma: no cover - a year ahead is always on or after today


def quoted(text: str) -> str | None:
    """The first quoted phrase (a meeting's title) in the text."""
    match = _QUOTED.search(text)
    return match.group(1) if match else None


def person_meant(text: str) -> str | None:
    """The full name in ``I mean Sam Hughes from Legal``."""
    match = _I_MEAN.search(text)
    return match.group(1) if match else None


def names_match(query: str, name: str, email: str = "") -> bool:
    """Whether a directory entry matches a name the way the directory search does."""
    words = query.lower().split()
    parts = name.lower().split()
    return query.lower() in email.lower() or all(
        any(part.startswith(w) for part in parts) for w in words
    )


def exactly(query: str, name: str) -> bool:
    """Whether ``query`` is the person's full name or their first name."""
    q, n = query.lower().strip(), name.lower().strip()
    return q in (n, n.split()[0])


# ---------------------------------------------------------------- tool results


def rows(data: Any) -> list[dict[str, Any]]:
    """A list result as rows (an object stands for a list of one)."""
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    return []


def as_int(value: Any) -> int:
    """An integer that may have come back as a string (CSV)."""
    return int(value) if not isinstance(value, int) else value


def as_list(value: Any) -> list[Any]:
    """A list that may have come back as JSON text (CSV) or be missing."""
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            return [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """An object that may have come back as JSON text (CSV)."""
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def intervals(items: Any) -> list[Interval]:
    """``[{"start": iso, "end": iso}, ...]`` as sorted epoch-minute intervals."""
    out = [(parse_iso(i["start"]), parse_iso(i["end"])) for i in as_list(items) if "start" in i]
    return sorted(out)


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two half-open intervals overlap."""
    return a[0] < b[1] and b[0] < a[1]


def inside(span: Interval, windows: list[Interval]) -> bool:
    """Whether ``span`` lies inside one of ``windows``."""
    return any(a <= span[0] and span[1] <= z for a, z in windows)


# ---------------------------------------------------------------- saying times to people


def say_clock(minutes: int, offset: int) -> str:
    """``3pm`` / ``4:30pm`` for an instant, in the given UTC offset."""
    return say_minute(minute_of_day(minutes, offset))


def say_minute(minute: int) -> str:
    """``3pm`` / ``4:30pm`` for a minute of the day."""
    hours, mins = divmod(minute, 60)
    suffix = "am" if hours < 12 else "pm"
    h12 = hours % 12 or 12
    return f"{h12}{suffix}" if mins == 0 else f"{h12}:{mins:02d}{suffix}"


def say_day(minutes: int, offset: int) -> str:
    """``Thursday, February 5`` for an instant, in the given UTC offset."""
    day = local_date(minutes, offset)
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1].title()} {day.day}"


def say_span(span: Interval, offset: int) -> str:
    """``Thursday, February 5, 3pm-4pm``."""
    return f"{say_day(span[0], offset)}, {say_clock(span[0], offset)}-{say_clock(span[1], offset)}"


def join(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# ---------------------------------------------------------------- questions

#: One question per kind of ambiguity, worded with that kind's own words so that the answer is
#: about it (the user reads a question by its words).
QUESTIONS = {
    "duration": 'How long should the "{title}" meeting be? What duration do you have in mind?',
    "date": 'Which day next week would you like the "{title}" meeting on? What date?',
    "time_preference": "What time of day would you prefer? Do you have a time preference?",
    "room": 'You asked for "the big room": which room, or what kind of room, do you need?',
    "attendee": "Which attendee do you mean? Who should I invite by that name?",
    "meeting": "Which existing meeting do you mean?",
}


def ask_which_person(first: str, candidates: list[dict[str, Any]]) -> str:
    """Which of the people sharing a first name the user means."""
    listed = join([f"{c['name']} ({c.get('team', 'no team')})" for c in candidates])
    return (
        f"There are {len(candidates)} people whose first name is {first}: {listed}. "
        "Which one do you mean as the attendee?"
    )


def ask_which_meeting(at: str, titles: list[str]) -> str:
    """Which of several meetings at the same time the user means."""
    listed = join([f'"{t}"' for t in titles])
    return (
        f"You have {len(titles)} meetings at {at} ({listed}). "
        f'Which existing meeting do you mean by "my {at}"?'
    )


def ask_to_move_theirs(organizer: str, new_time: str) -> str:
    """Confirmation before moving something another person organised."""
    return (
        f"{organizer} organised it, not you. Shall I still move it to {new_time}? Please confirm."
    )
