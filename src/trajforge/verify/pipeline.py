"""The verify stage: format checks, replay and outcome checks on one trajectory or a stream.

:func:`verify_trajectory` annotates a trajectory in place and returns it: problems become labels
on the step they concern (trajectory-level ones on the trajectory), a trajectory label ``verify``
sums up (grade ``pass`` or ``fail``, value 1 or 0, error and warning counts), the verified outcome
is a trajectory label (``outcome`` from replay, ``expected_actions`` from matching) and a
``verify`` stage is recorded in the provenance. Labels from an earlier verify pass are replaced,
so verifying twice gives the same record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import msgspec

from trajforge.envs.base import Environment
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.pipeline.provenance import clear_labels, record_stage, stage_record
from trajforge.pipeline.stage import TrajectoryStage
from trajforge.schema import Label, Outcome, Trajectory
from trajforge.verify.expected import (
    calls_made,
    expected_label,
    has_ground_truth,
    match_expected,
    replies_to_user,
)
from trajforge.verify.format import check_format
from trajforge.verify.labels import VERSION, make_label, owns_label
from trajforge.verify.outcome import compare_outcome, outcome_label
from trajforge.verify.pairing import pair_calls
from trajforge.verify.replay import replay_trajectory
from trajforge.verify.schemas import DEFAULT_CACHE, ValidatorCache

STAGE = "verify"


@dataclass(frozen=True)
class VerifyOptions:
    """Which checks run.

    ``replay``: replay trajectories of registered environments (the slow part: it runs the
    environment again). ``fill_outcome``: a trajectory whose recorded outcome is ``unknown`` gets
    the verified one. ``environments``: the registry to replay in (default: the built-in one).
    """

    format: bool = True
    replay: bool = True
    outcome: bool = True
    fill_outcome: bool = True
    environments: Mapping[str, type[Environment]] | None = None

    @property
    def params(self) -> dict[str, bool]:
        """The checks that run, as recorded in provenance."""
        return {
            "format": self.format,
            "replay": self.replay,
            "outcome": self.outcome,
            "fill_outcome": self.fill_outcome,
        }


class Verifier:
    """Verifies trajectories with one set of options and one validator cache."""

    def __init__(self, options: VerifyOptions | None = None, cache: ValidatorCache | None = None):
        self.options = options or VerifyOptions()
        self.cache = cache if cache is not None else DEFAULT_CACHE
        #: The environments trajectories are replayed in.
        given = self.options.environments
        self.environments = given if given is not None else ENVIRONMENT_CLASSES

    def verify(self, trajectory: Trajectory) -> Trajectory:
        """Annotate ``trajectory`` in place (see the module docstring) and return it."""
        cleared = clear_labels(trajectory, owns_label)
        trajectory.labels, trajectory.steps = cleared.labels, cleared.steps
        self.annotate(trajectory)
        record_stage(trajectory, stage_record(STAGE, VERSION, self.options.params))
        return trajectory

    def annotate(self, trajectory: Trajectory) -> Trajectory:
        """Add this pass's labels to ``trajectory`` in place and return it (labels of an
        earlier pass are the caller's to clear: :meth:`verify` or the stage runner)."""
        options = self.options
        pairing = pair_calls(trajectory)
        found: list[tuple[int | None, Label]] = []
        if options.format:
            table = self.cache.table(trajectory.tools)
            for problem in check_format(trajectory, table, pairing):
                label = make_label(
                    "verify", problem.check, problem.grade, problem.target, problem.message
                )
                found.append((problem.step, label))
        replayed = False
        replayed_outcome: Outcome | None = None
        environment = trajectory.task.environment
        if options.replay and environment is not None and environment in self.environments:
            result = replay_trajectory(trajectory, pairing, self.environments)
            found.extend(result.labels)
            replayed = result.replayed
            replayed_outcome = result.outcome
        if options.outcome:
            if replayed_outcome is not None:
                found.append((None, outcome_label(replayed_outcome)))
                mismatch = compare_outcome(trajectory.outcome, replayed_outcome)
                if mismatch is not None:
                    found.append((None, mismatch))
                self._fill(trajectory, replayed_outcome)
            elif has_ground_truth(trajectory.task):  # no environment, or it could not replay
                match = match_expected(
                    trajectory.task,
                    calls_made(trajectory, pairing),
                    trajectory.tools,
                    replies_to_user(trajectory),
                )
                found.append((None, expected_label(match)))
                self._fill(trajectory, match.outcome)
        self._attach(trajectory, found, replayed)
        return trajectory

    def _fill(self, trajectory: Trajectory, outcome: Outcome) -> None:
        recorded = trajectory.outcome
        if self.options.fill_outcome and recorded.status == "unknown" and not recorded.checks:
            # the source's own reward stays beside trajforge's judgement
            trajectory.outcome = msgspec.structs.replace(
                outcome, source_reward=recorded.source_reward
            )

    @staticmethod
    def _attach(
        trajectory: Trajectory, found: list[tuple[int | None, Label]], replayed: bool
    ) -> None:
        errors = warnings = 0
        steps = trajectory.steps
        for step, label in found:
            if label.grade == "error":
                errors += 1
            elif label.grade == "warning":
                warnings += 1
            if step is None:
                trajectory.labels.append(label)
            else:
                steps[step].labels.append(label)
        verdict = "fail" if errors else "pass"
        rationale = f"{errors} error(s), {warnings} warning(s)" + (", replayed" if replayed else "")
        trajectory.labels.append(
            make_label(
                "verify",
                STAGE,
                verdict,
                None,
                rationale,
                value=0.0 if errors else 1.0,
                details={"errors": errors, "warnings": warnings, "replayed": replayed},
            )
        )

    def stream(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Verify a stream lazily, in order."""
        for trajectory in trajectories:
            yield self.verify(trajectory)


class VerifyStage(TrajectoryStage):
    """The verify stage for the stage runner; only the options travel to worker processes,
    where the Verifier (and its compiled schemas) is built once."""

    name = STAGE
    version = VERSION

    def __init__(self, options: VerifyOptions | None = None) -> None:
        self.options = options or VerifyOptions()

    @property
    def params(self) -> dict[str, bool]:
        """The checks that run."""
        return self.options.params

    #: Verify and replay labels are this stage's (the function itself: called per label).
    owns = staticmethod(owns_label)

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """Annotate the trajectory (in place) and return it."""
        return _verifier_for(self.options).annotate(trajectory)


_cached: tuple[VerifyOptions, Verifier] | None = None


def _verifier_for(options: VerifyOptions) -> Verifier:
    """This process's Verifier for ``options`` (built, and its schemas compiled, once)."""
    global _cached  # noqa: PLW0603 - a per-process cache of the verifier and its schemas
    if _cached is None or _cached[0] != options:
        _cached = (options, Verifier(options))
    return _cached[1]


def verify_trajectory(
    trajectory: Trajectory,
    options: VerifyOptions | None = None,
    *,
    cache: ValidatorCache | None = None,
) -> Trajectory:
    """Verify one trajectory in place and return it (see :class:`Verifier`)."""
    return Verifier(options, cache).verify(trajectory)


def verify_stream(
    trajectories: Iterable[Trajectory],
    options: VerifyOptions | None = None,
    *,
    cache: ValidatorCache | None = None,
) -> Iterator[Trajectory]:
    """Verify a stream of trajectories lazily, in order."""
    return Verifier(options, cache).stream(trajectories)
