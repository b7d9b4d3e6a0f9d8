"""Grading: rule graders on steps, and the aggregate trajectory score."""

from trajforge.grade.aggregate import (
    ScoreWeights,
    load_weights,
    read_weights,
    score,
    score_trajectory,
)
from trajforge.grade.rules import RULES, RuleGrader, grade_rules, select_rules

__all__ = [
    "RULES",
    "RuleGrader",
    "ScoreWeights",
    "grade_rules",
    "load_weights",
    "read_weights",
    "score",
    "score_trajectory",
    "select_rules",
]
