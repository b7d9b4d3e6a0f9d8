"""How varied a dataset is, in one streaming pass with fixed memory, without embeddings:

- distinct tool sequences (the tools called, in order) and tool sets, per trajectory;
- distinct instructions, and distinct-n of the instructions' words (distinct n-grams over all
  n-grams, Li et al. 2016) for n = 1..4, and their product, the n-gram diversity of Meister et
  al. 2022 (1 when no n-gram repeats, near 0 for templated text);
- the entropy of tool use (bits; 0 when one tool does everything).

Every word with a digit in it (ids, amounts, phone numbers) is the word ``<num>``, so that the
same template with other ids is not taken for variety. Distinct counts are exact up to 4,096
distinct items, then estimated within about 2% (:class:`DistinctCounter`). Optional: the mean
cosine distance between instruction embeddings (:mod:`trajforge.curate.embeddings`) over a
uniform sample of the distinct instructions (those of smallest hash).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from math import log2
from typing import Final

import msgspec

from trajforge.curate.sketches import DistinctCounter, hash64, mix64
from trajforge.schema import ToolCall, Trajectory

NGRAM_SIZES: Final = (1, 2, 3, 4)
MAX_N: Final = NGRAM_SIZES[-1]
_WORD: Final = re.compile(r"\w+")
_DIGIT: Final = re.compile(r"\d")


class EmbeddingDiversity(msgspec.Struct, kw_only=True):
    """Spread of the instructions in embedding space."""

    model: str
    sample: int
    mean_cosine_distance: float


class Diversity(msgspec.Struct, kw_only=True):
    """What ``trajforge report diversity`` reports."""

    trajectories: int
    instructions: int
    distinct_instructions: int
    distinct_tool_sequences: int
    distinct_tool_sets: int
    distinct_n: dict[str, float]
    ngram_diversity: float
    tool_calls: int
    tool_entropy_bits: float
    exact: bool
    embedding: EmbeddingDiversity | None = None


@lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    return hash64(word)


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, any word with a digit as ``<num>``."""
    return ["<num>" if _DIGIT.search(w) else w for w in _WORD.findall(text.lower())]


class DiversityAccumulator:
    """Feed trajectories one at a time; :meth:`result` gives the :class:`Diversity`.

    ``sample`` > 0 also keeps that many distinct instructions (up to 4,096), a uniform sample
    for embeddings.
    """

    def __init__(self, *, sample: int = 0) -> None:
        self.trajectories = 0
        self.instructions = 0
        self.distinct_instructions = DistinctCounter(keep_items=sample > 0)
        self.sequences = DistinctCounter()
        self.tool_sets = DistinctCounter()
        self.ngrams = {n: DistinctCounter() for n in NGRAM_SIZES}
        self.ngram_totals: Counter[int] = Counter()
        self.tools: Counter[str] = Counter()
        self.sample_size = sample

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        self.trajectories += 1
        calls = [a.name for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]
        self.tools.update(calls)
        self.sequences.add("\x1f".join(calls))
        self.tool_sets.add("\x1f".join(sorted(set(calls))))
        instruction = trajectory.task.instruction
        if instruction:
            self._instruction(instruction)

    def _instruction(self, text: str) -> None:
        self.instructions += 1
        self.distinct_instructions.add(text)
        hashes = [_word_hash(w) for w in words(text)]
        for n in NGRAM_SIZES:
            self.ngram_totals[n] += max(0, len(hashes) - n + 1)
        ngrams = self.ngrams
        for start in range(len(hashes)):
            # the hash of words[start : start + n] for each n, one mix each
            h = 0
            for n, word in enumerate(hashes[start : start + MAX_N], start=1):
                h = mix64(h ^ word)
                ngrams[n].add_hash(h)

    def sample(self) -> list[str]:
        """Up to ``sample`` distinct instructions, uniformly drawn (for embeddings)."""
        return self.distinct_instructions.sample(self.sample_size)

    def result(self) -> Diversity:
        """The diversity of everything added so far."""
        distinct_n = {
            str(n): (c.count() / self.ngram_totals[n] if self.ngram_totals[n] else 0.0)
            for n, c in self.ngrams.items()
        }
        product = 1.0
        for value in distinct_n.values():
            product *= value
        counters = [self.distinct_instructions, self.sequences, self.tool_sets]
        counters.extend(self.ngrams.values())
        return Diversity(
            trajectories=self.trajectories,
            instructions=self.instructions,
            distinct_instructions=self.distinct_instructions.count(),
            distinct_tool_sequences=self.sequences.count(),
            distinct_tool_sets=self.tool_sets.count(),
            distinct_n=distinct_n,
            ngram_diversity=product if self.instructions else 0.0,
            tool_calls=sum(self.tools.values()),
            tool_entropy_bits=entropy(self.tools.values()),
            exact=all(c.exact for c in counters),
        )


def entropy(counts: Iterable[int]) -> float:
    """The Shannon entropy (bits) of a categorical distribution given by its counts."""
    counts = [c for c in counts if c > 0]
    total = sum(counts)
    return -sum(c / total * log2(c / total) for c in counts) if total else 0.0


def diversity(trajectories: Iterable[Trajectory]) -> Diversity:
    """The embedding-free diversity of a stream of trajectories."""
    acc = DiversityAccumulator()
    for trajectory in trajectories:
        acc.add(trajectory)
    return acc.result()
