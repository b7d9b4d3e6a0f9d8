"""``trajforge review import``: trajectories into a project's queue, from any format trajforge
reads, or from the audit review queue that curation's ``[audit]`` step writes."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

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


def import_trajectories(
    database: Database, project: str, source: str, from_format: str = "trajforge"
) -> int:
    """Queue the trajectories of ``source`` in ``project`` (created if new); returns how many.
    Nothing is queued when a record cannot be read (one transaction)."""
    count = 0
    with database.transaction() as session:
        target = project_named(session, project, create=True)
        for trajectory, stratum in _records(source, from_format):
            add_item(session, target, trajectory, stratum=stratum)
            count += 1
    return count
