"""Facts stated in the agent's words, and the facts the observations hold, in comparable form.

A fact is a quoted phrase (``"Roadmap sync"``, quoted as it was given), an identifier
(``W4648383``, ``EXP-42935``, an email), a date (``January 8`` as month 1, day 8), a clock time
(``5:30pm`` as 17:30), a count of something (``2 missing``: compared with what the observations
say under that name) or a number (amounts, counts; ``$1,299.00`` is 1299).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from trajforge.grade.rules.context import decode_json
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

    def __bool__(self) -> bool:
        """Whether the text states any fact."""
        return any(
            (
                self.quotes,
                self.identifiers,
                self.dates,
                self.times,
                self.counts,
                self.numbers,
                self.amounts,
                self.numbering,
            )
        )


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def may_name_month(text: str) -> bool:
    """Whether the text may name a month (``False``: ``_ANY_MONTH`` cannot match in it): whether
    a word starts with a month's first three letters."""
    if not text.isascii() and any(c in text for c in CASE_TWINS):
        return True  # re equates these with ASCII letters, str.lower does not
    lowered = text.lower()  # each character in place (only a case twin lower-cases to two)
    for stem in _MONTH_STEMS:
        at = lowered.find(stem)
        while at >= 0:
            if at == 0 or not is_word_char(text[at - 1]):
                return True
            at = lowered.find(stem, at + 1)
    return False


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

    Texts are added as they come; they are lower-cased and joined only when a claim is looked
    up, and each kind of fact (times, dates, amounts, digits, named counts) is read from a text
    only when a claim needs that kind, once per text (the ``_*_of`` functions, cached).
    """

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._raw: list[str] = list(texts)
        self._joined_text = ""
        self._joined_count = 0

    def extend(self, texts: Iterable[str]) -> None:
        """Add observations' texts."""
        self._raw.extend(texts)

    def _joined(self) -> str:
        """All texts so far, lower-cased, as one (for quick literal look-ups)."""
        done = self._joined_count
        if done != len(self._raw):
            new = "\n".join(self._raw[done:]).lower()
            self._joined_text = f"{self._joined_text}\n{new}" if done else new
            self._joined_count = len(self._raw)
        return self._joined_text

    def has_quote(self, value: str) -> bool:
        """Whether some observation contains the quoted phrase."""
        if "\n" in value:
            return any(value in t.lower() for t in self._raw)
        return value in self._joined()

    has_identifier = has_quote

    def has_number(self, value: float) -> bool:
        """Whether some observation states the number, even as part of an id or a date."""
        joined = self._joined()
        if any(find_fitting(joined, v, _digits_apart) >= 0 for v in _spellings(value)):
            return True
        digits = round(value, 2)
        return any(digits in _digits_of(t) for t in self._raw) or self.has_amount(value)

    def has_amount(self, value: float) -> bool:
        """Whether some observation states the amount as a number (or in cents, or cents of it):
        digits inside an identifier do not count."""
        spellings = _spellings(value) + _spellings(round(value * 100, 2))
        joined = self._joined()
        if any(find_fitting(joined, v, _word_apart) >= 0 for v in spellings):
            return True
        value = round(value, 2)
        wanted = {value, round(value * 100, 2), round(value / 100, 4)}
        return any(not wanted.isdisjoint(_amounts_of(t)) for t in self._raw)

    def has_count(self, value: float, word: str) -> bool:
        """Whether the count fits what the observations say under that name (when they say
        anything under it; else whether the number is stated at all)."""
        if self._counted(word, str(int(value))):
            return True
        named = [n for t in self._raw if _may_name(t, word) and (n := _named_of(t).get(word))]
        if any(value in n for n in named):
            return True
        return not named and self.has_number(value)

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
        times = [t for t in map(_times_of, self._raw) if t]
        return not times or any(value in t for t in times)

    def has_date(self, value: tuple[int, int]) -> bool:
        """Whether some observation states the date (any, when none state one)."""
        joined = self._joined()
        if f"-{value[0]:02d}-{value[1]:02d}" in joined:
            return True
        # Else only a month's name, or digits that are not ASCII, can state it.
        stem = _MONTH_STEMS[value[0] - 1] if 1 <= value[0] <= 12 else "\n"
        if stem in joined or not joined.isascii():
            named = (t for t in self._raw if not t.isascii() or stem in t.lower())
            if any(value in _dates_of(t) for t in named):
                return True
        return not any(map(_dates_of, self._raw))


