"""What an importer of a conversation builds as it reads it in order: the system prompt, the
instruction, the agent's steps, and the source keys no field holds (``provenance.extra``)."""

from __future__ import annotations

from typing import Any

from trajforge.errors import ConversionError
from trajforge.schema.records import Step, ToolCall, UserMessage


class Transcript:
    """A conversation read so far; importers add the agent's steps to ``steps`` themselves."""

    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}
        self.system: str | None = None
        self.instruction: str | None = None
        self.steps: list[Step] = []

    def place(self, role: Any, text: str, where: str) -> None:
        """Place a message that is not the agent's: a ``system`` one before anything else is the
        system prompt, the ``user`` one before the first step the instruction, a later ``user``
        one is observed after the last step. Anything else is a ConversionError at ``where``."""
        if role == "system" and self.system is None and self.instruction is None and not self.steps:
            self.system = text
        elif role == "user" and not self.steps and self.instruction is None:
            self.instruction = text
        elif role == "user" and self.steps:
            self.steps[-1].observations.append(UserMessage(content=text))
        else:
            raise ConversionError(
                f"a {role} message here has no place in a trajforge trajectory",
                path=where,
                hint="only the first message may be the system prompt, and one user message "
                "may come before the agent's first step",
            )


def single_text(step: Step, where: str, holder: str) -> str | None:
    """The content of the step's one text action (None without one); a step with several is a
    ConversionError, since ``holder`` (an assistant message...) has room for one."""
    texts = [action for action in step.actions if not isinstance(action, ToolCall)]
    if len(texts) > 1:
        raise ConversionError(
            f"{len(texts)} text actions in one step; {holder} has one content",
            path=f"{where}.actions",
            hint="split the step, or keep one of reply / ask / handoff / finish",
        )
    return texts[0].content if texts else None
