"""What a pipeline stage is: a named, versioned step from a stream of trajectories to a stream.

Every stage has ``name``, ``version`` and ``__call__(stream) -> stream`` (of trajectories), so
a stage is usable alone on any stream. The stage runner (:mod:`trajforge.pipeline.runner`) reads
three optional declarations, each a Protocol below:

- :class:`RecordStage` — ``apply(trajectory) -> Trajectory | None``: the stage works record by
  record (``None`` sets the record aside), so the runner can catch a failure per record, route it
  to the quarantine and go on, and run the stage in worker processes;
- :class:`Parameterized` — ``params``: what the stage was run with, recorded (as a digest too)
  in every trajectory's provenance;
- :class:`Labelling` — ``owns(label)``: which labels the stage gives, so that the runner removes
  the ones an earlier run of it left before it labels again. A label belongs to one stage: no
  two stages of a run may claim the same labels (nor share a name).

:class:`TrajectoryStage` is a convenient base for record stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from trajforge.schema import Label, Trajectory


@runtime_checkable
class Stage(Protocol):
    """A pipeline step: a name, a version, and a stream in, a stream out."""

    name: str
    version: str

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream after this stage."""
        ...


@runtime_checkable
class RecordStage(Protocol):
    """A stage that works one trajectory at a time."""

    def apply(self, trajectory: Trajectory) -> Trajectory | None:
        """The trajectory after this stage (may be the same object, changed), or None to set it
        aside."""
        ...


@runtime_checkable
class Parameterized(Protocol):
    """A stage whose parameters belong in provenance."""

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameters, JSON-like values only."""
        ...


@runtime_checkable
class Labelling(Protocol):
    """A stage that gives labels."""

    def owns(self, label: Label) -> bool:
        """Whether ``label`` is one this stage gives (and replaces when it runs again)."""
        ...


class TrajectoryStage:
    """Base of a record stage: subclasses set ``name`` and ``version`` and define ``apply``
    (and ``owns`` / ``params`` when they label or take parameters)."""

    name: str = ""
    version: str = "1"

    @property
    def params(self) -> Mapping[str, Any]:
        """No parameters unless a subclass has some."""
        return {}

    def owns(self, label: Label) -> bool:
        """No labels unless a subclass gives some."""
        return False

    def apply(self, trajectory: Trajectory) -> Trajectory | None:
        """The trajectory after this stage."""
        raise NotImplementedError

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Apply the stage to a stream (records set aside are dropped)."""
        for trajectory in trajectories:
            result = self.apply(trajectory)
            if result is not None:
                yield result


def stage_params(stage: object) -> Mapping[str, Any]:
    """A stage's declared parameters (none if it declares none)."""
    return stage.params if isinstance(stage, Parameterized) else {}
