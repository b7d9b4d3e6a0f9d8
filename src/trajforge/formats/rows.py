"""Training rows out: the trainer formats' writers turn each trajectory into rows and write them as
JSON lines (compressed by suffix), atomically and streaming.

A trajectory without steps is skipped and counted; one that cannot be rendered (a step with two
replies, say) goes to the writers' ``on_error`` option as a bad record naming the trajectory, and
the write goes on; without it, the error is raised, located the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from trajforge.errors import ConfigError, TrajforgeError
from trajforge.formats.base import Format, Writer
from trajforge.io import BadRecord, OnError, WriteResult, write_lines
from trajforge.schema import Trajectory, encode

Row = dict[str, Any]
T = TypeVar("T")
ROW_SUFFIXES: Final = (".jsonl", ".jsonl.gz", ".jsonl.zst")


def row_format(name: str, description: str, write: Writer) -> Format:
    """A registered format that writes training rows with ``write`` (it reads nothing)."""
    return Format(name=name, description=description, suffixes=ROW_SUFFIXES, write=write)


def write_rows(
    dest: str, rows: Iterable[Row], *, format_name: str, details: Counter[str] | None = None
) -> WriteResult:
    """Write ``rows`` as JSON lines to ``dest``; ``details`` (filled while the rows stream)
    become the result's details."""
    if not dest.lower().endswith(ROW_SUFFIXES):
        raise ConfigError(
            f"the {format_name} format is written as JSON lines, not to {Path(dest).name}",
            path="OUT",
            hint=f"name a file ending in {', '.join(ROW_SUFFIXES)}, or a directory",
        )
    count = write_lines(dest, (msgspec.json.encode(row) for row in rows))
    return WriteResult(count, (Path(dest),), details=dict(details or {}))


def rendered(
    trajectories: Iterable[Trajectory],
    render: Callable[[Trajectory], T],
    options: Mapping[str, Any],
    details: Counter[str],
) -> Iterator[tuple[Trajectory, T]]:
    """Each trajectory with steps beside what ``render`` makes of it. One without steps is
    counted in ``details`` and skipped (there is nothing to train on); one ``render`` rejects goes
    to the ``on_error`` option (else its error is raised), located at the trajectory."""
    on_error: OnError | None = options.get("on_error")
    for trajectory in trajectories:
        if not trajectory.steps:
            details["skipped: no steps"] += 1
            continue
        try:
            value = render(trajectory)
        except TrajforgeError as err:
            err.located(file=trajectory.provenance.record_location or f"trajectory {trajectory.id}")
            if on_error is None:
                raise
            on_error(BadRecord.from_error(err, raw=encode(trajectory)))
            continue
        yield trajectory, value


def rows_of(
    trajectories: Iterable[Trajectory],
    render: Callable[[Trajectory], Iterable[Row]],
    options: Mapping[str, Any],
    details: Counter[str],
) -> Iterator[Row]:
    """The rows ``render`` makes of each trajectory, as :func:`rendered` hands them over."""
    for _, rows in rendered(trajectories, lambda t: list(render(t)), options, details):
        yield from rows
