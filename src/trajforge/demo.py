"""The run behind ``trajforge demo``: every environment, its expert, mistakes and flaky tools."""

from __future__ import annotations

from trajforge.agents.registry import with_experts
from trajforge.run.spec import RunSpec, spec_from_flags

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
