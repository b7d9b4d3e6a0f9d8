"""The ``dpo`` format: TRL's conversational preference rows with an explicit prompt (written
only), as ``DPOTrainer`` reads them.

One line per pair (see :mod:`trajforge.formats.preference_pairs` for which pairs, and
:mod:`trajforge.formats.ranking` for which side is chosen): ``{"prompt": [...], "chosen": [...],
"rejected": [...], "tools": [...]}``. The prompt is the system prompt, the instruction and the
shared steps' messages (it may end with a tool result: TRL takes a prompt whose last message is
a tool's), each side the messages of its own steps, tool results included. Messages, tools and
the ``json_strings`` option are as in ``trl-sft``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from trajforge.formats.chat import Conversation, conversation, tools_column, trl_messages
from trajforge.formats.export_options import export_options
from trajforge.formats.preference_pairs import Pair, pairs, task_groups
from trajforge.formats.rows import Row, rendered, row_format, write_rows
from trajforge.io import WriteResult
from trajforge.schema import Trajectory

NAME = "dpo"
TREE_PAIRS = "pairs at a tree's branch point"
WHOLE_PAIRS = "pairs of whole trajectories of one task"


def row(pair: Pair[Conversation], *, json_strings: bool) -> Row:
    """The preference row of a pair."""
    (trajectory, chosen), (_, rejected) = pair.chosen, pair.rejected
    return {
        "prompt": chosen.before(pair.prefix),
        "chosen": chosen.since(pair.prefix),
        "rejected": rejected.since(pair.prefix),
        "tools": tools_column(trajectory.tools, json_strings=json_strings),
    }


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON line per preference pair (see the module)."""
    settings = export_options(options)
    messages_of = partial(trl_messages, json_strings=settings.json_strings)
    details: Counter[str] = Counter()
    chats = rendered(trajectories, lambda t: conversation(t, messages_of), options, details)

    def rows() -> Iterator[Row]:
        for group in task_groups(chats, details):
            for pair in pairs(group, settings, details):
                details[TREE_PAIRS if pair.tree else WHOLE_PAIRS] += 1
                yield row(pair, json_strings=settings.json_strings)

    return write_rows(dest, rows(), format_name=NAME, details=details)


FORMAT = row_format(NAME, "TRL preference pairs from trajectory trees and runs of one task", write)
