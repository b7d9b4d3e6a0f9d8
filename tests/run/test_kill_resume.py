"""A 2,000-episode run killed with SIGKILL at 10 random moments resumes to the same bytes."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trajforge.io import read_trajectories

ARGS = [
    "generate",
    "--env",
    "support",
    "--tasks",
    "2000",
    "--faults",
    "flaky",
    "--mistakes",
    "0.2",
    "--seed",
    "11",
    "--shard-size",
    "150",
    "--concurrency",
    "16",
]


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "trajforge", *ARGS, "--out", str(out)]


def dataset(directory: Path) -> dict[str, str]:
    """Every published file's hash (the journal is work in progress, not data)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@pytest.mark.slow
def test_sigkill_ten_times_then_resume_gives_identical_output(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    subprocess.run(command(reference), check=True, capture_output=True, timeout=600)
    started = time.monotonic()
    subprocess.run(command(tmp_path / "timing"), check=True, capture_output=True, timeout=600)
    full_run_s = time.monotonic() - started

    killed = tmp_path / "killed"
    rng = random.Random(2024)
    kills = 0
    while kills < 10:
        proc = subprocess.Popen(
            command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, max(0.1, full_run_s / 8)))
        if proc.poll() is not None:  # finished before the kill: start over so every kill counts
            pytest.fail("the run finished before it could be killed; make the run longer")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    subprocess.run(command(killed), check=True, capture_output=True, timeout=600)
    assert dataset(killed) == dataset(reference)
    ids = [t.id for t in read_trajectories(killed)]
    assert len(ids) == 2000
    assert len(set(ids)) == 2000
