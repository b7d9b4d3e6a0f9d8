"""The ``trl-sft`` format: TRL's conversational language-modeling rows with tool calls (written
only), as ``SFTTrainer`` reads them.

One line per trajectory with steps: ``{"messages": [...], "tools": [...]}``. Assistant messages
carry ``tool_calls: [{"type": "function", "id", "function": {"name", "arguments": {...}}}]`` and
``reasoning_content`` where the step has reasoning; tool results are ``tool`` messages with
``tool_call_id`` and ``name``. With the ``json_strings`` export option, ``tools`` is the JSON
text of the schema list and each ``arguments`` its JSON text (TRL decodes a string ``tools``;
chat templates such as Qwen's print string arguments as they are): a column of objects whose
keys vary from row to row is stored by Arrow (``Dataset.from_list``, Parquet) as the union of
their keys, the missing ones null, and a template would then print those nulls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from trajforge.formats.chat import conversation, tools_column, trl_messages
from trajforge.formats.export_options import export_options
from trajforge.formats.rows import Row, row_format, rows_of, write_rows
from trajforge.io import WriteResult
from trajforge.schema import Trajectory

NAME = "trl-sft"


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON line per trajectory with steps (see the module)."""
    json_strings = export_options(options).json_strings
    messages_of = partial(trl_messages, json_strings=json_strings)
    details: Counter[str] = Counter()

    def render(trajectory: Trajectory) -> Iterator[Row]:
        chat = conversation(trajectory, messages_of)
        yield {
            "messages": chat.before(len(chat.steps)),
            "tools": tools_column(trajectory.tools, json_strings=json_strings),
        }

    rows = rows_of(trajectories, render, options, details)
    return write_rows(dest, rows, format_name=NAME, details=details)


FORMAT = row_format(
    NAME, "TRL SFT rows: messages with tool calls and tools (JSON strings by option)", write
)
