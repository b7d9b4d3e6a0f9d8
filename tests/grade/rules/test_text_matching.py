"""The fast text look-ups of the rules agree with the regular expressions they stand for."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from trajforge.grade.rules.claims import (
    _ANY_MONTH,
    CLOCK,
    COUNT,
    ENUMERATION,
    ISO_DATE,
    NUMBER,
    QUOTED,
    TIME24,
    Evidence,
    _digits_apart,
    _take,
    _word_apart,
    may_name_month,
)
from trajforge.grade.rules.search import (
    CASE_TWINS,
    SEPARATOR,
    Corpus,
    find_fitting,
    is_word_char,
    number_pattern,
    word_pattern,
)
from trajforge.grade.rules.usage import _number, _text_numbers, _text_words, named_numbers

#: Letters (the four that match ASCII ones ignoring case among them), digits, the underscore,
#: the punctuation ids and numbers meet in practice, and the separator of joined texts.
ALPHABET = 'aAbZzKks_019 -.:,/@\n"{}$éñİıſK' + SEPARATOR
texts = st.text(alphabet=ALPHABET, max_size=30)
needles = st.text(alphabet="aAbZzKks_019-./@:é" + SEPARATOR, min_size=1, max_size=5)
#: What usage.py's named numbers stand for.
NAMED_NUMBER = re.compile(r"(?:([A-Za-z_]+)\W{0,3})?(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w])")
ALL_CHARACTERS = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def first(texts: list[str], pattern: re.Pattern[str]) -> int | None:
    return next((i for i, t in enumerate(texts) if pattern.search(t)), None)


def test_word_characters_are_those_of_re() -> None:
    words = set(re.findall(r"\w", ALL_CHARACTERS))
    assert all((c in words) == is_word_char(c) for c in ALL_CHARACTERS)


def test_case_twins_are_all_the_non_ascii_characters_re_equates_with_ascii_ones() -> None:
    ascii_chars = "|".join(re.escape(chr(c)) for c in range(128))
    matched = set(re.findall(ascii_chars, ALL_CHARACTERS, re.IGNORECASE))
    assert {c for c in matched if not c.isascii()} == CASE_TWINS


@settings(max_examples=1500)
@given(needle=needles, haystack=st.lists(texts, max_size=4), ignore_case=st.booleans())
def test_first_word_is_the_word_pattern(
    needle: str, haystack: list[str], ignore_case: bool
) -> None:
    expected = first(haystack, word_pattern(needle, ignore_case))
    assert Corpus(haystack).first_word(needle, ignore_case=ignore_case) == expected


@given(needle=needles, before=texts, after=texts)
def test_first_word_sees_a_planted_word(needle: str, before: str, after: str) -> None:
    corpus = Corpus(["", f"{before} {needle} {after}"])
    assert corpus.first_word(needle, ignore_case=False) in (0, 1)


@settings(max_examples=1500)
@given(
    number=st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
    haystack=st.lists(texts, max_size=4),
)
def test_first_number_is_the_number_pattern(number: str, haystack: list[str]) -> None:
    planted = [*haystack, f"{haystack[0] if haystack else ''}{number}"]
    expected = first(planted, number_pattern(number))
    assert Corpus(planted).first_number(number) == expected


@given(needle=needles, haystack=st.lists(texts, max_size=4))
def test_first_substring_is_in(needle: str, haystack: list[str]) -> None:
    expected = next((i for i, t in enumerate(haystack) if needle in t), None)
    assert Corpus(haystack).first_substring(needle) == expected


def test_first_substring_of_nothing_is_none() -> None:
    assert Corpus([]).first_substring("") is None


@settings(max_examples=2000)
@given(text=st.text(alphabet='ab_Z1 -.:,x9é\n"{}', max_size=40))
def test_named_numbers_match_the_reference_pattern(text: str) -> None:
    assert named_numbers(text) == NAMED_NUMBER.findall(text)


def test_named_numbers_take_the_whole_name() -> None:
    """A sign right after a name is part of the gap between them (as it always was)."""
    assert named_numbers("order_id: 17, total -4.5 and a1bc 12, -3") == [
        ("order_id", "17"),
        ("total", "4.5"),
        ("bc", "12"),
        ("", "-3"),
    ]


@settings(max_examples=1000)
@given(number=st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True), text=texts)
def test_numbers_apart_are_the_claims_patterns(number: str, text: str) -> None:
    planted = f"{text}{number}{text}"
    digits = re.search(rf"(?<![\d.])({re.escape(number)})(?!\d|\.\d)", planted)
    assert (find_fitting(planted, number, _digits_apart) >= 0) == (digits is not None)
    word = re.search(rf"(?<![\w.])({re.escape(number)})(?![\w]|\.\d)", planted)
    assert (find_fitting(planted, number, _word_apart) >= 0) == (word is not None)


@settings(max_examples=1000)
@given(
    word=st.sampled_from(["item", "items", "s"]),
    count=st.integers(min_value=-3, max_value=12),
    text=st.text(alphabet='"items: 1-2.3 \n', max_size=30),
)
def test_counted_is_the_count_pattern(word: str, count: int, text: str) -> None:
    evidence = Evidence([text])
    pattern = rf'"{re.escape(word)}s?"\s*:\s*{count}(?![\d.])'
    expected = re.search(pattern, text.lower()) is not None
    assert evidence._counted(word, str(count)) == expected


@given(text=st.text(alphabet="aAjJnNsSeEpPſ .-", max_size=20))
def test_may_name_month_when_a_month_is_named(text: str) -> None:
    if _ANY_MONTH.search(text):
        assert may_name_month(text)


@given(text=st.text(alphabet='a1(2)"“” .\n', max_size=30))
def test_take_is_sub(text: str) -> None:
    for pattern in (QUOTED, ENUMERATION):
        found, rest = _take(pattern, text)
        assert rest == pattern.sub(" ", text)
        assert [m.group(0) for m in found] == [m.group(0) for m in pattern.finditer(text)]


@settings(max_examples=1500)
@given(text=st.text(alphabet='ab_Z1 -.:,x9é\n"[]', max_size=60))
def test_text_values_match_the_reference_patterns(text: str) -> None:
    numbers = {
        n for word, digits in NAMED_NUMBER.findall(text) if (n := _number(float(digits), word))
    }
    numbers |= {("id", digits) for digits in re.findall(r"\[(\d+)\]", text)}
    assert _text_words(text) == set(re.findall(r"[\w@.+-]{3,}", text))
    assert _text_numbers(text) == numbers


date_texts = st.lists(
    st.sampled_from(["March", "MARCH", "12", "12th", " ", "of", ".", "ſ", "x"]), max_size=6
).map("".join)


@given(haystack=st.lists(date_texts, max_size=4), stop=st.none() | st.integers(0, 4))
def test_first_match_is_the_first_text_the_pattern_matches(
    haystack: list[str], stop: int | None
) -> None:
    pattern = re.compile(r"\bmarch\.?\s+12\b|\b12(st|nd|rd|th)?\s+(of\s+)?march\b", re.I)
    expected = first(haystack[:stop], pattern)
    assert Corpus(haystack).first_match(lambda: pattern, containing="march", stop=stop) == expected


#: The claims' patterns as first written (before they looked behind past their first digit).
CLAIM_PATTERNS = {
    ISO_DATE: re.compile(r"\b(\d{4})-(\d{2})-(\d{2})"),
    TIME24: re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])"),
    CLOCK: re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b", re.IGNORECASE),
    COUNT: re.compile(r"(?<![\w.,$])(\d{1,4})\s+([a-z][a-z_]+)", re.IGNORECASE),
    NUMBER: re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])|(?<=\$)\d[\d,]*(?:\.\d+)?"),
}


@settings(max_examples=1500)
@given(
    text=st.text(alphabet="aPm_1 9,.$:-\n٣", max_size=30)
    | st.from_regex(r"[a1 :-]*\d{4}-\d\d-\d\d[ :a]*")
)
def test_claim_patterns_match_as_first_written(text: str) -> None:
    for pattern, reference in CLAIM_PATTERNS.items():
        found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in reference.finditer(text)]
