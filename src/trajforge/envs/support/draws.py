"""The draws of ``random.Random(seed)`` with fewer Python layers per draw.

World building makes hundreds of small draws; ``random.Random``'s methods spend most of their time
checking and converting arguments. ``Draws`` gives the same values, consuming the generator the same
way, as the ``Random`` methods it names (tests/envs/support/test_draws.py compares them).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from math import ceil, log
from typing import TypeVar

T = TypeVar("T")


class Draws:
    """``random.Random(seed)``'s ``randint``, ``choice``, ``sample``, ``random`` and ``choices``
    (one weighted pick, ``weighted``); ``below`` is its ``_randbelow``."""

    __slots__ = ("_bits", "random")

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._bits = rng.getrandbits
        self.random = rng.random

    def below(self, n: int) -> int:
        """An int in ``[0, n)``, for ``n > 0`` (``Random._randbelow``)."""
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    def randint(self, a: int, b: int) -> int:
        """An int in ``[a, b]``."""
        if b < a:
            raise ValueError("empty range")
        return a + self.below(b - a + 1)

    def choice(self, seq: Sequence[T]) -> T:
        """An element of a non-empty sequence."""
        if not seq:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[self.below(len(seq))]

    def weighted(self, population: Sequence[T], cum_weights: Sequence[int]) -> T:
        """``choices(population, cum_weights=cum_weights)[0]``."""
        total = cum_weights[-1] + 0.0
        return population[bisect(cum_weights, self.random() * total, 0, len(population) - 1)]

    def sample(self, population: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements, in selection order."""
        n = len(population)
        if not 0 <= k <= n:
            raise ValueError("Sample larger than population or is negative")
        below = self.below
        setsize = 21 if k <= 5 else 21 + 4 ** ceil(log(k * 3, 4))
        if n <= setsize:
            pool = list(population)
            result = []
            for i in range(k):
                j = below(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
            return result
        selected: set[int] = set()
        result = []
        for _ in range(k):
            j = below(n)
            while j in selected:
                j = below(n)
            selected.add(j)
            result.append(population[j])
        return result
