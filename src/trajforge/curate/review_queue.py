"""The files between audit sampling and human review: the review queue that ``[audit]`` writes,
and the reviewers' results that ``trajforge audit summary`` reads. Both are JSON Lines.

Queue entry (one per sampled trajectory, grouped by stratum, in sampling order)::

    {"id": "support-17", "stratum": {"environment": "support", "outcome": "failure"},
     "stratum_size": 120, "stratum_sample": 5, "trajectory": {...the trajectory record...}}

``stratum_size`` is how many trajectories of that stratum the step saw and ``stratum_sample``
how many of them the queue holds, so each entry stands for ``stratum_size / stratum_sample`` of
the dataset.

Result (one per reviewed trajectory; the review workspace writes them)::

    {"id": "support-17", "verdict": "needs-fix", "reviewer": "ana",
     "step_errors": [{"step": 3, "kind": "wrong-argument", "note": "refund to the wrong card"}],
     "note": "fixable"}

``verdict`` is ``accept``, ``reject`` or ``needs-fix`` (both of the latter count as errors);
``step_errors`` (optional) flags steps by index (0-based, as ``trajforge head`` numbers them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import msgspec

from trajforge.io import iter_lines
from trajforge.schema.codec import schema_error, syntax_error

T = TypeVar("T")

Verdict = Literal["accept", "reject", "needs-fix"]
#: The verdicts that count as an error of the data.
ERROR_VERDICTS: frozenset[str] = frozenset({"reject", "needs-fix"})


class QueueEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One sampled trajectory in the review queue (the trajectory kept as its JSON)."""

    id: str
    stratum: dict[str, str]
    stratum_size: Annotated[int, msgspec.Meta(ge=1)]
    stratum_sample: Annotated[int, msgspec.Meta(ge=1)]
    trajectory: msgspec.Raw


class StepError(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A step a reviewer flagged: its index, and what is wrong there."""

    step: Annotated[int, msgspec.Meta(ge=0)]
    kind: str | None = None
    note: str | None = None


class AuditResult(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A reviewer's verdict on one queued trajectory."""

    id: str
    verdict: Verdict
    reviewer: str | None = None
    step_errors: list[StepError] = []
    note: str | None = None


class _Steps(msgspec.Struct):
    """Just the steps of a trajectory, undecoded, to count them."""

    steps: list[msgspec.Raw] = []


def read_entries(path: str | Path, kind: type[T]) -> Iterator[tuple[int, T]]:
    """The records of a JSONL file as ``kind``, each with its line number; a bad line raises
    an InputError naming the file, the line and the field."""
    decoder = msgspec.json.Decoder(kind)
    for raw in iter_lines(path):
        try:
            yield raw.line, decoder.decode(raw.data)
        except msgspec.ValidationError as exc:
            raise schema_error(exc).located(file=raw.file, line=raw.line) from None
        except msgspec.DecodeError as exc:
            raise syntax_error(exc).located(file=raw.file, line=raw.line) from None


def step_count(entry: QueueEntry) -> int:
    """How many steps the queued trajectory has (a ValidationError if it is not a record)."""
    return len(msgspec.json.decode(entry.trajectory, type=_Steps).steps)
