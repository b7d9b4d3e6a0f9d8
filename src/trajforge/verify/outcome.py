"""Outcome checks: the goal checks on the replayed final state against the recorded outcome.

With an environment, the replayed state's goal checks give the outcome (status and partial-credit
score); it is compared with the recorded outcome and a mismatch is flagged. Without one, a task
with ground truth is graded by :mod:`trajforge.verify.expected`.
"""

from __future__ import annotations

import math

from trajforge.schema import Label, Outcome
from trajforge.verify.labels import make_label

#: Relative tolerance when comparing recorded and replayed scores.
SCORE_TOLERANCE = 1e-9


def outcome_label(outcome: Outcome) -> Label:
    """The trajectory label of the replayed outcome: value = score, grade = status."""
    passed = sum(c.passed for c in outcome.checks)
    rationale = f"{outcome.status}: {passed} of {len(outcome.checks)} checks passed"
    failed = [c.name for c in outcome.checks if not c.passed]
    if failed:
        rationale += f" (failed: {', '.join(failed)})"
    return make_label(
        "replay",
        "outcome",
        outcome.status,
        "outcome",
        rationale,
        value=outcome.score,
        details={
            "checks": [
                {"name": c.name, "passed": c.passed, "score": c.score} for c in outcome.checks
            ]
        },
    )


def _differences(recorded: Outcome, replayed: Outcome) -> list[str]:
    found: list[str] = []
    if recorded.status != replayed.status:
        found.append(f"status {recorded.status} was recorded, the replay gives {replayed.status}")
    a, b = recorded.score, replayed.score
    if (a is None) != (b is None) or (
        a is not None and b is not None and not math.isclose(a, b, rel_tol=SCORE_TOLERANCE)
    ):
        found.append(f"score {a} was recorded, the replay gives {b}")
    names = [c.name for c in recorded.checks]
    if recorded.checks and names != [c.name for c in replayed.checks]:
        found.append(
            f"checks {', '.join(names)} were recorded, the replay has "
            f"{', '.join(c.name for c in replayed.checks) or 'none'}"
        )
    elif recorded.checks:  # checks may share a name (one per order, say): compare by position
        for index, (check, other) in enumerate(zip(recorded.checks, replayed.checks, strict=True)):
            if other.passed != check.passed:
                verdict = "passed" if check.passed else "failed"
                found.append(f"check {index} ({check.name!r}) {verdict} as recorded, not on replay")
    recorded_digest = recorded.final_state_digest
    if recorded_digest is not None and recorded_digest != replayed.final_state_digest:
        found.append(
            f"final state digest {recorded_digest} was recorded, the replay gives "
            f"{replayed.final_state_digest}"
        )
    return found


def compare_outcome(recorded: Outcome, replayed: Outcome) -> Label | None:
    """An ``outcome_mismatch`` error when the recorded outcome is not the replayed one."""
    if recorded.status == "unknown" and not recorded.checks and recorded.score is None:
        return None  # nothing was recorded to compare
    found = _differences(recorded, replayed)
    if not found:
        return None
    return make_label(
        "replay",
        "outcome_mismatch",
        "error",
        "outcome",
        "; ".join(found),
        details={
            "recorded_status": recorded.status,
            "replayed_status": replayed.status,
            "recorded_score": recorded.score,
            "replayed_score": replayed.score,
        },
    )
