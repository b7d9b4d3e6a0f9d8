"""Distances between two samples, from their counts: Jensen–Shannon for categorical mixes,
Kolmogorov–Smirnov and Wasserstein-1 for numbers, and a two-proportion test for rates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from math import exp, log, log2, sqrt
from statistics import NormalDist


def _probabilities(counts: Mapping[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items() if v} if total else {}


def js_distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The Jensen–Shannon distance (base 2: 0 for equal mixes, 1 for disjoint ones) of two
    categorical counts; 0 when both are empty, 1 when only one is."""
    p, q = _probabilities(a), _probabilities(b)
    if not p or not q:
        return 0.0 if p == q else 1.0
    divergence = 0.0
    for key in p.keys() | q.keys():
        pk, qk = p.get(key, 0.0), q.get(key, 0.0)
        m = (pk + qk) / 2
        divergence += (pk * log2(pk / m) if pk else 0.0) + (qk * log2(qk / m) if qk else 0.0)
    return sqrt(max(0.0, divergence / 2))


def g_test_p_value(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """The p-value of the G-test that two categorical counts come from one mix (chi-square
    with k - 1 degrees of freedom, by the Wilson–Hilferty approximation)."""
    total_a, total_b = sum(a.values()), sum(b.values())
    keys = [k for k in a.keys() | b.keys() if a.get(k, 0) + b.get(k, 0)]
    if not total_a or not total_b or len(keys) < 2:
        return 1.0
    total = total_a + total_b
    g = 0.0
    for key in keys:
        column = a.get(key, 0) + b.get(key, 0)
        for observed, row in ((a.get(key, 0), total_a), (b.get(key, 0), total_b)):
            if observed:
                g += 2 * observed * log(observed * total / (row * column))
    return chi2_survival(g, len(keys) - 1)


def chi2_survival(x: float, df: int) -> float:
    """P(X >= x) for X chi-square with ``df`` degrees of freedom (Wilson–Hilferty: within
    about 0.01 of the exact value, closer as ``df`` grows)."""
    if x <= 0:
        return 1.0
    spread = 2 / (9 * df)
    z = ((x / df) ** (1 / 3) - (1 - spread)) / sqrt(spread)
    return 1 - NormalDist().cdf(z)


def _cdfs(a: Mapping[float, int], b: Mapping[float, int]) -> Iterator[tuple[float, float, float]]:
    """Each value of either sample, ascending, with both empirical CDFs there (neither sample
    may be empty)."""
    total_a, total_b = sum(a.values()), sum(b.values())
    seen_a = seen_b = 0
    for value in sorted(a.keys() | b.keys()):
        seen_a += a.get(value, 0)
        seen_b += b.get(value, 0)
        yield value, seen_a / total_a, seen_b / total_b


def ks_statistic(a: Mapping[float, int], b: Mapping[float, int]) -> float:
    """The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical
    CDFs of two histograms (0 to 1)."""
    return max((abs(fa - fb) for _, fa, fb in _cdfs(a, b)), default=0.0)


def ks_p_value(statistic: float, n: int, m: int) -> float:
    """The asymptotic p-value of a two-sample KS statistic for samples of ``n`` and ``m``
    (Kolmogorov's distribution with Stephens' small-sample correction; conservative for
    samples with ties)."""
    if n == 0 or m == 0 or statistic <= 0:
        return 1.0
    root = sqrt(n * m / (n + m))
    x = (root + 0.12 + 0.11 / root) * statistic
    if x < 0.3:  # the series converges slowly here, to within 1e-5 of 1
        return 1.0
    total = sum((1 if k % 2 else -1) * exp(-2 * k * k * x * x) for k in range(1, 101))
    return min(1.0, max(0.0, 2 * total))


def wasserstein(a: Mapping[float, int], b: Mapping[float, int]) -> float:
    """The Wasserstein-1 (earth mover's) distance of two histograms, in their unit: the area
    between their empirical CDFs."""
    area = 0.0
    previous: tuple[float, float, float] | None = None
    for point in _cdfs(a, b):
        if previous is not None:
            area += (point[0] - previous[0]) * abs(previous[1] - previous[2])
        previous = point
    return area


def two_proportion_p_value(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """The two-sided p-value of the z-test that two rates are equal (1 when it cannot tell)."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = abs(hits_a / n_a - hits_b / n_b) / spread
    return 2 * (1 - NormalDist().cdf(z))
