"""Facts stated in the agent's words, and the facts the observations hold, in comparable form.

A fact is a quoted phrase (``"Roadmap sync"``, quoted as it was given), an identifier
(``W4648383``, ``EXP-42935``, an email), a date (``January 8`` as month 1, day 8), a clock time
(``5:30pm`` as 17:30), a count of something (``2 missing``: compared with what the observations
say under that name) or a number (amounts, counts; ``$1,299.00`` is 1299).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import msgspec

from trajforge.grade.rules.search import CASE_TWINS, find_fitting, is_word_char

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# The patterns that start at a number (ISO_DATE, CLOCK, TIME24, COUNT, NUMBER) look behind it
# only past its first digit (``\d(?<!\w\d)`` for ``\b\d``): re then skips from digit to digit.
QUOTED = re.compile(r"[\"“]([^\"”\n]{2,80})[\"”]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ISO_DATE = re.compile(r"(\d(?<!\w\d)\d{3})-(\d{2})-(\d{2})")
NAMED_DATE = re.compile(
    rf"\b(?:({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH}))\b",
    re.IGNORECASE,
)
_ANY_MONTH = re.compile(rf"\b({_MONTH})\b", re.IGNORECASE)
CLOCK = re.compile(r"(\d(?<!\w\d)\d?)(?::(\d{2}))?\s*([ap])\.?m\b", re.IGNORECASE)
TIME24 = re.compile(r"(\d(?<![\d:]\d)\d?):(\d{2})(?::\d{2})?(?![\d:])")
IDENTIFIER = re.compile(r"(?<![\w@.-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]")
COUNT = re.compile(r"(\d(?<![\w.,$]\d)\d{0,3})\s+([a-z][a-z_]+)", re.IGNORECASE)
NUMBER = re.compile(r"\d(?<![\w.]\d)[\d,]*(?:\.\d+)?(?![\w])|\d(?<=\$\d)[\d,]*(?:\.\d+)?")
MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)")
NUMBERING = re.compile(r"\((\d{1,2})\)")
ENUMERATION = re.compile(r"\(\d{1,2}\)|^\s*\d{1,2}[.)]\s", re.MULTILINE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_DIGIT = re.compile(r"\d")
#: What the value after a quoted name in JSON must be (``"items": 3``) for ``has_count``.
_COUNT_VALUE = re.compile(r's?"\s*:\s*(-?\d+)(?![\d.])')
#: The first three letters of every month's names.
_MONTH_STEMS = tuple(dict.fromkeys(m[:3] for m in MONTHS))


#: The kinds of facts ``Evidence`` reads from its texts when a claim needs them.
FactKind = Literal["times", "dates", "numbers"]


@dataclass(frozen=True)
class Facts:
    """The facts of a text (strings lower-cased)."""

    quotes: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()
    dates: frozenset[tuple[int, int]] = frozenset()
    times: frozenset[tuple[int, int]] = frozenset()
    counts: frozenset[tuple[int, str]] = frozenset()
    numbers: frozenset[float] = frozenset()
    amounts: frozenset[float] = frozenset()
    numbering: tuple[int, ...] = ()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def may_name_month(text: str) -> bool:
    """Whether the text may name a month (``False``: ``_ANY_MONTH`` cannot match in it)."""
    if not text.isascii() and any(c in text for c in CASE_TWINS):
        return True  # re equates these with ASCII letters, str.lower does not
    lowered = text.lower()
    return any(stem in lowered for stem in _MONTH_STEMS)


@lru_cache(maxsize=4096)
def facts(text: str, *, quotes: bool = True) -> Facts:
    """The facts a text states (each piece of text read once, most specific kind first);
    ``quotes=False`` reads quoted text as any other (for JSON)."""
    found, rest = _take(QUOTED, text) if quotes else ([], text)
    quoted = {m.group(1).lower().strip() for m in found}
    found, rest = _take(EMAIL, rest, "@")
    identifiers = {m.group(0).lower() for m in found}
    if not _DIGIT.search(rest):  # every other kind of fact has a digit
        return Facts(frozenset(quoted), frozenset(identifiers))
    found, rest = _take(ISO_DATE, rest, "-")
    dates = {(int(m.group(2)), int(m.group(3))) for m in found}
    found, rest = _take(NAMED_DATE, rest) if may_name_month(rest) else ([], rest)
    for m in found:
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        dates.add((MONTHS[month.lower()], int(day)))
    found, rest = _take(CLOCK, rest)
    times = set()
    for m in found:
        hour = int(m.group(1))
        hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0) if hour <= 12 else 99
        times.add((hour, int(m.group(2) or 0)))
    found, rest = _take(TIME24, rest, ":")
    times |= {(int(m.group(1)), int(m.group(2))) for m in found}
    found, rest = _take(IDENTIFIER, rest)
    identifiers |= {m.group(0).lower() for m in found}
    numbering = tuple(int(n) for n in NUMBERING.findall(rest)) if "(" in rest else ()
    rest = _take(ENUMERATION, rest)[1]
    found, rest = _take(MONEY, rest, "$")
    amounts = {n for m in found if (n := _number(m.group(1))) is not None}
    counts = {(int(n), _stem(w)) for n, w in COUNT.findall(rest)}
    numbers = {n for m in NUMBER.finditer(rest) if (n := _number(m.group(0))) is not None}
    return Facts(
        frozenset(quoted),
        frozenset(identifiers),
        frozenset(dates),
        frozenset(times),
        frozenset(counts),
        frozenset(numbers),
        frozenset(amounts),
        numbering,
    )


def _take(pattern: re.Pattern[str], text: str, needs: str = "") -> tuple[list[re.Match[str]], str]:
    """The pattern's matches in the text, and the text with each replaced by a space (as
    ``pattern.sub(" ", text)``); ``needs``: a string every match contains."""
    found = list(pattern.finditer(text)) if needs in text else []
    if not found:
        return found, text
    pieces, at = [], 0
    for m in found:
        pieces.append(text[at : m.start()])
        at = m.end()
    pieces.append(text[at:])
    return found, " ".join(pieces)


class Evidence:
    """What the observations (and the task) told the agent, searchable fact by fact.

    Texts are added as they come; each kind of fact (times, dates, numbers) is read from them
    only when a claim needs that kind, only once, and only as far as it takes to find the fact.
    """

    def __init__(self) -> None:
        self.text: list[str] = []
        self._raw: list[str] = []
        self.numbers: set[float] = set()
        #: every run of digits, inside identifiers and dates too (weaker support, not for amounts)
        self.digits: set[float] = set()
        self.times: set[tuple[int, int]] = set()
        self.dates: set[tuple[int, int]] = set()
        #: what the observations count under a name: the name's stem to its numbers, list sizes
        self.named: dict[str, set[float]] = {}
        #: how many texts each kind of fact was read from
        self._read: dict[FactKind, int] = {"times": 0, "dates": 0, "numbers": 0}
        self._joined_text = ""
        self._joined_count = 0

    def add(self, text: str) -> None:
        """Add an observation's text."""
        self._raw.append(text)
        self.text.append(text.lower())

    def _joined(self) -> str:
        """All texts so far, lower-cased, as one (for quick literal look-ups)."""
        if self._joined_count != len(self.text):
            self._joined_text = "\n".join(self.text)
            self._joined_count = len(self.text)
        return self._joined_text

    def _read_until(self, kind: FactKind, found: Callable[[], bool]) -> bool:
        """Read the facts of a kind (``times``, ``dates``, ``numbers``) from the texts not read
        for it yet, one by one, until ``found()`` says what was wanted is there; returns
        ``found()``."""
        read = {
            "times": self._read_times_of,
            "dates": self._read_dates_of,
            "numbers": self._read_numbers_of,
        }[kind]
        while not found():
            at = self._read[kind]
            if at == len(self._raw):
                return False
            self._read[kind] = at + 1
            read(self._raw[at])
        return True

    def _read_times_of(self, text: str) -> None:
        for hour, minute, ampm in CLOCK.findall(text):
            h = int(hour)
            self.times.add((h % 12 + (12 if ampm.lower() == "p" else 0), int(minute or 0)))
        if ":" in text:
            self.times |= {(int(h), int(m)) for h, m in TIME24.findall(text)}

    def _read_dates_of(self, text: str) -> None:
        if "-" in text:
            self.dates |= {(int(m), int(d)) for _, m, d in ISO_DATE.findall(text)}
        if may_name_month(text) and _ANY_MONTH.search(text):
            for month, day, day2, month2 in NAMED_DATE.findall(text):
                name, number = (month, day) if month else (month2, day2)
                self.dates.add((MONTHS[name.lower()], int(number)))

    def _read_numbers_of(self, text: str) -> None:
        for n, word in COUNT.findall(text):
            self.named.setdefault(_stem(word), set()).add(float(n))
        self.digits |= {float(p) for p in _DIGITS.findall(text)}
        standalone = [m.group(0) for m in NUMBER.finditer(text)]
        if "$" in text:
            standalone += MONEY.findall(text)
        self.numbers |= {n for m in standalone if (n := _number(m)) is not None}
        stripped = text.strip()
        if stripped.startswith(("{", "[")):
            try:
                value = msgspec.json.decode(stripped)
            except msgspec.DecodeError:
                return
            _derive(value, "", self)

    def has_quote(self, value: str) -> bool:
        """Whether some observation contains the quoted phrase."""
        if "\n" in value:
            return any(value in t for t in self.text)
        return value in self._joined()

    has_identifier = has_quote

    def has_number(self, value: float) -> bool:
        """Whether some observation states the number, even as part of an id or a date."""
        joined = self._joined()
        if any(find_fitting(joined, v, _digits_apart) >= 0 for v in _spellings(value)):
            return True
        return self.has_amount(value) or round(value, 2) in self.digits

    def has_amount(self, value: float) -> bool:
        """Whether some observation states the amount as a number (or in cents, or cents of it):
        digits inside an identifier do not count."""
        spellings = _spellings(value) + _spellings(round(value * 100, 2))
        joined = self._joined()
        if any(find_fitting(joined, v, _word_apart) >= 0 for v in spellings):
            return True
        value = round(value, 2)
        wanted = {value, round(value * 100, 2), round(value / 100, 4)}
        return self._read_until("numbers", lambda: not wanted.isdisjoint(self.numbers))

    def has_count(self, value: float, word: str) -> bool:
        """Whether the count fits what the observations say under that name (when they say
        anything under it; else whether the number is stated at all)."""
        if self._counted(word, str(int(value))):
            return True
        if self._read_until("numbers", lambda: value in self.named.get(word, ())):
            return True
        return not self.named.get(word) and self.has_number(value)

    def _counted(self, word: str, number: str) -> bool:
        """Whether some JSON says the number under the word: ``"word": number`` (``"words"``
        too)."""
        joined, key = self._joined(), f'"{word}'
        at = joined.find(key)
        while at >= 0:
            m = _COUNT_VALUE.match(joined, at + len(key))
            if m is not None and m.group(1) == number:
                return True
            at = joined.find(key, at + 1)
        return False

    def has_time(self, value: tuple[int, int]) -> bool:
        """Whether some observation states the clock time (any, when none state one)."""
        if f"{value[0]:02d}:{value[1]:02d}" in self._joined():
            return True
        return self._read_until("times", lambda: value in self.times) or not self.times

    def has_date(self, value: tuple[int, int]) -> bool:
        """Whether some observation states the date (any, when none state one)."""
        if f"-{value[0]:02d}-{value[1]:02d}" in self._joined():
            return True
        return self._read_until("dates", lambda: value in self.dates) or not self.dates


