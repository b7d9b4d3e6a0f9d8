"""Confidence intervals for a proportion: the Wilson score interval (Wilson 1927), which stays
inside [0, 1] and keeps its coverage for small samples and rates near 0 or 1, where the normal
approximation does not."""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist


def z_score(confidence: float) -> float:
    """The two-sided standard normal quantile of ``confidence`` (1.96 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n`` trials (``n`` may be an effective
    sample size, not a whole number); (0, 1) when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    z = z_score(confidence)
    p = successes / n
    z2n = z * z / n
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4 * n))
    return max(0.0, center - half), min(1.0, center + half)
