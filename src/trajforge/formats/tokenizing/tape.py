"""The messages of one single-pass render, recording what each iteration of the template's
message loop wrote and what it looked at (see :mod:`trajforge.formats.tokenizing.single_pass`).

A :class:`Tape` is passed to the template as ``messages``. The template reads it through the
sandbox (``messages[i]``, and its loop's ``loop.last`` / ``loop.nextitem``, which the sandbox
asks the tape: see :mod:`trajforge.formats.tokenizing.template`), so the tape knows, for each
iteration, the output written before it began and the furthest message it observed. Nothing is
peeked ahead: the loop pulls message ``m`` when iteration ``m`` begins.

A *blind* tape answers every iteration as if its message were the last one (``loop.last`` true,
later messages undefined): iteration ``m`` then writes what the render of ``messages[:m + 1]``
writes there, for templates whose iterations carry no state from one to the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from jinja2.runtime import LoopContext


class Tape:
    """``messages`` for one render; ``chunks`` receives the render's output as it is made."""

    def __init__(self, items: Sequence[Any], chunks: list[str], *, blind: bool) -> None:
        self.items = items
        self.chunks = chunks
        self.blind = blind
        #: How many chunks were written when each iteration began, then when the loop ended.
        self.starts: list[int] = []
        #: For the preamble (before the loop) and each iteration: the shortest prefix of the
        #: messages that shows it everything it observed (``needs[m + 1]`` for iteration m).
        self.needs = [0]
        #: Whether the template looked at the messages in a way no prefix render would see the
        #: same (a negative or non-integer index): the render tells nothing then.
        self.aborted = False

    def __iter__(self) -> Iterator[Any]:
        for m, item in enumerate(self.items):
            self.starts.append(len(self.chunks))
            self.needs.append(m + 1)
            yield item
        self.starts.append(len(self.chunks))

    def __getitem__(self, index: Any) -> Any:
        if type(index) is not int or index < 0:
            self.aborted = True
            raise TypeError("not a plain message index")
        current = len(self.starts) - 1
        if self.blind and current >= 0 and index > current:
            raise IndexError(index)  # the template sees an undefined value, as at the end
        item = self.items[index]  # past the end: IndexError, an undefined value
        self._observe(current, index + 1)
        return item

    def loop_field(self, loop: LoopContext, name: str) -> Any:
        """``loop.last`` or ``loop.nextitem`` of the loop over this tape, without peeking."""
        current = len(self.starts) - 1
        following = current + 1
        if self.blind or following >= len(self.items):
            return True if name == "last" else loop._undefined("there is no next item")  # noqa: SLF001
        self._observe(current, following + 1)
        return False if name == "last" else self.items[following]

    def _observe(self, current: int, needed: int) -> None:
        if needed > self.needs[current + 1]:
            self.needs[current + 1] = needed

