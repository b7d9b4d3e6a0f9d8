"""Near-duplicate clusters: MinHash signatures (rensa), LSH bands and a best-first greedy pass.

Signatures come from ``rensa``'s R-MinHash, computed in batches straight into a matrix (one
row of ``num_perm`` 32-bit slots per item); ``bench/curate.py`` measures it against
``datasketch``. The LSH is done here, over the whole matrix at once: each band of ``rows``
slots is hashed to 64 bits and grouped with ``numpy.unique``, so an item without a shared
bucket costs nothing more, and no per-item index object is built.

Clustering is greedy in best-first order: an item joins the most similar representative so far
whose estimated Jaccard similarity (the share of equal slots) reaches the threshold, among the
representatives it shares a bucket with; otherwise it becomes a representative. So every member
is near its own representative (no chaining through a third item), and the representatives
are the best items of their neighbourhoods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import rensa

Matrix = npt.NDArray[np.uint32]
Indices = npt.NDArray[np.intp]

#: Weights of the two LSH errors when choosing the band shape: a pair below the threshold that
#: shares a bucket (a false candidate) only costs one comparison of signatures, a pair above it
#: that shares none is a duplicate missed.
FALSE_CANDIDATE_WEIGHT = 0.1
MISSED_WEIGHT = 0.9

_GRID = np.linspace(0.0, 1.0, 1001)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (the golden ratio's)


def signatures(features: Sequence[Sequence[str]], num_perm: int, seed: int) -> Matrix:
    """One R-MinHash signature per feature list, as rows of a ``uint32`` matrix."""
    rows = rensa.RMinHash.digests_from_token_sets(features, num_perm, seed)
    return np.array(rows, dtype=np.uint32).reshape(len(features), num_perm)


@lru_cache(maxsize=64)
def band_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """The ``(bands, rows)`` with ``bands * rows <= num_perm`` that minimises the weighted
    chance of false candidates below ``threshold`` and of missed pairs above it."""
    below = np.less(_GRID, threshold)
    step = _GRID[1]
    best = (np.inf, 1, num_perm)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            candidate = 1.0 - (1.0 - _GRID**rows) ** bands
            false = float(candidate[below].sum()) * step
            missed = float((1.0 - candidate[~below]).sum()) * step
            cost = FALSE_CANDIDATE_WEIGHT * false + MISSED_WEIGHT * missed
            if cost < best[0]:
                best = (cost, bands, rows)
    return best[1], best[2]


@dataclass(frozen=True)
class Clusters:
    """Per item: the representative it joined (-1 for a representative) and how similar."""

    representative: npt.NDArray[np.int32]
    similarity: npt.NDArray[np.float32]


def cluster(matrix: Matrix, order: Indices, threshold: float, bands: int, rows: int) -> Clusters:
    """Greedy clusters of the signature ``matrix``'s rows, visited in ``order`` (best first)."""
    count = len(matrix)
    buckets, shared = _buckets(matrix, bands, rows)
    representative = np.full(count, -1, dtype=np.int32)
    similarity = np.ones(count, dtype=np.float32)
    members: dict[tuple[int, int], list[int]] = {}  # (band, bucket) -> representatives in it
    for item in order[shared[:, order].any(axis=0)].tolist():
        keys = [(band, int(buckets[band, item])) for band in range(bands) if shared[band, item]]
        found = sorted({rep for key in keys for rep in members.get(key, ())})
        if found:
            equal = np.count_nonzero(matrix[found] == matrix[item], axis=1) / matrix.shape[1]
            best = int(np.argmax(equal))
            if equal[best] >= threshold:
                representative[item] = found[best]
                similarity[item] = equal[best]
                continue
        for key in keys:
            members.setdefault(key, []).append(item)
    return Clusters(representative, similarity)


def band_keys(matrix: Matrix, band: int, rows: int) -> npt.NDArray[np.uint64]:
    """Each row's 64-bit bucket key in ``band`` (of ``rows`` slots): equal slots, equal keys."""
    keys = np.zeros(len(matrix), dtype=np.uint64)
    for column in matrix[:, band * rows : (band + 1) * rows].T:
        keys = (keys ^ column.astype(np.uint64)) * _MIX  # wraps: a hash mod 2**64
    return keys


def _buckets(
    matrix: Matrix, bands: int, rows: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """Each item's bucket in each band, and whether another item shares it."""
    count = len(matrix)
    buckets = np.empty((bands, count), dtype=np.int32)
    shared = np.empty((bands, count), dtype=np.bool_)
    for band in range(bands):
        _, inverse, sizes = np.unique(
            band_keys(matrix, band, rows), return_inverse=True, return_counts=True
        )
        buckets[band] = inverse
        shared[band] = sizes[inverse] > 1
    return buckets, shared
