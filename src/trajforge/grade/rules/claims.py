"""Facts stated in the agent's words, and the facts the observations hold, in comparable form.

A fact is a quoted phrase (``"Roadmap sync"``, quoted as it was given), an identifier
(``W4648383``, ``EXP-42935``, an email), a date (``January 8`` as month 1, day 8), a clock time
(``5:30pm`` as 17:30), a count of something (``2 missing``: compared with what the observations
say under that name) or a number (amounts, counts; ``$1,299.00`` is 1299).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

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
QUOTED = re.compile(r"[\"“]([^\"”\n]{2,80})[\"”]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
NAMED_DATE = re.compile(
    rf"\b(?:({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH}))\b",
    re.IGNORECASE,
)
_ANY_MONTH = re.compile(rf"\b({_MONTH})\b", re.IGNORECASE)
CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b", re.IGNORECASE)
TIME24 = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])")
IDENTIFIER = re.compile(r"(?<![\w@.-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]")
COUNT = re.compile(r"(?<![\w.,$])(\d{1,4})\s+([a-z][a-z_]+)", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])|(?<=\$)\d[\d,]*(?:\.\d+)?")
MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)")
NUMBERING = re.compile(r"\((\d{1,2})\)")
ENUMERATION = re.compile(r"\(\d{1,2}\)|^\s*\d{1,2}[.)]\s", re.MULTILINE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


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


def facts(text: str, *, quotes: bool = True) -> Facts:
    """The facts a text states (each piece of text read once, most specific kind first);
    ``quotes=False`` reads quoted text as any other (for JSON)."""
    quoted = {m.lower().strip() for m in QUOTED.findall(text)} if quotes else set()
    rest = QUOTED.sub(" ", text) if quotes else text
    identifiers = {m.lower() for m in EMAIL.findall(rest)}
    rest = EMAIL.sub(" ", rest)
    dates = {(int(m), int(d)) for _, m, d in ISO_DATE.findall(rest)}
    rest = ISO_DATE.sub(" ", rest)
    for m in NAMED_DATE.finditer(rest):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        dates.add((MONTHS[month.lower()], int(day)))
    rest = NAMED_DATE.sub(" ", rest)
    times = set()
    for m in CLOCK.finditer(rest):
        hour = int(m.group(1))
        hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0) if hour <= 12 else 99
        times.add((hour, int(m.group(2) or 0)))
    rest = CLOCK.sub(" ", rest)
    for m in TIME24.finditer(rest):
        times.add((int(m.group(1)), int(m.group(2))))
    rest = TIME24.sub(" ", rest)
    identifiers |= {m.group(0).lower() for m in IDENTIFIER.finditer(rest)}
    rest = IDENTIFIER.sub(" ", rest)
    numbering = tuple(int(n) for n in NUMBERING.findall(rest))
    rest = ENUMERATION.sub(" ", rest)
    amounts = {n for m in MONEY.findall(rest) if (n := _number(m)) is not None}
    rest = MONEY.sub(" ", rest)
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


class Evidence:
    """What the observations (and the task) told the agent, searchable fact by fact.

    Texts are added as they come; each kind of fact (times, dates, numbers) is read from them
    only when a claim needs that kind, and only once.
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
        self._read: dict[str, int] = {"times": 0, "dates": 0, "numbers": 0}
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

    def _literal(self, pattern: str) -> bool:
        return re.search(pattern, self._joined()) is not None

    def _new(self, kind: str) -> list[str]:
        """The texts added since facts of this kind were last read."""
        start = self._read[kind]
        self._read[kind] = len(self._raw)
        return self._raw[start:]

    def _read_times(self) -> None:
        for text in self._new("times"):
            for hour, minute, ampm in CLOCK.findall(text):
                h = int(hour)
                self.times.add((h % 12 + (12 if ampm.lower() == "p" else 0), int(minute or 0)))
            self.times |= {(int(h), int(m)) for h, m in TIME24.findall(text)}

    def _read_dates(self) -> None:
        for text in self._new("dates"):
            self.dates |= {(int(m), int(d)) for _, m, d in ISO_DATE.findall(text)}
            if _ANY_MONTH.search(text):
                for month, day, day2, month2 in NAMED_DATE.findall(text):
                    name, number = (month, day) if month else (month2, day2)
                    self.dates.add((MONTHS[name.lower()], int(number)))

    def _read_numbers(self) -> None:
        for text in self._new("numbers"):
            for n, word in COUNT.findall(text):
                self.named.setdefault(_stem(word), set()).add(float(n))
            self.digits |= {float(p) for p in _DIGITS.findall(text)}
            standalone = [m.group(0) for m in NUMBER.finditer(text)] + MONEY.findall(text)
            self.numbers |= {n for m in standalone if (n := _number(m)) is not None}
            stripped = text.strip()
            if stripped.startswith(("{", "[")):
                try:
                    value = msgspec.json.decode(stripped)
                except msgspec.DecodeError:
                    continue
                _derive(value, "", self)

    def has_quote(self, value: str) -> bool:
        """Whether some observation contains the quoted phrase."""
        return any(value in t for t in self.text)

    has_identifier = has_quote

    def has_number(self, value: float) -> bool:
        """Whether some observation states the number, even as part of an id or a date."""
        digits = "|".join(re.escape(v) for v in _spellings(value))
        if self._literal(rf"(?<![\d.])({digits})(?!\d|\.\d)"):
            return True
        return self.has_amount(value) or round(value, 2) in self.digits

    def has_amount(self, value: float) -> bool:
        """Whether some observation states the amount as a number (or in cents, or cents of it):
        digits inside an identifier do not count."""
        spellings = _spellings(value) + _spellings(round(value * 100, 2))
        number = "|".join(re.escape(v) for v in spellings)
        if self._literal(rf"(?<![\w.])({number})(?![\w]|\.\d)"):
            return True
        self._read_numbers()
        value = round(value, 2)
        return bool({value, round(value * 100, 2), round(value / 100, 4)} & self.numbers)

    def has_count(self, value: float, word: str) -> bool:
        """Whether the count fits what the observations say under that name (when they say
        anything under it; else whether the number is stated at all)."""
        if self._literal(rf'"{re.escape(word)}s?"\s*:\s*{int(value)}(?![\d.])'):
            return True
        self._read_numbers()
        known = self.named.get(word)
        return value in known if known else self.has_number(value)

    def has_time(self, value: tuple[int, int]) -> bool:
        """Whether some observation states the clock time (any, when none state one)."""
        if f"{value[0]:02d}:{value[1]:02d}" in self._joined():
            return True
        self._read_times()
        return value in self.times or not self.times

    def has_date(self, value: tuple[int, int]) -> bool:
        """Whether some observation states the date (any, when none state one)."""
        if f"-{value[0]:02d}-{value[1]:02d}" in self._joined():
            return True
        self._read_dates()
        return value in self.dates or not self.dates


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
