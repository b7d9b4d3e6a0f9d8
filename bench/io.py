"""Streaming IO benchmark: decode+validate vs bare orjson, JSONL -> Parquet, shard hash checks,
peak memory.

Run: ``.venv/bin/python bench/io.py`` (``--n 20000`` for a quicker run, ``--repeats`` for more
rounds). Every timing is CPU time of this process, min / median of rounds in which the subject
and its baseline alternate, and is printed next to that baseline as a ratio. Decoding is timed
over the big file (``--n`` trajectories); the Parquet conversions, whose one pass costs about ten
times a decoding pass, over the small one (a tenth of it) against reading that file alone. The
sha256 check of a dataset's shards against its manifest is timed over the small file written as
shard directories (JSONL, JSONL.zst, Parquet), read with the check against without it. Peak
memory is measured in fresh processes. Targets (issue 2): decode+validate >= 0.7 of bare
``orjson.loads``; peak RSS flat between 10k and 100k trajectories, under 300 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import orjson

from trajforge.io import (
    DataFormat,
    ReadChecks,
    checking,
    read_trajectories,
    write_trajectories,
)
from trajforge.schema import TrajectoryDecoder

sys.path.insert(0, str(Path(__file__).parent))
from files import count_lines, decode_case, peak_rss_mb
from synth import write_jsonl
from timing import header, interleaved, legend, row

DATA = Path(__file__).parent / "_data"


def sha256(path: Path) -> str:
    """Hash of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_dataset(directory: Path, *, hashes: bool) -> int:
    """Read every record of a shard directory, checking the shards' sha256 or not."""
    with checking(ReadChecks(shard_hashes=hashes)):
        return sum(1 for _ in read_trajectories(directory))


def hash_checks(small: Path, m: int, repeats: int) -> None:
    """Reading shard directories with the sha256 check against without it."""
    print(f"time per trajectory, shard directories of {small.name} (10 shards)")
    print(header(f"{m:,} trajectories", ["vs unchecked"], rate="rec/s"))
    formats: tuple[DataFormat, ...] = ("jsonl", "jsonl.zst", "parquet")
    for fmt in formats:
        directory = DATA / f"shards-{fmt.replace('.', '-')}"
        records = read_trajectories(str(small))
        write_trajectories(directory, records, format=fmt, shard_size=max(1, m // 10))
        reading = interleaved(
            {
                "unchecked": lambda d=directory: read_dataset(d, hashes=False),
                "checked": lambda d=directory: read_dataset(d, hashes=True),
            },
            repeats,
        )
        r = {name: timing.per(m) for name, timing in reading.items()}
        base = r["unchecked"]
        print(row(f"{fmt} shards, unchecked (baseline)", base, [base], rate="rec/s"))
        print(row(f"{fmt} shards, sha256 checked", r["checked"], [base], rate="rec/s"))
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()


def main() -> None:
    """Run every measurement and print the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000, help="trajectories in the big file")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    small_n = max(1, args.n // 10)
    big = write_jsonl(DATA / f"io-{args.n}.jsonl", args.n)
    small = write_jsonl(DATA / f"io-{small_n}.jsonl", small_n)
    print(
        f"files: {big.name} ({args.n:,} trajectories x 10 steps, {big.stat().st_size / 1e6:,.0f}"
        f" MB), {small.name} ({small_n:,}, {small.stat().st_size / 1e6:,.0f} MB)"
    )

    n = count_lines(big)
    decoding = interleaved(
        {
            "bare": decode_case(big, orjson.loads),
            "typed": decode_case(big, TrajectoryDecoder().decode),
            "read": lambda: sum(1 for _ in read_trajectories(str(big))),
        },
        args.repeats,
    )
    t = {name: timing.per(n) for name, timing in decoding.items()}
    print(f"time per trajectory; {legend(decoding)}")
    print(header(f"{n:,} trajectories", ["vs bare"], rate="rec/s") + "  target")
    print(row("bare orjson.loads (baseline)", t["bare"], [t["bare"]], rate="rec/s"))
    print(row("typed decode + validate", t["typed"], [t["bare"]], rate="rec/s", note=">= 0.7"))
    print(row("read_trajectories (file + decode + validate)", t["read"], [t["bare"]], rate="rec/s"))

    m = count_lines(small)
    parquet = DATA / f"io-{small_n}.parquet"
    back = DATA / f"io-{small_n}.back.jsonl"
    converting = interleaved(
        {
            "read": lambda: sum(1 for _ in read_trajectories(str(small))),
            "to_parquet": lambda: write_trajectories(str(parquet), read_trajectories(str(small))),
            "from_parquet": lambda: write_trajectories(str(back), read_trajectories(str(parquet))),
        },
        args.repeats,
    )
    c = {name: timing.per(m) for name, timing in converting.items()}
    print(f"time per trajectory; {legend(converting)}")
    print(header(f"{m:,} trajectories", ["vs read alone"], rate="rec/s"))
    print(row("read_trajectories (baseline)", c["read"], [c["read"]], rate="rec/s"))
    print(row("JSONL -> Parquet", c["to_parquet"], [c["read"]], rate="rec/s"))
    print(row("Parquet -> JSONL", c["from_parquet"], [c["read"]], rate="rec/s"))
    ratio = parquet.stat().st_size / small.stat().st_size
    print(f"Parquet size vs JSONL: {parquet.stat().st_size / 1e6:,.1f} MB, ratio {ratio:.2f}")
    print(f"JSONL -> Parquet -> JSONL byte-identical: {sha256(back) == sha256(small)}")
    parquet.unlink()
    back.unlink()
    hash_checks(small, m, args.repeats)

    print("peak RSS of `trajforge convert` in a fresh process (target: flat, ~1.0, < 300 MB)")
    for label, fmt in (("JSONL -> Parquet", "parquet"), ("JSONL -> JSONL.zst", "jsonl.zst")):
        small_out = DATA / f"rss-small.{fmt}"
        big_out = DATA / f"rss-big.{fmt}"
        rss_small = peak_rss_mb("convert", str(small), str(small_out))
        rss_big = peak_rss_mb("convert", str(big), str(big_out))
        print(
            f"  {label:<20} {small_n:>9,}: {rss_small:>5,.0f} MB  {args.n:>9,}: {rss_big:>5,.0f} MB"
            f"  ratio {rss_big / rss_small:.2f}"
        )
        small_out.unlink()
        big_out.unlink()


if __name__ == "__main__":
    main()
