"""What the stage runner writes on a trajectory: its stage record, and no stale labels."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from itertools import chain
from operator import attrgetter
from typing import Any

import msgspec

from trajforge.schema import Label, StageRecord, Trajectory

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


def record_stage(trajectory: Trajectory, *records: StageRecord) -> None:
    """Add the stage ``records`` to the trajectory's stages, in order, each replacing an earlier
    run of its stage.

    The trajectory gets a new provenance: one shared with another trajectory (a copy made
    with ``msgspec.structs.replace``) is left as it was.
    """
    provenance = trajectory.provenance
    names = {r.name for r in records}
    stages = [s for s in provenance.stages if s.name not in names]
    stages.extend(records)
    trajectory.provenance = msgspec.structs.replace(provenance, stages=stages)


def clear_labels(trajectory: Trajectory, owns: LabelTest) -> Trajectory:
    """The trajectory without the labels ``owns`` claims, on it and on its steps.

    The input is not changed: steps that lose labels are copied, others shared; a trajectory
    with nothing to clear is returned as it is (the common case, found without a Python loop).
    """
    steps, top = trajectory.steps, trajectory.labels
    if not any(map(owns, chain(top, chain.from_iterable(map(_LABELS, steps))))):
        return trajectory
    cleared = [
        msgspec.structs.replace(s, labels=[x for x in s.labels if not owns(x)])
        if any(map(owns, s.labels))
        else s
        for s in steps
    ]
    return msgspec.structs.replace(
        trajectory, steps=cleared, labels=[x for x in top if not owns(x)]
    )


_LABELS = attrgetter("labels")
