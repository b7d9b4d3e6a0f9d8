"""The ``prm`` format: TRL's stepwise supervision rows (written only), as ``PRMTrainer`` reads
them: ``{"prompt": str, "completions": [str, ...], "labels": [bool, ...]}``.

The format is text only (TRL has no conversational stepwise type), so messages are rendered by
:mod:`trajforge.formats.step_text`: the prompt is the system prompt, the tools and the
instruction; each step is one completion, its action followed by what came back (the state a
process label judges). A step's label is true unless it is a mistake: a label from a counted
source with a mistake grade or a value below the threshold (``mistake_below``, 0.5 by default:
for process labels, the share of roll-outs that still reach the goal).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from trajforge.formats.chat import conversation, tool_schemas, trl_messages
from trajforge.formats.export_options import export_options
from trajforge.formats.mistakes import mistakes
from trajforge.formats.rows import Row, row_format, rows_of, write_rows
from trajforge.formats.step_text import messages_text, prompt_text
from trajforge.io import WriteResult
from trajforge.schema import Trajectory

NAME = "prm"
_MESSAGES = partial(trl_messages, json_strings=False)


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON line per trajectory with steps (see the module)."""
    settings = export_options(options)
    details: Counter[str] = Counter()

    def render(trajectory: Trajectory) -> Iterator[Row]:
        chat = conversation(trajectory, _MESSAGES)
        labels = [not mistaken for mistaken in mistakes(trajectory, settings)]
        details["steps labelled good"] += sum(labels)
        details["steps labelled mistakes"] += len(labels) - sum(labels)
        yield {
            "prompt": prompt_text(chat.prompt, tool_schemas(trajectory.tools)),
            "completions": [messages_text(step) for step in chat.steps],
            "labels": labels,
        }

    rows = rows_of(trajectories, render, options, details)
    return write_rows(dest, rows, format_name=NAME, details=details)


FORMAT = row_format(
    NAME, "TRL stepwise supervision: prompt, one completion per step, step labels", write
)
