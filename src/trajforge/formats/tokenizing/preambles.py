"""Preambles tokenized once: the system prompt and tools that open every conversation of an
environment (or a source's domain) are encoded the first time they are seen and taken from a
cache after that.

The first piece of a text (everything before its first step: see
:mod:`trajforge.formats.tokenizing.encode`) is cut further where a special token begins, at
*free* places: where a tokenizer splits the text anyway, so the text encodes exactly as uncut.
The long parts between free places are looked up by their text.

A place is free before a special token the tokenizer matches in the raw text (no stripping,
no normalisation), when no such token occurring in the text spans it: tokenizers split those
tokens off before anything else (leftmost, longest first) and normalize and pre-tokenize the
text between them part by part, so whatever lies on each side of the place is encoded alone
anyway. Each token is also tried once, on probe texts, before it is used
(:func:`free_tokens`); a tokenizer without such tokens is served as it is.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import Final, Protocol

from trajforge.formats.tokenizing.pieces import Cut, CutEncoder, Encoded

#: The shortest part of a preamble that is cached (shorter ones are encoded each time).
MIN_KNOWN: Final = 64
#: How many parts the cache keeps (the least recently used goes first).
CAPACITY: Final = 256
#: Texts put on both sides of each token to try it (see :func:`free_tokens`).
_PROBES: Final = (("x y ", "z"), ("a\n\n", "\nb"), ("{", " }"), ("", "é"))


class SplittingTokenizer(CutEncoder, Protocol):
    """A tokenizer that says which of its tokens are matched in the raw text."""

    raw_tokens: tuple[str, ...]
    """The texts of the tokens matched in the raw text before anything else."""
    plain_special: tuple[str, ...]
    """Those of them that take nothing around them: where one begins, a text may be free to cut."""

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """The token ids of each text."""
        ...


def free_tokens(tokenizer: SplittingTokenizer) -> dict[str, tuple[str, ...]]:
    """The tokens a text is free to be cut before (see the module), each with the tokens that
    could span such a place (one whose end could overlap the token's start): tokens that do
    not encode the probe texts the same cut there as whole are left out."""
    found = {}
    for token in tokenizer.plain_special:
        texts = [
            text for left, right in _PROBES for text in (left + token + right, left, token + right)
        ]
        encoded = tokenizer.encode_batch(texts)
        wholes, lefts, rights = encoded[0::3], encoded[1::3], encoded[2::3]
        if all(w == a + b for w, a, b in zip(wholes, lefts, rights, strict=True)):
            found[token] = tuple(t for t in tokenizer.raw_tokens if _may_span(t, token))
    return found


def _may_span(other: str, token: str) -> bool:
    """Whether ``other`` can occur across the start of ``token``: a proper end of it is a start
    of ``token``, or starts with ``token``."""
    return any(
        token.startswith(other[i:]) or other[i:].startswith(token) for i in range(1, len(other))
    )


@dataclass(slots=True)
class _Piece:
    """A piece of a preamble: its ids where the cache knows them, and whether they are to be
    kept there."""

    text: str
    known: array[int] | None
    kept: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    """A text cut at ``cuts``, its first piece (up to ``cuts[1]``) in ``head``."""

    text: str
    cuts: Sequence[int]
    head: list[_Piece]

    def fresh(self) -> Cut:
        """The text less the parts of its preamble the cache knows, cut between its pieces and at
        its own cuts."""
        texts = [piece.text for piece in self.head if piece.known is None]
        offsets = [0, *accumulate(map(len, texts))]
        shift = offsets[-1] - self.cuts[1]
        rest = self.text[self.cuts[1] :]
        return "".join(texts) + rest, offsets + [cut + shift for cut in self.cuts[2:]]


class Preambles:
    """Encodes texts in pieces with ``tokenizer``, the long parts of their first pieces from a
    cache (see the module)."""

    def __init__(self, tokenizer: CutEncoder, free: dict[str, tuple[str, ...]]) -> None:
        self._encode_cut: Callable[[Sequence[Cut]], list[Encoded]] = tokenizer.encode_cut
        self._free = free
        # one pass finds them all (a tokenizer may have hundreds: Llama 3 has 256 reserved)
        longest_first = sorted(free, key=len, reverse=True)
        self._tokens = re.compile("|".join(map(re.escape, longest_first))) if free else None
        self._known: OrderedDict[str, array[int]] = OrderedDict()

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        """Each text encoded piece by piece, cut at its offsets (as ``tokenizer.encode_cut``)."""
        plans = [self._plan(text, cuts) for text, cuts in texts]
        fresh = [
            cut if plan is None else plan.fresh() for cut, plan in zip(texts, plans, strict=True)
        ]
        encoded = self._encode_cut(fresh)
        return [
            result if plan is None else self._assembled(plan, result)
            for plan, result in zip(plans, encoded, strict=True)
        ]

    def _plan(self, text: str, cuts: Sequence[int]) -> _Plan | None:
        """``text`` with its first piece cut at free places; ``None`` where that has no long
        part."""
        if self._tokens is None or len(cuts) < 2:
            return None
        end = cuts[1]
        places = self._places(text, end)
        if not any(stop - start >= MIN_KNOWN for start, stop in pairwise(places)):
            return None
        head: list[_Piece] = []
        run = 0  # where the short parts not yet in a piece begin
        for start, stop in pairwise(places):
            if stop - start >= MIN_KNOWN:
                if run < start:
                    head.append(_Piece(text[run:start], None, kept=False))
                part = text[start:stop]
                head.append(_Piece(part, self._lookup(part), kept=True))
                run = stop
        if run < end:
            head.append(_Piece(text[run:end], None, kept=False))
        return _Plan(text, cuts, head)

    def _places(self, text: str, end: int) -> list[int]:
        """``0``, free places in ``text[:end]`` and ``end``, in order (where occurrences of
        tokens overlap, the places of the first only)."""
        assert self._tokens is not None
        places = [0]
        for found in self._tokens.finditer(text, 1, end):
            place, spanning = found.start(), self._free[found.group()]
            if not spanning or not any(_spans(text, other, place) for other in spanning):
                places.append(place)
        places.append(end)
        return places

    def _lookup(self, part: str) -> array[int] | None:
        ids = self._known.get(part)
        if ids is not None:
            self._known.move_to_end(part)
        return ids

    def _assembled(self, plan: _Plan, fresh: Encoded) -> Encoded:
        """The ids of the text of ``plan`` from the ids of what was fresh in it, and the token
        counts at its own cuts; the long parts of its preamble are remembered."""
        fresh_ids, fresh_counts = fresh
        ids: array[int] = array("i")
        used = 0  # the fresh pieces of the preamble taken
        for piece in plan.head:
            known = piece.known
            if known is None:
                known = fresh_ids[fresh_counts[used] : fresh_counts[used + 1]]
                used += 1
                if piece.kept:
                    self._remember(piece.text, known)
            ids.extend(known)
        shift = len(ids) - fresh_counts[used]
        ids.extend(fresh_ids[fresh_counts[used] :])
        return ids, [0, *(count + shift for count in fresh_counts[used:])]

    def _remember(self, part: str, ids: array[int]) -> None:
        self._known[part] = ids
        if len(self._known) > CAPACITY:
            self._known.popitem(last=False)


def _spans(text: str, other: str, place: int) -> bool:
    """Whether ``other`` occurs in ``text`` across ``place``."""
    return text.find(other, max(0, place - len(other) + 1), place + len(other) - 1) != -1
