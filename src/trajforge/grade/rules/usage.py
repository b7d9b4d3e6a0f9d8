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
from trajforge.schema import ToolCall, UserMessage

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


def _number(value: float, key: str) -> Number | None:
    """A telling number with its name: ids of any size, other integers of two digits or more,
    any fraction."""
    if float(value).is_integer():
        name = _name(key)
        return (name, str(int(value))) if abs(value) >= 10 or name == "id" else None
    return (ANY, repr(float(value)))


@lru_cache(maxsize=8192)
def _text_number(word: str, digits: str) -> Number | None:
    """``_number`` of a number written in a text, with the word before it."""
    return _number(float(digits), word)


def _walk(value: Any, key: str, words: set[str], numbers: set[Number]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
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
    signed = number[0] == "-"
    digits = start + signed  # where the digits start
    gap = _gap_start(text, digits)
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


def _text_values(text: str) -> tuple[set[str], set[Number]]:
    """The strings and named numbers of a text, read line by line: no string or number spans
    lines, only the gap between a number and its name may; and pages repeat most of their
    lines, in the same order, from one call to the next."""
    raw = text.split("\n")
    lines = [_line_values(line) for line in raw]
    words: set[str] = set().union(*(line[0] for line in lines))
    numbers: set[Number] = set().union(*(line[1] for line in lines))
    at = 0
    for i, line in enumerate(raw):
        if lines[i][2]:
            near, far = _numbers_at_start(line, raw[i - 1] if i else None)
            numbers |= near
            for start, number in far:
                if (n := _text_number(*_named(text, at + start, number))) is not None:
                    numbers.add(n)
        at += len(line) + 1
    return words, numbers


@lru_cache(maxsize=16384)
def _line_values(
    line: str,
) -> tuple[frozenset[str], frozenset[Number], tuple[tuple[int, str], ...]]:
    """A line's strings, its numbers named within it, and the numbers at its start (where they
    start, as written) whose name may be on a line before. Element ids ("[57] button", in a
    page's accessibility tree) count as named ``id``."""
    words = frozenset(_WORD.findall(line))
    numbers = {("id", digits) for digits in _ELEMENT.findall(line)}
    at_start = []
    for m in _NUMBER.finditer(line):
        start, number = m.start(), m.group()
        if _gap_start(line, start + (number[0] == "-")) == 0:
            at_start.append((start, number))
        elif (n := _text_number(*_named(line, start, number))) is not None:
            numbers.add(n)
    return words, frozenset(numbers), tuple(at_start)


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
    for start, number in _line_values(line)[2]:
        at = offset + start
        if offset and _gap_start(context, at + (number[0] == "-")) == 0:
            far.append((start, number))
        elif (n := _text_number(*_named(context, at, number))) is not None:
            near.add(n)
    return frozenset(near), tuple(far)


def tokens(ctx: RuleContext, view: CallView) -> tuple[set[str], set[Number]]:
    """What a result told: its strings and named numbers, less the echo of its arguments."""
    cache: dict[int, tuple[set[str], set[Number]]] = ctx.memo("usage.tokens", dict)
    if view.n not in cache:
        cache[view.n] = _tokens(view)
    return cache[view.n]


def _tokens(view: CallView) -> tuple[set[str], set[Number]]:
    if view.result is None:
        return set(), set()
    own_words: set[str] = set()
    own_numbers: set[Number] = set()
    _walk(view.call.arguments, "", own_words, own_numbers)
    value = view.body
    if value is None:
        value = _csv_rows(view.result.content)
    if value is None:
        words, numbers = _text_values(view.result.content)
        numbers = {(name if name == "id" else ANY, n) for name, n in numbers}
    else:
        words, numbers = set(), set()
        _walk(value, "", words, numbers)
    own_digits = {n for _, n in own_numbers}
    return words - own_words, {n for n in numbers if n[1] not in own_digits}


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
    """Where values came from: the task, a user message, or a call's result (``spot``, its step
    and action index), seen at ``step``, with its text and the values it told."""

    __slots__ = ("digits", "numbers", "size", "spot", "step", "text", "words")

    def __init__(
        self,
        step: int,
        spot: tuple[int, int] | None,
        text: str,
        values: tuple[set[str], set[Number]],
    ) -> None:
        self.step = step
        self.spot = spot
        self.text = text
        self.words, self.numbers = values
        self.digits = {digits for _, digits in self.numbers}
        self.size = len(self.words) + len(self.numbers)

    def holds(self, value: str | Number) -> bool:
        """Whether it told a value (a string anywhere in its text, a number by its digits)."""
        if isinstance(value, str):
            return value in self.words or value in self.text
        return value[1] in self.digits


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


def _task_source(ctx: RuleContext) -> _Source:
    """The request, the first source of values."""
    task = ctx.trajectory.task.instruction or ""
    return _Source(-1, None, task, _text_values(task))


def _step_sources(ctx: RuleContext, s: int) -> list[_Source]:
    """The sources of values a step brought: the calls' trustworthy results, then the user's
    messages."""
    sources = [
        _Source(s, (view.step, view.index), view.result.content, tokens(ctx, view))
        for view in ctx.step_calls[s]
        if view.ok and not ctx.unreliable(view) and view.result is not None
    ]
    sources += [
        _Source(s, None, o.content, _text_values(o.content))
        for o in ctx.steps[s].observations
        if isinstance(o, UserMessage)
    ]
    return sources


class _Seen:
    """The sources seen before a step, split into what was said (the request, the user) and
    what calls told, with the values the calls told gathered."""

    def __init__(self) -> None:
        self.said: list[_Source] = []
        self.calls: list[_Source] = []
        self.words: set[str] = set()
        #: the digits of the numbers calls told, with the names told with them
        self.names: dict[str, set[str]] = {}

    def add(self, source: _Source) -> None:
        """Take in a source."""
        if source.spot is None:
            self.said.append(source)
            return
        self.calls.append(source)
        self.words |= source.words
        for name, digits in source.numbers:
            self.names.setdefault(digits, set()).add(name)

    def used(self, text: str, used: set[Number]) -> set[str | Number]:
        """The values calls told that an action used: strings in its text, numbers it used
        (same digits, compatible names), only the longest of strings inside one another."""
        values: set[str | Number] = {w for w in self.words if w in text}
        # only the longest matches count: "srv/" from a listing adds nothing to the
        # "/srv/app/.env" another result told
        strings = [v for v in values if isinstance(v, str)]
        values -= {a for a in strings if any(a != b and a in b for b in strings)}
        wanted: dict[str, set[str]] = {}
        for name, digits in used:
            wanted.setdefault(digits, set()).add(name)
        for digits, names in wanted.items():
            told = self.names.get(digits, ())
            values.update(
                (name, digits) for name in told if name == ANY or ANY in names or name in names
            )
        return values

    def credited(self, value: str | Number) -> tuple[int, int] | None:
        """The call a value used is credited to (none when the request or the user said it)."""
        if any(src.holds(value) for src in self.said):
            return None  # the request or the user said it: no lookup was needed for it
        return _credited([src for src in self.calls if src.holds(value)])


def _action_values(ctx: RuleContext, step: int, index: int, action: Any) -> tuple[str, set[Number]]:
    """An action's text (a call's arguments as JSON) and the numbers it uses."""
    if isinstance(action, ToolCall):
        view = next(v for v in ctx.step_calls[step] if v.index == index)
        used: set[Number] = set()
        _walk(action.arguments, "", set(), used)
        return view.arguments_json, used
    text = getattr(action, "content", "")
    return text, _text_values(text)[1]


def needed_calls(ctx: RuleContext, among: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of the calls ``among`` (their step and action index) gave a result a later action
    used (see above); what later steps brought is not read once all of them are known to be."""
    seen = _Seen()
    seen.add(_task_source(ctx))
    needed: set[tuple[int, int]] = set()
    for t, step in enumerate(ctx.steps):
        if needed == among:
            break
        for source in _step_sources(ctx, t - 1) if t else ():
            seen.add(source)
        known = [src for src in seen.calls if src.spot in among]  # only these can be credited
        for i, action in enumerate(step.actions if known else ()):
            text, used = _action_values(ctx, t, i, action)
            for value in seen.used(text, used):
                if any(src.holds(value) for src in known):  # else none of them is credited
                    spot = seen.credited(value)
                    if spot is not None and spot in among:
                        needed.add(spot)
    return needed


__all__ = ["ANY", "needed_calls", "scalars", "telling", "tokens"]
