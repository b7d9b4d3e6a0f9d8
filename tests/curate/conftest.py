"""Shared inputs of the curation tests: trajforge's own runs, generated and graded once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from trajforge.curate.step import CURATION_STEPS, StepContext
from trajforge.errors import ConfigError
from trajforge.grade.rules.registry import RuleGrader
from trajforge.io import read_trajectories, write_trajectories
from trajforge.pipeline.runner import StageRunner
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Trajectory

#: What ``trajforge generate --config`` makes of these mixes, then ``trajforge grade --rules``:
#: every environment, mistakes recovered from and not, faults of every kind.
MIXES = [
    {"env": "support", "tasks": 120, "mistakes": 0.2, "faults": "flaky"},
    {"env": "itops", "tasks": 80, "mistakes": 0.3, "recover": False, "faults": "hostile"},
    {"env": "scheduling", "tasks": 60},
    {"env": "web", "tasks": 60, "faults": "drift"},
    {"env": "dataops", "tasks": 80, "mistakes": 0.2, "faults": "flaky"},
]


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> list[Trajectory]:
    """400 generated trajectories of the five environments, with the rules' step labels."""
    out = tmp_path_factory.mktemp("generated")
    spec = spec_from_flags({"mix": MIXES, "format": "jsonl", "seed": 1})
    asyncio.run(Runner(spec, out).run())
    return list(StageRunner([RuleGrader()]).stream(read_trajectories(str(out), None)))


@pytest.fixture(scope="session")
def dataset_file(dataset: list[Trajectory], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset as a trajforge JSONL file."""
    path = tmp_path_factory.mktemp("dataset") / "graded.jsonl"
    write_trajectories(path, dataset)
    return path


class Excluded(NamedTuple):
    """A trajectory a step removed, and why."""

    trajectory: Trajectory
    reason: str
    detail: dict[str, Any]


class Ran(NamedTuple):
    """A step run over a stream: what it kept, what it removed, and the step itself."""

    kept: list[Trajectory]
    excluded: list[Excluded]
    step: Any


RunStep = Callable[..., Ran]


@pytest.fixture
def run_step() -> RunStep:
    """Build the step registered for a config table and run it over trajectories."""

    def run(
        name: str, table: Mapping[str, Any], trajectories: Iterable[Trajectory], seed: int = 0
    ) -> Ran:
        excluded: list[Excluded] = []

        def exclude(trajectory: Trajectory, reason: str, **detail: Any) -> None:
            excluded.append(Excluded(trajectory, reason, detail))

        step = CURATION_STEPS.get(name)(table, StepContext(exclude, seed=seed))
        return Ran(list(step(trajectories)), excluded, step)

    return run


def refused(run_step: RunStep, name: str, table: Mapping[str, Any], where: str, says: str) -> None:
    """Building the step ``name`` from ``table`` is a ConfigError located at ``where`` that says
    ``says``."""
    with pytest.raises(ConfigError) as caught:
        run_step(name, table, [])
    assert caught.value.path == where
    assert says in str(caught.value)
