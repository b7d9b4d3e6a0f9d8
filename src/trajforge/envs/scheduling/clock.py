"""Simulated time: instants are whole minutes since the Unix epoch (UTC), shown as ISO strings.

Time zones are fixed UTC offsets. The task generator only uses weeks (January to early March) in
which every zone below keeps the offset listed, so no daylight-saving change falls inside a task.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

#: Time zone name -> UTC offset in minutes, valid from January to the first week of March.
TIMEZONES: Final[dict[str, int]] = {
    "America/Los_Angeles": -480,
    "America/Denver": -420,
    "America/Chicago": -360,
    "America/New_York": -300,
    "America/Sao_Paulo": -180,
    "Europe/London": 0,
    "Europe/Berlin": 60,
    "Europe/Helsinki": 120,
    "Asia/Dubai": 240,
    "Asia/Kolkata": 330,
    "Asia/Singapore": 480,
    "Asia/Tokyo": 540,
    "Australia/Sydney": 660,
}

MINUTES_PER_DAY: Final = 1440
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE: Final = datetime(1970, 1, 1)
_EPOCH_DATE: Final = date(1970, 1, 1)
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def offset_label(offset_min: int) -> str:
    """``+05:30`` style label of a UTC offset in minutes."""
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(offset_min), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def parse_offset(label: str) -> int:
    """Minutes of a ``+05:30`` style offset label."""
    sign = -1 if label.startswith("-") else 1
    hours, minutes = label.lstrip("+-").split(":")
    return sign * (int(hours) * 60 + int(minutes))


def format_iso(minutes: int, offset_min: int) -> str:
    """The instant as ``2025-01-14T14:00:00-05:00`` in the given offset."""
    local = _EPOCH_NAIVE + timedelta(minutes=minutes + offset_min)
    return f"{local:%Y-%m-%dT%H:%M}:00{offset_label(offset_min)}"


@lru_cache(maxsize=1 << 14)  # replays parse the same meeting times again and again
def parse_iso(text: str) -> int:
    """Minutes since the epoch of an ISO date-time that carries an offset; ValueError otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(
            f"{text!r} has no time zone offset; write it like 2025-01-14T14:00:00-05:00"
        )
    return int((moment - _EPOCH).total_seconds()) // 60


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date; ValueError otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2025-01-14") from None


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - _EPOCH_DATE).days


def local_midnight(day: date, offset_min: int) -> int:
    """The instant (epoch minutes) of local midnight starting ``day`` in the given offset."""
    return day_number(day) * MINUTES_PER_DAY - offset_min


def local_date(minutes: int, offset_min: int) -> date:
    """The local calendar date of an instant."""
    return _EPOCH_DATE + timedelta(days=(minutes + offset_min) // MINUTES_PER_DAY)


def minute_of_day(minutes: int, offset_min: int) -> int:
    """Local minutes after midnight of an instant."""
    return (minutes + offset_min) % MINUTES_PER_DAY


def hhmm(minute: int) -> str:
    """``09:30`` for a minute of the day."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def is_weekday(day_no: int) -> bool:
    """Whether a day number (days since the epoch, a Thursday) falls Monday to Friday."""
    return (day_no + 3) % 7 < 5
