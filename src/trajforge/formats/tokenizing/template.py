"""Chat templates rendered as transformers renders them: Jinja in an immutable sandbox.

The environment matches ``transformers``' ``apply_chat_template``: ``trim_blocks`` and
``lstrip_blocks``, the ``loopcontrols`` extension, the ``{% generation %}`` tag (its body is
rendered as it is), a ``tojson`` filter that keeps non-ASCII text, and the globals
``raise_exception`` and ``strftime_now``. ``strftime_now`` gives a fixed date
(:data:`TEMPLATE_DATE`) instead of the clock, so that the same data always renders the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any, Final, NoReturn

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from trajforge.errors import ConfigError, ConversionError
from trajforge.formats.tokenizing.locality import Locality, locality
from trajforge.formats.tokenizing.tape import TAPE_FIELDS, Tape

#: The date ``strftime_now`` renders (templates such as Llama 3.1's print "today's" date).
TEMPLATE_DATE: Final = datetime(2025, 1, 1)
#: How many ``tojson`` texts a template keeps for values it sees again (a conversation's
#: tools are written in every prefix render).
JSON_MEMO: Final = 1024
_DICT_ATTRIBUTES: Final = frozenset(dir(dict))
_LOOP_FIELDS: Final = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0"}
)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the two lookups chat templates make most answered directly,
    with the same result: a message's field (``message.role``: a dict key that is no dict
    method) and a loop's counters (``loop.last``). A loop over a :class:`Tape` has its counters
    and look-ahead answered by the tape, without peeking."""

    def getattr(self, obj: Any, attribute: str) -> Any | Undefined:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if type(obj) is LoopContext:
            tape = obj._iterable
            if attribute in TAPE_FIELDS and type(tape) is Tape:
                return tape.loop_field(obj, attribute)
            if attribute in _LOOP_FIELDS:
                return getattr(obj, attribute)
        return super().getattr(obj, attribute)


class _GenerationTag(Extension):
    """``{% generation %}...{% endgeneration %}``: transformers' marker of trained text.

    The body renders as it is; trained turns are found by rendering prefixes instead, which works
    for templates without the tag too."""

    tags = {"generation"}

    def parse(self, parser: Parser) -> list[nodes.Node]:
        next(parser.stream)
        body: list[nodes.Node] = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return body


def _raise_exception(message: str) -> NoReturn:
    raise jinja2.TemplateError(message)


class _ToJson:
    """The ``tojson`` filter, remembering the text of the last values it wrote: the memo holds
    each value, so no other object can take its id while it is there (the values are not
    changed: the sandbox is immutable). One encoder is made per set of options."""

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], tuple[Any, str]] = {}
        self._encoders: dict[tuple[Any, ...], json.JSONEncoder] = {}

    def __call__(
        self,
        value: Any,
        ensure_ascii: bool = False,
        indent: int | None = None,
        separators: tuple[str, str] | None = None,
        sort_keys: bool = False,
    ) -> str:
        if separators is not None:  # a template may give a list, which is no dict key
            separators = (separators[0], separators[1])
        options = (ensure_ascii, indent, separators, sort_keys)
        key = (id(value), *options)
        known = self._memo.get(key)
        if known is not None:
            return known[1]
        encoder = self._encoders.get(options)
        if encoder is None:  # as json.dumps makes it
            encoder = self._encoders[options] = json.JSONEncoder(
                ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
            )
        text = encoder.encode(value)
        if len(self._memo) >= JSON_MEMO:
            self._memo.clear()
        self._memo[key] = (value, text)
        return text


def _strftime_now(format: str) -> str:
    return TEMPLATE_DATE.strftime(format)


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, "jinja2.ext.loopcontrols"],
    )
    env.filters["tojson"] = _ToJson()
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


class ChatTemplate:
    """A compiled chat template; ``variables`` (``bos_token``, ``eos_token``...) are passed to
    every render. ``origin`` names where the template came from, for errors."""

    def __init__(self, source: str, *, origin: str, variables: Mapping[str, str]) -> None:
        self.origin = origin
        self.source = source
        try:
            self._template = _environment().from_string(source, globals=dict(variables))
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"the chat template does not compile: {exc.message}",
                file=origin,
                line=exc.lineno,
                hint="fix the template, or give another one with the chat_template option",
            ) from None
        # a plain dict instead of the environment's ChainMap: every render copies the globals,
        # and a ChainMap is slow to copy (this halves the time of a short render)
        self._template.globals = dict(self._template.globals)
        self._constants = tuple(variables)

    @cached_property
    def locality(self) -> Locality | None:
        """Whether the template renders each message as a prefix render would (see
        :mod:`trajforge.formats.tokenizing.locality`)."""
        tree = self._template.environment.parse(self.source)
        return locality(tree, self._constants)

    def render(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        *,
        add_generation_prompt: bool,
    ) -> str:
        """The text of ``messages`` (with ``tools``); a ConversionError if the template fails."""
        with self._failures():
            return self._template.render(
                messages=messages, tools=tools, add_generation_prompt=add_generation_prompt
            )

    def record(
        self, tape: Tape, tools: list[dict[str, Any]] | None, *, add_generation_prompt: bool
    ) -> None:
        """Render the messages of ``tape`` into its chunks, as they are made (a ConversionError
        if the template fails)."""
        chunks = tape.chunks
        template = self._template
        variables = {
            "messages": tape,
            "tools": tools,
            "add_generation_prompt": add_generation_prompt,
        }
        with self._failures():  # what Template.generate does, less its traceback rewriting
            for chunk in template.root_render_func(template.new_context(variables)):
                chunks.append(chunk)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except (jinja2.TemplateError, TypeError, ValueError, KeyError, IndexError) as exc:
            raise ConversionError(
                f"the chat template of {self.origin} failed: {type(exc).__name__}: {exc}",
                hint="the template may not support these roles or tool calls; give another "
                "with the chat_template option",
            ) from None
