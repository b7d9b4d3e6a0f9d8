"""Chat templates rendered as transformers renders them: Jinja in an immutable sandbox.

The environment matches ``transformers``' ``apply_chat_template``: ``trim_blocks`` and
``lstrip_blocks``, the ``loopcontrols`` extension, the ``{% generation %}`` tag (its body is
rendered as it is), a ``tojson`` filter that keeps non-ASCII text, and the globals
``raise_exception`` and ``strftime_now``. ``strftime_now`` gives a fixed date
(:data:`TEMPLATE_DATE`) instead of the clock, so that the same data always renders the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, NoReturn

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from trajforge.errors import ConfigError, ConversionError

#: The date ``strftime_now`` renders (templates such as Llama 3.1's print "today's" date).
TEMPLATE_DATE: Final = datetime(2025, 1, 1)


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


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(format: str) -> str:
    return TEMPLATE_DATE.strftime(format)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, "jinja2.ext.loopcontrols"],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


class ChatTemplate:
    """A compiled chat template; ``variables`` (``bos_token``, ``eos_token``...) are passed to
    every render. ``origin`` names where the template came from, for errors."""

    def __init__(self, source: str, *, origin: str, variables: Mapping[str, str]) -> None:
        self.origin = origin
        self.source = source
        self._variables = dict(variables)
        try:
            self._template = _environment().from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"the chat template does not compile: {exc.message}",
                file=origin,
                line=exc.lineno,
                hint="fix the template, or give another one with the chat_template option",
            ) from None

    def render(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        *,
        add_generation_prompt: bool,
    ) -> str:
        """The text of ``messages`` (with ``tools``); a ConversionError if the template fails."""
        try:
            return self._template.render(
                messages=messages,
                tools=tools,
                add_generation_prompt=add_generation_prompt,
                **self._variables,
            )
        except (jinja2.TemplateError, TypeError, ValueError, KeyError, IndexError) as exc:
            raise ConversionError(
                f"the chat template of {self.origin} failed: {type(exc).__name__}: {exc}",
                hint="the template may not support these roles or tool calls; give another "
                "with the chat_template option",
            ) from None
