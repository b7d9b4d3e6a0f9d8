"""HTML report benchmark: the time to write the report of 10k trajectories, against the one
streaming pass of ``trajforge stats`` over the same file, and its memory at 2k and 10k.

Run: ``.venv/bin/python bench/report.py`` (``--n 2000`` for a quicker run). The data: a generated
run (support, itops, scheduling; mistakes 0.2, ``flaky`` faults, forks at step 2), graded with
rules and 2 roll-outs per step, then repeated under new ids up to ``--n`` trajectories in one
JSONL file. Times are CPU time of this process, min / median of interleaved rounds
(``bench/timing.py``); memory is the peak of Python allocations (tracemalloc) while writing the
report, for a fifth of the data and for all of it: a streaming report keeps it flat.
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from pathlib import Path

import msgspec
from typer.testing import CliRunner

from timing import header, interleaved, legend, row
from trajforge.cli.app import app
from trajforge.io import read_trajectories, write_trajectories
from trajforge.report.html import write_report
from trajforge.report.stats import compute_stats


def _invoke(*args: str) -> None:
    ran = CliRunner().invoke(app, list(args))
    if ran.exit_code:
        raise SystemExit(ran.output)


def make_data(folder: Path, n: int) -> Path:
    """``n`` graded trajectories in one file (a small graded run, repeated under new ids)."""
    for i, env in enumerate(("support", "itops", "scheduling")):
        _invoke(
            "generate", "--env", env, "--tasks", "20", "--mistakes", "0.2", "--faults", "flaky",
            "--branch-at", "2", "--branches", "1", "--seed", str(i), "--out", str(folder / env),
        )  # fmt: skip
    graded = folder / "graded.jsonl"
    _invoke("grade", str(folder / "*/"), "--out", str(graded), "--rollouts", "2")
    base = list(read_trajectories(graded, None))
    data = folder / f"data-{n}.jsonl"
    copies = (
        msgspec.structs.replace(base[i % len(base)], id=f"{base[i % len(base)].id}-{i}")
        for i in range(n)
    )
    write_trajectories(data, copies)
    return data


def peak_mb(data: Path, out: Path) -> float:
    """The peak of Python allocations while writing the report of ``data``, in MB."""
    tracemalloc.start()
    write_report(data, out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = make_data(folder, args.n)
        fifth = folder / "fifth.jsonl"
        write_trajectories(
            fifth, (t for i, t in enumerate(read_trajectories(data, None)) if i % 5 == 0)
        )
        out = folder / "report.html"
        cases = {
            "stats (one streaming pass, baseline)": lambda: compute_stats(
                read_trajectories(data, None)
            ),
            "write_report": lambda: write_report(data, out),
        }
        timings = interleaved(cases, args.repeats)
        baseline = timings["stats (one streaming pass, baseline)"]
        print(
            f"report of {args.n:,} graded trajectories ({data.stat().st_size / 2**20:.0f} MB JSONL)"
        )
        print(header("case", ["stats / this"]))
        for name, timing in timings.items():
            print(row(name, timing, [baseline]))
        print(legend(timings))
        small, large = peak_mb(fifth, out), peak_mb(data, out)
        print(
            f"peak Python memory: {small:.1f} MB for {args.n // 5:,}, {large:.1f} MB for {args.n:,}"
        )
        print(f"report size: {out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
