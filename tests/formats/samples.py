"""The real public samples in tests/fixtures, imported and exported again by a format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trajforge.formats.registry import get_format
from trajforge.io import BadRecord
from trajforge.io.documents import iter_records
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

FIXTURES = Path(__file__).parents[1] / "fixtures"


def import_and_export(name: str, path: Path, dest: Path) -> tuple[list[Any], list[Trajectory]]:
    """The source records of ``path`` and their trajectories (through trajforge's own encoding);
    asserts that none was set aside and that exporting them to ``dest`` gives the same records."""
    fmt = get_format(name)
    assert fmt.read is not None
    assert fmt.write is not None
    bad: list[BadRecord] = []
    decoder = TrajectoryDecoder()
    trajectories = [decoder.decode(encode(t)) for t in fmt.read(str(path), bad.append)]
    assert bad == []
    fmt.write(str(dest), trajectories)
    source = [record.data for record in iter_records(path)]
    assert [json.loads(line) for line in dest.read_text().splitlines()] == source
    return source, trajectories


def assert_round_trips(
    record: Any,
    read: Callable[[Any], Trajectory],
    write: Callable[[Trajectory], Any],
    *,
    same_steps: bool = True,
) -> None:
    """Import then export gives ``record`` back; without what the import kept, export writes the
    format's own spelling, which imports as the same trajectory (its steps too, where the
    format holds every spelling of them) and exports unchanged."""
    traj = read(record)
    assert write(traj) == record
    traj.provenance.extra = {}
    ours = write(traj)
    again = read(ours)
    assert write(again) == ours
    assert (again.system_prompt, again.task, again.tools) == (
        traj.system_prompt,
        traj.task,
        traj.tools,
    )
    if same_steps:
        assert again.steps == traj.steps
