"""Which trajectories of a stream duplicate which, from a first pass that keeps no trajectory.

:class:`DuplicateFinder` sees every trajectory once (``add``) and keeps, per trajectory, its id
and its exact-duplicate group; per group, its best member, that member's quality and (for near
duplicates) one MinHash signature: about ``4 * num_perm`` bytes plus a hundred or so per
trajectory, never the trajectory itself. :meth:`DuplicateFinder.decide` then names, for every
trajectory by position, the kept one it duplicates, if any (:class:`Decisions`).

Exact groups are formed as trajectories arrive (one dict entry per distinct
:func:`~trajforge.curate.fingerprint.exact_key`); near-duplicate clusters are formed over the
groups' best members at the end (:mod:`trajforge.curate.near`), best first, so a cluster's
representative is its best member, and a group that joins a cluster goes with all its copies.
Ties in quality go to the trajectory seen first.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from trajforge.curate.fingerprint import exact_key, near_features
from trajforge.curate.quality import Quality, quality
from trajforge.schema import Trajectory

if TYPE_CHECKING:
    from trajforge.curate.near import Clusters, Indices

#: Signatures computed per batch of new groups.
BATCH = 2048


@dataclass(frozen=True)
class NearSettings:
    """How near duplicates are found."""

    threshold: float
    num_perm: int
    shingle: int
    seed: int


class Duplicate(NamedTuple):
    """A trajectory to remove: the position of the kept one it duplicates, and how (``None``
    for an exact copy, else the estimated Jaccard similarity of their features)."""

    keeper: int
    similarity: float | None


class DuplicateFinder:
    """The first pass: ``add`` each trajectory in stream order, then ``decide``."""

    def __init__(self, *, exact: bool, near: NearSettings | None) -> None:
        self.ids: list[str] = []
        self._exact: dict[bytes, int] | None = {} if exact else None
        self._near = near
        self._group = array("i")  # per trajectory: its group
        self._best = array("i")  # per group: the position of its best member
        self._quality = array("d")  # per group: its best member's quality, 3 numbers
        self._pending: list[list[str]] = []  # features of groups not yet signed
        self._signed = array("I")  # per group: its signature, num_perm numbers

    def add(self, trajectory: Trajectory) -> None:
        """Take the next trajectory of the stream into account."""
        position = len(self.ids)
        self.ids.append(trajectory.id)
        group = len(self._best)
        if self._exact is not None:
            group = self._exact.setdefault(exact_key(trajectory), group)
        self._group.append(group)
        mine = quality(trajectory)
        if group == len(self._best):
            self._best.append(position)
            self._quality.extend(mine)
            self._sign_later(trajectory)
        elif mine > Quality(*self._quality[3 * group : 3 * group + 3]):
            self._best[group] = position
            self._quality[3 * group : 3 * group + 3] = array("d", mine)

    def _sign_later(self, trajectory: Trajectory) -> None:
        near = self._near
        if near is None:
            return
        self._pending.append(near_features(trajectory, near.shingle))
        if len(self._pending) >= BATCH:
            self._sign()

    def _sign(self) -> None:
        from trajforge.curate.near import signatures  # noqa: PLC0415  # the 'curate' extra

        near = self._near
        if near is not None and self._pending:
            # appended in place (a large array grows without a copy), viewed as a matrix at
            # the end: no second copy of every signature at any time
            self._signed.frombytes(signatures(self._pending, near.num_perm, near.seed).tobytes())
            self._pending = []

    def decide(self) -> Decisions:
        """Every trajectory's fate, once the stream has ended."""
        clusters = None if self._near is None else self._clusters(self._near)
        self._exact = None  # the keys, signatures and qualities are no longer needed
        self._signed = array("I")
        self._quality = array("d")
        return Decisions(self.ids, self._group, self._best, clusters)

    def _clusters(self, near: NearSettings) -> Clusters | None:
        import numpy as np  # noqa: PLC0415  # the 'curate' extra

        from trajforge.curate.near import band_shape, cluster  # noqa: PLC0415

        self._sign()
        if not self._signed:
            return None
        matrix = np.frombuffer(self._signed, dtype=np.uint32).reshape(-1, near.num_perm)
        bands, rows = band_shape(near.threshold, near.num_perm)
        return cluster(matrix, self._best_first(), near.threshold, bands, rows)

    def _best_first(self) -> Indices:
        """The groups, best first: by score, status and labels, then as they came."""
        import numpy as np  # noqa: PLC0415  # the 'curate' extra

        qualities = np.frombuffer(self._quality, dtype=np.float64).reshape(-1, 3)
        score, status, labels = qualities.T
        position = np.frombuffer(self._best, dtype=np.int32)
        order: Indices = np.lexsort((position, -labels, -status, -score))  # last key sorts first
        return order


@dataclass(frozen=True)
class Decisions:
    """Which trajectory, by position in the stream, goes, and in favour of which."""

    ids: list[str]
    group: array[int]
    best: array[int]
    clusters: Clusters | None

    def duplicate(self, position: int) -> Duplicate | None:
        """What removes the trajectory at ``position``, or None when it is kept."""
        group = self.group[position]
        if self.clusters is not None:
            representative = int(self.clusters.representative[group])
            if representative >= 0:
                similarity = float(self.clusters.similarity[group])
                return Duplicate(self.best[representative], similarity)
        best = self.best[group]
        return None if best == position else Duplicate(best, None)
