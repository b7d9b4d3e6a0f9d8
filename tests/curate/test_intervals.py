"""The Wilson score interval against published values."""

from __future__ import annotations

import pytest

from trajforge.curate.intervals import wilson, z_score


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison
        # of seven methods", Statistics in Medicine 17: its examples, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_newcombe_examples(successes: int, n: int, low: float, high: float) -> None:
    got = wilson(successes, n, 0.95)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_levels_and_edges() -> None:
    assert z_score(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_score(0.99) == pytest.approx(2.575829, abs=1e-6)
    # the rule of three's cousin: 0 of 10 at 95% reaches 0.2775 (a normal interval says 0 to 0)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    narrow, wide = wilson(5, 50, 0.90), wilson(5, 50, 0.99)
    assert wide[0] < narrow[0] < 0.1 < narrow[1] < wide[1]
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_score(1.0)
