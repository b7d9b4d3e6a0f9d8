"""The ``openai-ft`` format: OpenAI fine-tuning chat files with tools (written only).

One line per trajectory: ``{"messages": [...], "tools": [...]}``, the messages of the OpenAI
mapping with only the keys fine-tuning accepts (reasoning has no place there and is left out),
and the source's ``parallel_tool_calls`` where an importer kept it.
Every assistant message carries ``weight``: 0 where its step is a mistake (see
:mod:`trajforge.formats.mistakes`; which labels count is set by the export options), else 1, so
the model learns the recovery without the mistake. A trajectory without steps, or whose every
step is a mistake, has nothing to learn from and is skipped (counted in the details).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from trajforge.formats.chat import conversation, fine_tuning_messages, tool_schemas
from trajforge.formats.export_options import export_options
from trajforge.formats.mistakes import mistakes
from trajforge.formats.rows import Row, row_format, rows_of, write_rows
from trajforge.io import WriteResult
from trajforge.schema import Trajectory

NAME = "openai-ft"
PARALLEL = "parallel_tool_calls"


def record(trajectory: Trajectory, mistaken_steps: list[bool]) -> Row:
    """The fine-tuning record of a trajectory, with weight 0 on the steps marked mistaken."""
    chat = conversation(trajectory, fine_tuning_messages)
    for step, mistaken in zip(chat.steps, mistaken_steps, strict=True):
        step[0]["weight"] = 0 if mistaken else 1
    row: Row = {"messages": chat.before(len(chat.steps))}
    if trajectory.tools:
        row["tools"] = tool_schemas(trajectory.tools)
    parallel = _parallel_tool_calls(trajectory)
    if parallel is not None:
        row[PARALLEL] = parallel
    return row


def _parallel_tool_calls(trajectory: Trajectory) -> bool | None:
    """The source record's ``parallel_tool_calls``, kept by an importer in the metadata or
    among the top-level keys it did not map."""
    for kept in (trajectory.metadata, trajectory.provenance.extra.get("$")):
        value = kept.get(PARALLEL) if isinstance(kept, dict) else None
        if isinstance(value, bool):
            return value
    return None


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON line per trajectory with something to learn (see the module)."""
    settings = export_options(options)
    details: Counter[str] = Counter()

    def render(trajectory: Trajectory) -> Iterator[Row]:
        marks = mistakes(trajectory, settings)
        if all(marks):
            details["skipped: every step a mistake"] += 1
        else:
            yield record(trajectory, marks)

    rows = rows_of(trajectories, render, options, details)
    return write_rows(dest, rows, format_name=NAME, details=details)


FORMAT = row_format(
    NAME, "OpenAI fine-tuning chat JSONL with tools; mistaken steps get weight 0", write
)
