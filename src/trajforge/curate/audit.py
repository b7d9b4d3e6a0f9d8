"""``[audit]``: a stratified sample of the stream for human review, written as a review queue
(see :mod:`trajforge.curate.review_queue`); every trajectory passes through unchanged.

    [audit]
    queue = "out/review-queue.jsonl"
    strata = ["environment", "source", "outcome", "label"]
    per_stratum = 5            # or: total = 200, allocation = "proportional", minimum = 2

Within a stratum the sample is uniform: the trajectories of smallest seeded hash of their id
(the same sample whatever the order of the stream). Memory holds counts and a few numbers per
candidate; candidates' records wait in a temporary file (:mod:`trajforge.curate.reservoir`).
The number of strata is bounded by ``max_strata``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import msgspec

from trajforge.curate.reservoir import Reservoirs, priority
from trajforge.curate.review_queue import QueueEntry
from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.curate.strata import (
    DEFAULT_LABEL_KINDS,
    Allocation,
    Stratum,
    StratumKey,
    allocate,
    stratum_of,
)
from trajforge.errors import ConfigError
from trajforge.io import write_lines
from trajforge.io._oserror import write_error
from trajforge.schema import Trajectory, encode

Positive = Annotated[int, msgspec.Meta(ge=1)]


class AuditSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[audit]`` table."""

    queue: str
    strata: list[StratumKey] = msgspec.field(
        default_factory=lambda: ["environment", "source", "outcome"]
    )
    per_stratum: Positive | None = None
    total: Positive | None = None
    allocation: Allocation = "proportional"
    minimum: Annotated[int, msgspec.Meta(ge=0)] = 1
    label_kinds: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_LABEL_KINDS))
    seed: int | None = None
    max_strata: Positive = 1000


def _check_sizes(settings: AuditSettings) -> None:
    """Exactly one of ``per_stratum`` and ``total``."""
    if (settings.per_stratum is None) == (settings.total is None):
        raise ConfigError(
            "give either per_stratum or total",
            path="[audit]",
            hint="per_stratum = 5 draws 5 of each stratum; total = 200 shares 200 among them",
        )


class AuditStep(SettingsStep[AuditSettings]):
    """Passes every trajectory through; at the end of the stream writes the review queue."""

    name = "audit"

    def __init__(self, settings: AuditSettings, context: StepContext) -> None:
        super().__init__(settings, context)
        if settings.seed is not None:
            self.seed = settings.seed
        self._report: dict[str, Any] = {}

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream, unchanged; the queue is written once it has ended."""
        s = self.settings
        reservoirs: Reservoirs[Stratum] = Reservoirs(s.per_stratum or s.total or 0)
        try:
            for trajectory in trajectories:
                stratum = stratum_of(trajectory, s.strata, s.label_kinds)
                if stratum not in reservoirs and len(reservoirs) >= s.max_strata:
                    raise ConfigError(
                        f"more than {s.max_strata} strata",
                        path="[audit].strata",
                        hint="stratify by fewer keys, or raise max_strata",
                    )
                rank = priority(self.seed, trajectory.id)
                reservoirs.offer(stratum, rank, partial(encode, trajectory))
                yield trajectory
            self._write(reservoirs)
        finally:
            reservoirs.close()

    def report(self) -> dict[str, Any]:
        """The queue's path, the seed, and each stratum's size and sample."""
        return self._report

    def _sample_sizes(self, sizes: dict[Stratum, int]) -> dict[Stratum, int]:
        s = self.settings
        if s.per_stratum is not None:
            return {stratum: min(n, s.per_stratum) for stratum, n in sizes.items()}
        return allocate(sizes, s.total or 0, minimum=s.minimum, allocation=s.allocation)

    def _write(self, reservoirs: Reservoirs[Stratum]) -> None:
        sizes = reservoirs.sizes()
        sample = self._sample_sizes(sizes)
        rows: list[dict[str, Any]] = []
        queue = Path(self.settings.queue)
        try:
            queue.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(queue, exc) from exc
        written = write_lines(queue, self._entries(reservoirs, sample, rows))
        self._report = {
            "queue": self.settings.queue,
            "seed": self.seed,
            "seen": sum(sizes.values()),
            "sampled": written,
            "strata": rows,
        }

    def _entries(
        self,
        reservoirs: Reservoirs[Stratum],
        sample: dict[Stratum, int],
        rows: list[dict[str, Any]],
    ) -> Iterator[bytes]:
        """The queue's lines, stratum by stratum; each stratum's row goes to ``rows``."""
        sizes = reservoirs.sizes()
        for stratum in sorted(sizes):
            named: dict[str, str] = dict(zip(self.settings.strata, stratum, strict=True))
            chosen = list(_distinct_ids(reservoirs.smallest(stratum), sample[stratum]))
            rows.append({"stratum": named, "size": sizes[stratum], "sampled": len(chosen)})
            for trajectory_id, data in chosen:
                entry = QueueEntry(
                    id=trajectory_id,
                    stratum=named,
                    stratum_size=sizes[stratum],
                    stratum_sample=len(chosen),
                    trajectory=msgspec.Raw(data),
                )
                yield msgspec.json.encode(entry)


class _Id(msgspec.Struct):
    id: str


_ID = msgspec.json.Decoder(_Id)


def _distinct_ids(records: Iterable[bytes], wanted: int) -> Iterator[tuple[str, bytes]]:
    """The first ``wanted`` records of distinct ids (a repeated id would confuse the review)."""
    seen: set[str] = set()
    for data in records:
        if len(seen) == wanted:
            return
        trajectory_id = _ID.decode(data).id
        if trajectory_id not in seen:
            seen.add(trajectory_id)
            yield trajectory_id, data


def make_audit(table: Mapping[str, Any], context: StepContext) -> AuditStep:
    """The ``[audit]`` step from its config table."""
    settings = step_settings(table, AuditSettings, "audit")
    _check_sizes(settings)
    return AuditStep(settings, context)
