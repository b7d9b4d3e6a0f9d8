"""The ``kto`` format: TRL's conversational unpaired preference rows (written only), as
``KTOTrainer`` reads them: ``{"prompt": [...], "completion": [...], "label": bool, "tools": ...}``.

With the ``kto_unit`` export option ``trajectory`` (the default), one row per trajectory: the
prompt is the system prompt and the instruction, the completion every step's messages, and the
label is true when the outcome (else the ``score`` label) reaches ``desirable_at`` and no step is
a mistake; a trajectory with neither an outcome nor a score is skipped (counted). With ``step``,
one row per step: the prompt is everything before the step, the completion its assistant message,
the label whether the step is not a mistake. Messages, tools and ``json_strings`` are as in
``trl-sft``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from trajforge.formats.chat import Conversation, conversation, tools_column, trl_messages
from trajforge.formats.export_options import ExportOptions, export_options
from trajforge.formats.mistakes import mistakes
from trajforge.formats.ranking import quality
from trajforge.formats.rows import Row, row_format, rows_of, write_rows
from trajforge.io import WriteResult
from trajforge.schema import Trajectory

NAME = "kto"
NO_VALUE = "skipped: no outcome or score to label by"


def desirable(trajectory: Trajectory, options: ExportOptions) -> bool | None:
    """Whether the whole trajectory is desirable (``None``: nothing to tell by)."""
    outcome, score, _ = quality(trajectory, options)
    value = outcome if outcome is not None else score
    if value is None:
        return None
    return value >= options.desirable_at and not any(mistakes(trajectory, options))


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON line per trajectory or per step (see the module)."""
    settings = export_options(options)
    messages_of = partial(trl_messages, json_strings=settings.json_strings)
    details: Counter[str] = Counter()

    def render(trajectory: Trajectory) -> Iterator[Row]:
        chat = conversation(trajectory, messages_of)
        tools = tools_column(trajectory.tools, json_strings=settings.json_strings)
        for prompt, completion, label in _examples(trajectory, chat, settings, details):
            details["desirable" if label else "undesirable"] += 1
            yield {"prompt": prompt, "completion": completion, "label": label, "tools": tools}

    rows = rows_of(trajectories, render, options, details)
    return write_rows(dest, rows, format_name=NAME, details=details)


Example = tuple[list[dict[str, Any]], list[dict[str, Any]], bool]


def _examples(
    trajectory: Trajectory, chat: Conversation, options: ExportOptions, details: Counter[str]
) -> Iterator[Example]:
    if options.kto_unit == "step":
        for k, mistaken in enumerate(mistakes(trajectory, options)):
            yield chat.before(k), chat.steps[k][:1], not mistaken
        return
    label = desirable(trajectory, options)
    if label is None:
        details[NO_VALUE] += 1
        return
    yield chat.prompt, chat.since(0), label


FORMAT = row_format(NAME, "TRL unpaired preference: prompt, completion, desirable or not", write)
