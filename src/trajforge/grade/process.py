"""Monte-Carlo process labels (Math-Shepherd style, adapted to tool use).

For each step k of a trajectory from a registered environment, the environment is restored as it
was *after* step k (the recorded actions 0..k replayed in a fresh environment with the same task,
seed and fault profile), ``rollouts`` continuations are played from there by a chosen policy (the
environment's scripted expert with injected mistakes, or any policy maker such as an LLM agent's),
each with its own seed, and step k is labelled with the share of continuations that reach the goal
(``outcome.status == "success"``)::

    Label(name="process", source=LabelSource(kind="rollout", id="expert+mistakes0.1",
          version=...), value=share, target="steps[k]",
          details={"n": 8, "policy": ..., "seeds": [...], "successes": ..., "mean_score": ...})

Steps from the first one whose replayed state digest differs from the recorded one carry
``replay_diverged_at`` in their details (continuations start from the replayed state).
A step that ends the episode (a finish or a hand-off) needs no rollouts: its label is the replayed
outcome (1 for success, else 0; ``n`` = 0, ``terminal`` true); a last step that does not end it
(a budget ran out) is rolled out like the others. A step whose mistake makes the goal
unreachable therefore gets a label near 0 while the steps before it keep high ones. Seeds derive
from ``seed``, the trajectory id, k and the continuation's index, so labels are deterministic for
a fixed seed (as far as the policy is: an LLM endpoint may not be).

Trajectories that cannot be rolled out (no registered environment, a custom fault profile, no
expert for the environment) get a trajectory label ``process_skipped`` saying why; in
:func:`label_stream` one that fails gets ``process_error`` and the stream goes on.
:func:`label_stream` runs trajectories in a pool of worker processes (environments hold SQLite
connections and cannot be pickled, so each worker rebuilds everything from the trajectory) and
yields them in input order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Literal, TypedDict, Unpack

import msgspec

from trajforge.agents.registry import PolicyMaker
from trajforge.engine import Engine, active_engine
from trajforge.envs.base import derive_seed
from trajforge.errors import ConfigError, EndpointDownError
from trajforge.grade.rollouts import (
    Continuation,
    Continuations,
    Prefixes,
    RolloutPolicy,
    replay_prefixes,
    unsupported,
)
from trajforge.io.pool import map_ordered
from trajforge.pipeline.provenance import clear_labels, record_stage, stage_record
from trajforge.schema import Label, LabelSource, Trajectory

#: The version of the labelling procedure, recorded on the stage record.
VERSION: Final = "1"
PROCESS: Final = "process"
SKIPPED: Final = "process_skipped"
ERROR: Final = "process_error"
STAGE: Final = "process_labels"
_OWN_NAMES = frozenset({PROCESS, SKIPPED, ERROR})

PolicyChoice = Literal["expert"] | PolicyMaker | RolloutPolicy


@dataclass(frozen=True)
class ProcessOptions:
    """How process labels are made.

    ``rollouts``: continuations per step. ``max_steps``: the most steps one continuation may
    take. ``concurrency``: continuations of one trajectory in flight at once (matters for LLM
    policies; scripted experts never wait).
    """

    rollouts: int = 8
    policy: RolloutPolicy = field(default_factory=RolloutPolicy)
    seed: int = 0
    max_steps: int = 50
    concurrency: int = 8

    @property
    def params(self) -> dict[str, Any]:
        """What the labels depend on, as recorded in provenance."""
        return {
            "rollouts": self.rollouts,
            "policy": self.policy.label_id,
            "mistakes": self.policy.mistakes,
            "seed": self.seed,
            "max_steps": self.max_steps,
        }

    def __post_init__(self) -> None:
        for name in ("rollouts", "max_steps", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, not {getattr(self, name)}")


class OptionArgs(TypedDict, total=False):
    """The keyword arguments of :func:`make_options`."""

    rollouts: int
    policy: PolicyChoice
    mistakes: float
    seed: int
    max_steps: int
    concurrency: int


def make_options(
    *,
    rollouts: int = 8,
    policy: PolicyChoice = "expert",
    mistakes: float = 0.1,
    seed: int = 0,
    max_steps: int = 50,
    concurrency: int = 8,
) -> ProcessOptions:
    """Options from plain arguments: ``policy`` is ``"expert"``, a policy maker (wrapped in
    mistakes at ``mistakes``) or a ready ``RolloutPolicy`` (used as it is)."""
    if isinstance(policy, RolloutPolicy):
        chosen = policy
    elif policy == "expert":
        chosen = RolloutPolicy(mistakes=mistakes)
    elif callable(policy):
        chosen = RolloutPolicy(maker=policy, mistakes=mistakes)
    else:
        raise ConfigError(
            f"unknown rollout policy {policy!r}", hint="'expert', a policy maker or a RolloutPolicy"
        )
    return ProcessOptions(
        rollouts=rollouts,
        policy=chosen,
        seed=seed,
        max_steps=max_steps,
        concurrency=concurrency,
    )


def continuation_seeds(trajectory_id: str, seed: int, step: int, n: int) -> list[int]:
    """The seeds of the ``n`` continuations after ``step`` of a trajectory."""
    return [derive_seed("process", seed, trajectory_id, step, i) >> 16 for i in range(n)]


def _source(policy: RolloutPolicy) -> LabelSource:
    return LabelSource(kind="rollout", id=policy.label_id, version=policy.label_version)


def _step_label(k: int, options: ProcessOptions, runs: list[Continuation]) -> Label:
    n = len(runs)
    successes = sum(run.outcome.status == "success" for run in runs)
    mean_score = sum(run.outcome.score or 0.0 for run in runs) / n
    share = successes / n
    policy = options.policy
    return Label(
        name=PROCESS,
        source=_source(policy),
        value=share,
        grade="reachable" if successes else "unreachable",
        rationale=f"{successes} of {n} continuations by {policy.label_id} after this step "
        f"reached the goal (mean score {mean_score:.2f})",
        target=f"steps[{k}]",
        details={
            "n": n,
            "policy": policy.label_id,
            "mistakes": policy.mistakes,
            "seeds": [run.seed for run in runs],
            "successes": successes,
            "mean_score": round(mean_score, 6),
            "mean_steps": round(sum(run.steps for run in runs) / n, 3),
            "budget_exceeded": sum(run.budget_exceeded for run in runs),
        },
    )


def _terminal_label(k: int, options: ProcessOptions, prefixes: Prefixes) -> Label:
    outcome = prefixes.terminal[k]
    success = outcome.status == "success"
    return Label(
        name=PROCESS,
        source=_source(options.policy),
        value=1.0 if success else 0.0,
        grade="reachable" if success else "unreachable",
        rationale=f"the episode ends here; the replayed outcome is {outcome.status}",
        target=f"steps[{k}]",
        details={
            "n": 0,
            "policy": options.policy.label_id,
            "mistakes": options.policy.mistakes,
            "seeds": [],
            "successes": int(success),
            "mean_score": round(outcome.score or 0.0, 6),
            "terminal": True,
        },
    )


def _is_own(source: LabelSource, label: Label) -> bool:
    return label.name in _OWN_NAMES and label.source == source


def _annotated(
    trajectory: Trajectory,
    options: ProcessOptions,
    step_labels: dict[int, Label],
    trajectory_label: Label | None,
) -> Trajectory:
    """A copy of ``trajectory`` with the new labels added (earlier ones of this source are the
    caller's to clear: :func:`_cleared`, or the stage runner)."""
    steps = [
        msgspec.structs.replace(step, labels=[*step.labels, step_labels[k]])
        if k in step_labels
        else step
        for k, step in enumerate(trajectory.steps)
    ]
    labels = (
        trajectory.labels if trajectory_label is None else [*trajectory.labels, trajectory_label]
    )
    return msgspec.structs.replace(trajectory, steps=steps, labels=labels)


def _cleared(trajectory: Trajectory, options: ProcessOptions) -> Trajectory:
    """The trajectory without the labels an earlier run with this rollout policy gave."""
    return clear_labels(trajectory, partial(_is_own, _source(options.policy)))


def _recorded(trajectory: Trajectory, options: ProcessOptions) -> Trajectory:
    """The trajectory with this stage in its provenance."""
    record_stage(trajectory, stage_record(STAGE, VERSION, options.params))
    return trajectory


def _trajectory_label(options: ProcessOptions, name: str, grade: str, why: str) -> Label:
    return Label(name=name, source=_source(options.policy), grade=grade, rationale=why)


async def process_labels_async(trajectory: Trajectory, options: ProcessOptions) -> Trajectory:
    """The labels of :func:`process_labels` in a running event loop, added to a copy (earlier
    ones of the same rollout policy are the caller's to clear)."""
    reason = unsupported(trajectory, options.policy)
    if reason is not None:
        skipped = _trajectory_label(options, SKIPPED, "skipped", reason)
        return _annotated(trajectory, options, {}, skipped)
    prefixes = replay_prefixes(trajectory)
    runner = Continuations(trajectory, prefixes, options.policy, max_steps=options.max_steps)
    limit = asyncio.Semaphore(options.concurrency)

    async def one(k: int, seed: int) -> Continuation:
        async with limit:
            return await runner.run(k, seed)

    labels: dict[int, Label] = {}
    open_steps: list[int] = []
    runs: list[Coroutine[Any, Any, Continuation]] = []
    for k in range(len(prefixes.snapshots)):
        if k in prefixes.terminal:
            labels[k] = _terminal_label(k, options, prefixes)
            continue
        open_steps.append(k)
        seeds = continuation_seeds(trajectory.id, options.seed, k, options.rollouts)
        runs.extend(one(k, s) for s in seeds)
    done = await asyncio.gather(*runs)
    n = options.rollouts
    for i, k in enumerate(open_steps):
        labels[k] = _step_label(k, options, list(done[i * n : (i + 1) * n]))
    diverged = prefixes.diverged_at
    if diverged is not None:  # the recorded episode does not replay: say so where it starts
        for k, label in labels.items():
            if k >= diverged:
                label.details["replay_diverged_at"] = diverged
    return _annotated(trajectory, options, labels, None)


def process_labels(trajectory: Trajectory, **options: Unpack[OptionArgs]) -> Trajectory:
    """A copy of ``trajectory`` with a ``process`` label on every step (see the module docstring);
    ``options`` as :func:`make_options` takes them.

    Raises whatever the environment or the policy raises (an ``EndpointError`` from an LLM, say).
    """
    chosen = make_options(**options)
    labelled = asyncio.run(process_labels_async(_cleared(trajectory, chosen), chosen))
    return _recorded(labelled, chosen)


def label_one(trajectory: Trajectory, options: ProcessOptions) -> Trajectory:
    """Process labels added to one trajectory; a failure becomes a ``process_error`` label,
    except a rollout endpoint taken for down, which stops the stream (nothing else would work)."""
    try:
        return asyncio.run(process_labels_async(trajectory, options))
    except EndpointDownError:
        raise
    except Exception as exc:  # one trajectory's failure must not sink a stream
        why = f"{type(exc).__name__}: {exc}"
        return _annotated(trajectory, options, {}, _trajectory_label(options, ERROR, "error", why))


# ---------------------------------------------------------------- the worker pool


def label_stream(
    trajectories: Iterable[Trajectory], *, workers: int = 2, **options: Unpack[OptionArgs]
) -> Iterator[Trajectory]:
    """Process-label a stream, ``workers`` processes at a time, yielding in input order
    (``options`` as :func:`make_options` takes them).

    ``workers`` <= 1 labels in this process. At most two trajectories per worker are in flight,
    so the stream is consumed lazily. Workers are spawned, so a policy maker must pickle, and a
    script calling this needs the ``if __name__ == "__main__":`` guard.
    """
    return stream(trajectories, make_options(**options), workers=workers)


def stream(
    trajectories: Iterable[Trajectory],
    options: ProcessOptions,
    *,
    workers: int = 2,
) -> Iterator[Trajectory]:
    """:func:`label_stream` with ready options: earlier labels of the same rollout policy
    replaced, the stage recorded."""
    cleared = (_cleared(t, options) for t in trajectories)
    for trajectory in _labelled(cleared, options, workers):
        yield _recorded(trajectory, options)


#: Trajectories per task on a distributed engine.
CLUSTER_CHUNK = 4


def _labelled(
    trajectories: Iterable[Trajectory],
    options: ProcessOptions,
    workers: int,
    engine: Engine | None = None,
) -> Iterator[Trajectory]:
    """Process labels added to each trajectory of a stream, in ``workers`` processes (or on a
    distributed ``engine``'s workers)."""
    if workers <= 1 and not (engine and engine.distributed):
        return (label_one(trajectory, options) for trajectory in trajectories)
    # fresh interpreters (spawn): a policy may hold event loops or threads; one trajectory per
    # task, since one may take seconds (a few on a cluster, where a task costs the driver ~4 ms)
    work = partial(label_one, options=options)
    chunk = CLUSTER_CHUNK if engine and engine.distributed else 1
    return map_ordered(work, trajectories, workers=workers, chunk=chunk, spawn=True, engine=engine)


class ProcessLabelStage:
    """The ``process_labels`` stage: Monte-Carlo labels on every step of a stream, in
    ``workers`` processes of its own (rollouts are the slow part), or as tasks of a distributed
    ``engine`` (default: the one active when the stream is read); ``workers=None``: the
    engine's default number."""

    name = STAGE
    version = VERSION

    def __init__(
        self, options: ProcessOptions, *, workers: int | None = 1, engine: Engine | None = None
    ) -> None:
        self.options = options
        self.workers = workers
        self.engine = engine

    @property
    def params(self) -> dict[str, Any]:
        """What the labels depend on."""
        return self.options.params

    def owns(self, label: Label) -> bool:
        """Labels of this stage's rollout policy."""
        return _is_own(_source(self.options.policy), label)

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream with process labels added (the runner clears and records)."""
        engine = self.engine or active_engine()
        workers = self.workers or engine.default_workers()
        return _labelled(trajectories, self.options, workers, engine)
