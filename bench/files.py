"""What the benches share about files: lines in batches, decoding timed apart from reading,
and the peak memory of a ``trajforge`` command run in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from timing import CPU, Spent


def batches(path: Path, size: int = 10_000) -> Iterator[list[bytes]]:
    """The file's lines in batches, so decoding can be timed apart from reading."""
    with path.open("rb") as f:
        while batch := list(islice(f, size)):
            yield batch


def decode_case(path: Path, decode: Callable[[bytes], object]) -> Callable[[], Spent]:
    """A case calling ``decode`` on every line of the file, charged the decoding alone (the
    file is read in batches, untimed)."""

    def case() -> Spent:
        spent = 0.0
        for batch in batches(path):
            start = CPU.now()
            for line in batch:
                decode(line)
            spent += CPU.now() - start
        return Spent(spent)

    return case


def count_lines(path: Path) -> int:
    """How many lines (trajectories) a JSONL file holds."""
    return sum(len(batch) for batch in batches(path))


def peak_rss_mb(*args: str) -> float:
    """Peak resident memory of ``trajforge ARGS`` run in a fresh process, in MB."""
    script = Path(__file__).parent / "peak_rss.py"
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"trajforge {' '.join(args)} failed: {proc.stderr}")
    return float(proc.stderr.rsplit("PEAK_RSS_MB=", 1)[1])
