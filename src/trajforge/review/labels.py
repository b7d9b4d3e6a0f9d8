"""What reviewers grade with, and how their grades become schema Labels (source ``human``)."""

from __future__ import annotations

from typing import Final

from trajforge.schema import Label, LabelSource

#: The label classes a reviewer gives a step (the schema's step-label grades).
STEP_CLASSES: Final = (
    "correct",
    "recovery",
    "redundant",
    "error",
    "wrong-argument",
    "hallucinated-argument",
    "violation",
    "unnecessary-tool",
    "missing-tool",
    "premature-finish",
)
#: Classes that say the step was fine.
GOOD_CLASSES: Final = frozenset({"correct", "recovery"})
#: A reviewer's verdict on a whole trajectory (as the audit review queue's results have it).
VERDICTS: Final = ("accept", "reject", "needs-fix")
QUALITY: Final = range(1, 6)

STEP_GRADE: Final = "human_step_grade"
QUALITY_LABEL: Final = "human_quality"
ASK_HUMAN: Final = "should_ask_human"
VERDICT: Final = "review_verdict"


def step_labels(
    step: int, reviewer: str, label: str | None, quality: int | None, ask: bool, comment: str
) -> list[Label]:
    """The labels of one reviewer's grade of step ``step``."""
    source = LabelSource(kind="human", id=reviewer)
    target = f"steps[{step}]"
    rationale = comment or None
    found: list[Label] = []
    if label is not None:
        found.append(
            Label(name=STEP_GRADE, source=source, grade=label, rationale=rationale, target=target)
        )
    if quality is not None:
        found.append(
            Label(
                name=QUALITY_LABEL,
                source=source,
                value=(quality - 1) / 4,
                grade=str(quality),
                rationale=rationale,
                target=target,
            )
        )
    if ask:
        found.append(
            Label(
                name=ASK_HUMAN,
                source=source,
                grade="should-ask-human",
                rationale=rationale or "a human should have been asked at this step",
                target=target,
            )
        )
    return found


def verdict_label(reviewer: str, verdict: str, comment: str) -> Label:
    """The label of one reviewer's verdict on a trajectory."""
    return Label(
        name=VERDICT,
        source=LabelSource(kind="human", id=reviewer),
        value=1.0 if verdict == "accept" else 0.0,
        grade=verdict,
        rationale=comment or None,
    )
