"""Replay verification: re-run the recorded actions in a fresh environment and compare.

A trajectory whose ``task.environment`` is registered is replayed with the same task and seed, in
the same fault profile (``provenance.fault_profile``) so that injected faults come back the same:
tool calls go to ``execute``, other actions to ``observe_action``, as in the episode loop. Each
recorded tool result is compared with the replayed one (content, status, error kind), each step's
``env_state_digest`` with the replayed state's, each step's recorded faults with those injected
again. A mismatch is labelled on the step where it happens (source ``replay``): an edited or
hallucinated observation shows at its own step only, since the environment never sees recorded
observations; a state that diverges (non-determinism, an edited action or digest) is labelled where
the divergence starts, and observation mismatches after it are warnings, likely its consequences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trajforge.envs.base import Environment, EnvironmentLike
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import PROFILES
from trajforge.schema import Label, Outcome, Step, ToolCall, ToolResult, Trajectory
from trajforge.verify.labels import make_label
from trajforge.verify.pairing import CallPair, Pairing

#: How much of a mismatching text a label quotes.
QUOTE = 120


@dataclass(slots=True)
class ReplayResult:
    """What replay found: labels by step (None: the trajectory), the replayed final outcome.

    ``replayed`` is False when the trajectory could not be replayed (``reason`` says why).
    """

    replayed: bool
    reason: str | None = None
    outcome: Outcome | None = None
    labels: list[tuple[int | None, Label]] = field(default_factory=list)
    compared: int = 0
    mismatches: int = 0
    first_mismatch: int | None = None


def replay_seed(trajectory: Trajectory) -> int | None:
    """The seed the episode was reset with: the generator's, else the task's."""
    generator = trajectory.provenance.generator
    if generator is not None and generator.seed is not None:
        return generator.seed
    return trajectory.task.seed


def _quote(text: str) -> str:
    return repr(text if len(text) <= QUOTE else text[: QUOTE - 3] + "...")


def _first_difference(a: str, b: str) -> int:
    for position, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return position
    return min(len(a), len(b))


def _compare(pair: CallPair, replayed: ToolResult, diverged_at: int | None) -> Label | None:
    recorded = pair.result
    if recorded is None:
        return None
    same_content = recorded.content == replayed.content
    same_status = recorded.status == replayed.status and recorded.error_kind == replayed.error_kind
    if same_content and same_status:
        return None
    where = f"steps[{pair.step}].observations[{pair.observation}]"
    parts: list[str] = []
    details: dict[str, object] = {}
    if not same_status:
        parts.append(
            f"status {recorded.status}/{recorded.error_kind or '-'} was recorded, the replay gives "
            f"{replayed.status}/{replayed.error_kind or '-'}"
        )
        details["recorded_status"] = recorded.status
        details["replayed_status"] = replayed.status
        details["recorded_error_kind"] = recorded.error_kind
        details["replayed_error_kind"] = replayed.error_kind
    if not same_content:
        at = _first_difference(recorded.content, replayed.content)
        parts.append(
            f"the content differs from character {at}: recorded {_quote(recorded.content[at:])}, "
            f"replayed {_quote(replayed.content[at:])}"
        )
        details["first_difference"] = at
        details["recorded"] = recorded.content[: QUOTE * 4]
        details["replayed"] = replayed.content[: QUOTE * 4]
    grade = "error"
    message = f"the result of {pair.call.name!r} does not match the replay: " + "; ".join(parts)
    if diverged_at is not None:
        grade = "warning"
        details["after_divergence_at"] = diverged_at
        message += f" (the state diverged at step {diverged_at}, which may explain it)"
    target = f"{where}.content" if not same_content else f"{where}.status"
    return make_label("replay", "observation_mismatch", grade, target, message, details=details)


def _fault_key(step: Step) -> list[tuple[str, str | None, str | None]]:
    return [(f.kind, f.tool, f.call_id) for f in step.faults]


class _Replayer:
    """Replays one trajectory step by step, collecting labels."""

    def __init__(self, trajectory: Trajectory, env: EnvironmentLike, result: ReplayResult) -> None:
        self.trajectory = trajectory
        self.env = env
        self.result = result
        self.diverged_at: int | None = None
        self.state_matches = True

    def add(self, step: int | None, label: Label) -> None:
        self.result.labels.append((step, label))
        if step is not None and label.grade == "error":
            self.result.mismatches += 1
            if self.result.first_mismatch is None:
                self.result.first_mismatch = step

    def step(self, index: int, step: Step, pairs: list[CallPair]) -> None:
        env = self.env
        by_action = {pair.action: pair for pair in pairs}
        for j, action in enumerate(step.actions):
            if type(action) is ToolCall:
                replayed = env.execute(action)
                pair = by_action.get(j)
                if pair is not None and pair.result is not None:
                    self.result.compared += 1
                    label = _compare(pair, replayed, self.diverged_at)
                    if label is not None:
                        self.add(index, label)
            else:
                env.observe_action(action)  # type: ignore[arg-type]  # a text action
        replayed_faults = env.drain_faults()
        if _fault_key(step) != [(f.kind, f.tool, f.call_id) for f in replayed_faults]:
            recorded = ", ".join(f"{f.kind}@{f.tool}" for f in step.faults) or "none"
            again = ", ".join(f"{f.kind}@{f.tool}" for f in replayed_faults) or "none"
            self.add(
                index,
                make_label(
                    "replay",
                    "fault_mismatch",
                    "warning",
                    f"steps[{index}].faults",
                    f"faults recorded: {recorded}; injected on replay: {again}",
                ),
            )
        self._digest(index, step)

    def _digest(self, index: int, step: Step) -> None:
        recorded = step.env_state_digest
        if recorded is None:
            return
        digest = self.env.digest()
        if recorded == digest:
            self.state_matches = True
            return
        if self.state_matches:  # a divergence starts here
            self.add(
                index,
                make_label(
                    "replay",
                    "state_mismatch",
                    "error",
                    f"steps[{index}].env_state_digest",
                    f"the recorded state digest {recorded} differs from the replayed state's "
                    f"{digest}: the episode does not replay from here (non-determinism, or an "
                    "edited action or digest)",
                    details={"recorded": recorded, "replayed": digest},
                ),
            )
            if self.diverged_at is None:
                self.diverged_at = index
        self.state_matches = False


def _skip(reason: str, grade: str = "warning") -> ReplayResult:
    label = make_label("replay", "replay_skipped", grade, None, reason)
    return ReplayResult(replayed=False, reason=reason, labels=[(None, label)])


def replay_trajectory(
    trajectory: Trajectory,
    pairing: Pairing,
    environments: Mapping[str, type[Environment]],
) -> ReplayResult:
    """Replay a trajectory of a registered environment (see the module docstring)."""
    task = trajectory.task
    cls = environments.get(task.environment or "")
    if cls is None:
        return ReplayResult(replayed=False, reason="no registered environment")
    profile = trajectory.provenance.fault_profile or "none"
    if profile not in PROFILES:
        return _skip(
            f"fault profile {profile!r} is not a built-in profile: its faults cannot be replayed"
        )
    result = ReplayResult(replayed=True)
    if task.environment_version is not None and task.environment_version != cls.version:
        result.labels.append(
            (
                None,
                make_label(
                    "replay",
                    "environment_version_mismatch",
                    "warning",
                    "task.environment_version",
                    f"recorded with {cls.name} version {task.environment_version}, replayed with "
                    f"version {cls.version}",
                ),
            )
        )
    env = make_environment(cls, profile)
    replayer = _Replayer(trajectory, env, result)
    index = -1
    try:
        env.reset(task, replay_seed(trajectory))
        for index, step in enumerate(trajectory.steps):
            replayer.step(index, step, pairing.steps[index])
        result.outcome = env.check(task)
    except Exception as exc:  # the environment failing on recorded data must not sink a stream
        step_index = index if index >= 0 else None
        replayer.add(
            step_index,
            make_label(
                "replay",
                "replay_error",
                "error",
                f"steps[{index}]" if index >= 0 else None,
                f"the environment raised {type(exc).__name__}: {exc}",
            ),
        )
        result.outcome = None
    return result
