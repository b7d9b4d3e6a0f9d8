"""map_ordered: the same results as a plain map, in order, from worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial

import msgspec
import pytest

from tests.io.sample_data import canonical, generated_trajectory
from trajforge.errors import ConfigError
from trajforge.io.pool import map_ordered
from trajforge.schema import Trajectory


def tag(trajectory: Trajectory, key: str) -> Trajectory:
    """Record which process handled the trajectory."""
    metadata = {**trajectory.metadata, key: os.getpid()}
    return msgspec.structs.replace(trajectory, metadata=metadata)


@pytest.mark.parametrize("spawn", [False, True])
def test_results_come_back_in_order_from_other_processes(spawn: bool) -> None:
    trajectories = [canonical(generated_trajectory(i, steps=2)) for i in range(40)]
    out = list(map_ordered(partial(tag, key="pid"), trajectories, workers=2, chunk=3, spawn=spawn))
    assert [t.id for t in out] == [t.id for t in trajectories]
    assert all(t.metadata["pid"] != os.getpid() for t in out)
    plain = [msgspec.structs.replace(t, metadata={}) for t in out]
    assert plain == [msgspec.structs.replace(t, metadata={}) for t in trajectories]


def test_one_worker_maps_here_and_lazily() -> None:
    def endless() -> object:
        i = 0
        while True:
            yield canonical(generated_trajectory(i, steps=1))
            i += 1

    stream = map_ordered(partial(tag, key="pid"), endless(), workers=1)  # type: ignore[arg-type]
    first = next(stream)
    assert first.metadata["pid"] == os.getpid()


def test_work_that_cannot_travel_is_a_config_error() -> None:
    trajectories = [canonical(generated_trajectory(0, steps=1))]
    with pytest.raises(ConfigError, match="worker processes"):
        next(map_ordered(lambda t: t, trajectories, workers=2))


#: A map whose third ``submit`` is interrupted between recording the chunk as pending and
#: queueing it for the workers (a KeyboardInterrupt can land there); the script prints "stopped"
#: once the pool is shut down, and must then exit.
_INTERRUPTED_SUBMIT = """
import concurrent.futures.process as cfp
from trajforge.io import pool

class Interrupted(cfp.ProcessPoolExecutor):
    submits = 0

    def submit(self, fn, /, *args, **kwargs):
        Interrupted.submits += 1
        if Interrupted.submits == 3:
            put = self._work_ids.put

            def interrupted(item, *a, **k):
                self._work_ids.put = put
                raise KeyboardInterrupt

            self._work_ids.put = interrupted
        return super().submit(fn, *args, **kwargs)

pool.ProcessPoolExecutor = Interrupted
try:
    list(pool.map_chunks(len, range(100), workers=2, chunk=4))
except KeyboardInterrupt:
    print("stopped")
"""


def test_an_interrupt_inside_submit_does_not_hang_the_pool() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _INTERRUPTED_SUBMIT],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the pool waited forever for a chunk no worker was given")
    assert (done.returncode, done.stdout) == (0, "stopped\n"), done.stderr
