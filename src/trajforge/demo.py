"""The run behind ``trajforge demo`` (every environment, its expert, mistakes and flaky tools)
and the bundled example data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from trajforge.agents.registry import with_experts
from trajforge.grade.aggregate import ScoreStage
from trajforge.grade.rules import RuleGrader
from trajforge.pipeline.stage import Stage
from trajforge.run.spec import RunSpec, spec_from_flags
from trajforge.verify import VerifyStage

EPISODES_PER_ENVIRONMENT = 12


def demo_spec(seed: int = 7) -> RunSpec:
    """A small mixed run: each environment with an expert, 15% mistakes, the flaky profile."""
    mixes = [
        {"env": name, "tasks": EPISODES_PER_ENVIRONMENT, "mistakes": 0.15, "faults": "flaky"}
        for name in with_experts()
    ]
    return spec_from_flags(
        {"mix": mixes, "seed": seed, "shard_size": 20, "format": "jsonl.zst", "concurrency": 4}
    )


def demo_stages() -> list[Stage]:
    """What the demo runs on the generated data: verify (with replay), every rule, the score."""
    return [VerifyStage(), RuleGrader(), ScoreStage()]


def example_path() -> Path:
    """The bundled example: OpenAI-style chat records with tool calls."""
    return Path(str(resources.files("trajforge") / "data" / "example_chats.jsonl"))
