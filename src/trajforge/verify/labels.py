"""Labels of the verify stage: one per problem, saying which check found it, where and why."""

from __future__ import annotations

from typing import Any, Final, Literal

from trajforge.schema import Label, LabelSource

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


def owns_label(label: Label) -> bool:
    """Whether ``label`` is one the verify stage gives (re-verifying replaces these)."""
    return label.source.kind in OWN_KINDS
