"""Bottom-k reservoirs: per stratum, the records of smallest priority seen so far, their bytes
kept in one temporary file, so memory holds a few numbers per kept record, not records.

A record's priority is a seeded hash of its id, so the sample is uniform within a stratum and
the same whatever the order of the stream. A record enters a reservoir only while its priority
is among the ``capacity`` smallest of its stratum: about ``k (1 + ln(n / k))`` of a stratum's
``n`` records are ever written to the file.
"""

from __future__ import annotations

import hashlib
import heapq
import tempfile
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def priority(seed: int, key: str) -> int:
    """A 64-bit hash of ``key`` under ``seed`` (any integer, taken modulo 2**64): uniform, and
    stable across processes."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, key=(seed % 2**64).to_bytes(8, "big"))
    return int.from_bytes(digest.digest(), "big")


@dataclass
class _Reservoir:
    """One stratum: how many records it had, and a max-heap of the kept ones'
    ``(-priority, -arrival, offset, length)``."""

    size: int = 0
    heap: list[tuple[int, int, int, int]] = field(default_factory=list)


class Reservoirs(Generic[K]):
    """Bottom-``capacity`` reservoirs by stratum; :meth:`close` deletes the temporary file."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._strata: dict[K, _Reservoir] = {}
        self._file = tempfile.TemporaryFile(prefix="trajforge-audit-")  # noqa: SIM115 - close()
        self._arrivals = 0

    def offer(self, stratum: K, rank: int, data: Callable[[], bytes]) -> None:
        """Count a record of ``stratum`` with priority ``rank``, and keep it (``data()``, its
        bytes, called only then) if its priority is among the stratum's smallest; ties keep the
        earlier record."""
        reservoir = self._strata.setdefault(stratum, _Reservoir())
        reservoir.size += 1
        self._arrivals += 1
        entry = (-rank, -self._arrivals)
        heap = reservoir.heap
        if len(heap) >= self.capacity and entry <= heap[0][:2]:
            return
        payload = data()
        offset = self._file.seek(0, 2)
        self._file.write(payload)
        item = (*entry, offset, len(payload))
        if len(heap) < self.capacity:
            heapq.heappush(heap, item)
        else:
            heapq.heapreplace(heap, item)

    def __contains__(self, stratum: object) -> bool:
        return stratum in self._strata

    def __len__(self) -> int:
        return len(self._strata)

    def sizes(self) -> dict[K, int]:
        """Records seen per stratum, in the order the strata first came."""
        return {stratum: r.size for stratum, r in self._strata.items()}

    def smallest(self, stratum: K) -> Iterator[bytes]:
        """The kept records of ``stratum``, smallest priority first."""
        for _, _, offset, length in sorted(self._strata[stratum].heap, reverse=True):
            self._file.seek(offset)
            yield self._file.read(length)

    def close(self) -> None:
        """Delete the temporary file."""
        self._file.close()
