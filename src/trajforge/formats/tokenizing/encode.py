"""Rendered texts to token ids, with the turns in tokens and the loss mask of each sample.

A text is encoded in segments cut at every turn boundary and every place a step begins (as a
model sees its prompt and then the tokens it writes), so no token straddles a boundary and the
tokens of a trained turn decode to exactly its text. The texts of a batch go to the tokenizer
together, each in its segments (:mod:`trajforge.formats.tokenizing.pieces`).
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from trajforge.formats.tokenizing.pieces import CutEncoder
from trajforge.formats.tokenizing.turns import Rendering
from trajforge.formats.tokenizing.windows import Ranges, TokenTurn

#: The label of a token that is not trained (Hugging Face's ignore index).
IGNORED: Final = -100


@dataclass(frozen=True, slots=True)
class TokenText:
    """A rendered text in tokens, with its turns and whether it is the whole conversation."""

    ids: array[int]
    turns: tuple[TokenTurn, ...]
    whole: bool


@dataclass(frozen=True, slots=True)
class Sample:
    """One training sample: token ids and the loss mask (1: trained); its labels are made by
    the Parquet writer a row group at a time
    (:func:`trajforge.formats.tokenizing.parquet.labels_of`)."""

    input_ids: array[int]
    mask: bytes


def encode_texts(
    tokenizer: CutEncoder, texts: Sequence[tuple[Rendering, Collection[int]]]
) -> list[TokenText]:
    """Each rendering in tokens; the turns of the steps in its collection are not trained."""
    bounds = [_bounds(rendering) for rendering, _ in texts]
    encoded = tokenizer.encode_cut(
        [(rendering.text, cuts) for (rendering, _), cuts in zip(texts, bounds, strict=True)]
    )
    out = []
    for (rendering, untrained), cuts, (ids, counts) in zip(texts, bounds, encoded, strict=True):
        position = dict(zip(cuts, counts, strict=True))
        turns = tuple(
            TokenTurn(
                position[turn.start],
                position[turn.end],
                None if turn.cut is None else position[turn.cut],
                turn.step not in untrained,
            )
            for turn in rendering.turns
        )
        out.append(TokenText(ids, turns, rendering.whole))
    return out


def _bounds(rendering: Rendering) -> list[int]:
    cuts = {0, len(rendering.text)}
    for turn in rendering.turns:
        cuts.update((turn.start, turn.end))
        if turn.cut is not None:
            cuts.add(turn.cut)
    return sorted(cuts)


def make_sample(text: TokenText, ranges: Ranges) -> Sample | None:
    """The sample of ``text`` made of the token ``ranges``; ``None`` if nothing in it is
    trained."""
    mask = bytearray(len(text.ids))
    for turn in text.turns:
        if turn.trained:
            mask[turn.start : turn.end] = b"\x01" * (turn.end - turn.start)
    if len(ranges) == 1 and ranges[0] == (0, len(text.ids)):
        sample = Sample(text.ids, bytes(mask))
    else:
        sample = Sample(
            _joined(text.ids, ranges), b"".join(mask[start:stop] for start, stop in ranges)
        )
    return sample if 1 in sample.mask else None


def _joined(values: array[int], ranges: Ranges) -> array[int]:
    out: array[int] = array("i")
    for start, stop in ranges:
        out.extend(values[start:stop])
    return out
