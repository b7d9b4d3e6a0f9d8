"""Texts encoded piece by piece: cut at given offsets, each piece tokenized on its own, so that no
token straddles a cut (see :mod:`trajforge.formats.tokenizing.encode`).

Tokenizing every piece as a text of its own costs a tokenizer call (and an encoding object) per
piece. A Hugging Face tokenizer encodes each text in one go instead, as a *pre-tokenized*
sequence whose words are the pieces with a *marker* between them: ``tokenizers`` encodes every
word exactly as it would encode it alone (added tokens, normalizer, pre-tokenizer, model, word by
word), and the marker, a special token that encodes alone to its own id and does not occur in the
text, ends every word but the last and shows where each piece's tokens end. A special token is
split off before anything else, so a word encodes as its piece and then the marker, if the marker
is split off where it was put: then its id is found exactly once per marked word (it cannot come
from anything else, since its text occurs nowhere else). Where it is not, the text is encoded
piece by piece after all.

Cheaper still (one encoding, not one per word), a text may go as one plain string, its pieces
joined by the marker: the marker splits the text where it stands, as any special token does,
and each side is encoded as a part of its own. Pre-tokenizers that treat the start of a text
apart (a prefix space only before the first word) would encode the pieces otherwise, so that is
done only for tokenizers that encode probe pieces (:data:`PROBE_PIECES`) exactly as one by one
(:func:`joins_like_apart`), and the marker's count is checked as for words.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from itertools import accumulate, pairwise
from typing import Any, Final, Protocol

Cut = tuple[str, Sequence[int]]
"""A text and the offsets it is cut at, in order, ``0`` and its length included."""
Encoded = tuple["array[int]", list[int]]
"""A text's token ids and, for each cut offset, how many tokens come before it."""


class CutEncoder(Protocol):
    """What encodes texts in pieces."""

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        """Each text encoded piece by piece, cut at its offsets."""
        ...


#: Pieces a tokenizer must encode joined by a marker exactly as one by one for texts to be
#: joined (see the module); the special tokens it has are tried too.
PROBE_PIECES: Final = ("Hello", " world", "\n\n", "{", "x y ", " z", "é", "\t", "  a", "b")


def apart(
    encode_batch: Callable[[Sequence[str]], list[list[int]]], texts: Sequence[Cut]
) -> list[Encoded]:
    """Each text encoded by encoding its pieces as texts of their own, in one batch."""
    pieces = [text[start:stop] for text, cuts in texts for start, stop in pairwise(cuts)]
    encoded = iter(encode_batch(pieces))
    out = []
    for _, cuts in texts:
        ids: array[int] = array("i")
        counts = [0]
        for _ in range(len(cuts) - 1):
            ids.extend(next(encoded))
            counts.append(len(ids))
        out.append((ids, counts))
    return out


def markers(tokenizer: Any) -> list[tuple[str, int]]:
    """The special tokens of a ``tokenizers.Tokenizer`` that take nothing around them (no
    stripping, matched in the raw text) and encode alone, as a word of a pre-tokenized sequence,
    to exactly their own id."""
    found = []
    for token_id, token in sorted(tokenizer.get_added_tokens_decoder().items()):
        plain = not (token.lstrip or token.rstrip or token.single_word or token.normalized)
        if not (token.special and plain and token.content):
            continue
        [alone] = tokenizer.encode_batch_fast(
            [[token.content]], is_pretokenized=True, add_special_tokens=False
        )
        if alone.ids == [token_id]:
            found.append((token.content, token_id))
    return found


def marked(
    tokenizer: Any,
    marks: Sequence[tuple[str, int]],
    texts: Sequence[Cut],
    encode_batch: Callable[[Sequence[str]], list[list[int]]],
    *,
    joined: bool,
) -> list[Encoded]:
    """Each text encoded in pieces through one encoding of a ``tokenizers`` tokenizer, with a
    marker from ``marks`` between the pieces: a pre-tokenized sequence of them, or (``joined``)
    one string (see the module); texts that cannot be marked are encoded :func:`apart` with
    ``encode_batch``."""
    out = _marked(tokenizer, marks, texts, joined=joined)
    if all(result is not None for result in out):
        return out  # type: ignore[return-value]
    redo = [cut for cut, result in zip(texts, out, strict=True) if result is None]
    again = iter(apart(encode_batch, redo))
    return [next(again) if result is None else result for result in out]


def joins_like_apart(
    tokenizer: Any,
    marks: Sequence[tuple[str, int]],
    encode_batch: Callable[[Sequence[str]], list[list[int]]],
) -> bool:
    """Whether the tokenizer encodes the probe pieces, with each special token of ``marks`` as
    a piece of its own and inside one, joined by a marker exactly as one by one."""
    if not marks:
        return False
    pieces = list(PROBE_PIECES)
    for special, _ in marks[1:]:
        pieces += [special, f"a{special} b", f"{special}\n"]
    cut = ("".join(pieces), [0, *accumulate(map(len, pieces))])
    return _marked(tokenizer, marks[:1], [cut], joined=True) == apart(encode_batch, [cut])


def _marked(
    tokenizer: Any, marks: Sequence[tuple[str, int]], texts: Sequence[Cut], *, joined: bool
) -> list[Encoded | None]:
    """:func:`marked`, with ``None`` for each text to be encoded apart."""
    inputs: list[list[str] | str] = []
    used: list[int | None] = []
    for text, cuts in texts:
        mark = next(((s, i) for s, i in marks if s not in text), None) if text else None
        used.append(None if mark is None else mark[1])
        pieces = [text[start:stop] for start, stop in pairwise(cuts)]
        if mark is None:  # encoded apart: anything will do here
            inputs.append(text if joined else pieces)
        else:
            inputs.append(mark[0].join(pieces) if joined else _between(pieces, mark[0]))
    encodings = tokenizer.encode_batch_fast(
        inputs, is_pretokenized=not joined, add_special_tokens=False
    )
    return [
        None if mark_id is None else _unmarked(encoding.ids, mark_id, len(cuts) - 2)
        for encoding, mark_id, (_, cuts) in zip(encodings, used, texts, strict=True)
    ]


def _between(pieces: list[str], mark: str) -> list[str]:
    return [piece + mark for piece in pieces[:-1]] + pieces[-1:]


def _unmarked(ids: list[int], mark: int, marks: int) -> Encoded | None:
    """The ids without the ``marks`` markers, and the token counts at each cut; ``None`` where
    the marker's id is found more (or less) often."""
    if ids.count(mark) != marks:
        return None
    found = []
    start = 0
    for _ in range(marks):
        start = ids.index(mark, start) + 1
        found.append(start - 1)
    kept = array("i", ids)
    for position in reversed(found):
        del kept[position]
    return kept, [0, *(position - n for n, position in enumerate(found)), len(kept)]
