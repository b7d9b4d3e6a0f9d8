"""On the real tau-bench and tau2-bench results in the fixtures, the outcome verify works out
from the ground truth agrees with each file's own reward, and does not depend on it: the same
outcome comes out when the rewards (and the source's grading details) are removed first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from trajforge.formats.registry import get_reader
from trajforge.schema import Trajectory
from trajforge.verify import verify_trajectory

FIXTURES = Path(__file__).parents[1] / "fixtures"
FILES = [
    ("tau-bench", FIXTURES / "tau_bench" / "gpt-4o-airline.json"),
    ("tau2-bench", FIXTURES / "tau2_bench" / "telecom_gpt-4o_simulation.json"),
    ("tau2-bench", FIXTURES / "tau2_bench" / "airline_tau3_whissle_run1.json"),
]
#: The issue's target: the computed outcome agrees with the file's reward this often.
TARGET = 0.95


def verified(format_name: str, path: Path) -> list[Trajectory]:
    return [verify_trajectory(t) for t in get_reader(format_name)(str(path), None)]


def agrees(t: Trajectory) -> bool:
    """A reward of 1 is a success, any other a failure (tau-bench's rewards are 0 or 1)."""
    return (t.outcome.status == "success") == (t.outcome.source_reward == 1.0)


@pytest.fixture(scope="module")
def graded() -> list[list[Trajectory]]:
    return [verified(name, path) for name, path in FILES]


def test_the_outcome_agrees_with_the_files_rewards(graded: list[list[Trajectory]]) -> None:
    every = [t for file in graded for t in file]
    assert len(every) == 18
    assert all(t.outcome.source_reward is not None for t in every)
    assert sum(map(agrees, every)) / len(every) >= TARGET


def _without_rewards(data: Any) -> Any:
    """tau-bench's ``reward`` and ``info.reward_info``; tau2-bench's ``reward_info``."""
    for result in data if isinstance(data, list) else data["simulations"]:
        result.pop("reward", None)
        result.pop("reward_info", None)
        if isinstance(result.get("info"), dict):
            result["info"].pop("reward_info", None)
    return data


@pytest.mark.parametrize(("format_name", "path"), FILES, ids=lambda v: getattr(v, "stem", v))
def test_the_outcome_is_the_same_without_the_rewards(
    format_name: str, path: Path, tmp_path: Path, graded: list[list[Trajectory]]
) -> None:
    bare = tmp_path / path.name
    bare.write_text(json.dumps(_without_rewards(json.loads(path.read_text()))))
    with_rewards = graded[[p for _, p in FILES].index(path)]
    without = verified(format_name, bare)
    assert [t.outcome.source_reward for t in without] == [None] * len(with_rewards)
    assert [t.outcome for t in without] == [
        msgspec.structs.replace(t.outcome, source_reward=None) for t in with_rewards
    ]
