"""A worker killed mid-run is run again by Ray: the output is the same, with no duplicate."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import msgspec
import pytest
from ray import cloudpickle

from trajforge.engine import Engine
from trajforge.grade import RuleGrader, select_rules
from trajforge.pipeline.job import run_job
from trajforge.schema import Trajectory

pytestmark = pytest.mark.ray

# the workers get this module's stage by value: they cannot import the tests
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class KillOnce:
    """Kills the process it runs in at ``victim``, the first time only (``marker`` says it
    happened)."""

    name = "kill-once"
    version = "1"

    def __init__(self, marker: Path, victim: str) -> None:
        self.marker = marker
        self.victim = victim

    def __call__(self, trajectories: object) -> object:
        raise NotImplementedError  # a record stage: the runner calls apply

    def apply(self, trajectory: Trajectory) -> Trajectory:
        if trajectory.id == self.victim and not self.marker.exists():
            self.marker.touch()
            os._exit(1)  # as a SIGKILL or the OOM killer would: no clean-up, no answer
        return trajectory


def test_a_killed_worker_is_retried_without_duplicates(
    ray_engine: Engine, generated: Path, tmp_path: Path
) -> None:
    parts = sorted(generated.glob("part-*"))
    victim = msgspec.json.decode(parts[1].read_bytes().splitlines()[3])["id"]
    marker = tmp_path / "killed"
    stages = [RuleGrader(select_rules("all")), KillOnce(marker, victim)]
    on_ray = run_job(str(generated), str(tmp_path / "ray.jsonl"), stages, engine=ray_engine)
    assert marker.exists()  # a worker did die
    local = run_job(str(generated), str(tmp_path / "local.jsonl"), stages)  # marker set: no kill
    written = (tmp_path / "ray.jsonl").read_bytes()
    assert written == (tmp_path / "local.jsonl").read_bytes()
    ids = [msgspec.json.decode(line)["id"] for line in written.splitlines()]
    assert len(ids) == len(set(ids)) == on_ray.written.count == local.written.count
