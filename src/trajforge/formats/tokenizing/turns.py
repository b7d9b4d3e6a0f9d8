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

The prefix renders need not be rendered one by one: for templates that render each message where
a prefix would (most do), one traced render of the conversation gives them all, exactly (see
:mod:`trajforge.formats.tokenizing.single_pass`); other conversations render every prefix.

Each turn also says where its step begins (``cut``: before the assistant header), found by the
generation prompt the template writes; long texts are cut there (see
:mod:`trajforge.formats.tokenizing.windows`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from trajforge.errors import ConversionError
from trajforge.formats.tokenizing.single_pass import spliced
from trajforge.formats.tokenizing.template import ChatTemplate


class Turn(NamedTuple):
    """An assistant turn in a text: ``text[start:end]`` is trained; its step begins at ``cut``
    (``None`` where the header before it could not be told apart); a tuple: one is made per turn."""

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


class Prefixes(Protocol):
    """The template's renders of the prefixes of one conversation."""

    def __call__(self, length: int, *, add_generation_prompt: bool) -> str:
        """The render of the first ``length`` messages."""
        ...


@dataclass(frozen=True, slots=True)
class PrefixRenders:
    """Each prefix rendered on its own (what any template allows)."""

    template: ChatTemplate
    messages: Messages
    tools: list[dict[str, Any]] | None

    def __call__(self, length: int, *, add_generation_prompt: bool) -> str:
        """The render of the first ``length`` messages."""
        return self.template.render(
            self.messages[:length], self.tools, add_generation_prompt=add_generation_prompt
        )


def render_turns(
    template: ChatTemplate,
    messages: Messages,
    tools: list[dict[str, Any]] | None,
    end_tokens: Collection[str],
    *,
    single_pass: bool = True,
) -> list[Rendering]:
    """The texts of a conversation with its assistant turns (none without assistant messages).

    The prefix renders come from one render of the conversation where the template allows
    (:mod:`trajforge.formats.tokenizing.single_pass`; ``single_pass=False`` renders each prefix).
    A ConversionError (path ``steps[k]``) where the template's generation prompt is not the start
    of how it renders that turn: the turn could not be told from its prompt."""
    assistant = [i for i, message in enumerate(messages) if message["role"] == "assistant"]
    if not assistant:
        return []
    lengths = {len(messages), *assistant, *(index + 1 for index in assistant)}
    prefixes = spliced(template, messages, tools, lengths) if single_pass else None
    return _renderings(
        prefixes or PrefixRenders(template, messages, tools), assistant, len(messages), end_tokens
    )


def _renderings(
    render: Prefixes, assistant: list[int], count: int, end_tokens: Collection[str]
) -> list[Rendering]:
    """The texts of the conversation of ``count`` messages whose ``assistant`` messages are
    trained, from its prefix renders."""
    turns, texts = [], []
    header = None
    ends = tuple(end_tokens)
    for step, index in enumerate(assistant):
        prompt = render(index, add_generation_prompt=True)
        text = render(index + 1, add_generation_prompt=False)
        if not text.startswith(prompt):
            raise ConversionError(
                "the chat template renders this assistant turn differently from the "
                "generation prompt it writes before it",
                path=f"steps[{step}]",
                hint="the turn cannot be told from its prompt; give another chat_template",
            )
        if step == 0:
            header = _generation_prompt(render, index, prompt)
        start = len(prompt)
        cut = start - len(header) if header and prompt.endswith(header) else None
        turns.append(Turn(step, start, _turn_end(text, start, ends), cut))
        texts.append(text)
    last = assistant[-1] + 1 == count
    full = texts[-1] if last else render(count, add_generation_prompt=False)
    if all(full.startswith(text) for text in texts):
        return [Rendering(full, tuple(turns), whole=True)]
    return [Rendering(text, (turn,), whole=False) for text, turn in zip(texts, turns, strict=True)]


def _generation_prompt(render: Prefixes, length: int, prompted: str) -> str | None:
    """What the generation prompt adds after the first ``length`` messages (rendered with it:
    ``prompted``); ``None`` where that is not a plain addition."""
    if not length:
        return None
    bare = render(length, add_generation_prompt=False)
    return prompted[len(bare) :] if prompted.startswith(bare) else None


def _turn_end(text: str, start: int, end_tokens: tuple[str, ...]) -> int:
    """The end of the turn that starts at ``start``: the text's end, less whitespace after a
    closing end-of-turn token."""
    stripped = len(text)
    while stripped and text[stripped - 1].isspace():  # as rstrip() would, without a copy
        stripped -= 1
    if stripped < len(text) and text.endswith(end_tokens, 0, stripped):
        return max(start, stripped)
    return len(text)
