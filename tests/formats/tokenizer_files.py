"""Tokenizers for the tokenized-export tests, made here and offline: a byte-level BPE trained
in-process and saved as a Hugging Face tokenizer directory with a chat template (the SmolLM2
GGUF, the other source, is in ``tests/smollm2.py``); and the checks of a sample's mask."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

#: ChatML with tools as Qwen2.5 writes them: tools in the system prompt, calls in <tool_call>
#: tags, consecutive tool results in one user turn.
TOOLS_TEMPLATE: Final = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools><|im_end|>\\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'assistant' and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
{%- for call in message.tool_calls %}
{{- '\\n<tool_call>\\n{"name": "' + call.function.name + '", "arguments": ' }}
{{- call.function.arguments | tojson }}
{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.index0 == 0 or messages[loop.index0 - 1].role != 'tool' %}
{{- '<|im_start|>user' }}
{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
{{- '<|im_end|>\\n' }}
{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""

#: ChatML that shows the reasoning of the last message only: rendering a longer conversation
#: rewrites the earlier turns (the prefix property fails), as Qwen3's template does.
LAST_REASONING_TEMPLATE: Final = """\
{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\\n' }}
{%- if message.role == 'assistant' and loop.last and message.reasoning_content %}
{{- '<think>' + message.reasoning_content + '</think>\\n' }}
{%- endif %}
{%- if message.content %}{{- message.content }}{%- endif %}
{%- for call in message.tool_calls or [] %}
{{- '<tool_call>' + call.function.name + ' ' }}
{{- (call.function.arguments | tojson) + '</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""

SPECIAL_TOKENS: Final = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_CORPUS: Final = [
    "system user assistant tool tools get_order refund_order search order customer refund lamp",
    '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "W1"}}\n</tool_call>',
    "<tool_response>\nshipped on Monday, delivered\n</tool_response> The order is on its way.",
]
#: An assistant turn in a ChatML text: what follows the header, up to its end token.
CHATML_TURN: Final = re.compile(r"<\|im_start\|>assistant\n(.*?<\|im_end\|>)", re.DOTALL)


def tokenizer_dir(
    path: Path,
    template: str,
    *,
    lowercase: bool = False,
    corpus: Iterable[str] = _CORPUS,
    vocab_size: int = 400,
) -> Path:
    """Train a byte-level BPE of ``vocab_size`` tokens on ``corpus`` (a tiny one by default) and
    save it to ``path`` with ``template`` as its chat template (``lowercase``: with a normalizer
    that loses case)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    if lowercase:
        tokenizer.normalizer = normalizers.Lowercase()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(path / "tokenizer.json"))
    config = {"chat_template": template, "eos_token": "<|im_end|>", "bos_token": None}
    (path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return path


Row = dict[str, Any]
"""A tokenized sample: ``input_ids``, ``assistant_masks`` and ``labels`` as lists."""


def trained_texts(decode: Callable[[list[int]], str], row: Row) -> list[str]:
    """The runs of masked-in tokens, each decoded."""
    runs: list[list[int]] = [[]]
    for token, trained in zip(row["input_ids"], row["assistant_masks"], strict=True):
        if trained:
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    return [decode(run) for run in runs if run]


def assert_labels(row: Row) -> None:
    """The labels are the ids where the mask is set, -100 elsewhere."""
    expected = [
        token if trained else -100
        for token, trained in zip(row["input_ids"], row["assistant_masks"], strict=True)
    ]
    assert row["labels"] == expected
