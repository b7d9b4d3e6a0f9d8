"""A 2,000-episode run killed with SIGKILL at 10 points of its progress resumes to the same bytes.

Each kill waits for the run's progress, not for a delay (a loaded machine could finish the run
first): the test polls what the run has kept (items in its shard journals, ``.journal/``, plus
the items of published shards) and kills once it holds the next target, while the run has not
finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trajforge.io import read_trajectories
from trajforge.io.manifest import MANIFEST_NAME
from trajforge.run.runner import JOURNALS

TASKS = 2000
SHARD_SIZE = 150
SHARDS = -(-TASKS // SHARD_SIZE)
#: Items done when each kill comes: spread over the run and over positions within a shard.
KILL_AT = [60 + 190 * k for k in range(10)]

ARGS = [
    "generate",
    "--env",
    "support",
    "--tasks",
    str(TASKS),
    "--faults",
    "flaky",
    "--mistakes",
    "0.2",
    "--seed",
    "11",
    "--shard-size",
    str(SHARD_SIZE),
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


def items_kept(out: Path) -> int:
    """Items the run has kept so far: a published shard's items, else its journal's whole lines."""
    published = {p.name.split(".", 1)[0] for p in out.glob("part-*")}
    kept = 0
    for shard in range(SHARDS):
        name = f"part-{shard:05d}"
        if name in published:
            kept += min(SHARD_SIZE, TASKS - shard * SHARD_SIZE)
            continue
        # not started, or published since the listing above: nothing to count
        with contextlib.suppress(FileNotFoundError):
            kept += (out / JOURNALS / f"{name}.jsonl").read_bytes().count(b"\n")
    return kept


def complete(out: Path) -> bool:
    """Whether the run's manifest says it finished."""
    try:
        return b'"complete":true' in (out / MANIFEST_NAME).read_bytes().replace(b" ", b"")
    except FileNotFoundError:
        return False


def run_until(out: Path, target: int, timeout_s: float = 300) -> int:
    """Start the run (resuming) and SIGKILL it once it has kept ``target`` items; the items kept
    at the kill."""
    proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    try:
        while (kept := items_kept(out)) < target:
            if proc.poll() is not None:
                pytest.fail(f"the run ended ({proc.returncode}) with {kept} items, before {target}")
            if time.monotonic() > deadline:
                pytest.fail(f"the run kept {kept} items in {timeout_s} s, not {target}")
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before the kill"
    return kept


@pytest.mark.slow
def test_sigkill_ten_times_then_resume_gives_identical_output(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    subprocess.run(command(reference), check=True, capture_output=True, timeout=600)

    killed = tmp_path / "killed"
    for target in KILL_AT:
        kept = run_until(killed, target)
        assert target <= kept < TASKS
        assert not complete(killed)
    subprocess.run(command(killed), check=True, capture_output=True, timeout=600)
    assert complete(killed)
    assert dataset(killed) == dataset(reference)
    ids = [t.id for t in read_trajectories(killed)]
    assert len(ids) == TASKS
    assert len(set(ids)) == TASKS
