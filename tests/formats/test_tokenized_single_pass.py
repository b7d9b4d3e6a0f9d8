"""The single-pass render of the tokenized export gives exactly what rendering every prefix gives,
for every template and conversation, and is taken where the template allows; the pieces of a text
encode the same in one pre-tokenized encoding with markers as one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.tokenizer_files import LAST_REASONING_TEMPLATE, SPECIAL_TOKENS, TOOLS_TEMPLATE
from tests.smollm2 import smollm2_gguf
from trajforge.errors import ConversionError
from trajforge.formats.tokenizing.pieces import apart
from trajforge.formats.tokenizing.single_pass import spliced
from trajforge.formats.tokenizing.sources import Tokenizer, load_tokenizer
from trajforge.formats.tokenizing.template import ChatTemplate
from trajforge.formats.tokenizing.turns import Rendering, render_turns

END_TOKENS: Final = frozenset({"<|im_end|>", "<|endoftext|>"})
_CLOSE = (
    "{%- endfor %}\n{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

#: Qwen3's way: the reasoning of turns before the last user query is dropped, found by walking
#: ``messages[::-1]`` into a namespace.
QWEN3_LIKE: Final = (
    """\
{%- set ns = namespace(last_query=messages|length - 1) %}
{%- for message in messages[::-1] %}
{%- if message.role == 'user' and ns.last_query == messages|length - 1 %}
{%- set ns.last_query = messages|length - 1 - loop.index0 %}
{%- endif %}
{%- endfor %}
{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\\n' }}
{%- if message.role == 'assistant' and loop.index0 > ns.last_query and message.reasoning_content %}
{{- '<think>' + message.reasoning_content + '</think>' }}
{%- endif %}
{{- (message.content or '') + '<|im_end|>\\n' }}
"""
    + _CLOSE
)
#: Tool results grouped by a namespace flag set in the loop, and looking ahead: iterations share
#: state, so no blind render may stand for a prefix render.
STATEFUL_LOOK_AHEAD: Final = (
    """\
{%- set ns = namespace(open=false) %}
{%- for message in messages %}
{%- if message.role == 'tool' %}
{%- if not ns.open %}{{- '<|im_start|>user' }}{%- endif %}
{%- set ns.open = true %}
{{- '\\n<tool_response>' + message.content + '</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
{{- '<|im_end|>\\n' }}{%- set ns.open = false %}
{%- endif %}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + message.content }}
{%- for call in message.tool_calls or [] %}
{{- '<tool_call>' + (call.function.arguments | tojson) + '</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- endif %}
"""
    + _CLOSE
)
#: ``messages[loop.index0 - 1]`` at the first message reads the last one.
UNGUARDED_LOOK_BEHIND: Final = (
    """\
{%- for message in messages %}
{%- set before = messages[loop.index0 - 1] %}
{%- if before is defined %}{{- '(' + before.role + ')' }}{%- endif %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
"""
    + _CLOSE
)
#: Looks two messages ahead: a prefix render ends differently from the whole render.
TWO_AHEAD: Final = (
    """\
{%- if messages[0].role == 'system' %}{{- '[sys]' }}{%- endif %}
{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\\n' + message.content }}
{%- if messages[loop.index0 + 2] is defined %}{{- ' (more)' }}{%- endif %}
{{- '<|im_end|>\\n' }}
"""
    + _CLOSE
)
_PLAIN_LOOP = "{%- for message in messages %}{{- message.role + ': ' + message.content }}"
NOT_LOCAL: Final = {
    "reversed messages": QWEN3_LIKE,
    "loop.length": _PLAIN_LOOP.replace("message.role", "(loop.length | string)") + _CLOSE,
    "loop.cycle": _PLAIN_LOOP.replace("message.role", "loop.cycle('a', 'b')") + _CLOSE,
    "messages|length": "{{- messages | length }}" + _PLAIN_LOOP + _CLOSE,
    "a slice": "{%- for message in messages[1:] %}{{- message.content }}" + _CLOSE,
    "the flag in the loop": _PLAIN_LOOP + "{{- add_generation_prompt }}" + _CLOSE,
    "messages after the loop": _PLAIN_LOOP
    + "{%- endfor %}{%- if add_generation_prompt and messages[0].role == 'user' %}x{%- endif %}",
    "a namespace after the loop": "{%- set ns = namespace(n=0) %}"
    + _PLAIN_LOOP
    + "{%- set ns.n = 1 %}{%- endfor %}{{- ns.n }}",
    "two loops": _PLAIN_LOOP + "{%- endfor %}" + _PLAIN_LOOP + _CLOSE,
}


@pytest.fixture(scope="module")
def smollm2_template() -> ChatTemplate:
    tokenizer = load_tokenizer(str(smollm2_gguf()))
    assert tokenizer.chat_template is not None
    return ChatTemplate(tokenizer.chat_template, origin="smollm2", variables=tokenizer.variables)


def template(source: str) -> ChatTemplate:
    return ChatTemplate(source, origin="test", variables={"eos_token": "<|im_end|>"})


_TEXT = st.text(st.sampled_from("ab <|>\n\t{}é"), max_size=6)


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Chat messages in any order of roles, with tool calls, tool results and reasoning."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_TEXT)})
    for _ in range(draw(st.integers(1, 7))):
        role = draw(st.sampled_from(["user", "assistant", "assistant", "tool"]))
        message: dict[str, Any] = {"role": role, "content": draw(_TEXT)}
        if role == "assistant" and draw(st.booleans()):
            message["reasoning_content"] = draw(_TEXT)
        if role == "assistant" and draw(st.booleans()):
            message["tool_calls"] = [
                {
                    "type": "function",
                    "function": {"name": "search", "arguments": {"q": draw(_TEXT)}},
                }
                for _ in range(draw(st.integers(1, 2)))
            ]
        messages.append(message)
    return messages


TOOLS: Final = [{"type": "function", "function": {"name": "search", "parameters": {}}}]


def outcome(
    chat: ChatTemplate, messages: list[dict[str, Any]], tools: Any, *, single_pass: bool
) -> list[Rendering] | str:
    try:
        return render_turns(chat, messages, tools, END_TOKENS, single_pass=single_pass)
    except ConversionError as exc:
        return str(exc)


def lengths(messages: list[dict[str, Any]]) -> set[int]:
    assistant = [i for i, message in enumerate(messages) if message["role"] == "assistant"]
    return {len(messages), *assistant, *(i + 1 for i in assistant)}


TEMPLATES: Final = {
    "chatml with tools": TOOLS_TEMPLATE,
    "last reasoning": LAST_REASONING_TEMPLATE,
    "qwen3-like": QWEN3_LIKE,
    "stateful look-ahead": STATEFUL_LOOK_AHEAD,
    "unguarded look-behind": UNGUARDED_LOOK_BEHIND,
    "two ahead": TWO_AHEAD,
    "a loop left early": _PLAIN_LOOP
    + "{%- if loop.index0 == 2 %}{%- break %}{%- endif %}"
    + _CLOSE,
}


@pytest.mark.parametrize("name", TEMPLATES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=conversations(), with_tools=st.booleans())
def test_the_single_pass_gives_what_the_prefix_renders_give(
    name: str, messages: list[dict[str, Any]], with_tools: bool
) -> None:
    chat = template(TEMPLATES[name])
    tools = TOOLS if with_tools else None
    assert outcome(chat, messages, tools, single_pass=True) == outcome(
        chat, messages, tools, single_pass=False
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=conversations())
def test_the_smollm2_template_renders_in_one_pass_as_by_prefixes(
    smollm2_template: ChatTemplate, messages: list[dict[str, Any]]
) -> None:
    assert outcome(smollm2_template, messages, None, single_pass=True) == outcome(
        smollm2_template, messages, None, single_pass=False
    )
    if messages[0]["role"] != "assistant":
        assert spliced(smollm2_template, messages, None, lengths(messages)) is not None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=conversations(), with_tools=st.booleans())
def test_a_template_that_looks_ahead_without_shared_state_takes_the_single_pass(
    messages: list[dict[str, Any]], with_tools: bool
) -> None:
    chat = template(TOOLS_TEMPLATE)
    tools = TOOLS if with_tools else None
    if messages[0]["role"] != "assistant":
        assert spliced(chat, messages, tools, lengths(messages)) is not None


def test_what_a_prefix_render_would_not_see_leaves_the_conversation_to_prefix_renders() -> None:
    call = {"type": "function", "function": {"name": "search", "arguments": {"q": "x"}}}
    calls: list[dict[str, Any]] = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "r"},
        {"role": "assistant", "content": "done"},
    ]
    # state shared by iterations, and the tool result before a turn asks loop.last
    assert spliced(template(STATEFUL_LOOK_AHEAD), calls, None, lengths(calls)) is None
    # messages[-1] at the first message
    assert spliced(template(UNGUARDED_LOOK_BEHIND), calls, None, lengths(calls)) is None
    # the first user message looks at the first assistant turn
    assert spliced(template(TWO_AHEAD), calls, None, lengths(calls)) is None
    # an assistant message first: there is no prefix before it
    assert spliced(template(TOOLS_TEMPLATE), calls[1:], None, lengths(calls[1:])) is None
    assert spliced(template(TOOLS_TEMPLATE), calls, None, lengths(calls)) is not None


@pytest.mark.parametrize("name", NOT_LOCAL)
def test_templates_that_read_the_messages_as_a_whole_are_not_message_local(name: str) -> None:
    assert template(NOT_LOCAL[name]).locality is None


@pytest.mark.parametrize(
    ("source", "stateless"),
    [(TOOLS_TEMPLATE, True), (LAST_REASONING_TEMPLATE, True), (STATEFUL_LOOK_AHEAD, False)],
)
def test_message_local_templates_and_whether_iterations_share_state(
    source: str, stateless: bool
) -> None:
    shape = template(source).locality
    assert shape is not None
    assert shape.stateless is stateless


# ---------------------------------------------------------------- pieces


@pytest.fixture(scope="module")
def tokenizer(tools_tokenizer: Path) -> Tokenizer:
    return load_tokenizer(str(tools_tokenizer))


_PIECE = st.lists(
    st.sampled_from(["a", "b", " ", "\n", "{", "é", "<|", *SPECIAL_TOKENS]), max_size=6
).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.lists(_PIECE, min_size=1, max_size=6), min_size=1, max_size=4))
def test_pieces_encode_the_same_marked_in_one_encoding_as_one_by_one(
    tokenizer: Tokenizer, pieces: list[list[str]]
) -> None:
    texts = []
    for parts in pieces:
        text = "".join(parts)
        cuts = sorted({0, len(text), *(len("".join(parts[:i])) for i in range(len(parts)))})
        texts.append((text, cuts))
    assert tokenizer.encode_cut(texts) == apart(tokenizer.encode_batch, texts)


def test_a_text_holding_every_special_token_is_encoded_piece_by_piece(
    tokenizer: Tokenizer,
) -> None:
    text = "a" + "".join(SPECIAL_TOKENS) + " b"
    cuts = [0, 1, 1 + len(SPECIAL_TOKENS[0]), len(text)]
    [(ids, counts)] = tokenizer.encode_cut([(text, cuts)])
    assert (ids, counts) == apart(tokenizer.encode_batch, [(text, cuts)])[0]
    assert tokenizer.decode(ids) == text
    assert counts[1:3] == [1, 2]  # "a", then the first special token alone
