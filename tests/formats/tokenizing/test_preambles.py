"""Preambles are tokenized once: texts encode exactly as without the cache, the tokenizer sees a
shared preamble only the first time, and a text is cut only where the tokenizer splits anyway;
pieces joined by a marker in one string encode as one by one."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as FastTokenizer
from tokenizers import models, pre_tokenizers, trainers

from tests.formats.tokenizer_files import SPECIAL_TOKENS
from tests.smollm2 import smollm2_gguf
from trajforge.formats.tokenizing.pieces import Cut, Encoded, apart, joins_like_apart, markers
from trajforge.formats.tokenizing.preambles import MIN_KNOWN, Preambles, free_tokens
from trajforge.formats.tokenizing.sources import Tokenizer, load_tokenizer

SYSTEM = "<|im_start|>system\nYou are a careful support agent. " + "Refunds need an order id. " * 4
TOOLS = '# Tools\n<tools>\n{"type": "function", "function": {"name": "get_order"}}\n</tools>'


@pytest.fixture(scope="module")
def tokenizer(tools_tokenizer: Path) -> Tokenizer:
    return load_tokenizer(str(tools_tokenizer))


class Spy:
    """A tokenizer's ``encode_cut`` that records the texts it is given."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.texts: list[str] = []

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        self.texts += [text for text, _ in texts]
        return self.tokenizer.encode_cut(texts)


def conversation(instruction: str, turns: Sequence[str]) -> Cut:
    """A ChatML text: the shared system block, an instruction, then assistant turns, cut as the
    tokenized export cuts it (before each header, after it, after each turn)."""
    pieces = [f"{SYSTEM}{TOOLS}<|im_end|>\n<|im_start|>user\n{instruction}<|im_end|>\n"]
    for turn in turns:
        pieces += ["<|im_start|>assistant\n", f"{turn}<|im_end|>", "\n"]
    text = "".join(pieces)
    return text, [0, *accumulate(map(len, pieces))]


_WORDS = st.sampled_from(["order", " W1", "\n", "é", "{", " ", "<|", *SPECIAL_TOKENS])
_TEXT = st.lists(_WORDS, max_size=12).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    conversations=st.lists(
        st.tuples(_TEXT, st.lists(_TEXT, min_size=1, max_size=3)), min_size=1, max_size=4
    )
)
def test_texts_encode_exactly_as_without_the_cache_the_first_time_and_after(
    tokenizer: Tokenizer, conversations: list[tuple[str, list[str]]]
) -> None:
    texts = [conversation(instruction, turns) for instruction, turns in conversations]
    preambles = Preambles(tokenizer, free_tokens(tokenizer))
    expected = apart(tokenizer.encode_batch, texts)
    assert preambles.encode_cut(texts) == expected
    assert preambles.encode_cut(texts) == expected  # the preambles from the cache now


def test_the_tokenizer_sees_a_shared_preamble_once(tokenizer: Tokenizer) -> None:
    spy = Spy(tokenizer)
    preambles = Preambles(spy, free_tokens(tokenizer))
    first = [conversation("Where is W1?", ["It shipped."])]
    later = [conversation(f"Where is W{n}?", ["It is late."]) for n in range(2, 5)]
    preambles.encode_cut(first)
    assert SYSTEM in spy.texts[0]
    spy.texts.clear()
    assert preambles.encode_cut(later) == apart(tokenizer.encode_batch, later)
    assert len(spy.texts) == len(later)
    assert not any(SYSTEM in text for text in spy.texts)
    assert all("Where is W" in text for text in spy.texts)  # the rest still goes


def test_a_text_without_a_long_part_in_its_preamble_goes_as_it_is(tokenizer: Tokenizer) -> None:
    spy = Spy(tokenizer)
    text = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>"
    cuts = [0, 30, 52, len(text)]
    assert len(text[: cuts[1]]) < MIN_KNOWN
    [result] = Preambles(spy, free_tokens(tokenizer)).encode_cut([(text, cuts)])
    assert spy.texts == [text]
    assert result == apart(tokenizer.encode_batch, [(text, cuts)])[0]


def test_every_plain_special_token_of_the_test_tokenizer_is_a_free_place(
    tokenizer: Tokenizer,
) -> None:
    assert set(free_tokens(tokenizer)) == set(SPECIAL_TOKENS)


