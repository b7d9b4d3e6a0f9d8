"""Answer matching for look-up tasks: what counts as a correct reported answer.

An answer spec is a list of groups of regular expressions; the answer is correct when every group
has a pattern that matches the normalised answer (lower case, ordinals and am/pm spellings unified).
"""

from __future__ import annotations

import datetime as dt
import re

_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")
_TIME = re.compile(r"(\d{1,2})(?::00)?\s*([ap])\.?\s?m\.?")
_SPACES = re.compile(r"[\s,]+")


def normalize(answer: str) -> str:
    """Lower case; ``18th`` -> ``18``; ``9:00 a.m.`` -> ``9am``; commas and spaces -> one space."""
    text = answer.lower().replace("\u2013", "-").replace("\u2014", "-")
    text = _ORDINAL.sub(r"\1", text)
    text = _TIME.sub(r"\1\2m", text)
    return _SPACES.sub(" ", text).strip()


def number(value: str) -> str:
    """A number standing alone (``30`` matches "30 days" and "$30.00", not "130")."""
    return rf"(?<![\d.]){re.escape(value)}(?!\d)"


def word(value: str) -> str:
    """A word or phrase standing alone, case-insensitively."""
    return rf"(?<![\w]){re.escape(value.lower())}(?![\w])"


def time_of_day(value: str) -> str:
    """``9am`` in any common spelling (after normalisation)."""
    return rf"(?<!\d){re.escape(value.lower())}"


def date(iso: str) -> list[str]:
    """Ways of writing a date: Mar 18, March 18, 18 March, 2025-03-18, 3/18."""
    d = dt.date.fromisoformat(iso)
    full, abbr, day, month = d.strftime("%B").lower(), d.strftime("%b").lower(), d.day, d.month
    return [
        rf"\b{full} 0?{day}\b",
        rf"\b{abbr}\.? 0?{day}\b",
        rf"\b0?{day} {full}\b",
        rf"\b0?{day} {abbr}\b",
        re.escape(iso),
        rf"(?<!\d)0?{month}/0?{day}\b",
    ]


def matches(answer: str, groups: list[list[str]]) -> bool:
    """Whether the answer satisfies every group of patterns."""
    text = normalize(answer)
    digits = re.sub(r"\D", "", answer)
    for group in groups:
        ok = False
        for pattern in group:
            if pattern.startswith("digits:"):
                ok = pattern.removeprefix("digits:") in digits
            else:
                ok = re.search(pattern, text) is not None
            if ok:
                break
        if not ok:
            return False
    return True
