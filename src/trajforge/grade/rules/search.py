"""Which of a list of texts first holds a word or a number, found with ``str.find`` over the texts
joined, not with a regex compiled for each value.

A string matches as a whole word: ``(?<!\\w)value(?!\\w)``, each guard only where that end of the
value is a word character, case ignored unless asked otherwise. A number matches where it is not
part of a longer number, an identifier or a clock time: ``(?<![\\w.:-])number(?![\\w:]|\\.\\d)``.
``str.find`` answers exactly as these regexes would (``re``'s ``\\w`` is ``str.isalnum`` or
``_``, and its ``\\d`` is ``str.isdecimal``); where it cannot (a value that is not ASCII, or, case
ignored, texts holding one of the four non-ASCII letters ``re`` equates with ASCII ones), the
regexes answer, compiled once per value.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import lru_cache

from trajforge.cached_attribute import cached

#: What the texts are joined with (a value containing it is looked up text by text).
SEPARATOR = "\x00"
#: The non-ASCII letters that ``re`` matches with ASCII ones when case is ignored (``İ``, ``ı``,
#: ``ſ``, the Kelvin sign); every other character lower-cases to one that is not ASCII.
CASE_TWINS = frozenset("\u0130\u0131\u017f\u212a")
#: Characters before a number that make it part of something longer (besides word characters).
_NUMBER_BEFORE = frozenset(".:-")

#: Whether a match from ``start`` to ``end`` in the text stands on its own.
Fits = Callable[[str, int, int], bool]


def is_word_char(char: str) -> bool:
    """Whether ``re`` reads the character as ``\\w``."""
    return char.isalnum() or char == "_"


class Corpus:
    """Texts to search, in order; look-ups answer the index of the first text that matches."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self._joined = SEPARATOR.join(self.texts)
        self._starts: list[int] = []
        at = 0
        for text in self.texts:
            self._starts.append(at)
            at += len(text) + len(SEPARATOR)

    @cached
    def _folded(self) -> str | None:
        """The joined texts lower-cased (each character stays in place), unless they hold one of
        the ``CASE_TWINS``: then only ``re`` ignores case correctly."""
        joined = self._joined
        if not joined.isascii() and any(c in joined for c in CASE_TWINS):
            return None
        return joined.lower()

    def first_word(self, value: str, *, ignore_case: bool) -> int | None:
        """The index of the first text holding ``value`` as a whole word (``None``: none)."""
        haystack = self._folded if ignore_case else self._joined
        if haystack is None or not value.isascii() or SEPARATOR in value:
            pattern = word_pattern(value, ignore_case)
            return self._first_by(lambda text: pattern.search(text) is not None)
        needle = value.lower() if ignore_case else value
        return self._first_found(haystack, needle, _word_fits(value))

    def first_number(self, number: str) -> int | None:
        """The index of the first text stating the number (written as ``number``) on its own."""
        if not number.isascii() or SEPARATOR in number:
            pattern = number_pattern(number)
            return self._first_by(lambda text: pattern.search(text) is not None)
        return self._first_found(self._joined, number, _number_fits)

    def first_match(
        self, pattern: Callable[[], re.Pattern[str]], *, containing: str, stop: int | None = None
    ) -> int | None:
        """The index of the first text (before ``stop``) a pattern matches in, for a pattern
        whose every match contains ``containing`` (lower-case ASCII; the pattern ignores case):
        texts before the first that contains it are not searched, and without one the pattern
        is not even made."""
        start = 0
        folded = self._folded
        if folded is not None:
            at = folded.find(containing)
            if at < 0:
                return None
            start = self._text_at(at)
        texts = self.texts[:stop]
        regex = pattern()
        return next((i for i in range(start, len(texts)) if regex.search(texts[i])), None)

    def first_substring(self, needle: str) -> int | None:
        """The index of the first text containing ``needle`` anywhere."""
        if SEPARATOR in needle:
            return self._first_by(lambda text: needle in text)
        at = self._joined.find(needle)
        return None if at < 0 or not self.texts else self._text_at(at)

    def _first_found(self, haystack: str, needle: str, fits: Fits) -> int | None:
        """The text of the first occurrence of ``needle`` in ``haystack`` (the joined texts, or
        them lower-cased) that fits."""
        at = find_fitting(self._joined, needle, fits, haystack)
        return None if at < 0 else self._text_at(at)

    def _first_by(self, holds: Callable[[str], bool]) -> int | None:
        return next((i for i, text in enumerate(self.texts) if holds(text)), None)

    def _text_at(self, position: int) -> int:
        return bisect_right(self._starts, position) - 1


def find_fitting(text: str, needle: str, fits: Fits, haystack: str | None = None) -> int:
    """The first position where ``needle`` occurs and ``fits`` in ``text``, else -1; it is
    looked for in ``haystack`` when given (``text`` transformed, each character in place)."""
    where = text if haystack is None else haystack
    at = where.find(needle)
    while at >= 0 and not fits(text, at, at + len(needle)):
        at = where.find(needle, at + 1)
    return at


def _word_fits(value: str) -> Fits:
    """Whether a match of ``value`` is a whole word: no word character just outside an end of
    it that is a word character itself."""
    left, right = is_word_char(value[0]), is_word_char(value[-1])

    def fits(text: str, start: int, end: int) -> bool:
        if left and start > 0 and is_word_char(text[start - 1]):
            return False
        return not (right and end < len(text) and is_word_char(text[end]))

    return fits


def _number_fits(text: str, start: int, end: int) -> bool:
    """Whether a number found there stands on its own (see ``number_pattern``)."""
    if start > 0 and (is_word_char(text[start - 1]) or text[start - 1] in _NUMBER_BEFORE):
        return False
    if end >= len(text):
        return True
    after = text[end]
    if is_word_char(after) or after == ":":
        return False
    return not (after == "." and end + 1 < len(text) and text[end + 1].isdecimal())


@lru_cache(maxsize=4096)
def word_pattern(value: str, ignore_case: bool) -> re.Pattern[str]:
    """The regex of a whole-word match of ``value`` (see the module's docstring)."""
    left = r"(?<!\w)" if is_word_char(value[0]) else ""
    right = r"(?!\w)" if is_word_char(value[-1]) else ""
    return re.compile(left + re.escape(value) + right, re.IGNORECASE if ignore_case else 0)


@lru_cache(maxsize=4096)
def number_pattern(number: str) -> re.Pattern[str]:
    """The regex of a number standing on its own (see the module's docstring)."""
    return re.compile(rf"(?<![\w.:-]){re.escape(number)}(?![\w:]|\.\d)")
