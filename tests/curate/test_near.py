"""MinHash signatures, the LSH band shape and the best-first greedy clusters."""

from __future__ import annotations

import numpy as np
import pytest

from trajforge.curate.near import band_shape, cluster, signatures


def test_signatures_are_one_row_per_set_whatever_the_order_of_its_tokens() -> None:
    matrix = signatures([["a", "b"], ["b", "a", "a"], ["c"]], 64, 7)
    assert matrix.shape == (3, 64)
    assert matrix.dtype == np.uint32
    assert (matrix[0] == matrix[1]).all()
    assert (matrix[0] != matrix[2]).any()
    assert (signatures([["a", "b"]], 64, 7) == matrix[0]).all()
    assert (signatures([["a", "b"]], 64, 8) != matrix[0]).any()  # the seed matters


@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_bands_catch_pairs_above_the_threshold_and_few_far_below(
    num_perm: int, threshold: float
) -> None:
    bands, rows = band_shape(threshold, num_perm)
    assert bands * rows <= num_perm

    def candidate(similarity: float) -> float:
        return float(1 - (1 - similarity**rows) ** bands)

    assert candidate(min(1.0, threshold + 0.1)) >= 0.98
    assert candidate(threshold - 0.3) <= 0.16


def _variant(row: np.ndarray, changed: slice, rng: np.random.Generator) -> np.ndarray:
    out = row.copy()
    out[changed] = rng.integers(0, 2**32, size=len(out[changed]), dtype=np.uint32)
    return out


@pytest.fixture
def chain() -> np.ndarray:
    """Rows a, b, c, d: b is a with 12 of 128 slots changed (similarity 0.91), c is b with 22
    more (0.83 to b, 0.73 to a), d has nothing in common with them."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**32, size=128, dtype=np.uint32)
    b = _variant(a, slice(0, 12), rng)
    c = _variant(b, slice(12, 34), rng)
    d = rng.integers(0, 2**32, size=128, dtype=np.uint32)
    return np.stack([a, b, c, d])


def test_members_join_the_best_representative_near_them_without_chaining(
    chain: np.ndarray,
) -> None:
    bands, rows = band_shape(0.8, 128)
    found = cluster(chain, np.array([0, 1, 2, 3]), 0.8, bands, rows)
    assert found.representative.tolist() == [-1, 0, -1, -1]  # c is near b, not near a
    assert found.similarity[1] == pytest.approx(116 / 128)


def test_the_visiting_order_picks_the_representatives(chain: np.ndarray) -> None:
    bands, rows = band_shape(0.8, 128)
    found = cluster(chain, np.array([2, 1, 0, 3]), 0.8, bands, rows)
    assert found.representative.tolist() == [-1, 2, -1, -1]  # b joins c; a is too far from c
    assert found.similarity[1] == pytest.approx(106 / 128)
