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
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

Cut = tuple[str, Sequence[int]]
"""A text and the offsets it is cut at, in order, ``0`` and its length included."""
Encoded = tuple["array[int]", list[int]]
"""A text's token ids and, for each cut offset, how many tokens come before it."""


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
) -> list[Encoded]:
    """Each text encoded in pieces through one pre-tokenized encoding of a ``tokenizers``
    tokenizer, with a marker from ``marks`` between the pieces (see the module); texts that
    cannot be marked are encoded :func:`apart` with ``encode_batch``."""
    words: list[list[str]] = []
    used: list[int | None] = []
    for text, cuts in texts:
        mark = next(((s, i) for s, i in marks if s not in text), None) if text else None
        used.append(None if mark is None else mark[1])
        pieces = [text[start:stop] for start, stop in pairwise(cuts)]
        words.append(_between(pieces, mark[0]) if mark is not None else pieces)
    encodings = tokenizer.encode_batch_fast(words, is_pretokenized=True, add_special_tokens=False)
    out: list[Encoded | None] = []
    for encoding, mark_id, (_, cuts) in zip(encodings, used, texts, strict=True):
        out.append(None if mark_id is None else _unmarked(encoding.ids, mark_id, len(cuts) - 2))
    if all(result is not None for result in out):
        return out  # type: ignore[return-value]
    redo = [cut for cut, result in zip(texts, out, strict=True) if result is None]
    again = iter(apart(encode_batch, redo))
    return [next(again) if result is None else result for result in out]


def _between(pieces: list[str], mark: str) -> list[str]:
    return [piece + mark for piece in pieces[:-1]] + pieces[-1:]


def _unmarked(ids: list[int], mark: int, marks: int) -> Encoded | None:
    """The ids without the ``marks`` markers, and the token counts at each cut; ``None`` where
    the marker's id is found more (or less) often."""
    found = []
    start = 0
    try:
        for _ in range(marks):
            start = ids.index(mark, start) + 1
            found.append(start - 1)
    except ValueError:
        return None
    if mark in ids[start:]:
        return None
    kept = array("i", ids)
    for position in reversed(found):
        del kept[position]
    return kept, [0, *(position - n for n, position in enumerate(found)), len(kept)]
