"""The spill: trajectories parked on disk come back equal and in order, and the file goes."""

from __future__ import annotations

from trajforge.curate.trajectory_spill import TrajectorySpill as Spill
from trajforge.schema import Task, Trajectory


def test_trajectories_come_back_equal_and_in_order() -> None:
    parked = [
        Trajectory(id=f"t{i}", task=Task(instruction=f"task {i}\nline two")) for i in range(5)
    ]
    with Spill() as spill:
        for trajectory in parked:
            spill.write(trajectory)
        assert list(spill.read()) == parked
        assert list(spill.read()) == parked  # read again from the start
        handle = spill._file
    assert handle.closed
