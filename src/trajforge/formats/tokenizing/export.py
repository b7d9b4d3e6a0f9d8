"""Trajectories to tokenized samples: render, find the trained turns, tokenize, cut to length.

See :mod:`trajforge.formats.tokenized` for what comes out and the options.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, Final

from trajforge.errors import ConfigError
from trajforge.formats.export_options import export_options
from trajforge.formats.mistakes import mistakes
from trajforge.formats.rows import rendered
from trajforge.formats.tokenized import TokenizedOptions
from trajforge.formats.tokenizing.encode import Sample, TokenText, encode_texts, make_sample
from trajforge.formats.tokenizing.messages import ChatMessages, renders_tool_calls
from trajforge.formats.tokenizing.preambles import Preambles, free_tokens
from trajforge.formats.tokenizing.sources import Tokenizer, load_tokenizer
from trajforge.formats.tokenizing.template import ChatTemplate
from trajforge.formats.tokenizing.turns import Rendering, render_turns
from trajforge.formats.tokenizing.windows import windows
from trajforge.schema import Trajectory

#: Trajectories rendered before their texts go to the tokenizer in one batch.
BATCH: Final = 64


class Tokenization:
    """Turns trajectories into samples with one tokenizer and template (see the module);
    ``writing`` are the writer's common options: the ``export`` options say which step labels
    mark a mistake, ``on_error`` takes the trajectories the template cannot render."""

    def __init__(self, options: TokenizedOptions, writing: Mapping[str, Any] | None = None) -> None:
        self.options = options
        self.writing = writing or {}
        self.export = export_options(self.writing)
        self.tokenizer: Tokenizer = load_tokenizer(options.tokenizer)
        self.encoder = Preambles(self.tokenizer, free_tokens(self.tokenizer))
        self.template = _template(options, self.tokenizer)
        self.messages = ChatMessages(tools_as_text=not renders_tool_calls(self.template))
        #: What gave no sample, and why (see :func:`trajforge.formats.rows.rendered`).
        self.details: Counter[str] = Counter()

    def samples(self, trajectories: Iterable[Trajectory]) -> Iterator[tuple[str, int, Sample]]:
        """``(trajectory id, sample number, sample)`` for each sample, in order."""
        stream = rendered(trajectories, self._render, self.writing, self.details)
        while batch := list(islice(stream, BATCH)):
            jobs = [
                (rendering, self._untrained(trajectory))
                for trajectory, renderings in batch
                for rendering in renderings
            ]
            texts = iter(encode_texts(self.encoder, jobs))
            for trajectory, renderings in batch:
                number = 0
                for _ in renderings:
                    for sample in self._cut(next(texts)):
                        yield trajectory.id, number, sample
                        number += 1

    def _render(self, trajectory: Trajectory) -> list[Rendering]:
        messages, tools = self.messages(trajectory)
        return render_turns(self.template, messages, tools, self.tokenizer.end_tokens)

    def _untrained(self, trajectory: Trajectory) -> frozenset[int]:
        if not self.options.mask_mistakes:
            return frozenset()
        marks = mistakes(trajectory, self.export)
        return frozenset(k for k, mistaken in enumerate(marks) if mistaken)

    def _cut(self, text: TokenText) -> Iterator[Sample]:
        options = self.options
        cuts = windows(
            len(text.ids),
            text.turns,
            whole=text.whole,
            max_length=options.max_length,
            overflow=options.overflow,
        )
        samples = [sample for ranges in cuts if (sample := make_sample(text, ranges)) is not None]
        if not cuts:
            self.details[
                f"texts left out: longer than max_length (overflow={options.overflow})"
            ] += 1
        elif not samples:
            self.details["texts left out: nothing to train"] += 1
        yield from samples


def _template(options: TokenizedOptions, tokenizer: Tokenizer) -> ChatTemplate:
    if options.chat_template is not None:
        file = Path(options.chat_template)
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read the chat template: {exc}", file=str(file), path="chat_template"
            ) from None
        return ChatTemplate(source, origin=str(file), variables=tokenizer.variables)
    if tokenizer.chat_template is None:
        raise ConfigError(
            "the tokenizer has no chat template",
            file=tokenizer.origin,
            path="chat_template",
            hint="give one with the chat_template option (a Jinja file)",
        )
    return ChatTemplate(
        tokenizer.chat_template, origin=tokenizer.origin, variables=tokenizer.variables
    )
