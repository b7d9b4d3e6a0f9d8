"""Shared inputs of the export tests: trajforge's own branched runs, generated and graded once,
and a tokenizer for the tokenized export."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.formats.tokenizer_files import TOOLS_TEMPLATE, tokenizer_dir
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.rules.registry import RuleGrader
from trajforge.io import read_trajectories, write_trajectories
from trajforge.pipeline.runner import StageRunner
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Trajectory


@pytest.fixture(scope="session")
def branched(tmp_path_factory: pytest.TempPathFactory) -> list[Trajectory]:
    """What ``trajforge generate --branch-at 2 --branches 3 --mistakes 0.3`` then ``trajforge
    grade`` give: 4 support episodes, each a tree of its run and 3 branches forked at step 2,
    with the generator's and the rules' step labels and a score."""
    out = tmp_path_factory.mktemp("branched")
    spec = spec_from_flags(
        {
            "mix": [{"env": "support", "tasks": 4, "mistakes": 0.3}],
            "branch_at": [2],
            "branches": 3,
            "format": "jsonl",
        }
    )
    asyncio.run(Runner(spec, out).run())
    runner = StageRunner([RuleGrader(), ScoreStage()])
    return list(runner.stream(read_trajectories(str(out), None)))


@pytest.fixture(scope="session")
def branched_file(branched: list[Trajectory], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The branched runs as a trajforge JSONL file."""
    path = tmp_path_factory.mktemp("branched_file") / "runs.jsonl"
    write_trajectories(path, branched)
    return path


@pytest.fixture(scope="session")
def tools_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tokenizer directory whose template shows tools and tool calls (ChatML)."""
    return tokenizer_dir(tmp_path_factory.mktemp("tools-tokenizer"), TOOLS_TEMPLATE)
