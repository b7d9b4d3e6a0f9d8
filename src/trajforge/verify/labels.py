"""Labels of the verify stage: one per problem, saying which check found it, where and why."""

from __future__ import annotations

from typing import Any, Final, Literal

from trajforge.schema import Label, LabelSource, Trajectory

#: The version recorded on every verify label and on the verify stage record.
VERSION: Final = "1"
#: Source kinds this stage writes; re-verifying replaces labels of these kinds.
OWN_KINDS: Final = frozenset({"verify", "replay"})


def make_label(
    kind: Literal["verify", "replay"],
    check: str,
    grade: str,
    target: str | None,
    rationale: str,
    *,
    value: float | None = None,
    details: dict[str, Any] | None = None,
) -> Label:
    """A label named after its check, from source ``kind`` with the check as id."""
    return Label(
        name=check,
        source=LabelSource(kind=kind, id=check, version=VERSION),
        value=value,
        grade=grade,
        rationale=rationale,
        target=target,
        details=details or {},
    )


def strip_own_labels(trajectory: Trajectory) -> None:
    """Remove labels an earlier verify pass left, so that verifying again does not duplicate."""
    if any(label.source.kind in OWN_KINDS for label in trajectory.labels):
        trajectory.labels = [x for x in trajectory.labels if x.source.kind not in OWN_KINDS]
    for step in trajectory.steps:
        labels = step.labels
        if labels and any(label.source.kind in OWN_KINDS for label in labels):
            step.labels = [x for x in labels if x.source.kind not in OWN_KINDS]
