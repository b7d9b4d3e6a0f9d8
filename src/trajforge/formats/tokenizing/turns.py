"""Where the assistant turns are in a rendered conversation: the text a model is trained on.

Assistant message ``i`` (step ``k``) is the text between the template's render of
``messages[:i]`` with the generation prompt and its render of ``messages[:i + 1]``: what the model
writes when prompted there (content, tool calls, the end-of-turn token), not the assistant
header. Whitespace the template writes after an end-of-turn token closing the turn is not part of
it (the model stops at the token).

Those prefix renders must be prefixes of the whole conversation's render for the turns to be
trained in one text. Templates that rewrite earlier turns (dropping the reasoning of all but the
last, say) break that; the trajectory then gives one text per assistant turn, its render of
``messages[:i + 1]``, in which that last turn alone is trained.

Each turn also says where its step begins (``cut``: before the assistant header), found by the
generation prompt the template writes; long texts are cut there (see
:mod:`trajforge.formats.tokenizing.windows`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from trajforge.errors import ConversionError
from trajforge.formats.tokenizing.template import ChatTemplate


@dataclass(frozen=True, slots=True)
class Turn:
    """An assistant turn in a text: ``text[start:end]`` is trained; its step begins at ``cut``
    (``None`` where the header before it could not be told apart)."""

    step: int
    start: int
    end: int
    cut: int | None


@dataclass(frozen=True, slots=True)
class Rendering:
    """A text to train on and the turns trained in it, in order."""

    text: str
    turns: tuple[Turn, ...]
    whole: bool
    """Whether this is the whole conversation (else one text per turn: see the module)."""


Messages = list[dict[str, Any]]


def render_turns(
    template: ChatTemplate,
    messages: Messages,
    tools: list[dict[str, Any]] | None,
    end_tokens: Collection[str],
) -> list[Rendering]:
    """The texts of a conversation with its assistant turns (none without assistant messages).

    A ConversionError (path ``steps[k]``) where the template's generation prompt is not the start
    of how it renders that turn: the turn could not be told from its prompt."""
    assistant = [i for i, message in enumerate(messages) if message["role"] == "assistant"]
    if not assistant:
        return []
    turns, texts = [], []
    header = None
    for step, index in enumerate(assistant):
        prompt = template.render(messages[:index], tools, add_generation_prompt=True)
        text = template.render(messages[: index + 1], tools, add_generation_prompt=False)
        if not text.startswith(prompt):
            raise ConversionError(
                "the chat template renders this assistant turn differently from the "
                "generation prompt it writes before it",
                path=f"steps[{step}]",
                hint="the turn cannot be told from its prompt; give another chat_template",
            )
        if step == 0:
            header = _generation_prompt(template, messages[:index], tools, prompt)
        start = len(prompt)
        cut = start - len(header) if header and prompt.endswith(header) else None
        turns.append(Turn(step, start, _turn_end(text, start, end_tokens), cut))
        texts.append(text)
    last = assistant[-1] + 1 == len(messages)
    full = texts[-1] if last else template.render(messages, tools, add_generation_prompt=False)
    if all(full.startswith(text) for text in texts):
        return [Rendering(full, tuple(turns), whole=True)]
    return [Rendering(text, (turn,), whole=False) for text, turn in zip(texts, turns, strict=True)]


def _generation_prompt(
    template: ChatTemplate, before: Messages, tools: list[dict[str, Any]] | None, prompted: str
) -> str | None:
    """What the generation prompt adds after ``before`` (rendered with it: ``prompted``);
    ``None`` where that is not a plain addition."""
    if not before:
        return None
    bare = template.render(before, tools, add_generation_prompt=False)
    return prompted[len(bare) :] if prompted.startswith(bare) else None


def _turn_end(text: str, start: int, end_tokens: Collection[str]) -> int:
    """The end of the turn that starts at ``start``: the text's end, less whitespace after a
    closing end-of-turn token."""
    stripped = text.rstrip()
    if len(stripped) < len(text) and any(stripped.endswith(token) for token in end_tokens):
        return max(start, len(stripped))
    return len(text)
