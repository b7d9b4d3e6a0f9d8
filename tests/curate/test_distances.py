"""Distances between samples against values computed by hand or by reference implementations."""

from __future__ import annotations

from collections import Counter

import pytest

from trajforge.curate.distances import (
    chi2_survival,
    g_test_p_value,
    js_distance,
    ks_p_value,
    ks_statistic,
    two_proportion_p_value,
    wasserstein,
)


def test_jensen_shannon_distance() -> None:
    assert js_distance({"a": 3, "b": 1}, {"a": 30, "b": 10}) == 0.0
    assert js_distance({"a": 3}, {"b": 1}) == 1.0
    # scipy.spatial.distance.jensenshannon([.75, .25, 0], [1/3, 0, 2/3], base=2)
    assert js_distance({"x": 3, "y": 1}, {"x": 1, "z": 2}) == pytest.approx(0.7194792294067812)
    assert js_distance({}, {}) == 0.0


def test_kolmogorov_smirnov() -> None:
    a, b = Counter({1.0: 1, 2.0: 1, 3.0: 1}), Counter({2.0: 1, 3.0: 1, 4.0: 1})
    assert ks_statistic(a, b) == pytest.approx(1 / 3)
    assert ks_statistic(a, a) == 0.0
    # the exact two-sample distribution (scipy.stats.kstwo.sf(0.2, 50)) is 0.0314
    assert ks_p_value(0.2, 100, 100) == pytest.approx(0.0314, abs=1e-3)
    assert ks_p_value(0.05, 1000, 1000) == pytest.approx(0.1587, abs=2e-3)
    assert ks_p_value(0.01, 100, 100) == 1.0
    assert ks_p_value(1.0, 100, 100) < 1e-20


def test_wasserstein() -> None:
    a, b = Counter({1.0: 1, 2.0: 1, 3.0: 1}), Counter({2.0: 1, 3.0: 1, 4.0: 1})
    assert wasserstein(a, b) == pytest.approx(1.0)  # every unit moves one step
    assert wasserstein(Counter({0.0: 4}), Counter({5.0: 1})) == pytest.approx(5.0)
    assert wasserstein(Counter({0.0: 1, 10.0: 1}), Counter({0.0: 3, 10.0: 1})) == pytest.approx(2.5)


def test_tests_of_mixes_and_rates() -> None:
    # chi-square survival (scipy.stats.chi2.sf): 0.05 at 3.84 with 1 df, 0.0186 at 10 with 3
    assert chi2_survival(3.84, 1) == pytest.approx(0.05, abs=0.005)
    assert chi2_survival(10, 3) == pytest.approx(0.0186, abs=5e-4)
    assert chi2_survival(30, 20) == pytest.approx(0.0699, abs=5e-4)
    assert g_test_p_value({"a": 50, "b": 50}, {"a": 50, "b": 50}) == 1.0
    assert g_test_p_value({"a": 50, "b": 50}, {"a": 80, "b": 20}) < 1e-4
    assert g_test_p_value({"a": 5, "b": 5}, {"a": 6, "b": 4}) > 0.5
    # 45/100 against 60/100: z = 2.124, two-sided p = 0.0337
    assert two_proportion_p_value(45, 100, 60, 100) == pytest.approx(0.0337, abs=2e-4)
    assert two_proportion_p_value(0, 10, 0, 10) == 1.0
