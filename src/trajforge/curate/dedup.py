"""The ``[dedup]`` curation step: exact and near-duplicate trajectories removed, the best of each
cluster kept.

    [dedup]
    exact = true        # same task and actions, ids, call ids and timings aside
    near = true         # MinHash LSH over instruction shingles and the action signature
    threshold = 0.8     # estimated Jaccard similarity from which two are near duplicates
    num_perm = 128      # MinHash slots (more: finer similarity, more memory)
    shingle = 3         # words (and actions) per shingle

Two passes over the stream, so that the best-scored member of a cluster is kept wherever it
comes: the first parks every trajectory in a temporary file (:mod:`trajforge.curate.spill`)
while :class:`~trajforge.curate.duplicates.DuplicateFinder` keeps what it needs to decide
(signatures, qualities, ids: well under a kilobyte per trajectory); the second reads them back
in order and lets the kept ones through, excluding the others with their representative.
Near duplicates need the ``curate`` extra (``rensa`` and ``numpy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

import msgspec

from trajforge.curate.duplicates import Duplicate, NearSettings
from trajforge.curate.spill import Spill
from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.engine import active_engine
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory

STEP = "dedup"


class DedupSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The ``[dedup]`` table."""

    exact: bool = True
    near: bool = True
    threshold: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    num_perm: Annotated[int, msgspec.Meta(ge=16, le=1024)] = 128
    shingle: Annotated[int, msgspec.Meta(ge=1, le=16)] = 3


def make_dedup(table: Mapping[str, Any], context: StepContext) -> DedupStep:
    """The ``[dedup]`` step from its config table."""
    settings = step_settings(table, DedupSettings, STEP)
    if not (settings.exact or settings.near):
        raise ConfigError(
            "nothing to do: exact and near are both false",
            path=f"[{STEP}]",
            hint="set exact = true, near = true, or both (or leave the table out)",
        )
    if settings.near:
        _check_near_extra()
    return DedupStep(settings, context)


def _check_near_extra() -> None:
    try:
        import trajforge.curate.near  # noqa: F401, PLC0415
    except ImportError:
        raise ConfigError(
            "near-duplicate detection needs the 'curate' extra (rensa, numpy)",
            path=f"[{STEP}].near",
            hint="pip install 'trajforge[curate]', or set near = false",
        ) from None


class DedupStep(SettingsStep[DedupSettings]):
    """Removes exact and near duplicates, keeping the best-scored member of each cluster."""

    name = STEP

    def __init__(self, settings: DedupSettings, context: StepContext) -> None:
        super().__init__(settings, context)
        self._report: dict[str, Any] = {}

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream without its duplicates, in its order (output starts once it has ended)."""
        engine = active_engine()  # signatures and LSH bands on a cluster with --engine ray
        finder = engine.duplicate_finder(exact=self.settings.exact, near=self._near_settings())
        with Spill() as spill:
            for trajectory in trajectories:
                finder.add(trajectory)
                spill.write(trajectory)
            decisions = finder.decide()
            tally = _Tally(decisions.ids)
            for position, trajectory in enumerate(spill.read()):
                duplicate = decisions.duplicate(position)
                if duplicate is None:
                    yield trajectory
                else:
                    reason, detail = tally.add(position, duplicate)
                    self.exclude(trajectory, reason, **detail)
            self._report = tally.report(self.settings)

    def _near_settings(self) -> NearSettings | None:
        s = self.settings
        if not s.near:
            return None
        seed = self.seed % 2**64  # rensa takes an unsigned 64-bit seed
        return NearSettings(s.threshold, s.num_perm, s.shingle, seed)

    def report(self) -> dict[str, Any]:
        """Counts, and each cluster's kept representative with the ids removed in its favour."""
        return self._report


class _Tally:
    """The removed trajectories, by the kept one they were removed for."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.exact: dict[int, list[str]] = {}
        self.near: dict[int, list[dict[str, Any]]] = {}

    def add(self, position: int, duplicate: Duplicate) -> tuple[str, dict[str, Any]]:
        """Count the trajectory at ``position`` as removed; why, for the exclusion file."""
        removed = self.ids[position]
        detail: dict[str, Any] = {"representative": self.ids[duplicate.keeper]}
        if duplicate.similarity is None:
            self.exact.setdefault(duplicate.keeper, []).append(removed)
            return "exact duplicate", detail
        detail["similarity"] = round(duplicate.similarity, 4)
        entry = {"id": removed, "similarity": detail["similarity"]}
        self.near.setdefault(duplicate.keeper, []).append(entry)
        return "near duplicate", detail

    def report(self, settings: DedupSettings) -> dict[str, Any]:
        """The step's report."""
        removed_exact = sum(map(len, self.exact.values()))
        removed_near = sum(map(len, self.near.values()))
        report: dict[str, Any] = {
            "seen": len(self.ids),
            "kept": len(self.ids) - removed_exact - removed_near,
            "removed": removed_exact + removed_near,
        }
        if settings.exact:
            report["exact"] = {
                "removed": removed_exact,
                "clusters": [
                    {"representative": self.ids[keeper], "removed": removed}
                    for keeper, removed in sorted(self.exact.items())
                ],
            }
        if settings.near:
            report["near"] = {
                "removed": removed_near,
                "threshold": settings.threshold,
                "clusters": [
                    {"representative": self.ids[keeper], "removed": removed}
                    for keeper, removed in sorted(self.near.items())
                ],
            }
        return report