def _digits_apart(text: str, start: int, end: int) -> bool:
    """Whether a number there is not part of a longer run of digits: ``(?<![\\d.])``,
    ``(?!\\d|\\.\\d)``."""
    if start > 0 and (text[start - 1].isdecimal() or text[start - 1] == "."):
        return False
    return not _more_digits(text, end)


def _word_apart(text: str, start: int, end: int) -> bool:
    """Whether a number there stands apart from words and longer numbers: ``(?<![\\w.])``,
    ``(?!\\w|\\.\\d)``."""
    if start > 0 and (is_word_char(text[start - 1]) or text[start - 1] == "."):
        return False
    return not (end < len(text) and is_word_char(text[end])) and not _more_digits(text, end)


def _more_digits(text: str, end: int) -> bool:
    """Whether digits, or decimals, go on at ``end``."""
    if end >= len(text):
        return False
    if text[end].isdecimal():
        return True
    return text[end] == "." and end + 1 < len(text) and text[end + 1].isdecimal()


def _spellings(value: float) -> list[str]:
    """How a number may be written: 40, 40.0, 40.00; 1299.5, 1,299.50."""
    out = {f"{value:.2f}", f"{value:,.2f}", repr(float(value))}
    if float(value).is_integer():
        out |= {str(int(value)), f"{int(value):,}", f"{value:.1f}"}
    return sorted(out)


