"""The fast text look-ups of the rules agree with the regular expressions they stand for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from trajforge.grade.rules.context import _find_word, _word_pattern
from trajforge.grade.rules.usage import _NAMED_NUMBER

#: Letters, digits, the underscore and the punctuation ids and numbers meet in practice.
ascii_text = st.text(alphabet='aAbZz_019 -.:,/@\n"{}', max_size=40)
needles = st.text(alphabet="aAbZz_019-./@", min_size=1, max_size=6)
#: The pattern usage.py used before it was made possessive: the reference.
NAMED_NUMBER_REFERENCE = re.compile(r"(?:([A-Za-z_]+)\W{0,3})?(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w])")


@settings(max_examples=2000)
@given(needle=needles, haystack=ascii_text)
def test_find_word_is_the_word_pattern_on_ascii_text(needle: str, haystack: str) -> None:
    expected = _word_pattern(needle, False).search(haystack) is not None
    assert _find_word(needle, haystack) == expected


@given(needle=needles, before=ascii_text, after=ascii_text)
def test_find_word_sees_a_planted_word(needle: str, before: str, after: str) -> None:
    haystack = f"{before} {needle} {after}"
    assert _find_word(needle, haystack)


@settings(max_examples=2000)
@given(text=st.text(alphabet='ab_Z1 -.:,x9é\n"{}', max_size=40))
def test_named_numbers_match_the_reference_pattern(text: str) -> None:
    assert _NAMED_NUMBER.findall(text) == NAMED_NUMBER_REFERENCE.findall(text)


def test_named_numbers_take_the_whole_name() -> None:
    """A sign right after a name is part of the gap between them (as it always was)."""
    assert _NAMED_NUMBER.findall("order_id: 17, total -4.5 and a1bc 12, -3") == [
        ("order_id", "17"),
        ("total", "4.5"),
        ("bc", "12"),
        ("", "-3"),
    ]