def test_the_smollm2_gguf_splits_at_its_chat_tokens_and_encodes_the_same_with_the_cache() -> None:
    gguf = load_tokenizer(str(smollm2_gguf()))
    free = free_tokens(gguf)
    assert {"<|im_start|>", "<|im_end|>"} <= set(free)
    texts = [conversation(f"Where is W{n}?", ["It shipped."]) for n in range(3)]
    preambles = Preambles(gguf, free)
    assert preambles.encode_cut(texts) == apart(gguf.encode_batch, texts)
    assert preambles.encode_cut(texts) == apart(gguf.encode_batch, texts)


class Stub:
    """A tokenizer whose tokens are the characters, with raw tokens and a rule of its own."""

    def __init__(self, raw: tuple[str, ...], plain: tuple[str, ...], *, glue: str = "") -> None:
        self.raw_tokens, self.plain_special = raw, plain
        self.glue = glue  # a text whose characters merge into one token with what follows

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [self._encode(text) for text in texts]

    def _encode(self, text: str) -> list[int]:
        if self.glue and self.glue in text:  # merges across wherever the glue stands
            head, _, tail = text.partition(self.glue)
            return [*self._encode(head), -1, *self._encode(tail)]
        return [ord(c) for c in text]

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        return apart(self.encode_batch, texts)


def test_a_token_the_probes_show_is_no_split_is_not_used() -> None:
    stub = Stub(("<a>", "<b>"), ("<a>", "<b>"), glue="{<b>")  # "{<b>" is one token
    assert set(free_tokens(stub)) == {"<a>"}


def test_a_place_inside_a_raw_token_is_not_free() -> None:
    stub = Stub(("<a>", "x<a"), ("<a>",))
    free = free_tokens(stub)
    assert free == {"<a>": ("x<a",)}  # "x<a" may span the start of "<a>"
    head = "q" * MIN_KNOWN + "x<a>" + "r" * MIN_KNOWN + "<a>" + "s" * MIN_KNOWN
    text = head + "<a>tail"
    places = Preambles(stub, free)._places(text, len(head))
    assert places == [0, len(head) - MIN_KNOWN - 3, len(head)]  # not after the "x"


def test_pieces_joined_by_a_marker_in_one_string_encode_as_one_by_one(
    tools_tokenizer: Path,
) -> None:
    fast = FastTokenizer.from_file(str(tools_tokenizer / "tokenizer.json"))

    def encode_batch(texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in fast.encode_batch_fast(list(texts), add_special_tokens=False)]

    assert joins_like_apart(fast, markers(fast), encode_batch)


@pytest.mark.parametrize(("scheme", "joins"), [("first", False), ("always", True)])
def test_a_sentencepiece_style_prefix_space_joins_only_when_every_piece_gets_it(
    scheme: str, joins: bool
) -> None:
    fast = FastTokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    fast.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme=scheme)
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<unk>", *SPECIAL_TOKENS],
        initial_alphabet=list("abcdefghijklmnopqrstuvwxyz {}\n\té"),
        show_progress=False,
    )
    fast.train_from_iterator(["Hello world x y z { } é \t a b the quick brown fox\n\n"], trainer)

    def encode_batch(texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in fast.encode_batch_fast(list(texts), add_special_tokens=False)]

    # "first": a piece alone starts a text, and gets the space a joined one does not
    assert joins_like_apart(fast, markers(fast), encode_batch) is joins


class PrefixSpace:
    """A ``tokenizers``-like tokenizer of characters that puts a space before each input (each
    word of a pre-tokenized one), as SentencePiece's "first" prefix scheme does; ``<m>`` is its
    special token 0. Pieces joined in one string lose their spaces."""

    def encode_batch_fast(
        self, inputs: list[Any], *, is_pretokenized: bool, add_special_tokens: bool
    ) -> list[Any]:
        return [SimpleNamespace(ids=self.encode(x if is_pretokenized else [x])) for x in inputs]

    def encode(self, words: list[str]) -> list[int]:
        ids = []
        for word in words:
            ids.append(ord(" "))
            for n, part in enumerate(word.split("<m>")):
                ids += [0] * bool(n) + [ord(c) for c in part]
        return ids


def test_a_tokenizer_that_treats_the_start_of_an_input_apart_is_not_joined() -> None:
    fake = PrefixSpace()
    assert not joins_like_apart(fake, [("<m>", 0)], lambda texts: [fake.encode([t]) for t in texts])
