"""Which calls the agent needed: calls whose results told a later action something.

Values are compared as text (case matters: values are copied, not paraphrased): strings of
three characters or more anywhere in a later action, and numbers under a matching name (an
``id`` of 17 in a result is used by ``row_id=17`` or by "[17]", not by any 17). When the request
or the user said a value, no lookup was needed for it; when several results told it, see
``_credited``. A result's echo of its own call's arguments is not something it told.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from typing import Any

from trajforge.grade.rules.context import CallView, RuleContext, scalars
from trajforge.schema import UserMessage

_WORD = re.compile(r"[\w@.+-]{3,}")
#: A number on its own (see ``named_numbers`` for the name before it): what
#: ``(?<![\w.])-?\d+(?:\.\d+)?(?!\w)`` matches, written to look behind only past the first
#: character, so that re skips quickly to the signs and digits.
_NUMBER = re.compile(r"-(?<![\w.]-)\d+(?:\.\d+)?(?!\w)|\d(?<![\w.]\d)\d*(?:\.\d+)?(?!\w)")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_ELEMENT = re.compile(r"\[(\d+)\]")
#: The name of a number whose name is not known (matches any name).
ANY = "*"

Number = tuple[str, str]


def _name(key: str) -> str:
    return key.lower().rsplit("_", 1)[-1] if key else ANY


@lru_cache(maxsize=8192)
def _number(value: float, key: str) -> Number | None:
    """A telling number with its name: ids of any size, other integers of two digits or more,
    any fraction."""
    if isinstance(value, int) or value.is_integer():  # ints of any size, floats like 3.0
        name = _name(key)
        return (name, str(int(value))) if abs(value) >= 10 or name == "id" else None
    return (ANY, repr(float(value)))


@lru_cache(maxsize=8192)
def _text_number(word: str, digits: str) -> Number | None:
    """``_number`` of a number written in a text, with the word before it."""
    return _number(float(digits), word)


def _walk(value: Any, key: str, words: set[str], numbers: set[Number]) -> None:
    """Gather the strings of three characters or more and the telling numbers of a JSON value
    (each number named by the key it is under)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):  # most values: taken here, without a call
                if len(v) >= 3:
                    words.add(v)
            else:
                _walk(v, str(k), words, numbers)
    elif isinstance(value, list):
        for v in value:
            _walk(v, key, words, numbers)
    elif isinstance(value, str):
        if len(value) >= 3:
            words.add(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        n = _number(value, key)
        if n is not None:
            numbers.add(n)


def named_numbers(text: str) -> list[tuple[str, str]]:
    """The numbers of a text with the word just before each (``""`` when none), as
    ``re.findall(r"(?:([A-Za-z_]+)\\W{0,3})?(?<![\\w.])(-?\\d+(?:\\.\\d+)?)(?![\\w])", text)``
    finds them, in a fraction of its time: a word of ASCII letters and ``_`` counts when one to
    three non-word characters part it from the number (a ``-`` among them is not the number's
    sign, unless it takes a fourth)."""
    return [_named(text, m.start(), m.group()) for m in _NUMBER.finditer(text)]


def _named(text: str, start: int, number: str) -> tuple[str, str]:
    """A number found at ``start`` with the word before it (see ``named_numbers``)."""
    digits = start + (number[0] == "-")  # where the digits start
    return _named_after(text, _gap_start(text, digits), digits, number)


def _named_after(text: str, gap: int, digits: int, number: str) -> tuple[str, str]:
    """``_named`` of a number whose digits start at ``digits``, after the non-word characters
    from ``gap`` (``_gap_start``)."""
    signed = number[0] == "-"
    width = digits - gap
    name = _name_before(text, gap) if width <= 4 else ""
    if name and width <= 3:
        return name, number[1:] if signed else number
    if name and signed:
        return name, number
    return "", number


def _gap_start(text: str, end: int) -> int:
    """Where the non-word characters before ``end`` start (looking back five at most)."""
    gap = end
    while gap > 0 and end - gap <= 4:
        char = text[gap - 1]
        if char.isalnum() or char == "_":
            break
        gap -= 1
    return gap


def _name_before(text: str, end: int) -> str:
    """The run of ASCII letters and ``_`` that ends at ``end``."""
    start = end
    while start > 0 and text[start - 1] in _NAME_CHARS:
        start -= 1
    return text[start:end]


def _text_words(text: str) -> set[str]:
    """The strings of a text, read line by line (no string spans lines; and pages repeat most
    of their lines from one call to the next)."""
    return set().union(*map(_line_words, text.split("\n")))


@lru_cache(maxsize=16384)
def _line_words(line: str) -> frozenset[str]:
    """A line's strings."""
    return frozenset(_WORD.findall(line))


def _text_numbers(text: str) -> set[Number]:
    """The named numbers of a text, read line by line: no number spans lines, only the gap
    between a number and its name may; and pages repeat most of their lines, in the same
    order, from one call to the next."""
    raw = text.split("\n")
    named, at_start = zip(*map(_line_numbers, raw), strict=True)
    numbers: set[Number] = set().union(*named)
    for i in [i for i, starts in enumerate(at_start) if starts]:
        near, far = _numbers_at_start(raw[i], raw[i - 1] if i else None)
        numbers |= near
        if far:
            at = sum(map(len, raw[:i])) + i  # where the line starts in the text
            for start, number in far:
                if (n := _text_number(*_named(text, at + start, number))) is not None:
                    numbers.add(n)
    return numbers


@lru_cache(maxsize=16384)
def _line_numbers(line: str) -> tuple[frozenset[Number], tuple[tuple[int, str], ...]]:
    """A line's numbers named within it, and the numbers at its start (where they start, as
    written) whose name may be on a line before. Element ids ("[57] button", in a page's
    accessibility tree) count as named ``id``."""
    numbers = {("id", digits) for digits in _ELEMENT.findall(line)}
    at_start = []
    for m in _NUMBER.finditer(line):
        start, number = m.start(), m.group()
        digits = start + (number[0] == "-")
        gap = _gap_start(line, digits)
        if gap == 0:
            at_start.append((start, number))
        elif (n := _text_number(*_named_after(line, gap, digits, number))) is not None:
            numbers.add(n)
    return frozenset(numbers), tuple(at_start)


@lru_cache(maxsize=16384)
def _numbers_at_start(
    line: str, before: str | None
) -> tuple[frozenset[Number], tuple[tuple[int, str], ...]]:
    """The numbers at a line's start named with the line ``before`` it (``None``: the line
    starts the text), and those whose name may lie further back (where they start in the
    line, as written)."""
    context = line if before is None else f"{before}\n{line}"
    offset = len(context) - len(line)
    near = set()
    far = []
    for start, number in _line_numbers(line)[1]:
        digits = offset + start + (number[0] == "-")
        gap = _gap_start(context, digits)
        if offset and gap == 0:
            far.append((start, number))
        elif (n := _text_number(*_named_after(context, gap, digits, number))) is not None:
            near.add(n)
    return frozenset(near), tuple(far)


def tokens(ctx: RuleContext, view: CallView) -> tuple[set[str], set[Number]]:
    """What a result told: its strings and named numbers, less the echo of its arguments."""
    cache: dict[int, tuple[set[str], set[Number]]] = ctx.memo("usage.tokens", dict)
    if view.n not in cache:
        cache[view.n] = _tokens(ctx, view)
    return cache[view.n]


def _arguments(ctx: RuleContext, view: CallView) -> tuple[set[str], set[Number]]:
    """The strings and named numbers of a call's arguments (its result's echo, an action's
    numbers)."""
    cache: dict[int, tuple[set[str], set[Number]]] = ctx.memo("usage.arguments", dict)
    if view.n not in cache:
        words: set[str] = set()
        numbers: set[Number] = set()
        _walk(view.call.arguments, "", words, numbers)
        cache[view.n] = words, numbers
    return cache[view.n]


def _tokens(ctx: RuleContext, view: CallView) -> tuple[set[str], set[Number]]:
    if view.result is None:
        return set(), set()
    own_words, own_numbers = _arguments(ctx, view)
    value = view.body
    if value is None:
        value = _csv_rows(view.result.content)
    if value is None:
        words, numbers = _text_words(view.result.content), _text_numbers(view.result.content)
        numbers = {(name if name == "id" else ANY, n) for name, n in numbers}
    else:
        words, numbers = set(), set()
        _walk(value, "", words, numbers)
    words -= own_words  # both sets are this call's own
    if own_numbers:
        own_digits = {n for _, n in own_numbers}
        numbers = {n for n in numbers if n[1] not in own_digits}
    return words, numbers


def _csv_rows(text: str) -> list[dict[str, Any]] | None:
    """Rows of a CSV text (a result drifted to CSV), with numbers read as numbers."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or "," not in lines[0]:
        return None
    rows: list[dict[str, Any]] = []
    for row in csv.DictReader(io.StringIO(text.strip())):
        rows.append({str(k): _maybe_number(v) for k, v in row.items()})
    return rows


def _maybe_number(text: Any) -> Any:
    if isinstance(text, str) and _PLAIN_NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def telling(ctx: RuleContext, view: CallView) -> bool:
    """Whether a result told anything to quote beyond echoing its call (else it is a check)."""
    value = view.body
    if isinstance(value, dict) and any(v is False for v in value.values()):
        return False  # a check that came back negative steered the agent without being quoted
    words, numbers = tokens(ctx, view)
    return bool(words or numbers)


class _Source:
    """A call's result that values came from (``spot``: its step and action index), with its
    text and the values it told."""

    __slots__ = ("digits", "numbers", "size", "spot", "text", "words")

    def __init__(self, view: CallView, text: str, values: tuple[set[str], set[Number]]) -> None:
        self.spot = (view.step, view.index)
        self.text = text
        self.words, self.numbers = values
        self.digits = {digits for _, digits in self.numbers}
        self.size = len(self.words) + len(self.numbers)

    def holds(self, value: str | Number) -> bool:
        """Whether it told a value (a string anywhere in its text, a number by its digits)."""
        if isinstance(value, str):
            return value in self.words or value in self.text
        return value[1] in self.digits


class _Said:
    """What the request or a user's message said: its text, and the digits of its numbers
    (read when first asked for: few values used are numbers)."""

    __slots__ = ("_digits", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._digits: set[str] | None = None

    def holds(self, value: str | Number) -> bool:
        """Whether it said a value (a string anywhere in its text, a number by its digits)."""
        if isinstance(value, str):
            return value in self.text
        if self._digits is None:
            self._digits = {digits for _, digits in _text_numbers(self.text)}
        return value[1] in self._digits


def _credited(holders: list[_Source]) -> tuple[int, int] | None:
    """Which of the calls that told a value the agent needed: the only one, or one clearly more
    specific than the others (at most half as many values: the person found by name, not the
    whole directory); else none of them (each could have been left out)."""
    if len(holders) == 1:
        return holders[0].spot
    sizes = sorted((h.size, n) for n, h in enumerate(holders))
    if sizes[0][0] * 2 <= sizes[1][0]:
        return holders[sizes[0][1]].spot
    return None


class _Seen:
    """What was seen before a step: what was said (the request, the user) and what calls told,
    with the strings the calls told gathered."""

    def __init__(self, task: str) -> None:
        self.said = [_Said(task)]
        self.calls: list[_Source] = []
        self.words: set[str] = set()

    def add_step(self, ctx: RuleContext, s: int) -> list[_Source]:
        """Take in what step ``s`` brought: its calls' trustworthy results (returned), then the
        user's messages."""
        sources = [
            _Source(view, view.result.content, tokens(ctx, view))
            for view in ctx.step_calls[s]
            if view.ok and view.result is not None and not ctx.unreliable(view)
        ]
        for source in sources:
            self.calls.append(source)
            self.words |= source.words
        self.said += [
            _Said(o.content) for o in ctx.steps[s].observations if isinstance(o, UserMessage)
        ]
        return sources

    def strings_used(self, text: str, by: list[_Source]) -> list[str | Number]:
        """The strings calls told that an action's text holds and one of the sources ``by``
        told, only the longest of strings inside one another."""
        strings = [w for w in self.words if w in text]
        # only the longest matches count: "srv/" from a listing adds nothing to the
        # "/srv/app/.env" another result told
        return [
            a
            for a in strings
            if not any(a != b and a in b for b in strings) and any(src.holds(a) for src in by)
        ]

    def numbers_used(self, used: set[Number], by: list[_Source]) -> list[str | Number]:
        """The numbers calls told that an action used (same digits, compatible names) and one
        of the sources ``by`` told, each once, named ``ANY`` (only the digits say who told
        it)."""
        wanted: dict[str, set[str]] = {}
        for name, digits in used:
            wanted.setdefault(digits, set()).add(name)
        values: list[str | Number] = []
        for digits, names in wanted.items():
            if any(digits in src.digits for src in by):
                told = self._names(digits)
                if ANY in told or ANY in names or not told.isdisjoint(names):
                    values.append((ANY, digits))
        return values

    def _names(self, digits: str) -> set[str]:
        """The names calls told a number's digits with."""
        return {
            name
            for src in self.calls
            if digits in src.digits
            for name, told in src.numbers
            if told == digits
        }

    def credited(self, value: str | Number) -> tuple[int, int] | None:
        """The call a value used is credited to (none when the request or the user said it)."""
        if any(said.holds(value) for said in self.said):
            return None  # the request or the user said it: no lookup was needed for it
        return _credited([src for src in self.calls if src.holds(value)])


def needed_calls(ctx: RuleContext, among: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of the calls ``among`` (their step and action index) gave a result a later action
    used (see above); what later steps brought is not read once all of them are known to be."""
    seen = _Seen(ctx.trajectory.task.instruction or "")
    needed: set[tuple[int, int]] = set()
    #: the results seen of calls ``among`` not yet known to be needed: crediting a value none
    #: of them told changes nothing
    pending: list[_Source] = []
    for t, step in enumerate(ctx.steps):
        if needed == among:
            break
        if t:
            pending += [src for src in seen.add_step(ctx, t - 1) if src.spot in among]
            pending = [src for src in pending if src.spot not in needed]
        if not pending:
            continue
        told_numbers = any(src.digits for src in pending)  # else no number used is theirs
        views = {view.index: view for view in ctx.step_calls[t]}
        for i, action in enumerate(step.actions):
            view = views.get(i)  # the action's call, if it is one: its arguments as JSON
            text = getattr(action, "content", "") if view is None else view.arguments_json
            values = seen.strings_used(text, pending)
            if told_numbers:
                used = _text_numbers(text) if view is None else _arguments(ctx, view)[1]
                values += seen.numbers_used(used, pending)
            for value in values:
                spot = seen.credited(value)
                if spot is not None and spot in among:
                    needed.add(spot)
    return needed


__all__ = ["ANY", "needed_calls", "scalars", "telling", "tokens"]
