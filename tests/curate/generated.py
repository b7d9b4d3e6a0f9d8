"""Datasets for the audit, diversity and drift tests, made by trajforge itself (generated once per
test process, then shared)."""

from __future__ import annotations

import asyncio
import tempfile
from functools import cache
from pathlib import Path

from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.rules.registry import RuleGrader
from trajforge.io import read_trajectories
from trajforge.pipeline.runner import StageRunner
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Trajectory


@cache
def generated(
    *mix: tuple[str, int], seed: int = 1, faults: str = "none", mistakes: float = 0.0
) -> tuple[Trajectory, ...]:
    """What ``trajforge generate`` gives for ``mix`` ((environment, episodes) pairs), its expert
    with ``mistakes`` meeting ``faults``, then ``trajforge grade``."""
    spec = spec_from_flags(
        {
            "mix": [
                {"env": env, "tasks": n, "faults": faults, "mistakes": mistakes} for env, n in mix
            ],
            "seed": seed,
            "format": "jsonl",
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        asyncio.run(Runner(spec, out).run())
        graded = StageRunner([RuleGrader(), ScoreStage()]).stream(read_trajectories(out, None))
        return tuple(graded)
