"""Raking counts to target mixes and rounding them into quotas."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trajforge.curate.mixes import Cell, largest_size, quotas, rake


def margins(weights: dict[Cell, float], mix: int) -> dict[str, float]:
    found: dict[str, float] = defaultdict(float)
    for cell, w in weights.items():
        found[cell[mix]] += w
    return dict(found)


def test_rake_meets_every_margin_and_keeps_the_association() -> None:
    counts = {("a", "x"): 80, ("a", "y"): 10, ("b", "x"): 5, ("b", "y"): 5}
    fit = rake(counts, [{"a": 0.5, "b": 0.5}, {"x": 0.3, "y": 0.7}])
    assert margins(fit.weights, 0) == pytest.approx({"a": 0.5, "b": 0.5})
    assert margins(fit.weights, 1) == pytest.approx({"x": 0.3, "y": 0.7})
    w = fit.weights
    # what raking leaves alone: the odds ratio of the observed table (80 * 5 / (10 * 5))
    odds = w["a", "x"] * w["b", "y"] / (w["a", "y"] * w["b", "x"])
    assert odds == pytest.approx(8.0)
    assert fit.scale == 1.0


def test_values_without_data_or_share() -> None:
    counts = {("a",): 30, ("b",): 30, ("z",): 50}
    fit = rake(counts, [{"a": 0.5, "b": 0.3, "c": 0.2}])
    assert fit.weights == pytest.approx({("a",): 0.625, ("b",): 0.375})  # z: wanted at 0%
    assert fit.covered == pytest.approx([0.8])  # c: wanted, none there
    assert largest_size(fit, counts) == 48  # a's 30 at 62.5% (b's 30 at 37.5% would allow 80)
    assert quotas(fit, counts, 48) == {("a",): 30, ("b",): 18}


@given(
    st.lists(st.integers(1, 60), min_size=6, max_size=6),
    st.lists(st.integers(1, 10), min_size=2, max_size=2),
    st.lists(st.integers(1, 10), min_size=3, max_size=3),
)
def test_quotas_add_up_and_keep_margins_within_one(
    counts_list: list[int], first: list[int], second: list[int]
) -> None:
    cells = [(a, b) for a in "pq" for b in "xyz"]
    counts = dict(zip(cells, counts_list, strict=True))
    targets = [
        {k: v / sum(first) for k, v in zip("pq", first, strict=True)},
        {k: v / sum(second) for k, v in zip("xyz", second, strict=True)},
    ]
    fit = rake(counts, targets)
    size = largest_size(fit, counts)
    got = quotas(fit, counts, size)
    assert sum(got.values()) == size
    assert all(0 <= got[c] <= counts[c] for c in cells)
    for mix in (0, 1):
        exact = margins(fit.weights, mix)
        whole = margins({c: float(n) for c, n in got.items()}, mix)
        assert all(abs(whole[k] - exact[k] * size) < 1 + 1e-9 for k in exact)
    assert math.isclose(sum(fit.weights.values()), 1.0)
