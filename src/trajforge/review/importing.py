"""``trajforge review import``: trajectories into a project's queue, from any format trajforge
reads, or from the audit review queue that curation's ``[audit]`` step writes, all of them or
those a selection (:mod:`trajforge.review.selection`) takes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import msgspec

from trajforge.curate.conditions import Predicate
from trajforge.curate.review_queue import QueueEntry, read_entries
from trajforge.errors import SchemaError
from trajforge.formats.registry import get_reader
from trajforge.review.db import Database
from trajforge.review.store import add_item, project_named
from trajforge.schema import Trajectory

#: The ``--from`` name of the audit review queue.
AUDIT_QUEUE = "audit-queue"
_decoder = msgspec.json.Decoder(Trajectory)


def _queue(source: str) -> Iterator[tuple[Trajectory, dict[str, str] | None]]:
    for line, entry in read_entries(source, QueueEntry):
        try:
            trajectory = _decoder.decode(entry.trajectory)
        except msgspec.ValidationError as exc:
            raise SchemaError(f"the queued trajectory: {exc}", file=source, line=line) from None
        yield trajectory, entry.stratum


def _records(source: str, from_format: str) -> Iterator[tuple[Trajectory, dict[str, str] | None]]:
    if from_format == AUDIT_QUEUE:
        yield from _queue(source)
        return
    for trajectory in get_reader(from_format)(source, None):
        yield trajectory, None


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: how many trajectories it read and how many it queued."""

    read: int
    queued: int


def import_trajectories(
    database: Database,
    project: str,
    source: str,
    from_format: str = "trajforge",
    selected: Predicate | None = None,
) -> Imported:
    """Queue the trajectories of ``source`` that ``selected`` takes (all when None) in
    ``project`` (created if new). Nothing is queued when a record cannot be read (one
    transaction)."""
    read = queued = 0
    with database.transaction() as session:
        target = project_named(session, project, create=True)
        for trajectory, stratum in _records(source, from_format):
            read += 1
            if selected is None or selected(trajectory):
                add_item(session, target, trajectory, stratum=stratum)
                queued += 1
    return Imported(read=read, queued=queued)
