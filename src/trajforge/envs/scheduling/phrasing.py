"""Natural-language pieces for task instructions and the simulated user's answers."""

from __future__ import annotations

import random
from datetime import date

from trajforge.envs.scheduling.clock import WEEKDAYS

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def join_names(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def long_date(day: date) -> str:
    """``Thursday, January 16``."""
    return f"{WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def date_phrase(day: date, today: date, rng: random.Random) -> str:
    """How a user might name a day relative to ``today`` (a Monday)."""
    weekday = WEEKDAYS[day.weekday()]
    this_week = (day - today).days < 7
    options = [f"on {long_date(day)}", f"on {day.isoformat()}"]
    if this_week:
        options += [f"on {weekday}", f"this {weekday}"]
    else:
        options += [f"on {weekday} next week", f"next week on {weekday}"]
    return rng.choice(options)


def time_phrase(minute: int, rng: random.Random) -> str:
    """``2pm``, ``2:30 pm`` or ``14:30`` for a minute of the day."""
    hours, minutes = divmod(minute, 60)
    if rng.random() < 0.3:
        return f"{hours:02d}:{minutes:02d}"
    suffix = "am" if hours < 12 else "pm"
    h12 = hours % 12 or 12
    space = " " if rng.random() < 0.3 else ""
    return f"{h12}{space}{suffix}" if minutes == 0 else f"{h12}:{minutes:02d}{space}{suffix}"


def clock_phrase(minute: int) -> str:
    """A fixed ``3pm`` / ``4:30pm`` form (for answers and references to meetings)."""
    hours, minutes = divmod(minute, 60)
    suffix = "am" if hours < 12 else "pm"
    h12 = hours % 12 or 12
    return f"{h12}{suffix}" if minutes == 0 else f"{h12}:{minutes:02d}{suffix}"


def duration_phrase(minutes: int, rng: random.Random) -> str:
    """An adjective for a meeting length: ``30-minute``, ``one-hour``..."""
    options = {
        30: ["30-minute", "half-hour"],
        45: ["45-minute"],
        60: ["one-hour", "1-hour", "60-minute"],
        90: ["90-minute", "hour-and-a-half"],
    }.get(minutes, [f"{minutes}-minute"])
    return rng.choice(options)


def equipment_phrase(equipment: list[str]) -> str:
    """`` with a projector and video conferencing``; empty for no equipment."""
    words = {
        "projector": "a projector",
        "video": "video conferencing",
        "whiteboard": "a whiteboard",
    }
    if not equipment:
        return ""
    return " with " + join_names([words[e] for e in equipment])


def article(word: str) -> str:
    """``a`` or ``an`` before a word, by its sound (``an hour-long``, ``a one-hour``, ``an 8-``)."""
    lower = word.lower()
    if lower.startswith(("hour", "honest", "8", "11", "18")):
        return "an"
    if lower.startswith(("one", "uni", "use", "eu")) or not lower[:1].isalpha():
        return "a"
    return "an" if lower[:1] in "aeiou" else "a"


OPENERS = (
    "Please set up",
    "Can you book",
    "Could you schedule",
    "I need you to schedule",
    "Book",
    "Set up",
    "Please put in",
)
INVITE_LINES = (
    "Send everyone an invite.",
    "Make sure the invites go out.",
    "Please send the invites too.",
    "And send the invitations, please.",
)