def _derive(value: Any, key: str, evidence: Evidence) -> None:
    """Numbers a JSON value implies: list sizes, numbers under their names, products of an
    object's numbers (price times quantity), sums over a list's items (up to ten)."""
    numbers = evidence.numbers
    if isinstance(value, list):
        numbers.add(float(len(value)))
        _name(evidence, key, float(len(value)))
        rows = [_numeric(x) for x in value if isinstance(x, dict)]
        if 1 < len(rows) <= 10:
            for k in set().union(*rows):
                numbers |= _subset_sums([r.get(k, 0.0) for r in rows])
        for item in value:
            _derive(item, key, evidence)
    elif isinstance(value, dict):
        numbers |= {round(v, 2) for v in _numeric(value).values()}
        for k, v in value.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                _name(evidence, str(k), float(v))
            _derive(v, str(k), evidence)


def _name(evidence: Evidence, key: str, value: float) -> None:
    if key:
        evidence.named.setdefault(_stem(key), set()).add(value)


def _numeric(obj: dict[str, Any]) -> dict[str, float]:
    """An object's numbers by key, plus the products of each pair (``price*qty``)."""
    nums = {
        k: float(v)
        for k, v in obj.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    keys = sorted(nums)[:6]
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            nums[f"{a}*{b}"] = nums[a] * nums[b]
    return nums


def _subset_sums(values: list[float]) -> set[float]:
    sums = {0.0}
    for v in values:
        sums |= {round(s + v, 2) for s in sums}
    return sums


def unsupported(text: str, evidence: Evidence) -> list[str]:
    """The facts of ``text`` that the evidence does not support, as the text states them."""
    found = facts(text)
    missing = [f'"{q}"' for q in sorted(found.quotes) if not evidence.has_quote(q)]
    missing += [v for v in sorted(found.identifiers) if not evidence.has_identifier(v)]
    missing += [f"{m:02d}-{d:02d}" for m, d in sorted(found.dates) if not evidence.has_date((m, d))]
    missing += [f"{h:02d}:{m:02d}" for h, m in sorted(found.times) if not evidence.has_time((h, m))]
    counted = {float(n) for n, _ in found.counts}
    missing += [f"{n} {w}" for n, w in sorted(found.counts) if not evidence.has_count(n, w)]
    missing += [_show(n) for n in sorted(found.numbers - counted) if not evidence.has_number(n)]
    missing += [f"${_show(n)}" for n in sorted(found.amounts) if not evidence.has_amount(n)]
    if found.numbering and list(found.numbering) != list(range(1, len(found.numbering) + 1)):
        missing.append("items numbered " + ", ".join(f"({n})" for n in found.numbering))
    return missing


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
