"""Fixed-memory summaries of a stream for the diversity and drift reports: a count of distinct
items (exact up to ``k`` of them, then the k-minimum-values estimate) and a histogram of
numbers rounded to three significant digits.

Hashes are keyed blake2b, so results are the same in every process and run.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from typing import Final

#: Distinct items counted exactly; past that, the estimate's relative error is about 1/sqrt(k).
DEFAULT_K: Final = 4096
_SPACE: Final = float(2**64)
_MASK: Final = 2**64 - 1


def hash64(item: str) -> int:
    """A stable 64-bit hash of ``item``."""
    return int.from_bytes(hashlib.blake2b(item.encode(), digest_size=8).digest(), "big")


def mix64(h: int) -> int:
    """splitmix64's finaliser: a bijection of 64-bit integers that spreads every bit (to chain
    hashes: ``mix64(h ^ next)``)."""
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


class DistinctCounter:
    """How many distinct items a stream has, in memory for ``k`` hashes (Bar-Yossef et al.'s
    k minimum values: with the k smallest of n distinct uniform hashes, n ~ (k - 1) / h_k).

    With ``keep_items`` it also keeps the items of those hashes: a uniform sample of the
    distinct items (:meth:`sample`).
    """

    def __init__(self, k: int = DEFAULT_K, *, keep_items: bool = False) -> None:
        self.k = k
        self._heap: list[int] = []  # the smallest hashes, negated: a max-heap
        self._kept: dict[int, str | None] = {}
        self._keep_items = keep_items

    def add(self, item: str) -> None:
        """Count one occurrence of ``item``."""
        self.add_hash(hash64(item), item)

    def add_hash(self, h: int, item: str | None = None) -> None:
        """Count one occurrence of the item whose 64-bit hash is ``h`` (``item`` itself is kept
        with ``keep_items``)."""
        kept = self._kept
        if h in kept:
            return
        heap = self._heap
        if len(heap) < self.k:
            heapq.heappush(heap, -h)
        elif h < -heap[0]:
            del kept[-heapq.heapreplace(heap, -h)]
        else:
            return
        kept[h] = item if self._keep_items else None

    def sample(self, n: int) -> list[str]:
        """Up to ``n`` of the distinct items (those of smallest hash; needs ``keep_items``)."""
        return [item for _, item in sorted(self._kept.items())[:n] if item is not None]

    @property
    def exact(self) -> bool:
        """Whether :meth:`count` is exact (fewer than ``k`` distinct items so far)."""
        return len(self._heap) < self.k

    def count(self) -> int:
        """The number of distinct items (estimated past ``k``)."""
        if self.exact:
            return len(self._heap)
        return round((self.k - 1) * _SPACE / -self._heap[0])


def quantize(value: float) -> float:
    """``value`` rounded to three significant digits (whole numbers below 1000 stay exact)."""
    return float(f"{value:.3g}")


class Histogram:
    """Counts of numbers rounded by :func:`quantize`: at most ~900 keys per power of ten."""

    def __init__(self) -> None:
        self.counts: Counter[float] = Counter()

    def add(self, value: float) -> None:
        """Count one value."""
        self.counts[quantize(value)] += 1

    @property
    def total(self) -> int:
        """How many values were counted."""
        return sum(self.counts.values())

    def mean(self) -> float | None:
        """The mean of the rounded values (``None`` when empty)."""
        total = self.total
        return sum(v * n for v, n in self.counts.items()) / total if total else None
