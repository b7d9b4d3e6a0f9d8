"""Value normalisation: when do two values mean the same thing, only written differently?

Used by ``compare_tables(normalize=True)``, by the task generator (to make sure a seeded "wrong
value" really differs and a seeded "format" difference really is only formatting) and by the tests.
Canonical values are: text with single inner spaces and no padding, currency codes upper-case,
status lower-case, dates ISO ``YYYY-MM-DD``, amounts in major units (dollars) to the cent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

Verdict = Literal["equal", "format", "different"]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DMY_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_D_MON_Y = re.compile(r"^(\d{1,2})[ -]([a-z]{3})[a-z]*\.?[ -](\d{4})$")
_MON_D_Y = re.compile(r"^([a-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$")


def _make_date(year: str, month: str | int, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def parse_date(value: str) -> str | None:
    """The ISO form of a date written in a common format; None if it is not a date.

    ``a/b/yyyy`` is read day-first unless ``b`` cannot be a month (then month-first).
    """
    text = value.strip().lower()
    for pattern in (_ISO, _YMD_SLASH, _COMPACT):
        match = pattern.match(text)
        if match:
            return _make_date(*match.groups())
    match = _DMY_SLASH.match(text)
    if match:
        first, second, year = match.groups()
        if int(second) > 12:
            return _make_date(year, first, second)
        return _make_date(year, second, first)
    match = _D_MON_Y.match(text)
    if match and match.group(2) in MONTHS:
        return _make_date(match.group(3), MONTHS.index(match.group(2)) + 1, match.group(1))
    match = _MON_D_Y.match(text)
    if match and match.group(1) in MONTHS:
        return _make_date(match.group(3), MONTHS.index(match.group(1)) + 1, match.group(2))
    return None


def normalize(role: str, value: Any) -> Any:
    """The canonical form of a value for a column role (amounts are left as numbers)."""
    if value is None or isinstance(value, int | float):
        return value
    text = " ".join(str(value).split())
    if role == "currency":
        return text.upper()
    if role == "date":
        return parse_date(text) or text
    return text.casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            return None
    return None


def same_amount(left: Any, right: Any) -> bool:
    """Whether two amounts are equal to the cent."""
    a, b = _number(left), _number(right)
    return a is not None and b is not None and round(a * 100) == round(b * 100)


def compare(role: str, left: Any, right: Any) -> Verdict:
    """Whether two values are equal, equal only after normalisation, or really different."""
    if role == "amount":
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return "equal" if left == right else "different"
        if round(a * 100) == round(b * 100):
            return "equal"
        if abs(a * 100 - b) < 0.005 or abs(b * 100 - a) < 0.005:
            return "format"  # one side is in cents
        return "different"
    if left == right:
        return "equal"
    if (
        isinstance(left, str)
        and isinstance(right, str)
        and normalize(role, left) == normalize(role, right)
    ):
        return "format"
    return "different"


def exact(role: str, left: Any, right: Any) -> bool:
    """Whether a stored value equals the canonical one (amounts to the cent, text exactly)."""
    if role == "amount":
        return (
            isinstance(left, int | float)
            and not isinstance(left, bool)
            and same_amount(left, right)
        )
    return bool(left == right) and type(left) is type(right)
