"""Near-duplicate clusters on a Ray cluster, the same as :mod:`trajforge.curate.near` makes.

The driver keeps what the local finder keeps per trajectory (id, exact group, quality) but no
signature: each batch of new groups' features is signed by a Ray task, and its signatures stay
in the object store. The LSH is a shuffle: a Ray Data ``map_batches`` turns every signature
into one row per band (band, bucket key, group, signature), ``groupby(band, key)`` brings each
bucket's rows together wherever they were made, and ``map_groups`` compares the members of
each bucket, pair by pair, keeping the pairs whose estimated Jaccard similarity reaches the
threshold. No process holds the bucket index; the driver gets only those close pairs.

The greedy best-first pass then runs over the close pairs alone and gives the local clusters
exactly: locally a group joins the most similar earlier representative among those sharing a
bucket with it, if that similarity reaches the threshold (ties to the lowest group number);
a representative below the threshold can never be that choice, so the pairs below it are not
needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache, partial
from typing import Any

import numpy as np
import numpy.typing as npt
import ray

from trajforge.curate.duplicates import DuplicateFinder
from trajforge.curate.near import Clusters, Indices, band_keys, band_shape, signatures
from trajforge.engine.ray_engine import cluster_cpus, quiet_ray_data

#: A bucket's close pairs: (group, group) -> estimated Jaccard similarity.
Pairs = dict[tuple[int, int], float]


class RayDuplicateFinder(DuplicateFinder):
    """:class:`~trajforge.curate.duplicates.DuplicateFinder` that signs and bands on Ray."""

    _blocks: list[Any]
    _groups_signed: int

    def _sign(self) -> None:
        near = self._near
        if near is None or not self._pending:
            return
        if not hasattr(self, "_blocks"):
            self._blocks, self._groups_signed = [], 0
        first = self._groups_signed
        self._blocks.append(_sign_task().remote(self._pending, near.num_perm, near.seed, first))
        self._groups_signed += len(self._pending)
        self._pending = []

    def _clusters(self, near: Any) -> Clusters | None:
        self._sign()
        if not getattr(self, "_blocks", None):
            return None
        bands, rows = band_shape(near.threshold, near.num_perm)
        pairs = close_pairs(self._blocks, bands, rows, near.threshold, cluster_cpus())
        self._blocks = []
        return greedy(self._groups_signed, self._best_first(), pairs)


@cache
def _sign_task() -> Any:
    @ray.remote(max_retries=3)
    def sign(
        features: Sequence[Sequence[str]], num_perm: int, seed: int, first: int
    ) -> npt.NDArray[np.uint32]:
        """The batch's signatures, each row led by its group number."""
        groups = np.arange(first, first + len(features), dtype=np.uint32)[:, None]
        return np.hstack([groups, signatures(features, num_perm, seed)])

    return sign


def close_pairs(
    blocks: list[Any], bands: int, rows: int, threshold: float, partitions: int
) -> Pairs:
    """The pairs of groups sharing an LSH bucket whose similarity reaches ``threshold``."""
    quiet_ray_data()
    found = (
        ray.data.from_numpy_refs(blocks)
        .map_batches(partial(_band_rows, bands=bands, rows=rows), batch_format="numpy")
        .groupby(["band", "key"], num_partitions=partitions)
        .map_groups(partial(_bucket_pairs, threshold=threshold), batch_format="numpy")
    )
    pairs: Pairs = {}
    for batch in found.iter_batches(batch_format="numpy"):
        for a, b, similarity in zip(
            batch["a"].tolist(), batch["b"].tolist(), batch["similarity"].tolist(), strict=True
        ):
            pairs[(a, b)] = similarity
    return pairs


def _band_rows(batch: dict[str, npt.NDArray[Any]], bands: int, rows: int) -> dict[str, Any]:
    """One row per signature and band: the band, its bucket key, the group, the signature."""
    data = batch["data"]
    groups, matrix = data[:, 0], np.ascontiguousarray(data[:, 1:])
    count = len(data)
    return {
        "band": np.repeat(np.arange(bands, dtype=np.int32), count),
        "key": np.concatenate([band_keys(matrix, band, rows) for band in range(bands)]),
        "group": np.tile(groups, bands),
        "signature": np.tile(matrix, (bands, 1)),
    }


def _bucket_pairs(bucket: dict[str, npt.NDArray[Any]], threshold: float) -> dict[str, Any]:
    """The close pairs among one bucket's members (none from a bucket of one)."""
    groups, matrix = bucket["group"], bucket["signature"]
    a: list[int] = []
    b: list[int] = []
    similarity: list[float] = []
    for i in range(len(groups) - 1):
        equal = np.count_nonzero(matrix[i + 1 :] == matrix[i], axis=1) / matrix.shape[1]
        for j in np.flatnonzero(equal >= threshold).tolist():
            low, high = sorted((int(groups[i]), int(groups[i + 1 + j])))
            a.append(low)
            b.append(high)
            similarity.append(float(equal[j]))
    return {
        "a": np.array(a, dtype=np.int64),
        "b": np.array(b, dtype=np.int64),
        "similarity": np.array(similarity, dtype=np.float64),
    }


def greedy(count: int, order: Indices, pairs: Pairs) -> Clusters:
    """The best-first clusters of :func:`trajforge.curate.near.cluster`, from the close pairs."""
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    near: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), similarity in pairs.items():
        near[a].append((b, similarity))
        near[b].append((a, similarity))
    representative = np.full(count, -1, dtype=np.int32)
    closeness = np.ones(count, dtype=np.float32)
    for item in sorted(near, key=rank.__getitem__):
        mine = rank[item]
        earlier = [
            (similarity, -other)
            for other, similarity in near[item]
            if rank[other] < mine and representative[other] == -1
        ]
        if earlier:
            similarity, other = max(earlier)
            representative[item] = -other
            closeness[item] = similarity
    return Clusters(representative, closeness)
