"""What an import did: records read and imported, why the others were set aside, and which
source keys no field holds (kept in ``provenance.extra``)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Self

import msgspec

from trajforge.io.compression import open_read
from trajforge.schema import Trajectory

_INDEX: Final = re.compile(r"\[\d+\]")
_QUOTED: Final = re.compile(r"'[^']*'|\"[^\"]*\"")
_COLUMN: Final = re.compile(r"\(column \d+\)")


@dataclass
class ImportTally:
    """Counts the trajectories an import writes (an observer of the stage runner).

    ``records`` counts source records that gave at least one trajectory (a tree gives several);
    ``unmapped`` counts, by key name, the source keys kept in ``provenance.extra``.
    """

    records: int = 0
    trajectories: int = 0
    unmapped: Counter[str] = field(default_factory=Counter)
    _last: str | None = field(default=None, repr=False)

    def add(self, trajectory: Trajectory) -> None:
        """Count one imported trajectory."""
        self.trajectories += 1
        location = trajectory.provenance.record_location
        if location is None or location != self._last:
            self.records += 1
        self._last = location
        for kept in trajectory.provenance.extra.values():
            if isinstance(kept, dict):
                self.unmapped.update(kept.keys())

    def merge(self, other: Self) -> None:
        """Add another tally's counts."""
        self.records += other.records
        self.trajectories += other.trajectories
        self.unmapped.update(other.unmapped)

    def fresh(self) -> Self:
        """An empty tally."""
        return type(self)()


class _Quarantined(msgspec.Struct):
    error: str = ""


def quarantine_reasons(path: Path) -> Counter[str]:
    """How many records of a quarantine file were set aside for each reason (messages with their
    indices and quoted values generalised, so that one reason is counted once)."""
    reasons: Counter[str] = Counter()
    if not path.is_file():
        return reasons
    decoder = msgspec.json.Decoder(_Quarantined)
    with open_read(path) as lines:
        for line in lines:
            try:
                error = decoder.decode(line).error
            except msgspec.DecodeError:
                error = "(unreadable quarantine line)"
            reasons[reason_of(error)] += 1
    return reasons


def reason_of(error: str) -> str:
    """An error message with what varies from record to record generalised."""
    text = _INDEX.sub("[*]", error)
    text = _COLUMN.sub("(column …)", text)
    return _QUOTED.sub("'…'", text)[:160]
