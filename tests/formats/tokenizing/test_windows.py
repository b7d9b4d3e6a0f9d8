"""Cutting long texts at step boundaries (token positions made up here)."""

from __future__ import annotations

from trajforge.formats.tokenizing.windows import Overflow, TokenTurn, windows

# a 10-token preamble, then steps starting at 10, 30, 50 (the third without a place to cut:
# its header could not be told apart) and 70; the text ends at 100
TURNS = (
    TokenTurn(start=12, end=20, cut=10, trained=True),
    TokenTurn(start=32, end=40, cut=30, trained=True),
    TokenTurn(start=52, end=60, cut=None, trained=True),
    TokenTurn(start=72, end=95, cut=70, trained=True),
)


def cut(
    max_length: int | None, overflow: Overflow, whole: bool = True
) -> list[list[tuple[int, int]]]:
    return windows(100, TURNS, whole=whole, max_length=max_length, overflow=overflow)


def test_a_text_that_fits_is_kept_whole_whatever_the_policy() -> None:
    policies: tuple[Overflow, ...] = ("drop", "truncate", "split")
    for overflow in policies:
        assert cut(None, overflow) == cut(100, overflow) == [[(0, 100)]]


def test_drop_and_texts_of_one_turn_are_never_cut() -> None:
    assert cut(99, "drop") == []
    assert cut(99, "split", whole=False) == []


def test_truncate_keeps_whole_steps_from_the_first() -> None:
    assert cut(69, "truncate") == [[(0, 30)]]  # the step at 30 runs to 70: a step without a cut
    assert cut(70, "truncate") == [[(0, 70)]]  # is part of the one before it
    assert cut(29, "truncate") == []


def test_split_repeats_the_preamble_and_leaves_out_a_step_too_long_alone() -> None:
    assert cut(50, "split") == [[(0, 30)], [(0, 10), (30, 70)], [(0, 10), (70, 100)]]
    assert cut(40, "split") == [[(0, 30)], [(0, 10), (70, 100)]]  # 30..70 does not fit
