"""Agreement statistics against published values, and on the dashboard."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import pytest

from trajforge.review.agreement import (
    cohen_kappa,
    collect,
    grader_agreement,
    kind_agreement,
    krippendorff_alpha,
)


def test_cohen_kappa_of_the_textbook_example() -> None:
    # Wikipedia's "Cohen's kappa" example: 50 proposals, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # chance agreement is total
    assert cohen_kappa([], []) is None


def test_krippendorff_alpha_of_the_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C:
    # 4 observers, 12 units, missing values; nominal alpha = 0.743
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    ratings = {("u", j): {r: v[j] for r, v in rows.items() if v[j] is not None} for j in range(12)}
    alpha = krippendorff_alpha(ratings, "nominal")
    assert alpha is not None
    assert math.isclose(alpha, 0.743, abs_tol=0.0005)


def test_alpha_is_undefined_without_variation() -> None:
    assert krippendorff_alpha({("u", 0): {"a": 1, "b": 1}}) is None
    assert krippendorff_alpha({("u", 0): {"a": 1}, ("u", 1): {"b": 2}}) is None
    # another value only where one reviewer graded: nothing varies among comparable units
    assert krippendorff_alpha({("u", 0): {"a": 1, "b": 1}, ("u", 1): {"a": 2}}) is None


def test_kinds_pairs_and_disagreements() -> None:
    rows: list[tuple[str, int, str, Mapping[str, Hashable]]] = [
        ("i1", 0, "ana", {"class": "correct", "quality": 5, "ask_human": False}),
        ("i1", 0, "cy", {"class": "error", "quality": 4, "ask_human": False}),
        ("i1", 1, "ana", {"class": "error", "quality": 1, "ask_human": True}),
        ("i1", 1, "cy", {"class": "error", "quality": 2, "ask_human": True}),
        ("i1", -1, "ana", {"verdict": "reject"}),
        ("i1", -1, "cy", {"verdict": "reject"}),
    ]
    ratings = collect(rows)
    classes = kind_agreement("class", ratings["class"])
    assert classes.units == 2
    assert classes.pairs == [("ana", "cy", 2, 0.0)]
    assert classes.disagreements == [(("i1", 0), {"ana": "correct", "cy": "error"})]
    assert kind_agreement("verdict", ratings["verdict"]).disagreements == []


def test_humans_against_an_automatic_grader() -> None:
    human = {
        ("i", 0): {"a": "error", "b": "error"},
        ("i", 1): {"a": "correct"},
        ("i", 2): {"a": "error", "b": "correct"},
    }
    automatic = {"rule:redundant": {("i", 0): True}, "judge:j": {("i", 1): True}}
    found = {g.grader: g for g in grader_agreement(human, automatic, {"i"})}
    # step 2 is a tie between reviewers: left out
    assert (found["rule:redundant"].steps, found["rule:redundant"].agreement) == (2, 1.0)
    assert found["judge:j"].agreement == 0.0
