"""Everything the HTML report shows of one dataset, gathered in one streaming pass: the
``stats`` summary, the drift profile, and the report's own tallies (environments, faults,
labels, process curves, agreement with humans, example trajectories)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trajforge.curate.drift import Profile
from trajforge.formats.registry import get_reader
from trajforge.io import BadRecord, ReadChecks, with_checks
from trajforge.report.agreement import Agreement
from trajforge.report.environments import Environments
from trajforge.report.examples import Examples
from trajforge.report.faults import Faults
from trajforge.report.labels import LabelMix, ProcessCurves
from trajforge.report.stats import StatsAccumulator
from trajforge.schema import Trajectory


@dataclass
class DatasetProfile:
    """The report's aggregates of one dataset (memory bounded by distinct values, not records)."""

    name: str
    stats: StatsAccumulator = field(default_factory=StatsAccumulator)
    drift: Profile = field(default_factory=Profile)
    environments: Environments = field(default_factory=Environments)
    faults: Faults = field(default_factory=Faults)
    labels: LabelMix = field(default_factory=LabelMix)
    curves: ProcessCurves = field(default_factory=ProcessCurves)
    agreement: Agreement = field(default_factory=Agreement)
    examples: Examples = field(default_factory=Examples)

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory in every tally."""
        for tally in (
            self.stats,
            self.drift,
            self.environments,
            self.faults,
            self.labels,
            self.curves,
            self.agreement,
            self.examples,
        ):
            tally.add(trajectory)

    def bad(self, record: BadRecord) -> None:
        """Count a record that could not be read."""
        self.stats.bad(record)


def profile_dataset(
    paths: Path | Sequence[Path],
    *,
    name: str | None = None,
    from_format: str | None = None,
    verify_hashes: bool = True,
) -> DatasetProfile:
    """Read ``paths`` (files, globs or directories; one dataset) once and profile them; records
    that cannot be read are counted apart."""
    sources = [paths] if isinstance(paths, Path) else list(paths)
    result = DatasetProfile(name or ", ".join(map(str, sources)))
    read = with_checks(
        get_reader(from_format or "trajforge"), ReadChecks(shard_hashes=verify_hashes)
    )
    for source in sources:
        for trajectory in read(str(source), result.bad):
            result.add(trajectory)
    return result
