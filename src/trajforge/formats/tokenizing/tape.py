"""The messages of one single-pass render, recording what each iteration of the template's
message loop wrote and what it looked at (see :mod:`trajforge.formats.tokenizing.single_pass`).

A :class:`Tape` is passed to the template as ``messages``. The template reads it through the
sandbox (``messages[i]``, and its loop's ``loop.last`` / ``loop.nextitem``, which the sandbox
asks the tape: see :mod:`trajforge.formats.tokenizing.template`), so the tape knows, for each
iteration, the output written before it began and the furthest message it observed. Nothing is
peeked ahead: the loop pulls message ``m`` when iteration ``m`` begins.

A *blind* tape runs only some iterations, and answers each as if its message were the last one
(``loop.last`` true, later messages undefined) and at its place (``loop.index0``...): iteration
``m`` then writes what the render of ``messages[:m + 1]`` writes there, for templates whose
iterations carry no state from one to the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from jinja2.runtime import LoopContext


class Tape:
    """``messages`` for one render; ``chunks`` receives the render's output as it is made.
    ``blind_at``: a blind tape that runs only these iterations (each as if it were the last)."""

    def __init__(
        self, items: Sequence[Any], chunks: list[str], *, blind_at: Sequence[int] | None = None
    ) -> None:
        self.items = items
        self.chunks = chunks
        self.blind = blind_at is not None
        self._order = range(len(items)) if blind_at is None else blind_at
        #: The iteration running (-1 before the loop).
        self.current = -1
        #: How many chunks were written when each iteration began, then when the loop ended.
        self.starts: list[int] = []
        #: For the preamble (before the loop) and each iteration: the shortest prefix of the
        #: messages that shows it everything it observed (``needs[m + 1]`` for iteration m).
        self.needs = [0]
        #: Whether the template looked at the messages in a way no prefix render would see the
        #: same (a negative or non-integer index): the render tells nothing then.
        self.aborted = False

    def __iter__(self) -> Iterator[Any]:
        for m in self._order:
            self.starts.append(len(self.chunks))
            self.needs.append(m + 1)
            self.current = m
            yield self.items[m]
        self.starts.append(len(self.chunks))
        self.current = len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if type(index) is not int or index < 0:
            self.aborted = True
            raise TypeError("not a plain message index")
        if self.blind and 0 <= self.current < index:
            raise IndexError(index)  # the template sees an undefined value, as at the end
        item = self.items[index]  # past the end: IndexError, an undefined value
        self._observe(index + 1)
        return item

    def loop_field(self, loop: LoopContext, name: str) -> Any:
        """A field of the loop over this tape (``index0``, ``index``, ``first``, ``previtem``,
        ``last``, ``nextitem``): what it is at this iteration, found without peeking."""
        current = self.current
        if name == "index0":
            return current
        if name == "index":
            return current + 1
        if name == "first":
            return current == 0
        if name == "previtem":
            if current == 0:
                return loop._undefined("there is no previous item")
            return self.items[current - 1]
        following = current + 1
        if self.blind or following >= len(self.items):
            return True if name == "last" else loop._undefined("there is no next item")
        self._observe(following + 1)
        return False if name == "last" else self.items[following]

    def _observe(self, needed: int) -> None:
        if not self.blind and needed > self.needs[self.current + 1]:
            self.needs[self.current + 1] = needed


#: The fields of a loop over a tape that the tape answers.
TAPE_FIELDS: Final = frozenset({"index0", "index", "first", "previtem", "last", "nextitem"})
