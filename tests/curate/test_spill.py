"""The spill: trajectories parked on disk come back equal and in order, with their headers, and
the file goes."""

from __future__ import annotations

from trajforge.curate.spill import Spill
from trajforge.schema import Task, Trajectory


def test_trajectories_come_back_equal_and_in_order_with_their_headers() -> None:
    parked = [
        Trajectory(id=f"t{i}", task=Task(instruction=f"task {i}\nline two")) for i in range(5)
    ]
    with Spill() as spill:
        for i, trajectory in enumerate(parked):
            spill.write(trajectory, b"h" * i)
        assert list(spill.read()) == parked
        assert list(spill.read()) == parked  # read again from the start
        assert list(spill.headers()) == [b"h" * i for i in range(5)]
        assert list(spill.records()) == [(b"h" * i, t) for i, t in enumerate(parked)]
        handle = spill._file
    assert handle.closed
