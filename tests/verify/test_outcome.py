"""Outcome checks: replayed goal checks against the recorded outcome."""

from __future__ import annotations

import msgspec
import pytest

from tests.verify.episodes import episode
from trajforge.envs.registry import ENVIRONMENTS
from trajforge.schema import CheckResult, Outcome
from trajforge.verify import compare_outcome


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_a_tampered_outcome_is_flagged(env: str) -> None:
    t = episode(env, 0)
    assert compare_outcome(t.outcome, t.outcome) is None
    claimed = msgspec.structs.replace(t.outcome, status="success", score=1.0)
    failed = Outcome(
        status="failure",
        score=0.0,
        checks=[CheckResult(name=c.name, passed=False, score=0.0) for c in t.outcome.checks],
        final_state_digest=t.outcome.final_state_digest,
    )
    recorded = claimed if t.outcome.status != "success" else failed
    label = compare_outcome(recorded, t.outcome)
    assert label is not None
    assert (label.name, label.grade, label.source.kind) == ("outcome_mismatch", "error", "replay")


def test_checks_that_share_a_name_compare_by_position() -> None:
    a = Outcome(
        status="partial",
        score=0.5,
        checks=[CheckResult(name="status", passed=True), CheckResult(name="status", passed=False)],
    )
    b = msgspec.structs.replace(a, checks=list(reversed(a.checks)))
    assert compare_outcome(a, a) is None
    label = compare_outcome(a, b)
    assert label is not None
    assert "check 0 ('status') passed as recorded" in (label.rationale or "")


def test_nothing_recorded_is_no_mismatch() -> None:
    assert compare_outcome(Outcome(), Outcome(status="success", score=1.0)) is None
