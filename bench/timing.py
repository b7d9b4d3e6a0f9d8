"""Interleaved timing for the benches: subject and baseline alternate (A B A B ...), min / median.

On a shared machine one pass of each in a fixed order compares a quiet moment with a busy one.
Here every case runs once per round, the rounds repeat, and each case's samples give its min and
median; a ratio compares a case with a baseline measured in the same rounds. The clock is named in
the output: CPU time of this process (in-process work; other load on the machine hardly moves it),
CPU time of reaped child processes, or wall time (where the point is a parallel speed-up).
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """A named source of seconds."""

    name: str
    now: Callable[[], float]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU = Clock("CPU time of this process", time.process_time)
CHILDREN = Clock("CPU time of reaped child processes", _children_cpu)
WALL = Clock("wall time", time.perf_counter)


@dataclass(frozen=True)
class Spent:
    """Returned by a case that times only part of its work itself (with the same clock), to
    leave the rest out: resets between episodes, reading a file in batches."""

    seconds: float


@dataclass(frozen=True)
class Timing:
    """One case's seconds, one sample per round, in round order."""

    samples: tuple[float, ...]
    clock: Clock

    @property
    def min(self) -> float:
        """The fastest round."""
        return min(self.samples)

    @property
    def median(self) -> float:
        """The middle round."""
        return statistics.median(self.samples)

    def per(self, units: float) -> Timing:
        """Seconds per unit of work (per record, per call, per episode)."""
        return Timing(tuple(s / units for s in self.samples), self.clock)

    def __sub__(self, other: Timing) -> Timing:
        """Round by round difference: what a case costs beyond another run in the same rounds
        (e.g. a pipeline without the decoding both share)."""
        return Timing(
            tuple(a - b for a, b in zip(self.samples, other.samples, strict=True)), self.clock
        )


def interleaved(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    *,
    clock: Clock = CPU,
    before: Callable[[], object] | None = None,
) -> dict[str, Timing]:
    """Run every case once per round, ``repeats`` rounds, and time each run with ``clock``.

    Every other round runs the cases in reverse order (A B, B A, ...), so that coming first or
    last in a round favours no case. ``before`` runs ahead of every case, untimed (e.g. emptying
    caches), and so does a garbage collection. A case that returns ``Spent`` is charged what it
    says instead of the whole call.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(max(1, repeats)):
        order = list(cases.items())
        for name, case in order if round_ % 2 == 0 else reversed(order):
            if before is not None:
                before()
            gc.collect()
            start = clock.now()
            result = case()
            spent = clock.now() - start
            samples[name].append(result.seconds if isinstance(result, Spent) else spent)
    return {name: Timing(tuple(s), clock) for name, s in samples.items()}


def speedup(timing: Timing, baseline: Timing) -> tuple[float, float]:
    """How many times faster than ``baseline`` (its time over this one), on the min and on the
    median."""
    return baseline.min / timing.min, baseline.median / timing.median


def seconds(value: float) -> str:
    """A duration with a readable unit."""
    if abs(value) >= 1:
        return f"{value:.2f} s"
    if abs(value) >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def _ratio(value: float) -> str:
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


RATIO_WIDTH = 15


def header(label: str, ratios: Sequence[str] = (), *, rate: str = "", width: int = 46) -> str:
    """The column titles for ``row``: ``ratios`` names each baseline column (min / median)."""
    cells = "".join(f" {title:>{RATIO_WIDTH}}" for title in ratios)
    rate_cell = f" {rate:>12}" if rate else ""
    return f"{label:<{width}} {'min':>10} {'median':>10}{rate_cell}{cells}"


def row(
    label: str,
    timing: Timing,
    baselines: Sequence[Timing | None] = (),
    *,
    rate: str = "",
    note: str = "",
    width: int = 46,
) -> str:
    """One row: min and median, the rate from the median (``rate`` names the unit: the timing
    is per unit then), and for each baseline the ratio ``min / median`` (blank for None)."""
    cells = ""
    for baseline in baselines:
        if baseline is None:
            cells += " " * (RATIO_WIDTH + 1)
        else:
            lo, mid = speedup(timing, baseline)
            cells += f" {_ratio(lo) + ' / ' + _ratio(mid):>{RATIO_WIDTH}}"
    rate_cell = f" {1 / timing.median:>12,.0f}" if rate else ""
    text = f"{label:<{width}} {seconds(timing.min):>10} {seconds(timing.median):>10}{rate_cell}"
    return f"{text}{cells}  {note}".rstrip()


def legend(timings: dict[str, Timing]) -> str:
    """What the numbers are: the clock and the rounds."""
    first = next(iter(timings.values()))
    return (
        f"{first.clock.name}, min / median of {len(first.samples)} interleaved rounds; "
        "ratio = baseline time / this time (higher is faster), on the min / on the median"
    )