@lru_cache(maxsize=8192)
def _times_of(text: str) -> frozenset[tuple[int, int]]:
    """The clock times an observation states."""
    times = set()
    for hour, minute, ampm in CLOCK.findall(text):
        times.add((int(hour) % 12 + (12 if ampm.lower() == "p" else 0), int(minute or 0)))
    if ":" in text:
        times |= {(int(h), int(m)) for h, m in TIME24.findall(text)}
    return frozenset(times)


@lru_cache(maxsize=8192)
def _dates_of(text: str) -> frozenset[tuple[int, int]]:
    """The dates (month, day) an observation states."""
    dates = {(int(m), int(d)) for _, m, d in ISO_DATE.findall(text)} if "-" in text else set()
    if may_name_month(text):
        for month, day, day2, month2 in NAMED_DATE.findall(text):
            name, number = (month, day) if month else (month2, day2)
            dates.add((MONTHS[name.lower()], int(number)))
    return frozenset(dates)


def _may_name(text: str, word: str) -> bool:
    """Whether the text may count something under the word (``False``: ``_named_of`` has none
    under it); it names what it counts, unless in JSON escapes."""
    lowered = text.lower()
    return word in lowered or "\\u" in lowered


@lru_cache(maxsize=8192)
def _amounts_of(text: str) -> AbstractSet[float]:
    """The numbers an observation states on its own (amounts too), and those its JSON implies."""
    standalone = [m.group(0) for m in NUMBER.finditer(text)]
    if "$" in text:
        standalone += MONEY.findall(text)
    numbers = {n for m in standalone if (n := _number(m)) is not None}
    value = _json(text)
    if value is not None:
        _derive(value, numbers)
    return numbers


@lru_cache(maxsize=8192)
def _digits_of(text: str) -> AbstractSet[float]:
    """Every run of digits of an observation, inside identifiers and dates too (weaker support,
    not for amounts)."""
    return {float(p) for p in _DIGITS.findall(text)}


@lru_cache(maxsize=8192)
def _named_of(text: str) -> Mapping[str, AbstractSet[float]]:
    """What an observation counts under a name: the name's stem to its numbers, list sizes."""
    named: dict[str, set[float]] = {}
    for n, word in COUNT.findall(text):
        named.setdefault(_stem(word), set()).add(float(n))
    value = _json(text)
    if value is not None:
        _names(value, "", named)
    return named


def _json(text: str) -> Any:
    """The JSON object or list a text holds (``None`` when it holds none)."""
    stripped = text.strip()
    return decode_json(stripped) if stripped.startswith(("{", "[")) else None


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


def _derive(value: Any, numbers: set[float]) -> None:
    """Add the numbers a JSON value implies: list sizes, an object's numbers and the products of
    each pair (price times quantity), sums over a list's items (up to ten)."""
    if isinstance(value, list):
        numbers.add(float(len(value)))
        rows = [_numeric(x) for x in value if isinstance(x, dict)]
        if 1 < len(rows) <= 10:
            for k in set().union(*rows):
                numbers |= _subset_sums([r.get(k, 0.0) for r in rows])
        for item in value:
            _derive(item, numbers)
    elif isinstance(value, dict):
        numbers |= {round(v, 2) for v in _numeric(value).values()}
        for v in value.values():
            _derive(v, numbers)


def _names(value: Any, key: str, named: dict[str, set[float]]) -> None:
    """Add the numbers of a JSON value under their names, and the sizes of its lists."""
    if isinstance(value, list):
        if key:
            named.setdefault(_stem(key), set()).add(float(len(value)))
        for item in value:
            _names(item, key, named)
    elif isinstance(value, dict):
        for k, v in value.items():
            number = _as_float(v)
            if k and number is not None:
                named.setdefault(_stem(k), set()).add(number)
            _names(v, k, named)


def _as_float(value: Any) -> float | None:
    """A JSON number as a float (``None`` for anything else, and for an integer too large for a
    float: such a number supports no claim)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _numeric(obj: dict[str, Any]) -> dict[str, float]:
    """An object's numbers by key, plus the products of each pair (``price*qty``)."""
    nums = {k: number for k, v in obj.items() if (number := _as_float(v)) is not None}
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


def unsupported(found: Facts, evidence: Evidence) -> list[str]:
    """The facts (of a text) that the evidence does not support, as the text states them."""
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
