"""Verification: format checks, replay in the environment, outcome checks.

:func:`verify_trajectory` / :func:`verify_stream` (or a :class:`Verifier`) annotate trajectories
with labels (source kinds ``verify`` and ``replay``) naming each problem's check, grade
(``error``/``warning``), field path and reason; :class:`LabelSummary` counts them per environment.
"""

from trajforge.verify.expected import ExpectedMatch, Made, calls_made, match_expected, values_equal
from trajforge.verify.format import check_format
from trajforge.verify.labels import VERSION, make_label, owns_label
from trajforge.verify.outcome import compare_outcome
from trajforge.verify.pairing import CallPair, Pairing, Problem, pair_calls
from trajforge.verify.parallel import verify_parallel
from trajforge.verify.pipeline import (
    Verifier,
    VerifyOptions,
    VerifyStage,
    verify_stream,
    verify_trajectory,
)
from trajforge.verify.replay import ReplayResult, replay_trajectory
from trajforge.verify.schemas import (
    DEFAULT_CACHE,
    ArgumentError,
    CompiledSchema,
    ToolTable,
    ValidatorCache,
    compile_schema,
)
from trajforge.verify.summary import LabelKey, LabelSummary

__all__ = [
    "DEFAULT_CACHE",
    "VERSION",
    "ArgumentError",
    "CallPair",
    "CompiledSchema",
    "ExpectedMatch",
    "LabelKey",
    "LabelSummary",
    "Made",
    "Pairing",
    "Problem",
    "ReplayResult",
    "ToolTable",
    "ValidatorCache",
    "Verifier",
    "VerifyOptions",
    "VerifyStage",
    "calls_made",
    "check_format",
    "compare_outcome",
    "compile_schema",
    "make_label",
    "match_expected",
    "owns_label",
    "pair_calls",
    "replay_trajectory",
    "values_equal",
    "verify_parallel",
    "verify_stream",
    "verify_trajectory",
]
