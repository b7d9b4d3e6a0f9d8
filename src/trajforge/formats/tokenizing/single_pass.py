"""The prefix renders of a conversation taken from one render of it (two where the template looks
ahead), exactly: what :mod:`trajforge.formats.tokenizing.turns` needs to find the trained turns
without rendering every prefix again (O(n) Jinja work instead of O(n^2)).

For a message-local template (:mod:`trajforge.formats.tokenizing.locality`), the render of
``messages[:k]`` is the preamble and iterations ``0..k-1`` of the message loop, then what follows
the loop, which depends on ``add_generation_prompt`` alone. A render of all the messages through a
:class:`~trajforge.formats.tokenizing.tape.Tape` tells where each iteration begins and the
furthest message each observed; where none of iterations ``0..k-1`` (nor the preamble) observed a
message at or past ``k``, and iteration ``k-1`` did not ask whether it is the last, every value
they read is the same in both renders, so the prefix render is the whole render cut where
iteration ``k`` begins, followed by the loop's tail. Where iteration ``k-1`` did look ahead (the
tool results of ChatML-with-tools templates ask ``loop.last``), a *blind* render, in which each
iteration is told it is the last, gives its text instead, provided iterations share no state.
Anything else (``messages[-1]``, a loop left early, a template failure, an assistant message
first) leaves the conversation to the prefix renders.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.tokenizing.tape import Tape
from trajforge.formats.tokenizing.template import ChatTemplate

#: What each template writes after its message loop with the generation prompt (it depends on
#: nothing else: see the module).
_PROMPTED_TAILS: Final[weakref.WeakKeyDictionary[ChatTemplate, str]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class _Trace:
    """One render through a tape: its text, where each iteration begins (and the loop ends), in
    characters, and the tape's ``needs``."""

    text: str
    starts: list[int]
    needs: list[int]


@dataclass(frozen=True, slots=True)
class Spliced:
    """The renders of the prefixes of one conversation, made of its traced render."""

    text: str
    starts: list[int]
    lasts: dict[int, str]
    """The text of iteration ``k - 1`` when it is the last, by prefix length ``k``."""
    tails: dict[bool, str]
    """What follows the loop, by ``add_generation_prompt``."""

    def __call__(self, length: int, *, add_generation_prompt: bool) -> str:
        """The render of the first ``length`` messages."""
        before = self.text[: self.starts[length - 1]]
        return before + self.lasts[length] + self.tails[add_generation_prompt]


def spliced(
    template: ChatTemplate,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    lengths: Collection[int],
) -> Spliced | None:
    """The renders of ``messages[:k]`` for each ``k`` in ``lengths``, from one or two renders;
    ``None`` where that cannot be shown exact (see the module)."""
    shape = template.locality
    if shape is None or min(lengths) < 1:
        return None
    whole = _trace(template, messages, tools)
    if whole is None:
        return None
    prompted = _prompted_tail(template, messages, tools)
    if prompted is None:
        return None
    reach = list(accumulate(whole.needs, max))
    if any(reach[k - 1] > k for k in lengths):  # an iteration before k-1 saw message k or later
        return None
    ahead = sorted(k - 1 for k in lengths if whole.needs[k] > k)  # iterations that looked ahead
    lasts = {k: whole.text[whole.starts[k - 1] : whole.starts[k]] for k in lengths}
    if ahead:
        blind = _trace(template, messages, tools, blind_at=ahead) if shape.stateless else None
        if blind is None:
            return None
        spans = pairwise(blind.starts)
        lasts |= {m + 1: blind.text[a:b] for m, (a, b) in zip(ahead, spans, strict=True)}
    tails = {False: whole.text[whole.starts[-1] :], True: prompted}
    return Spliced(whole.text, whole.starts, lasts, tails)


def _trace(
    template: ChatTemplate,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    *,
    blind_at: list[int] | None = None,
    add_generation_prompt: bool = False,
) -> _Trace | None:
    """Render ``messages`` through a tape (blind at ``blind_at``: see
    :class:`~trajforge.formats.tokenizing.tape.Tape`); ``None`` where the render fails or
    tells nothing."""
    chunks: list[str] = []
    tape = Tape(messages, chunks, blind_at=blind_at)
    try:
        template.record(tape, tools, add_generation_prompt=add_generation_prompt)
    except ConversionError:
        return None
    iterations = len(messages) if blind_at is None else len(blind_at)
    if tape.aborted or len(tape.starts) != iterations + 1:  # e.g. a {% break %}
        return None
    offsets = [0, *accumulate(map(len, chunks))]
    return _Trace("".join(chunks), [offsets[c] for c in tape.starts], tape.needs)


def _prompted_tail(
    template: ChatTemplate, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
) -> str | None:
    """What the template writes after its loop with the generation prompt (found once)."""
    tail = _PROMPTED_TAILS.get(template)
    if tail is None:
        trace = _trace(template, messages, tools, add_generation_prompt=True)
        if trace is None:
            return None
        tail = _PROMPTED_TAILS[template] = trace.text[trace.starts[-1] :]
    return tail
