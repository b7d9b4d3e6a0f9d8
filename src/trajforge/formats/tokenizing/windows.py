"""Texts longer than ``max_length`` tokens: dropped, truncated or split, at step boundaries only.

A step is an assistant turn and the tool results that answer it; a text is cut only where a step
begins (before its assistant header), so a sample holds whole steps: never a tool call without
its result, never half a turn. The *preamble* is what comes before the first step (system
prompt, tools, the instruction).

- ``drop``: a text that does not fit is left out.
- ``truncate``: the preamble and the whole steps from the first on that fit; nothing if the
  first step does not fit.
- ``split``: windows of whole steps, each after the preamble: every turn is trained in exactly
  one window; a step that does not fit even alone after the preamble is left out.

A text of one turn among others (a template that rewrites earlier turns: see
:mod:`trajforge.formats.tokenizing.turns`) is never cut: it is kept whole or left out.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Overflow = Literal["drop", "truncate", "split"]
Ranges = list[tuple[int, int]]
"""The token ranges ``[start, stop)`` of a text that make one sample, in order."""


class TokenTurn(NamedTuple):
    """An assistant turn in tokens: ``[start, end)``, its step's start ``cut`` (``None``: not a
    place to cut), and whether it is trained (a tuple: one is made per turn)."""

    start: int
    end: int
    cut: int | None
    trained: bool


def windows(
    length: int,
    turns: tuple[TokenTurn, ...],
    *,
    whole: bool,
    max_length: int | None,
    overflow: Overflow,
) -> list[Ranges]:
    """The samples of a text of ``length`` tokens with ``turns`` (``whole``: the whole
    conversation, which may be cut), as token ranges."""
    if max_length is None or length <= max_length:
        return [[(0, length)]]
    if overflow == "drop" or not whole or not turns or turns[0].cut is None:
        return []
    steps = _steps(length, turns)
    if overflow == "truncate":  # the first window, if it starts with the first step
        return [ranges for ranges in _split(steps, max_length)[:1] if len(ranges) == 1]
    return _split(steps, max_length)


def _steps(length: int, turns: tuple[TokenTurn, ...]) -> list[tuple[int, int]]:
    """``[begin, end)`` of each step: from a turn's cut to the next cut, or the text's end (a
    turn without a cut belongs to the step before it)."""
    cuts = [turn.cut for turn in turns if turn.cut is not None]
    return list(zip(cuts, [*cuts[1:], length], strict=True))


def _split(steps: list[tuple[int, int]], max_length: int) -> list[Ranges]:
    """Windows of consecutive whole steps after the preamble, each as long as fits."""
    preamble = steps[0][0]
    room = max_length - preamble
    out: list[Ranges] = []
    first = 0
    while first < len(steps):
        begin = steps[first][0]
        last = first
        while last < len(steps) and steps[last][1] - begin <= room:
            last += 1
        if last == first:  # not even this step fits
            first += 1
            continue
        stop = steps[last - 1][1]
        out.append([(0, stop)] if begin == preamble else [(0, preamble), (begin, stop)])
        first = last
    return out
