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
from typing import Any

import msgspec

from trajforge.grade.rules.context import CallView, RuleContext, decode_json, scalars
from trajforge.schema import ToolCall, UserMessage

_WORD = re.compile(r"[\w@.+-]{3,}")
#: A number and the name before it. The name starts a run of letters and takes all of it
#: (possessive): the regex engine then never retries it from inside a word.
_NAMED_NUMBER = re.compile(
    r"(?:(?<![A-Za-z_])([A-Za-z_]++)\W{0,3})?(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w])"
)
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


def _walk(value: Any, key: str, words: set[str], numbers: set[Number]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, str(k), words, numbers)
    elif isinstance(value, list):
        for v in value:
            _walk(v, key, words, numbers)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        n = _number(value, key)
        if n is not None:
            numbers.add(n)
    elif isinstance(value, str) and len(value) >= 3:
        words.add(value)


def _text_values(text: str) -> tuple[set[str], set[Number]]:
    words = set(_WORD.findall(text))
    numbers = {
        n for word, digits in _NAMED_NUMBER.findall(text) if (n := _number(float(digits), word))
    }
    # "[57] button" in a page's accessibility tree: an element id
    numbers |= {("id", digits) for digits in _ELEMENT.findall(text)}
    return words, numbers


def tokens(view: CallView) -> tuple[set[str], set[Number]]:
    """What a result told: its strings and named numbers, less the echo of its arguments."""
    cached: tuple[set[str], set[Number]] | None = getattr(view, "_tokens", None)
    if cached is None:
        cached = _tokens(view)
        object.__setattr__(view, "_tokens", cached)  # CallView is frozen; this is a cache
    return cached


def _tokens(view: CallView) -> tuple[set[str], set[Number]]:
    if view.result is None:
        return set(), set()
    own_words: set[str] = set()
    own_numbers: set[Number] = set()
    _walk(view.call.arguments, "", own_words, own_numbers)
    value = decode_json(view.result.content)
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
    if isinstance(text, str) and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    return text


def telling(view: CallView) -> bool:
    """Whether a result told anything to quote beyond echoing its call (else it is a check)."""
    value = decode_json(view.result.content) if view.result is not None else None
    if isinstance(value, dict) and any(v is False for v in value.values()):
        return False  # a check that came back negative steered the agent without being quoted
    words, numbers = tokens(view)
    return bool(words or numbers)


def _uses(numbers: set[Number], used: set[Number]) -> set[Number]:
    """The numbers among ``numbers`` that ``used`` uses (same digits, compatible names)."""
    by_digits: dict[str, set[str]] = {}
    for name, digits in used:
        by_digits.setdefault(digits, set()).add(name)
    return {
        (name, digits)
        for name, digits in numbers
        if digits in by_digits
        and (name == ANY or ANY in by_digits[digits] or name in by_digits[digits])
    }


def _holds(source: _Source, value: str | Number) -> bool:
    """Whether a source told a value (a string anywhere in its text, a number by its digits)."""
    if isinstance(value, str):
        return value in source[3] or value in source[2]
    return any(digits == value[1] for _, digits in source[4])


def _credited(holders: list[_Source]) -> tuple[int, int] | None:
    """Which of the calls that told a value the agent needed: the only one, or one clearly more
    specific than the others (at most half as many values: the person found by name, not the
    whole directory); else none of them (each could have been left out)."""
    if len(holders) == 1:
        return holders[0][1]
    sizes = sorted((len(h[3]) + len(h[4]), n) for n, h in enumerate(holders))
    if sizes[0][0] * 2 <= sizes[1][0]:
        return holders[sizes[0][1]][1]
    return None


#: A source of values: step, the call (None: the task, a user message), its text, strings, numbers.
_Source = tuple[int, tuple[int, int] | None, str, set[str], set[Number]]


def needed_calls(ctx: RuleContext) -> set[tuple[int, int]]:
    """The (step, action index) of every call whose result a later action used (see above)."""
    task = ctx.trajectory.task.instruction or ""
    sources: list[_Source] = [(-1, None, task, *_text_values(task))]
    for s, step in enumerate(ctx.steps):
        for view in ctx.step_calls[s]:
            if view.ok and not ctx.unreliable(view) and view.result is not None:
                content = view.result.content
                sources.append((s, (view.step, view.index), content, *tokens(view)))
        for o in step.observations:
            if isinstance(o, UserMessage):
                sources.append((s, None, o.content, *_text_values(o.content)))
    needed: set[tuple[int, int]] = set()
    for t, step in enumerate(ctx.steps):
        for action in step.actions:
            if isinstance(action, ToolCall):
                text = msgspec.json.encode(action.arguments).decode()
                used: set[Number] = set()
                _walk(action.arguments, "", set(), used)
            else:
                text = getattr(action, "content", "")
                used = _text_values(text)[1]
            before = [src for src in sources if src[0] < t]
            said = [src for src in before if src[1] is None]  # the request, the user
            calls = [src for src in before if src[1] is not None]
            values: set[str | Number] = set()
            for _, _, _, words, numbers in calls:
                values.update(w for w in words if w in text)
                values.update(_uses(numbers, used))
            # only the longest matches count: "srv/" from a listing adds nothing to the
            # "/srv/app/.env" another result told
            strings = [v for v in values if isinstance(v, str)]
            values -= {a for a in strings if any(a != b and a in b for b in strings)}
            for value in values:
                if any(_holds(src, value) for src in said):
                    continue  # the request or the user said it: no lookup was needed for it
                spot = _credited([src for src in calls if _holds(src, value)])
                if spot is not None:
                    needed.add(spot)
    return needed


__all__ = ["ANY", "needed_calls", "scalars", "telling", "tokens"]
