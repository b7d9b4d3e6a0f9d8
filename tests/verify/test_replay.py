"""Replay: correct trajectories replay clean; edits are caught at the step where they start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from tests.verify.episodes import episode, with_faults
from trajforge.agents.registry import with_experts
from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS
from trajforge.io import read_trajectories
from trajforge.run.runner import Runner
from trajforge.run.spec import MixSpec, RunSpec
from trajforge.schema import Label, ToolCall, ToolResult, Trajectory
from trajforge.verify import pair_calls, replay_trajectory

ENVS = sorted(ENVIRONMENTS)


def replay(t: Trajectory) -> list[tuple[int | None, Label]]:
    result = replay_trajectory(t, pair_calls(t), ENVIRONMENT_CLASSES)
    assert result.replayed
    return result.labels


def found(t: Trajectory) -> list[tuple[int | None, str, str]]:
    return [(step, label.name, label.grade or "") for step, label in replay(t)]


def copy(t: Trajectory) -> Trajectory:
    return msgspec.json.decode(msgspec.json.encode(t), type=Trajectory)


def result_steps(t: Trajectory) -> list[int]:
    """Steps holding an ok tool result, latest first."""
    return [
        i
        for i, step in reversed(list(enumerate(t.steps)))
        if any(type(o) is ToolResult and o.status == "ok" for o in step.observations)
    ]


@pytest.mark.parametrize("env", ENVS)
def test_a_correct_trajectory_replays_clean(env: str) -> None:
    t = episode(env, 0)
    result = replay_trajectory(t, pair_calls(t), ENVIRONMENT_CLASSES)
    assert result.labels == []
    assert result.compared == sum(
        1 for s in t.steps for o in s.observations if type(o) is ToolResult
    )
    assert result.outcome == t.outcome


@pytest.mark.parametrize("env", ENVS)
def test_injected_faults_replay_too(env: str) -> None:
    t = with_faults(env)
    assert found(t) == []


@pytest.mark.parametrize("env", ENVS)
def test_an_edited_observation_is_caught_at_its_step(env: str) -> None:
    t = copy(episode(env, 1))
    k = result_steps(t)[len(result_steps(t)) // 2]
    observation = next(o for o in t.steps[k].observations if type(o) is ToolResult)
    observation.content = observation.content.replace("1", "7", 1) + " "
    labels = replay(t)
    assert [(s, label.name, label.grade) for s, label in labels] == [
        (k, "observation_mismatch", "error")
    ]
    index = t.steps[k].observations.index(observation)
    assert labels[0][1].target == f"steps[{k}].observations[{index}].content"


@pytest.mark.parametrize("env", ENVS)
def test_a_hallucinated_error_status_is_caught(env: str) -> None:
    t = copy(episode(env, 2))
    k = result_steps(t)[-1]
    observation = next(o for o in t.steps[k].observations if type(o) is ToolResult)
    observation.status = "error"
    assert found(t) == [(k, "observation_mismatch", "error")]


def test_a_diverging_state_is_flagged_where_it_starts() -> None:
    env = "dataops"
    t = copy(episode(env, 0))
    writes = [
        i
        for i, step in enumerate(t.steps)
        if any(
            type(a) is ToolCall and not ENVIRONMENT_CLASSES[env].tools[a.name].read_only
            for a in step.actions
        )
    ]
    k = writes[0]
    for step in t.steps[k:]:
        step.env_state_digest = "0" * 24  # as if the recorded run reached other states
    assert found(t) == [(k, "state_mismatch", "error")]


def test_an_unknown_fault_profile_is_skipped_with_a_warning() -> None:
    t = copy(episode("dataops", 0))
    t.provenance.fault_profile = "custom-profile"
    result = replay_trajectory(t, pair_calls(t), ENVIRONMENT_CLASSES)
    assert not result.replayed
    assert [(s, label.name, label.grade) for s, label in result.labels] == [
        (None, "replay_skipped", "warning")
    ]


def test_trajectories_of_unregistered_environments_are_not_replayed() -> None:
    t = copy(episode("dataops", 0))
    t.task.environment = "elsewhere"
    result = replay_trajectory(t, pair_calls(t), ENVIRONMENT_CLASSES)
    assert (result.replayed, result.labels) == (False, [])


def test_branches_replay_from_the_start(tmp_path: Path) -> None:
    env = next(e for e in ("support", "dataops", *ENVS) if e in with_experts())
    spec = RunSpec(
        mix=[MixSpec(env=env, tasks=3, mistakes=0.3, faults="hostile")],
        seed=3,
        format="jsonl",
        branch_at=[2],
        branches=2,
        concurrency=1,
    )
    asyncio.run(Runner(spec, tmp_path / "run").run())
    trajectories = list(read_trajectories(tmp_path / "run"))
    assert any(t.provenance.parent_id for t in trajectories)
    for t in trajectories:
        assert found(t) == [], t.id
