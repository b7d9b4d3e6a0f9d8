"""Streaming IO benchmark: decode+validate vs bare orjson, JSONL -> Parquet, peak memory.

Run: ``.venv/bin/python bench/io.py`` (``--n 20000`` for a quicker run). Every number is printed
next to a baseline measured in the same run, as a ratio. Targets (issue 2): decode+validate
>= 0.7 of bare ``orjson.loads``; peak RSS flat between 10k and 100k trajectories, under 300 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import orjson

from trajforge.io import read_trajectories, write_trajectories
from trajforge.schema import TrajectoryDecoder

sys.path.insert(0, str(Path(__file__).parent))
from synth import write_jsonl

DATA = Path(__file__).parent / "_data"


def batches(path: Path, size: int = 10_000) -> Iterator[list[bytes]]:
    """The file's lines in batches, so decoding can be timed apart from reading."""
    with path.open("rb") as f:
        while batch := list(islice(f, size)):
            yield batch


def time_decode(path: Path, decode: Callable[[bytes], object]) -> tuple[float, int]:
    """Seconds spent in ``decode`` over every line, and the line count."""
    spent, count = 0.0, 0
    for batch in batches(path):
        start = time.perf_counter()
        for line in batch:
            decode(line)
        spent += time.perf_counter() - start
        count += len(batch)
    return spent, count


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_rss_mb(*args: str) -> float:
    """Peak resident memory of ``trajforge ARGS`` run in a fresh process, in MB."""
    script = Path(__file__).parent / "peak_rss.py"
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"trajforge {' '.join(args)} failed: {proc.stderr}")
    return float(proc.stderr.rsplit("PEAK_RSS_MB=", 1)[1])


def sha256(path: Path) -> str:
    """Hash of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def row(name: str, value: str, ratio: str = "", target: str = "") -> None:
    """One aligned line of the report."""
    print(f"{name:<44} {value:>18} {ratio:>10}  {target}")


def main() -> None:
    """Run every measurement and print the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000, help="trajectories in the big file")
    args = parser.parse_args()
    small_n = max(1, args.n // 10)
    big = write_jsonl(DATA / f"io-{args.n}.jsonl", args.n)
    small = write_jsonl(DATA / f"io-{small_n}.jsonl", small_n)
    size_mb = big.stat().st_size / 1e6
    print(f"file: {big.name}, {args.n:,} trajectories x 10 steps, {size_mb:,.0f} MB")
    print(f"{'measure':<44} {'value':>18} {'ratio':>10}  target")

    bare_s, n = time_decode(big, orjson.loads)
    typed_s, _ = time_decode(big, TrajectoryDecoder().decode)
    row("bare orjson.loads (baseline)", f"{n / bare_s:,.0f} rec/s", "1.00")
    row("typed decode + validate", f"{n / typed_s:,.0f} rec/s", f"{bare_s / typed_s:.2f}", ">= 0.7")

    read_s = timed(lambda: sum(1 for _ in read_trajectories(str(big))))
    row(
        "read_trajectories (file + decode + validate)",
        f"{n / read_s:,.0f} rec/s",
        f"{bare_s / read_s:.2f}",
    )

    parquet = DATA / f"io-{args.n}.parquet"
    back = DATA / f"io-{args.n}.back.jsonl"
    to_parquet_s = timed(lambda: write_trajectories(str(parquet), read_trajectories(str(big))))
    row(
        "JSONL -> Parquet",
        f"{n / to_parquet_s:,.0f} rec/s",
        f"{read_s / to_parquet_s:.2f}",
        "(ratio: vs read alone)",
    )
    row(
        "  Parquet size vs JSONL",
        f"{parquet.stat().st_size / 1e6:,.0f} MB",
        f"{parquet.stat().st_size / big.stat().st_size:.2f}",
    )
    from_parquet_s = timed(lambda: write_trajectories(str(back), read_trajectories(str(parquet))))
    row(
        "Parquet -> JSONL",
        f"{n / from_parquet_s:,.0f} rec/s",
        f"{read_s / from_parquet_s:.2f}",
        "(ratio: vs read alone)",
    )
    row("  JSONL -> Parquet -> JSONL byte-identical", str(sha256(back) == sha256(big)))

    for label, fmt in (("JSONL -> Parquet", "parquet"), ("JSONL -> JSONL.zst", "jsonl.zst")):
        small_out = DATA / f"rss-small.{fmt}"
        big_out = DATA / f"rss-big.{fmt}"
        rss_small = peak_rss_mb("convert", str(small), str(small_out))
        rss_big = peak_rss_mb("convert", str(big), str(big_out))
        row(f"peak RSS {label}, {small_n:,}", f"{rss_small:,.0f} MB")
        row(
            f"peak RSS {label}, {args.n:,}",
            f"{rss_big:,.0f} MB",
            f"{rss_big / rss_small:.2f}",
            "flat (~1.0), < 300 MB",
        )
        small_out.unlink()
        big_out.unlink()
    parquet.unlink()
    back.unlink()


if __name__ == "__main__":
    main()
