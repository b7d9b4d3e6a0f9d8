"""Fixed-memory summaries: distinct counts and rounded histograms."""

from __future__ import annotations

import random

from trajforge.curate.sketches import DistinctCounter, Histogram, quantize


def test_distinct_counts_are_exact_below_k() -> None:
    counter = DistinctCounter(k=100)
    for i in range(500):
        counter.add(f"item {i % 60}")
    assert (counter.count(), counter.exact) == (60, True)


def test_distinct_counts_past_k_are_estimated_in_fixed_memory() -> None:
    counter = DistinctCounter(k=1024)
    for i in range(60_000):
        counter.add(f"item {i % 40_000}")
    assert not counter.exact
    # the estimate's standard error is about 1/sqrt(k) = 3%
    assert abs(counter.count() - 40_000) < 0.1 * 40_000
    assert len(counter._kept) == 1024


def test_a_sample_of_distinct_items() -> None:
    counter = DistinctCounter(k=50, keep_items=True)
    for i in range(1000):
        counter.add(f"text {i % 300}")
    sample = counter.sample(20)
    assert len(set(sample)) == 20
    assert set(sample) <= {f"text {i}" for i in range(300)}
    again = DistinctCounter(k=50, keep_items=True)
    for i in reversed(range(300)):
        again.add(f"text {i}")
    assert again.sample(20) == sample  # the same sample whatever the order


def test_histograms_round_to_three_digits() -> None:
    assert [quantize(v) for v in (7, 999, 1234, 0.123456, 98765.4)] == [
        7.0, 999.0, 1230.0, 0.123, 98800.0
    ]  # fmt: skip
    histogram = Histogram()
    rng = random.Random(5)
    for _ in range(50_000):
        histogram.add(rng.uniform(1, 1000))
    assert histogram.total == 50_000
    assert len(histogram.counts) <= 3 * 900 + 1  # 50,000 values, 900 keys per power of ten
    assert abs((histogram.mean() or 0) - 500.5) < 5
    assert Histogram().mean() is None
