"""What the stage runner writes on a trajectory: its stage record, and no stale labels."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from trajforge.schema import Label, StageRecord, Step, Trajectory

LabelTest = Callable[[Label], bool]


def params_digest(params: Mapping[str, Any]) -> str:
    """A short stable digest of a stage's parameters (same parameters, same digest)."""
    data = msgspec.json.encode(params, order="deterministic")
    return hashlib.blake2b(data, digest_size=6).hexdigest()


def stage_record(name: str, version: str, params: Mapping[str, Any]) -> StageRecord:
    """The provenance record of one stage run with ``params``."""
    return StageRecord(
        name=name, version=version, params=dict(params), digest=params_digest(params)
    )


def record_stage(trajectory: Trajectory, record: StageRecord) -> None:
    """Add ``record`` to the trajectory's stages, replacing an earlier run of that stage.

    The trajectory gets a new provenance: one shared with another trajectory (a copy made
    with ``msgspec.structs.replace``) is left as it was.
    """
    provenance = trajectory.provenance
    stages = [s for s in provenance.stages if s.name != record.name]
    stages.append(record)
    trajectory.provenance = msgspec.structs.replace(provenance, stages=stages)


def clear_labels(trajectory: Trajectory, owns: LabelTest) -> Trajectory:
    """The trajectory without the labels ``owns`` claims, on it and on its steps.

    The input is not changed: steps that lose labels are copied, others shared; a trajectory
    with nothing to clear is returned as it is (the common case, checked without copying).
    """
    steps = trajectory.steps
    cleared: list[Step] | None = None
    for k, step in enumerate(steps):
        labels = step.labels
        if labels and any(map(owns, labels)):
            if cleared is None:
                cleared = list(steps)
            cleared[k] = msgspec.structs.replace(step, labels=[x for x in labels if not owns(x)])
    top = trajectory.labels
    clear_top = bool(top) and any(map(owns, top))
    if cleared is None and not clear_top:
        return trajectory
    return msgspec.structs.replace(
        trajectory,
        steps=steps if cleared is None else cleared,
        labels=[x for x in top if not owns(x)] if clear_top else top,
    )
